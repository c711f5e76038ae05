/* Tuning database: format round trip, corrupt/foreign/other-version files ignored with a
 * message, and AUTO's use of it: exact match, nearest shape, fallback to the heuristic, and
 * CLCONV_VERBOSE's account of which. Plans are only created (creation compiles nothing). */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/tuning.h"
#include "tests/common.h"

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/clconv-tuning-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    /* an empty cache folder: no default database is found */
    setenv("CLCONV_CACHE_DIR", dir, 1);
    unsetenv("CLCONV_TUNING_FILE");
    unsetenv("CLCONV_ALGO");
    unsetenv("CLCONV_VERBOSE");
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static clconv_context *new_context(void)
{
    clconv_context *ctx = NULL;
    ck_assert_msg(clconv_context_create(NULL, &ctx) == CLCONV_SUCCESS, "%s", clconv_last_error());
    return ctx;
}

static clconv_algo auto_choice(clconv_context *ctx, const clconv_desc *d, const int in[4])
{
    clconv_plan *plan = NULL;
    ck_assert_msg(clconv_plan_create(ctx, d, in, CLCONV_ALGO_AUTO, &plan) == CLCONV_SUCCESS, "%s",
                  clconv_last_error());
    ck_assert(!clconv_plan_is_baked(plan)); /* selection compiled nothing */
    clconv_algo a = clconv_plan_get_algo(plan);
    clconv_plan_destroy(plan);
    return a;
}

/* An algorithm other than avoid that takes the layer (forced creation succeeds). */
static clconv_algo other_algo(clconv_context *ctx, const clconv_desc *d, const int in[4],
                              clconv_algo avoid)
{
    for (int a = 1; a < CLCONV_ALGO_COUNT_; a++) {
        if (a == (int)avoid || !clconv_algo_available((clconv_algo)a))
            continue;
        clconv_plan *plan = NULL;
        if (clconv_plan_create(ctx, d, in, (clconv_algo)a, &plan) == CLCONV_SUCCESS) {
            clconv_plan_destroy(plan);
            return (clconv_algo)a;
        }
    }
    ck_abort_msg("no second algorithm takes the layer");
    return CLCONV_ALGO_AUTO;
}

/* "layer ..." line of the database for d/in with the given algorithms and times. */
static void layer_line(char *buf, size_t size, const clconv_desc *d, const int in[4],
                       const char *times)
{
    snprintf(buf, size,
             "layer %s %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d zeros f32 %s\n",
             d->kind == CLCONV_CONV2D ? "conv" : "tconv", in[0], in[1], in[2], in[3],
             d->out_channels, d->kernel_h, d->kernel_w, d->stride_h, d->stride_w, d->pad_top,
             d->pad_bottom, d->pad_left, d->pad_right, d->dilation_h, d->dilation_w, d->groups,
             d->output_padding_h, d->output_padding_w, d->bias ? 1 : 0, times);
}

static void header(char *buf, size_t size, clconv_context *ctx)
{
    clconv_device_info info;
    clconv_context_get_device_info(ctx, &info);
    snprintf(buf, size, "clconv-tuning 1\ndevice %s\ndriver %s\n", info.device_name,
             info.driver_version);
}

START_TEST(test_round_trip)
{
    clconv_context *ctx = new_context();
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 8, 16, 3, 3);
    d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
    const int in[4] = {1, 8, 20, 20};
    char text[4096], line[512];
    header(text, sizeof text, ctx);
    strcat(text, "# a comment\n");
    /* listed slowest first: the reader sorts */
    layer_line(line, sizeof line, &d, in, "direct=0.002 tiled=0.001");
    strcat(text, line);
    clconv_desc t;
    clconv_desc_init(&t, CLCONV_CONV_TRANSPOSE2D, 4, 6, 4, 4);
    t.stride_h = t.stride_w = 2;
    t.output_padding_h = 1;
    t.bias = 0;
    const int tin[4] = {2, 4, 7, 5};
    layer_line(line, sizeof line, &t, tin, "direct=3.5e-05");
    strcat(text, line);

    clconv_device_info info;
    clconv_context_get_device_info(ctx, &info);
    clconv_tuning a, b;
    char err[512];
    ck_assert_msg(clconv_tuning_parse(text, &info, &a, err, sizeof err), "%s", err);
    ck_assert_uint_eq(a.count, 2);
    ck_assert_int_eq(a.entries[0].algos[0], CLCONV_ALGO_TILED);
    ck_assert_int_eq(a.entries[0].algos[1], CLCONV_ALGO_DIRECT);
    char path[128];
    snprintf(path, sizeof path, "%s/db.txt", dir);
    ck_assert_msg(clconv_tuning_save(&a, path, err, sizeof err), "%s", err);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char saved[8192];
    size_t n = fread(saved, 1, sizeof saved - 1, f);
    saved[n] = 0;
    fclose(f);
    ck_assert_msg(clconv_tuning_parse(saved, &info, &b, err, sizeof err), "%s", err);
    ck_assert_uint_eq(b.count, a.count);
    for (size_t i = 0; i < a.count; i++) {
        ck_assert(!memcmp(&a.entries[i].desc, &b.entries[i].desc, sizeof a.entries[i].desc));
        ck_assert(!memcmp(a.entries[i].in, b.entries[i].in, sizeof a.entries[i].in));
        ck_assert_int_eq(a.entries[i].count, b.entries[i].count);
        for (int j = 0; j < a.entries[i].count; j++) {
            ck_assert_int_eq(a.entries[i].algos[j], b.entries[i].algos[j]);
            ck_assert_double_eq_tol(a.entries[i].seconds[j], b.entries[i].seconds[j],
                                    1e-6 * a.entries[i].seconds[j]);
        }
    }
    /* the context loads it and says so */
    ck_assert_int_eq(clconv_context_load_tuning(ctx, path), CLCONV_SUCCESS);
    ck_assert_ptr_nonnull(strstr(clconv_context_tuning_info(ctx), "2 layers"));
    clconv_tuning_clear(&a);
    clconv_tuning_clear(&b);
    clconv_context_destroy(ctx);
}
END_TEST

START_TEST(test_bad_files_ignored)
{
    clconv_context *ctx = new_context();
    ck_assert_ptr_nonnull(strstr(clconv_context_tuning_info(ctx), "no tuning database"));
    char good[4096], line[512], path[128];
    header(good, sizeof good, ctx);
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 4, 4, 3, 3);
    const int in[4] = {1, 4, 9, 9};
    layer_line(line, sizeof line, &d, in, "direct=0.001");
    strcat(good, line);
    snprintf(path, sizeof path, "%s/good.txt", dir);
    write_file(path, good);
    ck_assert_int_eq(clconv_context_load_tuning(ctx, path), CLCONV_SUCCESS);
    const char *loaded = "1 layers";
    ck_assert_ptr_nonnull(strstr(clconv_context_tuning_info(ctx), loaded));

    const struct {
        const char *text, *expect;
    } bad[] = {
        {"", "empty file"},
        {"\x7f"
         "ELF binary junk\n",
         "not a clconv tuning database"},
        {"clconv-tuning 99\ndevice x\ndriver y\n", "format version 99"},
        {"clconv-tuning 1\ndevice Some Other GPU\ndriver 1.0\n", "tuned for device \"Some Other"},
        {NULL, "line 5: kind \"conv2d\""},         /* good text plus a bad layer, below */
        {NULL, "line 5: time of direct = \"-1\""}, /* a negative time */
        {NULL, "line 5: invalid layer"},           /* padding larger than allowed */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[4096];
        if (bad[i].text) {
            snprintf(text, sizeof text, "%s", bad[i].text);
        } else {
            snprintf(text, sizeof text, "%s", good);
            if (i == 4)
                strcat(text, "layer conv2d 1 4 9 9 4 3 3 1 1 0 0 0 0 1 1 1 0 0 1 zeros f32 "
                             "direct=1\n");
            else if (i == 5)
                strcat(text, "layer conv 1 4 9 9 4 3 3 1 1 0 0 0 0 1 1 1 0 0 1 zeros f32 "
                             "direct=-1\n");
            else
                strcat(text, "layer conv 1 4 9 9 4 3 3 1 1 9 9 0 0 1 1 1 0 0 1 reflect f32 "
                             "direct=1\n");
        }
        snprintf(path, sizeof path, "%s/bad%zu.txt", dir, i);
        write_file(path, text);
        ck_assert_int_eq(clconv_context_load_tuning(ctx, path), CLCONV_ERROR_INVALID_ARGUMENT);
        const char *msg = clconv_last_error();
        ck_assert_msg(strstr(msg, bad[i].expect) && strstr(msg, path), "case %zu: %s", i, msg);
        ck_assert_msg(strstr(clconv_context_tuning_info(ctx), "ignored"), "case %zu", i);
    }
    /* a missing file */
    ck_assert_int_eq(clconv_context_load_tuning(ctx, "/nonexistent/db.txt"),
                     CLCONV_ERROR_INVALID_ARGUMENT);
    clconv_context_destroy(ctx);

    /* at context creation: a corrupt $CLCONV_TUNING_FILE is ignored, creation succeeds */
    snprintf(path, sizeof path, "%s/bad3.txt", dir);
    setenv("CLCONV_TUNING_FILE", path, 1);
    ctx = new_context();
    ck_assert_msg(strstr(clconv_context_tuning_info(ctx), "ignored") &&
                      strstr(clconv_context_tuning_info(ctx), "Some Other GPU"),
                  "%s", clconv_context_tuning_info(ctx));
    clconv_context_destroy(ctx);
    /* and the default file in the cache folder is found without the variable */
    unsetenv("CLCONV_TUNING_FILE");
    ctx = new_context();
    char def[4096];
    ck_assert_int_eq(clconv_context_default_tuning_path(ctx, def, sizeof def), CLCONV_SUCCESS);
    ck_assert(!strncmp(def, dir, strlen(dir)));
    write_file(def, good);
    clconv_context_destroy(ctx);
    ctx = new_context();
    ck_assert_msg(strstr(clconv_context_tuning_info(ctx), loaded), "%s",
                  clconv_context_tuning_info(ctx));
    clconv_context_destroy(ctx);
}
END_TEST

START_TEST(test_distance)
{
    clconv_desc a, b;
    clconv_desc_init(&a, CLCONV_CONV2D, 16, 32, 3, 3);
    b = a;
    const int ia[4] = {1, 16, 28, 28};
    int ib[4] = {1, 16, 28, 28};
    ck_assert_double_eq(clconv_tuning_distance(&a, ia, &b, ib), 0);
    b.in_channels = 32;
    ib[1] = 32;
    b.out_channels = 64;
    ck_assert_double_eq_tol(clconv_tuning_distance(&a, ia, &b, ib), 2.0, 1e-12);
    ib[2] = ib[3] = 56;
    ck_assert_double_eq_tol(clconv_tuning_distance(&a, ia, &b, ib), 4.0, 1e-12);
    b = a;
    b.pad_top = 1;
    ck_assert_double_eq_tol(clconv_tuning_distance(&a, ia, &b, ia), 0.5, 1e-12);
    /* not comparable: other kernel, stride, kind, group structure */
    b = a;
    b.kernel_w = 5;
    ck_assert(clconv_tuning_distance(&a, ia, &b, ia) < 0);
    b = a;
    b.stride_h = 2;
    ck_assert(clconv_tuning_distance(&a, ia, &b, ia) < 0);
    b = a;
    b.groups = 16;
    ck_assert(clconv_tuning_distance(&a, ia, &b, ia) < 0);
}
END_TEST

/* Redirects stderr into a file of the test folder until capture_stderr_end. */
static void capture_stderr_begin(int *saved, char *path, size_t size)
{
    snprintf(path, size, "%s/stderr.txt", dir);
    fflush(stderr);
    *saved = dup(2);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    dup2(fd, 2);
    close(fd);
}

static void capture_stderr_end(int saved, const char *path, char *buf, size_t size)
{
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = 0;
    fclose(f);
}

START_TEST(test_auto_uses_database)
{
    clconv_context *plain = new_context(), *ctx = new_context();
    /* a dense 3x3 layer, the database naming an algorithm the heuristic does not pick */
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 16, 16, 3, 3);
    d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
    const int in[4] = {1, 16, 24, 24};
    const clconv_algo heuristic = auto_choice(plain, &d, in);
    const clconv_algo tuned = other_algo(plain, &d, in, heuristic);
    char text[4096], line[512], times[128], path[128];
    header(text, sizeof text, ctx);
    /* the depthwise algorithm is listed fastest but cannot run a dense layer: skipped */
    snprintf(times, sizeof times, "depthwise=1e-06 %s=0.001 %s=0.002", clconv_algo_name(tuned),
             clconv_algo_name(heuristic));
    layer_line(line, sizeof line, &d, in, times);
    strcat(text, line);
    snprintf(path, sizeof path, "%s/db.txt", dir);
    write_file(path, text);
    ck_assert_int_eq(clconv_context_load_tuning(ctx, path), CLCONV_SUCCESS);

    setenv("CLCONV_VERBOSE", "1", 1);
    int saved;
    char errpath[128], log[8192];
    capture_stderr_begin(&saved, errpath, sizeof errpath);
    /* exact match */
    const clconv_algo exact = auto_choice(ctx, &d, in);
    /* nearest: other channel counts and size, same structure (distance 1 + 2 * log2(24/18) = 1.83)
     */
    clconv_desc near = d;
    near.in_channels = 8;
    near.out_channels = 16;
    const int near_in[4] = {1, 8, 18, 18};
    const clconv_algo nearest = auto_choice(ctx, &near, near_in);
    /* too far (distance > 3): the heuristic */
    clconv_desc far = d;
    far.in_channels = 128;
    far.out_channels = 128;
    const int far_in[4] = {1, 128, 24, 24};
    const clconv_algo far_choice = auto_choice(ctx, &far, far_in);
    /* not comparable (5x5 kernel): the heuristic */
    clconv_desc other = d;
    other.kernel_h = other.kernel_w = 5;
    other.pad_top = other.pad_bottom = other.pad_left = other.pad_right = 2;
    const clconv_algo other_choice = auto_choice(ctx, &other, in);
    /* forced wins over the database */
    clconv_plan *plan = NULL;
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, heuristic, &plan), CLCONV_SUCCESS);
    const clconv_algo forced = clconv_plan_get_algo(plan);
    clconv_plan_destroy(plan);
    capture_stderr_end(saved, errpath, log, sizeof log);
    unsetenv("CLCONV_VERBOSE");

    ck_assert_str_eq(clconv_algo_name(exact), clconv_algo_name(tuned));
    ck_assert_str_eq(clconv_algo_name(nearest), clconv_algo_name(tuned));
    ck_assert_str_eq(clconv_algo_name(far_choice),
                     clconv_algo_name(auto_choice(plain, &far, far_in)));
    ck_assert_str_eq(clconv_algo_name(other_choice),
                     clconv_algo_name(auto_choice(plain, &other, in)));
    ck_assert_int_eq(forced, heuristic);
    ck_assert_msg(strstr(log, "tuning database exact match"), "%s", log);
    ck_assert_msg(strstr(log, "tuning database nearest shape (distance 1.83"), "%s", log);
    ck_assert_msg(strstr(log, "closest comparable shape at distance 6.00"), "%s", log);
    ck_assert_msg(strstr(log, "no comparable shape: heuristic"), "%s", log);
    clconv_context_destroy(ctx);
    clconv_context_destroy(plain);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tuning");
    TCase *tc = tcase_create("tuning");
    tcase_set_timeout(tc, 0);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_bad_files_ignored);
    tcase_add_test(tc, test_distance);
    tcase_add_test(tc, test_auto_uses_database);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
