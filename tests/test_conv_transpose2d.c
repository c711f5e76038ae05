/* ConvTranspose2d on the device vs the CPU reference: a randomized grid and named edge cases. */
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
    int stride[4], dilation[4], kernel[6], batch[4], depth_multiplier[13];
    int bias, no_bias, depthwise, grouped, asymmetric, rectangular, output_padding;
    int stride_gt_kernel;
} coverage;

static void cover(void *arg, const clconv_desc *d, const int in[4])
{
    coverage *c = arg;
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
    c->output_padding += d->output_padding_h > 0 || d->output_padding_w > 0;
    c->stride_gt_kernel += d->stride_h > d->kernel_h || d->stride_w > d->kernel_w;
}

/* The direct grid's cases: covered, and planned as direct.tconv2d by algorithm and by name. */
static void cover_direct(void *arg, const clconv_desc *d, const int in[4])
{
    cover(arg, d, in);
    ck_assert_plan_variant(d, in, CLCONV_ALGO_DIRECT, NULL, "direct.tconv2d");
    ck_assert_plan_variant(d, in, CLCONV_ALGO_AUTO, "direct.tconv2d", "direct.tconv2d");
}

/* Before each run of the forced grid: the variant named by arg plans the case, and
 * $CLCONV_VARIANT forces it on the run that follows (AUTO reads it). */
static void force_variant(void *arg, const clconv_desc *d, const int in[4])
{
    unsetenv("CLCONV_VARIANT");
    ck_assert_plan_variant(d, in, CLCONV_ALGO_AUTO, arg, arg);
    setenv("CLCONV_VARIANT", arg, 1);
}

/* direct.tconv2d forced by name over a slice of the grid; direct.conv2d refuses
 * ConvTranspose2d. */
START_TEST(test_tconv_random_direct_forced)
{
    test_tally tally = {0};
    const test_grid grid = {CLCONV_CONV_TRANSPOSE2D,
                            CLCONV_FLOAT32,
                            RANDOM_CASES,
                            AUTO_EVERY,
                            2001,
                            6001,
                            CLCONV_ALGO_AUTO,
                            0,
                            force_variant,
                            "direct.tconv2d"};
    test_tally_grid(&tally, &grid);
    unsetenv("CLCONV_VARIANT");
    ck_assert_tally(tally);
    ck_assert_int_eq(tally.run, RANDOM_CASES / AUTO_EVERY);

    clconv_context *ctx = test_context();
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV_TRANSPOSE2D, 4, 4, 3, 3);
    const int in[4] = {1, 4, 6, 6};
    clconv_plan *plan = NULL;
    ck_assert_int_eq(clconv_plan_create_variant(ctx, &d, in, "direct.conv2d", &plan),
                     CLCONV_ERROR_UNSUPPORTED);
    ck_assert_ptr_null(plan);
    ck_assert_msg(strstr(clconv_context_last_error(ctx), "kind = conv_transpose2d"), "message: %s",
                  clconv_context_last_error(ctx));
}
END_TEST

START_TEST(test_tconv_random_direct)
{
    test_tally tally = {0};
    coverage cov = {0};
    const test_grid grid = {CLCONV_CONV_TRANSPOSE2D,
                            CLCONV_FLOAT32,
                            RANDOM_CASES,
                            1,
                            2000,
                            6000,
                            CLCONV_ALGO_DIRECT,
                            0,
                            cover_direct,
                            &cov};
    test_tally_grid(&tally, &grid);
    ck_assert_tally(tally);
    ck_assert_int_eq(tally.run, RANDOM_CASES);
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
    ck_assert_int_ge(cov.output_padding, 50);
    ck_assert_int_ge(cov.stride_gt_kernel, 30);
}
END_TEST

START_TEST(test_tconv_random_auto)
{
    test_tally tally = {0};
    const test_grid grid = {CLCONV_CONV_TRANSPOSE2D,
                            CLCONV_FLOAT32,
                            RANDOM_CASES,
                            AUTO_EVERY,
                            2000,
                            6000,
                            CLCONV_ALGO_AUTO,
                            0,
                            NULL,
                            NULL};
    test_tally_grid(&tally, &grid);
    ck_assert_tally(tally);
    ck_assert_int_eq(tally.run, RANDOM_CASES / AUTO_EVERY);
}
END_TEST

/* name, N Cin H W Cout, kh kw sh sw, pt pb pl pr, dh dw groups bias, (mode), oph opw */
static const test_spec edges[] = {
    {"1x1 input", 1, 3, 1, 1, 2, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0},
    {"1x1 input, 1x1 kernel", 2, 3, 1, 1, 4, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0},
    {"1x1 input, stride 2, op 1", 1, 2, 1, 1, 3, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 1, 1, 0, 1, 1},
    {"1x1 input, padding crops to 1x1", 1, 2, 1, 1, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0},
    {"stride > kernel (gaps)", 1, 2, 4, 5, 3, 2, 2, 3, 3, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0},
    {"stride > kernel, op fills gap", 1, 2, 3, 4, 3, 1, 2, 3, 3, 0, 0, 0, 0, 1, 1, 1, 1, 0, 2, 2},
    {"1x1 kernel, stride 2 (sparse)", 2, 3, 5, 4, 2, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0},
    {"k4 s2 p1 upsample", 1, 8, 6, 6, 4, 4, 4, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0},
    {"k3 s2 p1 op1 upsample", 2, 4, 5, 7, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1},
    {"output_padding 2 < stride 3", 1, 2, 4, 4, 2, 3, 3, 3, 3, 1, 1, 0, 0, 1, 1, 1, 1, 0, 2, 2},
    {"output_padding < dilation only", 1, 2, 5, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1, 3, 2, 1, 1, 0, 2, 1},
    {"padding crops to 1 row", 1, 2, 3, 6, 2, 3, 3, 1, 1, 2, 2, 0, 0, 1, 1, 1, 1, 0, 0, 0},
    {"padding larger than kernel", 1, 2, 9, 9, 2, 2, 2, 3, 3, 3, 2, 4, 1, 1, 1, 1, 1, 0, 0, 0},
    {"asymmetric padding", 1, 3, 5, 6, 4, 3, 3, 2, 2, 0, 2, 1, 0, 1, 1, 1, 1, 0, 1, 0},
    {"sparse taps: dilation 3", 1, 2, 4, 4, 3, 3, 3, 1, 1, 0, 0, 0, 0, 3, 3, 1, 1, 0, 0, 0},
    {"dilation 2 + stride 3", 1, 2, 4, 5, 2, 3, 2, 3, 3, 1, 0, 0, 2, 2, 2, 1, 1, 0, 1, 2},
    {"groups 2", 1, 4, 5, 5, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 2, 1, 0, 0, 0},
    {"groups 3, Cout/groups 1", 2, 6, 4, 4, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3, 1, 0, 0, 0},
    {"depthwise (Cin/groups = 1)", 1, 5, 6, 6, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 5, 1, 0, 1, 1},
    {"depthwise x3", 1, 3, 4, 5, 9, 4, 4, 2, 2, 1, 1, 1, 1, 1, 1, 3, 0, 0, 0, 0},
    {"N = 3", 3, 3, 4, 5, 4, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1},
    {"even kernel 2x2 s2", 1, 4, 5, 5, 3, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0},
    {"rect kernel 5x2, stride 3x1", 1, 2, 4, 6, 3, 5, 2, 3, 1, 2, 1, 0, 1, 1, 1, 1, 1, 0, 1, 0},
    {"rect kernel 1x5", 1, 2, 6, 4, 2, 1, 5, 1, 2, 0, 0, 2, 2, 1, 1, 1, 1, 0, 0, 1},
    {"big channels 64->64 on 8x8, s2",
     1,
     64,
     8,
     8,
     64,
     3,
     3,
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
     0,
     1,
     1},
    {"big channels 64->64, groups 4", 1, 64, 8, 8, 64, 4, 4, 2, 2, 1, 1, 1, 1, 1, 1, 4, 1, 0, 0, 0},
    {"wide row 31 (tile edge)", 1, 3, 4, 31, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0},
    {"wide row 17, stride 3", 1, 2, 3, 17, 3, 3, 3, 3, 3, 0, 0, 0, 0, 1, 1, 1, 1, 0, 2, 1},
    {"no bias", 2, 4, 5, 5, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, 0, 0, 0, 0},
};

START_TEST(test_tconv_edges)
{
    test_tally tally = {0};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        clconv_desc d;
        int in[4];
        test_spec_desc(&edges[i], CLCONV_CONV_TRANSPOSE2D, CLCONV_FLOAT32, &d, in);
        test_tally_run(&tally, edges[i].name, &d, in, CLCONV_ALGO_DIRECT, 88 + (uint64_t)i);
        test_tally_run(&tally, edges[i].name, &d, in, CLCONV_ALGO_AUTO, 188 + (uint64_t)i);
    }
    ck_assert_tally(tally);
}
END_TEST

/* ConvTranspose2d is the adjoint of Conv2d: <conv(x), y> == <x, tconv(y)> for the same
 * weights, which ties the two references (and so the device paths) together. */
START_TEST(test_tconv_adjoint_of_conv)
{
    for (int i = 0; i < 40; i++) {
        test_rng rng;
        test_rng_seed(&rng, 4000 + (uint64_t)i);
        clconv_desc c;
        int in[4];
        test_random_conv2d(&rng, CLCONV_FLOAT32, &c, in);
        c.padding_mode = CLCONV_PADDING_ZEROS; /* the adjoint of the other modes is not a tconv */
        c.bias = 0;
        int out[4];
        ck_assert_int_eq(clconv_output_shape(&c, in, out), CLCONV_SUCCESS);
        /* the tconv that maps out back to in: same weights (Cout, Cin/g) read as tconv weights
         * of a layer with Cout inputs, output_padding covering the rows conv skipped */
        clconv_desc t = c;
        t.kind = CLCONV_CONV_TRANSPOSE2D;
        t.in_channels = c.out_channels;
        t.out_channels = c.in_channels;
        const int tin[4] = {out[0], out[1], out[2], out[3]};
        int rem_h = in[2] + c.pad_top + c.pad_bottom - c.dilation_h * (c.kernel_h - 1) - 1;
        int rem_w = in[3] + c.pad_left + c.pad_right - c.dilation_w * (c.kernel_w - 1) - 1;
        t.output_padding_h = rem_h % c.stride_h;
        t.output_padding_w = rem_w % c.stride_w;
        int tout[4]; /* the remainder is below the stride, so torch's rule always holds */
        ck_assert_msg(clconv_output_shape(&t, tin, tout) == CLCONV_SUCCESS, "case %d: %s", i,
                      clconv_last_error());
        ck_assert_msg(tout[2] == in[2] && tout[3] == in[3], "case %d: tconv gives %dx%d, not %dx%d",
                      i, tout[2], tout[3], in[2], in[3]);
        test_tensors a, b;
        ck_assert(test_tensors_alloc(&a, &c, in, 10 + (uint64_t)i));
        ck_assert(test_tensors_alloc(&b, &t, tin, 20 + (uint64_t)i));
        ck_assert_uint_eq(a.weight_count, b.weight_count);
        ck_assert_int_eq(clconv_reference(&c, in, a.input, a.weight, NULL, a.output),
                         CLCONV_SUCCESS);
        ck_assert_int_eq(clconv_reference(&t, tin, b.input, a.weight, NULL, b.output),
                         CLCONV_SUCCESS);
        double lhs = 0, rhs = 0, scale = 0;
        for (size_t k = 0; k < a.output_count; k++) {
            lhs += (double)a.output[k] * b.input[k];
            scale += ((double)a.output[k] < 0 ? -a.output[k] : a.output[k]) *
                     (b.input[k] < 0 ? -b.input[k] : b.input[k]);
        }
        for (size_t k = 0; k < a.input_count; k++)
            rhs += (double)a.input[k] * b.output[k];
        ck_assert_msg(lhs - rhs < 1e-5 * (scale + 1) && rhs - lhs < 1e-5 * (scale + 1),
                      "case %d: <conv x, y> = %.9g but <x, tconv y> = %.9g", i, lhs, rhs);
        test_tensors_free(&a);
        test_tensors_free(&b);
    }
}
END_TEST

static Suite *tconv_suite(void)
{
    Suite *s = suite_create("conv_transpose2d");
    TCase *tc = tcase_create("device");
    tcase_set_timeout(tc, 0);
    tcase_add_test(tc, test_tconv_random_direct);
    tcase_add_test(tc, test_tconv_random_direct_forced);
    tcase_add_test(tc, test_tconv_random_auto);
    tcase_add_test(tc, test_tconv_edges);
    tcase_add_test(tc, test_tconv_adjoint_of_conv);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(tconv_suite, CK_FORK_GETENV)
