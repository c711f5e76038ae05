/* The selection API on the real device: forcing an algorithm or a variant by argument and by
 * CLCONV_ALGO / CLCONV_VARIANT, refusals with reasons, and the CLCONV_VERBOSE log. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <clconv.h>

#include "tests/common.h"

#ifndef CLCONV_TEST_HAVE_CLBLAST
#error "CLCONV_TEST_HAVE_CLBLAST must be defined by the build"
#endif

static void dense(clconv_desc *d, int in[4])
{
    clconv_desc_init(d, CLCONV_CONV2D, 8, 8, 3, 3);
    in[0] = 1;
    in[1] = 8;
    in[2] = in[3] = 6;
}

START_TEST(test_select_forced_algo)
{
    clconv_context *ctx = test_context();
    clconv_desc d;
    int in[4];
    dense(&d, in);
    clconv_plan *plan = NULL;
    for (int a = CLCONV_ALGO_DIRECT; a < CLCONV_ALGO_COUNT_; a++) {
        clconv_status st = clconv_plan_create(ctx, &d, in, (clconv_algo)a, &plan);
        if (st == CLCONV_SUCCESS) {
            ck_assert_int_eq(clconv_plan_get_algo(plan), a);
            /* the variant run belongs to the forced algorithm */
            ck_assert_int_eq(clconv_variant_get_algo(clconv_plan_get_variant_name(plan)), a);
            clconv_plan_destroy(plan);
        } else {
            /* only an algorithm that cannot run this dense layer may refuse, with why */
            ck_assert_int_eq(st, CLCONV_ERROR_UNSUPPORTED);
            const char *msg = clconv_context_last_error(ctx);
            ck_assert_msg(strstr(msg, clconv_algo_name((clconv_algo)a)), "message: %s", msg);
            ck_assert_msg(a == CLCONV_ALGO_DEPTHWISE || !clconv_algo_available((clconv_algo)a),
                          "%s refused a dense 3x3: %s", clconv_algo_name((clconv_algo)a), msg);
        }
    }
    /* depthwise forced on a dense layer: the reason names the field */
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_DEPTHWISE, &plan),
                     CLCONV_ERROR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(clconv_context_last_error(ctx), "groups"));
    /* gemm: present with CLBlast, else refused naming the build */
    clconv_status st = clconv_plan_create(ctx, &d, in, CLCONV_ALGO_GEMM, &plan);
    if (CLCONV_TEST_HAVE_CLBLAST) {
        ck_assert_int_eq(st, CLCONV_SUCCESS);
        clconv_plan_destroy(plan);
    } else {
        ck_assert_int_eq(st, CLCONV_ERROR_UNSUPPORTED);
        ck_assert_ptr_nonnull(strstr(clconv_context_last_error(ctx), "built without CLBlast"));
    }
    ck_assert_int_eq(clconv_algo_available(CLCONV_ALGO_GEMM), CLCONV_TEST_HAVE_CLBLAST);
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, (clconv_algo)99, &plan),
                     CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_context_last_error(ctx), "algo = 99"));
}
END_TEST

START_TEST(test_select_forced_variant)
{
    clconv_context *ctx = test_context();
    clconv_desc d;
    int in[4];
    dense(&d, in);
    clconv_plan *plan = NULL;
    ck_assert_int_gt(clconv_variant_count(), 0);
    ck_assert_ptr_null(clconv_variant_name(-1));
    ck_assert_ptr_null(clconv_variant_name(clconv_variant_count()));
    for (int i = 0; i < clconv_variant_count(); i++) {
        const char *name = clconv_variant_name(i);
        clconv_status st = clconv_plan_create_variant(ctx, &d, in, name, &plan);
        if (st == CLCONV_SUCCESS) {
            ck_assert_str_eq(clconv_plan_get_variant_name(plan), name);
            ck_assert_int_eq(clconv_plan_get_algo(plan), clconv_variant_get_algo(name));
            clconv_plan_destroy(plan);
        } else {
            ck_assert_int_eq(st, CLCONV_ERROR_UNSUPPORTED);
            const char *msg = clconv_context_last_error(ctx);
            ck_assert_msg(strstr(msg, name) && strstr(msg, "cannot run"), "%s: %s", name, msg);
        }
    }
    ck_assert_int_eq(clconv_plan_create_variant(ctx, &d, in, "tiled.no_such_tile", &plan),
                     CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_context_last_error(ctx), "tiled.no_such_tile"));
    ck_assert_int_eq(clconv_plan_create_variant(ctx, &d, in, NULL, &plan),
                     CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_null(clconv_plan_get_variant_name(NULL));
    ck_assert_int_eq(clconv_variant_get_algo("no.such"), CLCONV_ALGO_AUTO);
    if (!CLCONV_TEST_HAVE_CLBLAST) {
        ck_assert_int_eq(clconv_plan_create_variant(ctx, &d, in, "gemm.im2col", &plan),
                         CLCONV_ERROR_UNSUPPORTED);
        ck_assert_ptr_nonnull(strstr(clconv_context_last_error(ctx), "built without CLBlast"));
    }
}
END_TEST

START_TEST(test_select_env)
{
    clconv_context *ctx = test_context();
    clconv_desc d;
    int in[4];
    dense(&d, in);
    clconv_plan *plan = NULL;
    /* CLCONV_ALGO overrides AUTO, not an explicit argument */
    setenv("CLCONV_ALGO", "direct", 1);
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_AUTO, &plan), CLCONV_SUCCESS);
    ck_assert_int_eq(clconv_plan_get_algo(plan), CLCONV_ALGO_DIRECT);
    clconv_plan_destroy(plan);
    if (CLCONV_TEST_HAVE_CLBLAST) {
        setenv("CLCONV_ALGO", "GEMM", 1); /* case-insensitive */
        ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_AUTO, &plan), CLCONV_SUCCESS);
        ck_assert_int_eq(clconv_plan_get_algo(plan), CLCONV_ALGO_GEMM);
        clconv_plan_destroy(plan);
        ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_DIRECT, &plan),
                         CLCONV_SUCCESS);
        ck_assert_int_eq(clconv_plan_get_algo(plan), CLCONV_ALGO_DIRECT);
        clconv_plan_destroy(plan);
        /* forced by the environment and unable: the message says where it came from */
        d.dtype = CLCONV_FLOAT16;
        ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_AUTO, &plan),
                         CLCONV_ERROR_UNSUPPORTED);
        const char *msg = clconv_context_last_error(ctx);
        ck_assert_msg(strstr(msg, "from CLCONV_ALGO") && strstr(msg, "float16"), "%s", msg);
        d.dtype = CLCONV_FLOAT32;
    }
    setenv("CLCONV_ALGO", "fastest", 1);
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_AUTO, &plan),
                     CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_context_last_error(ctx), "CLCONV_ALGO = \"fastest\""));
    unsetenv("CLCONV_ALGO");

    /* CLCONV_VARIANT forces a variant for AUTO plans, over CLCONV_ALGO; not over an argument */
    const char *direct = "direct.conv2d";
    if (!clconv_variant_get_algo(direct))
        direct = "direct"; /* a build whose direct algorithm is one variant */
    setenv("CLCONV_VARIANT", direct, 1);
    setenv("CLCONV_ALGO", "tiled", 1);
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_AUTO, &plan), CLCONV_SUCCESS);
    ck_assert_str_eq(clconv_plan_get_variant_name(plan), direct);
    clconv_plan_destroy(plan);
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_TILED, &plan), CLCONV_SUCCESS);
    ck_assert_int_eq(clconv_plan_get_algo(plan), CLCONV_ALGO_TILED);
    clconv_plan_destroy(plan);
    unsetenv("CLCONV_ALGO");
    /* a forced variant that declines says so, naming the source */
    clconv_desc t;
    clconv_desc_init(&t, CLCONV_CONV_TRANSPOSE2D, 8, 8, 3, 3);
    ck_assert_int_eq(clconv_plan_create(ctx, &t, in, CLCONV_ALGO_AUTO, &plan),
                     CLCONV_ERROR_UNSUPPORTED);
    const char *msg = clconv_context_last_error(ctx);
    ck_assert_msg(strstr(msg, "from CLCONV_VARIANT") && strstr(msg, direct), "%s", msg);
    setenv("CLCONV_VARIANT", "no-such-variant", 1);
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_AUTO, &plan),
                     CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_context_last_error(ctx), "no-such-variant"));
    unsetenv("CLCONV_VARIANT");
}
END_TEST

/* Runs plan creation with stderr sent to a file; returns what was written (malloc'd). */
static char *capture_plan_log(clconv_context *ctx, const clconv_desc *d, const int in[4],
                              clconv_algo algo, const char **chosen)
{
    char path[] = "/tmp/clconv-select-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    setenv("CLCONV_VERBOSE", "1", 1);
    clconv_plan *plan = NULL;
    clconv_status st = clconv_plan_create(ctx, d, in, algo, &plan);
    unsetenv("CLCONV_VERBOSE");
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    ck_assert_int_eq(st, CLCONV_SUCCESS);
    *chosen = clconv_plan_get_variant_name(plan);
    clconv_plan_destroy(plan);
    FILE *f = fdopen(fd, "r");
    rewind(f);
    char *text = calloc(1, 1 << 17);
    size_t n = fread(text, 1, (1 << 17) - 1, f);
    text[n] = 0;
    fclose(f);
    unlink(path);
    return text;
}

START_TEST(test_select_verbose)
{
    clconv_context *ctx = test_context();
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 16, 16, 3, 3);
    d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
    d.padding_mode = CLCONV_PADDING_REFLECT;
    const int in[4] = {2, 16, 9, 9};
    const char *chosen;
    char *log = capture_plan_log(ctx, &d, in, CLCONV_ALGO_AUTO, &chosen);
    /* shape, device, every registered variant with an estimate or a reason, the choice */
    ck_assert_msg(strstr(log, "conv2d in 2x16x9x9 out 2x16x9x9 k 3x3") && strstr(log, "reflect"),
                  "log: %s", log);
    clconv_device_info info;
    clconv_context_get_device_info(ctx, &info);
    ck_assert_msg(strstr(log, info.device_name), "log: %s", log);
    for (int i = 0; i < clconv_variant_count(); i++) {
        char line[96];
        snprintf(line, sizeof line, "candidate %s ", clconv_variant_name(i));
        const char *at = strstr(log, line);
        ck_assert_msg(at, "%s: %s", line, log);
        at += strlen(line);
        while (*at == ' ')
            at++;
        ck_assert_msg(!strncmp(at, "estimate", 8) || !strncmp(at, "refused: ", 9), "%s: %.80s",
                      line, at);
    }
    char chose[96];
    snprintf(chose, sizeof chose, "auto chose %s", chosen);
    ck_assert_msg(strstr(log, chose), "log: %s", log);
    free(log);

    log = capture_plan_log(ctx, &d, in, CLCONV_ALGO_DIRECT, &chosen);
    ck_assert_msg(strstr(log, "direct forced by argument: chose"), "log: %s", log);
    free(log);

    /* quiet without CLCONV_VERBOSE */
    char path[] = "/tmp/clconv-select-XXXXXX";
    int fd = mkstemp(path);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    clconv_plan *plan;
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_AUTO, &plan), CLCONV_SUCCESS);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    ck_assert_int_eq(lseek(fd, 0, SEEK_END), 0);
    close(fd);
    unlink(path);
    clconv_plan_destroy(plan);
}
END_TEST

static Suite *select_api_suite(void)
{
    Suite *s = suite_create("select-api");
    TCase *tc = tcase_create("select-api");
    tcase_set_timeout(tc, 0);
    tcase_add_test(tc, test_select_forced_algo);
    tcase_add_test(tc, test_select_forced_variant);
    tcase_add_test(tc, test_select_env);
    tcase_add_test(tc, test_select_verbose);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    unsetenv("CLCONV_ALGO");
    unsetenv("CLCONV_VARIANT");
    unsetenv("CLCONV_VERBOSE");
    SRunner *sr = srunner_create(select_api_suite());
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    test_context_release();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
