/* float16 storage (half buffers, float arithmetic) for Conv2d and ConvTranspose2d. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clconv.h>

#include "tests/common.h"

#define RANDOM_CASES 110

static void count_mode(void *arg, const clconv_desc *d, const int in[4])
{
    (void)in;
    ((int *)arg)[d->padding_mode]++;
}

START_TEST(test_half_conv2d_random)
{
    test_tally tally = {0};
    int modes[4] = {0};
    /* every 5th case through AUTO: half storage must reach whichever algorithm it picks */
    const test_grid grid = {CLCONV_CONV2D, CLCONV_FLOAT16, RANDOM_CASES,       1,
                            3000,          7000,           CLCONV_ALGO_DIRECT, 5,
                            count_mode,    modes};
    test_tally_grid(&tally, &grid);
    ck_assert_tally(tally);
    for (int m = 0; m < 4; m++)
        ck_assert_msg(modes[m] >= 10, "padding mode %d drawn %d times", m, modes[m]);
}
END_TEST

START_TEST(test_half_tconv_random)
{
    test_tally tally = {0};
    const test_grid grid = {CLCONV_CONV_TRANSPOSE2D,
                            CLCONV_FLOAT16,
                            RANDOM_CASES,
                            1,
                            3500,
                            7500,
                            CLCONV_ALGO_DIRECT,
                            5,
                            NULL,
                            NULL};
    test_tally_grid(&tally, &grid);
    ck_assert_tally(tally);
}
END_TEST

enum {
    Z = CLCONV_PADDING_ZEROS,
    RF = CLCONV_PADDING_REFLECT,
    RP = CLCONV_PADDING_REPLICATE,
    CI = CLCONV_PADDING_CIRCULAR
};

/* name, N Cin H W Cout, kh kw sh sw, pt pb pl pr, dh dw groups bias, mode, oph opw */
static const test_spec conv_edges[] = {
    {"1x1 input", 1, 3, 1, 1, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, RP, 0, 0},
    {"kernel = padded input", 2, 3, 5, 4, 2, 7, 6, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, Z, 0, 0},
    {"stride > kernel", 1, 3, 11, 10, 4, 2, 2, 3, 3, 0, 0, 0, 0, 1, 1, 1, 1, Z, 0, 0},
    {"dilation 3, reflect", 1, 2, 9, 9, 3, 3, 3, 1, 1, 2, 1, 1, 2, 3, 3, 1, 1, RF, 0, 0},
    {"depthwise x2", 1, 5, 6, 8, 10, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 5, 1, CI, 0, 0},
    {"N = 3, grouped", 3, 4, 6, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, 0, Z, 0, 0},
    {"64->64 on 8x8", 1, 64, 8, 8, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, Z, 0, 0},
    {"wide row 31", 1, 3, 9, 31, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, Z, 0, 0},
};

static const test_spec tconv_edges[] = {
    {"1x1 input, s2 op1", 1, 2, 1, 1, 3, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 1, 1, 0, 1, 1},
    {"stride > kernel", 1, 2, 4, 5, 3, 2, 2, 3, 3, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0},
    {"k4 s2 p1", 1, 8, 6, 6, 4, 4, 4, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0},
    {"op < dilation only", 1, 2, 5, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1, 3, 2, 1, 1, 0, 2, 1},
    {"depthwise x3", 1, 3, 4, 5, 9, 4, 4, 2, 2, 1, 1, 1, 1, 1, 1, 3, 0, 0, 0, 0},
    {"64->64 on 8x8, s2", 1, 64, 8, 8, 64, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1},
};

START_TEST(test_half_edges)
{
    test_tally tally = {0};
    for (size_t i = 0; i < sizeof conv_edges / sizeof conv_edges[0]; i++) {
        clconv_desc d;
        int in[4];
        test_spec_desc(&conv_edges[i], CLCONV_CONV2D, CLCONV_FLOAT16, &d, in);
        test_tally_run(&tally, conv_edges[i].name, &d, in, CLCONV_ALGO_DIRECT, 90 + (uint64_t)i);
    }
    for (size_t i = 0; i < sizeof tconv_edges / sizeof tconv_edges[0]; i++) {
        clconv_desc d;
        int in[4];
        test_spec_desc(&tconv_edges[i], CLCONV_CONV_TRANSPOSE2D, CLCONV_FLOAT16, &d, in);
        test_tally_run(&tally, tconv_edges[i].name, &d, in, CLCONV_ALGO_DIRECT, 190 + (uint64_t)i);
    }
    ck_assert_tally(tally);
}
END_TEST

/* The host-side conversion the tests rely on: exact values, rounding to nearest even,
 * subnormals, overflow to infinity. */
START_TEST(test_half_conversion)
{
    static const struct {
        float f;
        uint16_t h;
    } exact[] = {{0.0f, 0x0000},
                 {-0.0f, 0x8000},
                 {1.0f, 0x3c00},
                 {-2.0f, 0xc000},
                 {0.5f, 0x3800},
                 {65504.0f, 0x7bff},
                 {6.103515625e-05f, 0x0400} /* smallest normal */,
                 {5.9604645e-08f, 0x0001} /* smallest subnormal */};
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++) {
        ck_assert_uint_eq(test_float_to_half(exact[i].f), exact[i].h);
        ck_assert(test_half_to_float(exact[i].h) == exact[i].f);
    }
    /* 1 + 2^-11 lies halfway between 1 and 1 + 2^-10: ties go to the even mantissa (1) */
    ck_assert_uint_eq(test_float_to_half(1.0f + 0x1p-11f), 0x3c00);
    /* 1 + 3 * 2^-11 lies halfway between 1 + 2^-10 and 1 + 2^-9: even is 1 + 2^-9 */
    ck_assert_uint_eq(test_float_to_half(1.0f + 3 * 0x1p-11f), 0x3c02);
    ck_assert_uint_eq(test_float_to_half(70000.0f), 0x7c00);
    ck_assert(isinf(test_half_to_float(0x7c00)));
    ck_assert(isnan(test_half_to_float(test_float_to_half(NAN))));
    /* every half value round-trips */
    for (uint32_t h = 0; h < 0x10000; h++) {
        if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff))
            continue; /* NaN payloads need not survive */
        ck_assert_uint_eq(test_float_to_half(test_half_to_float((uint16_t)h)), h);
    }
}
END_TEST

/* The device rounds its float results to half like the host does: a 1x1 convolution with
 * weight 1 and no bias copies values that are exactly representable in half. */
START_TEST(test_half_exact_copy)
{
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 1, 1, 1, 1);
    d.bias = 0;
    d.dtype = CLCONV_FLOAT16;
    const int in[4] = {1, 1, 4, 16};
    clconv_context *ctx = test_context();
    ck_assert_ptr_nonnull(ctx);
    clconv_plan *plan = NULL;
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_DIRECT, &plan), CLCONV_SUCCESS);
    uint16_t x[64], w = test_float_to_half(1.0f), y[64];
    for (int i = 0; i < 64; i++) /* normals, subnormals, large values, both signs */
        x[i] = (uint16_t)((i & 1 ? 0x8000u : 0) | (uint16_t)(i * 0x1f3u % 0x7c00u));
    cl_int err;
    cl_context cl = clconv_context_get_cl_context(ctx);
    cl_mem bx = clCreateBuffer(cl, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof x, x, &err);
    cl_mem bw = clCreateBuffer(cl, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, 2, &w, &err);
    cl_mem by = clCreateBuffer(cl, CL_MEM_READ_WRITE, sizeof y, NULL, &err);
    ck_assert(bx && bw && by);
    ck_assert_int_eq(clconv_plan_enqueue(plan, bx, bw, NULL, by, NULL, 0, NULL, NULL),
                     CLCONV_SUCCESS);
    ck_assert_int_eq(clEnqueueReadBuffer(clconv_context_get_queue(ctx), by, CL_TRUE, 0, sizeof y, y,
                                         0, NULL, NULL),
                     CL_SUCCESS);
    for (int i = 0; i < 64; i++)
        ck_assert_msg(y[i] == x[i], "y[%d] = 0x%04x, expected 0x%04x", i, y[i], x[i]);
    clReleaseMemObject(bx);
    clReleaseMemObject(bw);
    clReleaseMemObject(by);
    clconv_plan_destroy(plan);
}
END_TEST

static Suite *half_suite(void)
{
    Suite *s = suite_create("half");
    TCase *tc = tcase_create("device");
    tcase_set_timeout(tc, 0);
    tcase_add_test(tc, test_half_conversion);
    tcase_add_test(tc, test_half_conv2d_random);
    tcase_add_test(tc, test_half_tconv_random);
    tcase_add_test(tc, test_half_edges);
    tcase_add_test(tc, test_half_exact_copy);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(half_suite, CK_FORK_GETENV)
