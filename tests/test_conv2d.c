/* Conv2d on the device vs the CPU reference: a randomized grid and named edge cases. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clconv.h>

#include "tests/common.h"

#define RANDOM_CASES 320
#define AUTO_EVERY 4 /* the AUTO slice: every 4th case of the grid */

/* What the randomized grid covered, so that a drifting generator cannot go unnoticed. */
typedef struct coverage {
    int mode[4], stride[4], dilation[4], kernel[6], batch[4];
    int bias, no_bias, depthwise, depth_multiplier[13], grouped, asymmetric, rectangular;
} coverage;

static void cover(void *arg, const clconv_desc *d, const int in[4])
{
    coverage *c = arg;
    c->mode[d->padding_mode]++;
    c->stride[d->stride_h]++;
    c->stride[d->stride_w]++;
    c->dilation[d->dilation_h]++;
    c->dilation[d->dilation_w]++;
    c->kernel[d->kernel_h]++;
    c->kernel[d->kernel_w]++;
    c->batch[in[0]]++;
    c->bias += d->bias != 0;
    c->no_bias += d->bias == 0;
    if (d->groups == d->in_channels && d->groups > 1) {
        c->depthwise++;
        c->depth_multiplier[d->out_channels / d->in_channels]++;
    } else if (d->groups > 1) {
        c->grouped++;
    }
    c->asymmetric += d->pad_top != d->pad_bottom || d->pad_left != d->pad_right;
    c->rectangular += d->kernel_h != d->kernel_w;
}

/* The direct grid's cases: covered, and planned as direct.conv2d by algorithm and by name. */
static void cover_direct(void *arg, const clconv_desc *d, const int in[4])
{
    cover(arg, d, in);
    ck_assert_plan_variant(d, in, CLCONV_ALGO_DIRECT, NULL, "direct.conv2d");
    ck_assert_plan_variant(d, in, CLCONV_ALGO_AUTO, "direct.conv2d", "direct.conv2d");
}

START_TEST(test_conv2d_random_direct)
{
    test_tally tally = {0};
    coverage cov = {0};
    const test_grid grid = {CLCONV_CONV2D,
                            CLCONV_FLOAT32,
                            RANDOM_CASES,
                            1,
                            1000,
                            5000,
                            CLCONV_ALGO_DIRECT,
                            0,
                            cover_direct,
                            &cov};
    test_tally_grid(&tally, &grid);
    ck_assert_tally(tally);
    ck_assert_int_eq(tally.run, RANDOM_CASES);
    for (int v = 0; v < 4; v++)
        ck_assert_msg(cov.mode[v] >= 20, "padding mode %d drawn %d times", v, cov.mode[v]);
    for (int v = 1; v <= 3; v++) {
        ck_assert_msg(cov.stride[v] >= 20, "stride %d drawn %d times", v, cov.stride[v]);
        ck_assert_msg(cov.dilation[v] >= 20, "dilation %d drawn %d times", v, cov.dilation[v]);
        ck_assert_msg(cov.batch[v] >= 20, "N = %d drawn %d times", v, cov.batch[v]);
        ck_assert_msg(cov.depth_multiplier[v] >= 5, "depth multiplier %d drawn %d times", v,
                      cov.depth_multiplier[v]);
    }
    for (int v = 1; v <= 5; v++)
        ck_assert_msg(cov.kernel[v] >= 20, "kernel extent %d drawn %d times", v, cov.kernel[v]);
    ck_assert_int_ge(cov.bias, 50);
    ck_assert_int_ge(cov.no_bias, 50);
    ck_assert_int_ge(cov.depthwise, 30);
    ck_assert_int_ge(cov.grouped, 30);
    ck_assert_int_ge(cov.asymmetric, 50);
    ck_assert_int_ge(cov.rectangular, 50);
}
END_TEST

/* Before each run of the forced grid: the variant named by arg plans the case, and
 * $CLCONV_VARIANT forces it on the run that follows (AUTO reads it). */
static void force_variant(void *arg, const clconv_desc *d, const int in[4])
{
    unsetenv("CLCONV_VARIANT");
    ck_assert_plan_variant(d, in, CLCONV_ALGO_AUTO, arg, arg);
    setenv("CLCONV_VARIANT", arg, 1);
}

/* direct.conv2d forced by name over a slice of the grid; direct.tconv2d refuses Conv2d. */
START_TEST(test_conv2d_random_direct_forced)
{
    test_tally tally = {0};
    const test_grid grid = {CLCONV_CONV2D, CLCONV_FLOAT32, RANDOM_CASES,     AUTO_EVERY,
                            1001,          5001,           CLCONV_ALGO_AUTO, 0,
                            force_variant, "direct.conv2d"};
    test_tally_grid(&tally, &grid);
    unsetenv("CLCONV_VARIANT");
    ck_assert_tally(tally);
    ck_assert_int_eq(tally.run, RANDOM_CASES / AUTO_EVERY);

    clconv_context *ctx = test_context();
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 4, 4, 3, 3);
    const int in[4] = {1, 4, 6, 6};
    clconv_plan *plan = NULL;
    ck_assert_int_eq(clconv_plan_create_variant(ctx, &d, in, "direct.tconv2d", &plan),
                     CLCONV_ERROR_UNSUPPORTED);
    ck_assert_ptr_null(plan);
    ck_assert_msg(strstr(clconv_context_last_error(ctx), "kind = conv2d"), "message: %s",
                  clconv_context_last_error(ctx));
}
END_TEST

START_TEST(test_conv2d_random_auto)
{
    test_tally tally = {0};
    const test_grid grid = {CLCONV_CONV2D,
                            CLCONV_FLOAT32,
                            RANDOM_CASES,
                            AUTO_EVERY,
                            1000,
                            5000,
                            CLCONV_ALGO_AUTO,
                            0,
                            NULL,
                            NULL};
    test_tally_grid(&tally, &grid);
    ck_assert_tally(tally);
    ck_assert_int_eq(tally.run, RANDOM_CASES / AUTO_EVERY);
}
END_TEST

enum {
    Z = CLCONV_PADDING_ZEROS,
    RF = CLCONV_PADDING_REFLECT,
    RP = CLCONV_PADDING_REPLICATE,
    CI = CLCONV_PADDING_CIRCULAR
};

/* name, N Cin H W Cout, kh kw sh sw, pt pb pl pr, dh dw groups bias, mode */
static const test_spec edges[] = {
    {"1x1 input, 1x1 kernel", 1, 3, 1, 1, 4, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, Z, 0, 0},
    {"1x1 input, 3x3 zeros pad 1", 1, 2, 1, 1, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, Z, 0, 0},
    {"1x1 input, 3x3 replicate pad 1", 2, 2, 1, 1, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, RP, 0, 0},
    {"1x1 input, 3x3 circular pad 1", 1, 2, 1, 1, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, CI, 0, 0},
    {"1x1 input, reflect (pad 0)", 1, 2, 1, 1, 2, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1, 1, RF, 0, 0},
    {"1x1 input, stride 3 pad 2 replicate",
     1,
     1,
     1,
     1,
     2,
     2,
     3,
     3,
     3,
     2,
     0,
     1,
     2,
     1,
     1,
     1,
     0,
     RP,
     0,
     0},
    {"kernel = padded input", 2, 3, 5, 4, 2, 7, 6, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, Z, 0, 0},
    {"kernel = padded input, reflect", 1, 2, 5, 4, 3, 9, 7, 1, 1, 2, 2, 1, 2, 1, 1, 1, 1, RF, 0, 0},
    {"kernel = input, stride 3", 1, 4, 5, 5, 5, 5, 5, 3, 3, 0, 0, 0, 0, 1, 1, 1, 1, Z, 0, 0},
    {"dilated kernel = padded input", 1, 2, 5, 6, 2, 3, 2, 1, 1, 1, 1, 0, 1, 3, 6, 1, 1, CI, 0, 0},
    {"stride > kernel", 1, 3, 11, 10, 4, 2, 2, 3, 3, 0, 0, 0, 0, 1, 1, 1, 1, Z, 0, 0},
    {"stride > kernel, 1x1 s3", 2, 3, 10, 11, 2, 1, 1, 3, 3, 0, 0, 0, 0, 1, 1, 1, 1, Z, 0, 0},
    {"stride > kernel, rect, padded", 1, 2, 9, 9, 3, 1, 2, 3, 3, 1, 2, 0, 1, 1, 1, 1, 1, RP, 0, 0},
    {"sparse taps: dilation 3", 1, 2, 9, 9, 3, 3, 3, 1, 1, 0, 0, 0, 0, 3, 3, 1, 1, Z, 0, 0},
    {"sparse taps: k2 dilation 5", 1, 2, 7, 12, 2, 2, 2, 1, 2, 0, 0, 1, 1, 5, 5, 1, 0, Z, 0, 0},
    {"dilation + stride + reflect", 2, 3, 8, 9, 4, 3, 3, 2, 2, 2, 1, 1, 2, 2, 3, 1, 1, RF, 0, 0},
    {"dilation 2, circular", 1, 2, 6, 7, 2, 3, 3, 1, 1, 2, 2, 3, 1, 2, 2, 1, 1, CI, 0, 0},
    {"depthwise (Cin/groups = 1)", 2, 6, 7, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 6, 1, Z, 0, 0},
    {"depthwise x2, stride 2", 1, 5, 6, 8, 10, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 5, 1, Z, 0, 0},
    {"depthwise x3, replicate 5x5", 1, 4, 5, 5, 12, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 4, 0, RP, 0, 0},
    {"depthwise, reflect, dilation 2", 1, 3, 7, 6, 3, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 3, 1, RF, 0, 0},
    {"groups 2, Cin/groups 1", 1, 2, 5, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, Z, 0, 0},
    {"groups 3, Cout/groups 1", 2, 6, 5, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3, 1, Z, 0, 0},
    {"groups 4", 1, 8, 6, 7, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4, 1, CI, 0, 0},
    {"N = 3", 3, 4, 6, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, Z, 0, 0},
    {"N = 3, stride 2, grouped", 3, 4, 9, 8, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 2, 0, RF, 0, 0},
    {"zeros, asymmetric", 2, 3, 7, 6, 4, 3, 3, 1, 1, 2, 0, 1, 3, 1, 1, 1, 1, Z, 0, 0},
    {"reflect, asymmetric", 2, 3, 7, 6, 4, 3, 3, 1, 1, 2, 0, 1, 3, 1, 1, 1, 1, RF, 0, 0},
    {"replicate, asymmetric", 2, 3, 7, 6, 4, 3, 3, 1, 1, 2, 0, 1, 3, 1, 1, 1, 1, RP, 0, 0},
    {"circular, asymmetric", 2, 3, 7, 6, 4, 3, 3, 1, 1, 2, 0, 1, 3, 1, 1, 1, 1, CI, 0, 0},
    {"reflect, pad = size - 1", 1, 2, 4, 3, 2, 3, 3, 1, 1, 3, 3, 2, 2, 1, 1, 1, 1, RF, 0, 0},
    {"circular, pad = size", 1, 2, 3, 3, 2, 3, 3, 1, 1, 3, 3, 3, 3, 1, 1, 1, 1, CI, 0, 0},
    {"replicate, pad > size", 1, 2, 2, 3, 2, 3, 3, 1, 1, 4, 5, 6, 3, 1, 1, 1, 1, RP, 0, 0},
    {"zeros, pad > kernel", 1, 2, 3, 4, 2, 2, 2, 2, 1, 4, 3, 5, 2, 1, 1, 1, 1, Z, 0, 0},
    {"1x1 kernel", 2, 8, 5, 7, 16, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, Z, 0, 0},
    {"1x1 kernel, stride 2, reflect pad",
     1,
     3,
     6,
     7,
     5,
     1,
     1,
     2,
     2,
     1,
     1,
     1,
     1,
     1,
     1,
     1,
     1,
     RF,
     0,
     0},
    {"even kernel 2x2", 1, 3, 6, 6, 4, 2, 2, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, Z, 0, 0},
    {"even kernel 4x4, stride 2", 1, 3, 9, 8, 4, 4, 4, 2, 2, 1, 2, 1, 2, 1, 1, 1, 1, RP, 0, 0},
    {"rect kernel 3x5", 1, 3, 8, 9, 5, 3, 5, 1, 1, 1, 1, 2, 2, 1, 1, 1, 1, Z, 0, 0},
    {"rect kernel 4x1", 1, 3, 8, 5, 2, 4, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, CI, 0, 0},
    {"rect kernel 1x5, dilation 2", 1, 2, 4, 12, 3, 1, 5, 1, 1, 0, 0, 0, 0, 1, 2, 1, 1, Z, 0, 0},
    {"big channels 64->64 on 8x8", 1, 64, 8, 8, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, Z, 0, 0},
    {"big channels 64->64, groups 4",
     1,
     64,
     8,
     8,
     64,
     3,
     3,
     1,
     1,
     1,
     1,
     1,
     1,
     1,
     1,
     4,
     1,
     RF,
     0,
     0},
    {"big channels 64->64, 1x1, N 2", 2, 64, 8, 8, 64, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 0, Z, 0, 0},
    {"depthwise 64, 3x3", 1, 64, 8, 8, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 64, 1, Z, 0, 0},
    {"wide row 31 (tile edge)", 1, 3, 9, 31, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, Z, 0, 0},
    {"wide row 33, stride 2", 1, 2, 5, 33, 3, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, CI, 0, 0},
    {"one output column", 1, 2, 6, 5, 3, 3, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, Z, 0, 0},
    {"no bias", 2, 4, 6, 6, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, 0, Z, 0, 0},
};

START_TEST(test_conv2d_edges)
{
    test_tally tally = {0};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        clconv_desc d;
        int in[4];
        test_spec_desc(&edges[i], CLCONV_CONV2D, CLCONV_FLOAT32, &d, in);
        test_tally_run(&tally, edges[i].name, &d, in, CLCONV_ALGO_DIRECT, 77 + (uint64_t)i);
        test_tally_run(&tally, edges[i].name, &d, in, CLCONV_ALGO_AUTO, 177 + (uint64_t)i);
    }
    ck_assert_tally(tally);
}
END_TEST

/* 'same' padding (even kernels pad more at the end) through to the device. */
START_TEST(test_conv2d_padding_same)
{
    test_tally tally = {0};
    static const int kd[][2] = {{3, 1}, {4, 1}, {2, 3}, {5, 2}};
    for (size_t i = 0; i < sizeof kd / sizeof kd[0]; i++)
        for (int mode = 0; mode <= CLCONV_PADDING_CIRCULAR; mode++) {
            clconv_desc d;
            clconv_desc_init(&d, CLCONV_CONV2D, 3, 4, kd[i][0], kd[(i + 1) % 4][0]);
            d.dilation_h = kd[i][1];
            d.dilation_w = kd[(i + 1) % 4][1];
            d.padding_mode = (clconv_padding_mode)mode;
            ck_assert_int_eq(clconv_desc_set_padding_same(&d), CLCONV_SUCCESS);
            const int in[4] = {1, 3, 9, 10};
            int out[4];
            ck_assert_int_eq(clconv_output_shape(&d, in, out), CLCONV_SUCCESS);
            ck_assert(out[2] == 9 && out[3] == 10);
            test_tally_run(&tally, "same", &d, in, CLCONV_ALGO_DIRECT, 300 + i);
        }
    ck_assert_tally(tally);
}
END_TEST

static Suite *conv2d_suite(void)
{
    Suite *s = suite_create("conv2d");
    TCase *tc = tcase_create("device");
    tcase_set_timeout(tc, 0);
    tcase_add_test(tc, test_conv2d_random_direct);
    tcase_add_test(tc, test_conv2d_random_direct_forced);
    tcase_add_test(tc, test_conv2d_random_auto);
    tcase_add_test(tc, test_conv2d_edges);
    tcase_add_test(tc, test_conv2d_padding_same);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(conv2d_suite, CK_FORK_GETENV)
