/* The GEMM variants (CLBlast): each forced over its randomized grid (gemm.im2col over the
 * Conv2d grid, gemm.col2im over the ConvTranspose2d grid, gemm.1x1 over both grids made 1x1),
 * their special paths, the refusals of a forced variant that cannot run, and what a build
 * without CLBlast reports; and the suite, with the enqueue tests of test_gemm_enqueue.c. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clconv.h>

#include "tests/common.h"
#include "tests/test_gemm.h"

#define RANDOM_CASES 320

/* meson passes CLCONV_TEST_HAVE_CLBLAST=0/1: the build's truth, not the library's claim */
#ifndef CLCONV_TEST_HAVE_CLBLAST
#error "CLCONV_TEST_HAVE_CLBLAST must be defined by the build"
#endif

enum {
    Z = CLCONV_PADDING_ZEROS,
    RF = CLCONV_PADDING_REFLECT,
    RP = CLCONV_PADDING_REPLICATE,
    CI = CLCONV_PADDING_CIRCULAR
};

/* What the GEMM grids drew: grouped layers, padding modes, output padding. */
typedef struct drawn {
    int groups, modes[4], out_pad, one_by_one;
} drawn;

static void count_drawn(void *arg, const clconv_desc *d, const int in[4])
{
    drawn *c = arg;
    (void)in;
    c->groups += d->groups > 1;
    c->modes[d->padding_mode]++;
    c->out_pad += d->output_padding_h > 0 || d->output_padding_w > 0;
}

/* Asserts that the variant, forced by name, plans the case as itself; a refusal is left to
 * the run that follows, which records it in the tally. */
static void ck_assert_plans(const clconv_desc *d, const int in[4], const char *variant)
{
    clconv_context *ctx = test_context();
    clconv_plan *plan = NULL;
    if (clconv_plan_create_variant(ctx, d, in, variant, &plan) != CLCONV_SUCCESS)
        return;
    ck_assert_str_eq(clconv_plan_get_variant_name(plan), variant);
    ck_assert_int_eq(clconv_plan_get_algo(plan), CLCONV_ALGO_GEMM);
    clconv_plan_destroy(plan);
}

/* One case run with variant forced: $CLCONV_VARIANT is set around the run only (this suite
 * does not fork: a failed assertion must not leave it set for the next test). */
static void run_forced(test_tally *tally, const char *label, const clconv_desc *d, const int in[4],
                       const char *variant, uint64_t seed)
{
    ck_assert_plans(d, in, variant);
    setenv("CLCONV_VARIANT", variant, 1);
    test_tally_run(tally, label, d, in, CLCONV_ALGO_AUTO, seed);
    unsetenv("CLCONV_VARIANT");
}

/* 1x1, stride 1, no padding or output padding: what gemm.1x1 runs. */
static bool is_1x1(const clconv_desc *d)
{
    return d->kernel_h == 1 && d->kernel_w == 1 && d->stride_h == 1 && d->stride_w == 1 &&
           d->pad_top == 0 && d->pad_bottom == 0 && d->pad_left == 0 && d->pad_right == 0 &&
           d->output_padding_h == 0 && d->output_padding_w == 0;
}

/* A randomized grid forced onto variant: the cases of test_random_conv2d /
 * test_random_conv_transpose2d (seed rng_seed + i, data data_seed + i), made 1x1 stride 1
 * unpadded when make_1x1 is set; counts what was drawn. */
static void forced_grid(test_tally *tally, drawn *c, clconv_kind kind, int count, uint64_t rng_seed,
                        uint64_t data_seed, bool make_1x1, const char *variant)
{
    for (int i = 0; i < count; i++) {
        test_rng rng;
        test_rng_seed(&rng, rng_seed + (uint64_t)i);
        clconv_desc d;
        int in[4];
        if (kind == CLCONV_CONV2D)
            test_random_conv2d(&rng, CLCONV_FLOAT32, &d, in);
        else
            test_random_conv_transpose2d(&rng, CLCONV_FLOAT32, &d, in);
        if (make_1x1) {
            d.kernel_h = d.kernel_w = d.stride_h = d.stride_w = 1;
            d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 0;
            d.output_padding_h = d.output_padding_w = 0;
        }
        count_drawn(c, &d, in);
        c->one_by_one += is_1x1(&d);
        char label[64];
        snprintf(label, sizeof label, "random %d (%s)", i, variant);
        run_forced(tally, label, &d, in, variant, data_seed + (uint64_t)i);
    }
}

/* Same generator and seeds as tests/test_conv2d.c: the foundation's grid, through im2col
 * (its 1x1 stride-1 layers included, which AUTO would leave to gemm.1x1). */
START_TEST(test_gemm_im2col_random)
{
    test_tally tally = {0};
    drawn c = {0};
    forced_grid(&tally, &c, CLCONV_CONV2D, RANDOM_CASES, 1000, 5000, false, "gemm.im2col");
    ck_assert_tally(tally);
    ck_assert_int_eq(tally.run, RANDOM_CASES);
    ck_assert_int_ge(c.groups, 60);
    ck_assert_int_ge(c.one_by_one, 1);
    for (int m = 0; m < 4; m++)
        ck_assert_int_ge(c.modes[m], 20);
}
END_TEST

START_TEST(test_gemm_col2im_random)
{
    test_tally tally = {0};
    drawn c = {0};
    forced_grid(&tally, &c, CLCONV_CONV_TRANSPOSE2D, RANDOM_CASES, 2000, 6000, false,
                "gemm.col2im");
    ck_assert_tally(tally);
    ck_assert_int_eq(tally.run, RANDOM_CASES);
    ck_assert_int_ge(c.groups, 60);
    ck_assert_int_ge(c.out_pad, 30);
}
END_TEST

/* Both grids made 1x1 stride 1 unpadded (channels, groups, bias, batch, sizes as drawn). */
START_TEST(test_gemm_1x1_random)
{
    test_tally tally = {0};
    drawn c = {0};
    forced_grid(&tally, &c, CLCONV_CONV2D, RANDOM_CASES / 4, 1000, 5000, true, "gemm.1x1");
    forced_grid(&tally, &c, CLCONV_CONV_TRANSPOSE2D, RANDOM_CASES / 4, 2000, 6000, true,
                "gemm.1x1");
    ck_assert_tally(tally);
    ck_assert_int_eq(tally.run, RANDOM_CASES / 2);
    ck_assert_int_eq(c.one_by_one, RANDOM_CASES / 2);
    ck_assert_int_ge(c.groups, 20);
}
END_TEST

/* name, N Cin H W Cout, kh kw sh sw, pt pb pl pr, dh dw groups bias, mode (Conv2d) */
static const test_spec conv_edges[] = {
    /* 1x1, stride 1, no padding: no im2col, no workspace */
    {"1x1 direct", 2, 8, 5, 7, 6, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, Z, 0, 0},
    {"1x1 direct grouped, no bias", 3, 6, 4, 3, 9, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 3, 0, Z, 0, 0},
    {"1x1 direct depthwise x2", 1, 4, 3, 5, 8, 1, 1, 1, 1, 0, 0, 0, 0, 2, 3, 4, 1, Z, 0, 0},
    {"1x1 stride 2 (im2col)", 2, 3, 7, 6, 4, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1, 1, Z, 0, 0},
    {"1x1 padded reflect (im2col)", 1, 3, 4, 4, 2, 1, 1, 1, 1, 1, 2, 2, 1, 1, 1, 1, 1, RF, 0, 0},
    {"3x3 resnet-like", 2, 16, 8, 8, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, Z, 0, 0},
    {"3x3 s2 grouped 4", 1, 16, 9, 9, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 4, 1, CI, 0, 0},
    {"depthwise 3x3 replicate", 2, 6, 7, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 6, 1, RP, 0, 0},
    {"dilation 2 asymmetric reflect", 1, 3, 9, 8, 5, 3, 2, 1, 2, 2, 1, 0, 2, 2, 2, 1, 0, RF, 0, 0},
    {"kernel = padded input", 2, 3, 5, 4, 2, 7, 6, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, Z, 0, 0},
};

/* name, N Cin H W Cout, kh kw sh sw, pt pb pl pr, dh dw groups bias, mode, oph opw */
static const test_spec tconv_edges[] = {
    {"1x1 direct", 2, 8, 5, 7, 6, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, Z, 0, 0},
    {"1x1 direct grouped, no bias", 2, 6, 3, 4, 9, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 3, 0, Z, 0, 0},
    {"1x1 output padding (dilation 2)", 1, 3, 3, 3, 2, 1, 1, 1, 1, 0, 0, 0, 0, 2, 2, 1, 1, Z, 1, 1},
    {"k2 s2 (no overlap)", 2, 8, 5, 6, 4, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 1, 1, Z, 0, 0},
    {"k2 s2 grouped, padded, out pad", 1, 6, 4, 5, 6, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 3, 1, Z, 1, 1},
    {"k3 s3 rect stride", 1, 4, 3, 4, 5, 3, 2, 3, 2, 0, 0, 1, 1, 1, 1, 1, 0, Z, 2, 1},
    {"k2 s3 (gaps)", 2, 3, 4, 3, 2, 2, 2, 3, 3, 0, 0, 0, 0, 1, 1, 1, 1, Z, 2, 0},
    {"k4 s2 p1 (dcgan)", 2, 8, 4, 4, 4, 4, 4, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, Z, 0, 0},
    {"k3 s2 p1 op1 grouped", 1, 8, 5, 4, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 2, 1, Z, 1, 1},
    {"k3 dilation 2 stride 1", 1, 3, 4, 5, 2, 3, 3, 1, 1, 2, 2, 1, 1, 2, 2, 1, 1, Z, 0, 1},
    {"padding crops all but op row", 1, 2, 1, 1, 2, 1, 1, 2, 2, 1, 0, 1, 0, 1, 1, 1, 1, Z, 1, 1},
};

/* The variant the GEMM algorithm picks: gemm.1x1 where the input is the matrix (the lowered
 * variants' AUTO domain leaves it those layers), else the kind's lowering. */
static const char *gemm_choice(const clconv_desc *d)
{
    if (is_1x1(d))
        return "gemm.1x1";
    return d->kind == CLCONV_CONV2D ? "gemm.im2col" : "gemm.col2im";
}

static void ck_assert_gemm_picks(const clconv_desc *d, const int in[4])
{
    clconv_context *ctx = test_context();
    clconv_plan *plan = NULL;
    ck_assert_msg(clconv_plan_create(ctx, d, in, CLCONV_ALGO_GEMM, &plan) == CLCONV_SUCCESS, "%s",
                  clconv_context_last_error(ctx));
    ck_assert_str_eq(clconv_plan_get_variant_name(plan), gemm_choice(d));
    clconv_plan_destroy(plan);
}

/* The edges through the GEMM algorithm (its choice of variant asserted), and the 1x1 ones
 * through the kind's lowered variant forced too. */
START_TEST(test_gemm_edges)
{
    test_tally tally = {0};
    int forced_1x1 = 0;
    for (size_t i = 0; i < sizeof conv_edges / sizeof conv_edges[0]; i++) {
        clconv_desc d;
        int in[4];
        test_spec_desc(&conv_edges[i], CLCONV_CONV2D, CLCONV_FLOAT32, &d, in);
        ck_assert_gemm_picks(&d, in);
        test_tally_run(&tally, conv_edges[i].name, &d, in, CLCONV_ALGO_GEMM, 77 + i);
        if (is_1x1(&d)) {
            run_forced(&tally, conv_edges[i].name, &d, in, "gemm.im2col", 77 + i);
            forced_1x1++;
        }
    }
    for (size_t i = 0; i < sizeof tconv_edges / sizeof tconv_edges[0]; i++) {
        clconv_desc d;
        int in[4];
        test_spec_desc(&tconv_edges[i], CLCONV_CONV_TRANSPOSE2D, CLCONV_FLOAT32, &d, in);
        ck_assert_gemm_picks(&d, in);
        test_tally_run(&tally, tconv_edges[i].name, &d, in, CLCONV_ALGO_GEMM, 177 + i);
        if (is_1x1(&d)) {
            run_forced(&tally, tconv_edges[i].name, &d, in, "gemm.col2im", 177 + i);
            forced_1x1++;
        }
    }
    ck_assert_tally(tally);
    ck_assert_int_eq(forced_1x1, 5);
}
END_TEST

START_TEST(test_gemm_workspace_limit_arguments)
{
    ck_assert_int_eq(clconv_context_set_workspace_limit(NULL, 1024), CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "ctx"));
    ck_assert_uint_eq(clconv_context_get_workspace_limit(NULL), 0);
}
END_TEST

/* float16 storage is refused with the reason (CLBlast's SGEMM is float32). */
START_TEST(test_gemm_half_unsupported)
{
    clconv_context *ctx = test_context();
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 4, 4, 3, 3);
    d.dtype = CLCONV_FLOAT16;
    const int in[4] = {1, 4, 6, 6};
    clconv_plan *plan = NULL;
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_GEMM, &plan),
                     CLCONV_ERROR_UNSUPPORTED);
    ck_assert_ptr_null(plan);
    const char *msg = clconv_context_last_error(ctx);
    ck_assert_msg(strstr(msg, CLCONV_TEST_HAVE_CLBLAST ? "dtype = float16" : "without CLBlast"),
                  "message: %s", msg);
    /* AUTO still runs it, on another algorithm */
    test_outcome r;
    ck_assert_msg(test_run_case(&d, in, CLCONV_ALGO_AUTO, 3, &r), "%s", r.message);
    ck_assert_int_ne(r.algo, CLCONV_ALGO_GEMM);
}
END_TEST

/* A forced GEMM variant that cannot run the case: CLCONV_ERROR_UNSUPPORTED, no plan, and a
 * message naming the field (without CLBlast: that the build lacks it). */
static void ck_assert_refused(clconv_context *ctx, const clconv_desc *d, const int in[4],
                              const char *variant, const char *field)
{
    clconv_plan *plan = NULL;
    ck_assert_int_eq(clconv_plan_create_variant(ctx, d, in, variant, &plan),
                     CLCONV_ERROR_UNSUPPORTED);
    ck_assert_ptr_null(plan);
    const char *msg = clconv_context_last_error(ctx);
    ck_assert_msg(strstr(msg, variant) &&
                      strstr(msg, CLCONV_TEST_HAVE_CLBLAST ? field : "built without CLBlast"),
                  "%s: message: %s", variant, msg);
}

START_TEST(test_gemm_forced_refusals)
{
    clconv_context *ctx = NULL;
    ck_assert_int_eq(clconv_context_create(NULL, &ctx), CLCONV_SUCCESS);
    static const char *const variants[] = {"gemm.1x1", "gemm.im2col", "gemm.col2im"};
    clconv_desc d;
    /* float16 storage: every variant, either kind */
    for (int kind = 0; kind < 2; kind++) {
        clconv_desc_init(&d, kind ? CLCONV_CONV_TRANSPOSE2D : CLCONV_CONV2D, 4, 4, 1, 1);
        d.dtype = CLCONV_FLOAT16;
        const int in[4] = {1, 4, 5, 5};
        for (int v = 0; v < 3; v++)
            ck_assert_refused(ctx, &d, in, variants[v], "dtype = float16");
    }
    /* gemm.1x1 where a lowering is needed, each field that needs it */
    const int in[4] = {1, 4, 6, 6};
    clconv_desc_init(&d, CLCONV_CONV2D, 4, 4, 3, 3);
    ck_assert_refused(ctx, &d, in, "gemm.1x1", "kernel_h = 3");
    clconv_desc_init(&d, CLCONV_CONV2D, 4, 4, 1, 2);
    ck_assert_refused(ctx, &d, in, "gemm.1x1", "kernel_w = 2");
    clconv_desc_init(&d, CLCONV_CONV2D, 4, 4, 1, 1);
    d.stride_w = 2;
    ck_assert_refused(ctx, &d, in, "gemm.1x1", "stride_w = 2");
    clconv_desc_init(&d, CLCONV_CONV2D, 4, 4, 1, 1);
    d.pad_bottom = 1;
    ck_assert_refused(ctx, &d, in, "gemm.1x1", "pad_bottom = 1");
    clconv_desc_init(&d, CLCONV_CONV_TRANSPOSE2D, 4, 4, 1, 1);
    d.dilation_h = 2;
    d.output_padding_h = 1;
    ck_assert_refused(ctx, &d, in, "gemm.1x1", "output_padding_h = 1");
    /* the lowered variants run their own kind only */
    ck_assert_refused(ctx, &d, in, "gemm.im2col", "kind = conv_transpose2d");
    clconv_desc_init(&d, CLCONV_CONV2D, 4, 4, 1, 1);
    ck_assert_refused(ctx, &d, in, "gemm.col2im", "kind = conv2d");
    /* a workspace limit below the smallest chunk: 1x1 with bias stages the output (4 x 36
     * floats), 3x3 needs one output row of columns */
    d.bias = 1;
    ck_assert_int_eq(clconv_context_set_workspace_limit(ctx, 100), CLCONV_SUCCESS);
    ck_assert_refused(ctx, &d, in, "gemm.1x1", "workspace limit = 100 bytes");
    ck_assert_refused(ctx, &d, in, "gemm.im2col", "clconv_context_set_workspace_limit");
    clconv_desc_init(&d, CLCONV_CONV_TRANSPOSE2D, 4, 4, 3, 3);
    ck_assert_refused(ctx, &d, in, "gemm.col2im", "workspace limit = 100 bytes");
    /* enough for the staged 1x1 output: it runs */
    clconv_desc_init(&d, CLCONV_CONV2D, 4, 4, 1, 1);
    ck_assert_int_eq(clconv_context_set_workspace_limit(ctx, 4 * 36 * 4 + 256), CLCONV_SUCCESS);
    if (CLCONV_TEST_HAVE_CLBLAST) {
        clconv_plan *plan = NULL;
        ck_assert_int_eq(clconv_plan_create_variant(ctx, &d, in, "gemm.1x1", &plan),
                         CLCONV_SUCCESS);
        ck_assert_uint_eq(clconv_plan_get_workspace_size(plan), 4 * 36 * 4);
        clconv_plan_destroy(plan);
    }
    clconv_context_destroy(ctx);
}
END_TEST

/* A build without CLBlast: GEMM is absent, says why, and AUTO never picks it. */
START_TEST(test_gemm_absent)
{
    ck_assert_int_eq(clconv_algo_available(CLCONV_ALGO_GEMM), 0);
    ck_assert_int_eq(clconv_algo_available(CLCONV_ALGO_DIRECT), 1);
    ck_assert_int_eq(clconv_algo_available(CLCONV_ALGO_AUTO), 0);
    clconv_context *ctx = test_context();
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 64, 64, 1, 1);
    const int in[4] = {1, 64, 14, 14};
    clconv_plan *plan = NULL;
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_GEMM, &plan),
                     CLCONV_ERROR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(clconv_context_last_error(ctx), "built without CLBlast"));
    static const char *const variants[] = {"gemm.1x1", "gemm.im2col", "gemm.col2im"};
    for (int v = 0; v < 3; v++) {
        ck_assert_int_eq(clconv_plan_create_variant(ctx, &d, in, variants[v], &plan),
                         CLCONV_ERROR_UNSUPPORTED);
        ck_assert_ptr_nonnull(strstr(clconv_context_last_error(ctx), "built without CLBlast"));
        ck_assert_int_eq(clconv_variant_get_algo(variants[v]), CLCONV_ALGO_AUTO);
    }
    for (int i = 0; i < 40; i++) {
        test_rng rng;
        test_rng_seed(&rng, 1000 + (uint64_t)i);
        clconv_desc r;
        int rin[4];
        test_random_conv2d(&rng, CLCONV_FLOAT32, &r, rin);
        ck_assert_int_eq(clconv_plan_create(ctx, &r, rin, CLCONV_ALGO_AUTO, &plan), CLCONV_SUCCESS);
        ck_assert_int_ne(clconv_plan_get_algo(plan), CLCONV_ALGO_GEMM);
        clconv_plan_destroy(plan);
    }
}
END_TEST

static Suite *gemm_suite(void)
{
    /* argument names checked as in the other suites (before the shared context exists) */
    setenv("CLCONV_CHECK_ARGS", "1", 0);
    Suite *s = suite_create("gemm");
    TCase *tc = tcase_create("device");
    tcase_set_timeout(tc, 0);
    tcase_add_test(tc, test_gemm_workspace_limit_arguments);
    tcase_add_test(tc, test_gemm_half_unsupported);
    tcase_add_test(tc, test_gemm_forced_refusals);
    if (CLCONV_TEST_HAVE_CLBLAST) {
        tcase_add_test(tc, test_gemm_edges);
        gemm_enqueue_add_tests(tc);
        tcase_add_test(tc, test_gemm_im2col_random);
        tcase_add_test(tc, test_gemm_col2im_random);
        tcase_add_test(tc, test_gemm_1x1_random);
    } else {
        tcase_add_test(tc, test_gemm_absent);
    }
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(gemm_suite, CK_NOFORK) /* one context, one CLBlast program cache */
