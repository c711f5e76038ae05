/* The depthwise variants on hand-picked edges, the row kernel beside each: the interior and
 * border paths of the row tiles, narrow rows from a padded copy, depth multipliers and kernel
 * sizes, MobileNet shapes, the flat kernel's chunks and column masks, the stride-2 phase kernel;
 * and the half conversion of those two over every half value (the suite is in test_depthwise.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/common.h"
#include "tests/test_depthwise.h"

START_TEST(interior_and_border_tiles)
{
    /* widths around the 8-column tile, strides 1-3 (2 has its own interior load), every
     * padding mode, dilation */
    static const int widths[] = {1, 7, 8, 9, 16, 17, 33};
    uint64_t seed = 500;
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++)
        for (int stride = 1; stride <= 3; stride++)
            for (int mode = 0; mode < 4; mode++) {
                clconv_desc d;
                dw(&d, 3, 1, 3, stride, 1);
                d.padding_mode = (clconv_padding_mode)mode;
                d.dilation_w = 1 + (int)(w % 2);
                d.bias = mode & 1;
                int in[4] = {2, 3, 5, widths[w]};
                if (widths[w] < 3) { /* reflect needs pad < W; 3x3 with dilation needs room */
                    d.pad_left = d.pad_right = 0;
                    d.kernel_w = 1;
                }
                run_with_rows(&d, in, seed++);
            }
}
END_TEST

/* Rows of at most two tiles (OW <= 16) run from a padded private copy of each input row:
 * every width up to that, strides 1 and 2, each padding mode, asymmetric padding, dilation,
 * kernels wider than the row, and MobileNetV2's 7x7 and stride-2 14x14 layers. */
START_TEST(narrow_rows_padded_copy)
{
    uint64_t seed = 800;
    for (int w = 1; w <= 17; w++)
        for (int stride = 1; stride <= 2; stride++) {
            clconv_desc d;
            const int k = w >= 5 ? 5 : w;
            dw(&d, 2, 1 + (w % 3 == 0), k, stride, 0);
            d.kernel_h = 3;
            d.pad_top = 1;
            d.pad_bottom = 2;
            d.pad_left = k / 2 < w ? k / 2 : w - 1;
            d.pad_right = w > 1 ? 1 : 0;
            d.padding_mode = (clconv_padding_mode)(w % 4);
            d.dilation_w = (w >= 9 && w % 2) ? 2 : 1;
            d.bias = w & 1;
            d.dtype = w % 5 == 0 ? CLCONV_FLOAT16 : CLCONV_FLOAT32;
            int in[4] = {1 + (w % 2), d.in_channels, 4, w};
            run_with_rows(&d, in, seed++);
        }
    clconv_desc d;
    dw(&d, 96, 1, 3, 1, 1);
    int in[4] = {1, 96, 7, 7};
    run_with_rows(&d, in, 850);
    dw(&d, 64, 1, 3, 2, 1);
    in[1] = 64;
    in[2] = in[3] = 14;
    run_with_rows(&d, in, 851);
}
END_TEST

START_TEST(depth_multiplier_and_kernels)
{
    uint64_t seed = 600;
    for (int mult = 1; mult <= 4; mult++)
        for (int k = 1; k <= 7; k += 2) {
            clconv_desc d;
            dw(&d, 5, mult, k, 1 + (k == 5), k / 2);
            int in[4] = {1, 5, 13, 29};
            run_with_rows(&d, in, seed++);
        }
    clconv_desc d; /* rectangular, asymmetric */
    dw(&d, 4, 2, 1, 1, 0);
    d.kernel_w = 5;
    d.kernel_h = 2;
    d.pad_left = 3;
    d.pad_right = 1;
    d.pad_bottom = 1;
    d.padding_mode = CLCONV_PADDING_CIRCULAR;
    int in[4] = {2, 4, 6, 20};
    run_with_rows(&d, in, 650);
}
END_TEST

START_TEST(mobilenet_shapes)
{
    clconv_desc d;
    dw(&d, 32, 1, 3, 1, 1);
    int in[4] = {1, 32, 28, 28};
    run_with_rows(&d, in, 701);
    dw(&d, 24, 1, 3, 2, 1);
    in[1] = 24;
    in[2] = in[3] = 27;
    run_with_rows(&d, in, 702);
    d.dtype = CLCONV_FLOAT16;
    run_with_rows(&d, in, 703);
    dw(&d, 16, 1, 3, 1, 1);
    d.dtype = CLCONV_FLOAT16;
    in[1] = 16;
    in[2] = in[3] = 14;
    run_with_rows(&d, in, 704);
}
END_TEST

/* Stride 1 with the output as wide as the input and zeros padding runs the flat kernel (taps
 * as offsets along the flattened plane, column masks at the row ends): planes of one tile
 * and less, planes around 16-output multiples, planes split into chunks (larger than its
 * private buffer, and small batches split to feed every unit), 5x5 and 1x7 kernels,
 * dilation, even kernels padded more at one end, depth multipliers, batch, bias, float16. */
START_TEST(flat_path_shapes)
{
    static const int sizes[][2] = {{1, 1},   {1, 17}, {3, 5},   {4, 4},   {7, 7},  {5, 13},
                                   {14, 14}, {9, 31}, {16, 16}, {33, 40}, {48, 50}};
    uint64_t seed = 900;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (int v = 0; v < 3; v++) {
            clconv_desc d;
            const int k = v == 2 ? 5 : 3;
            dw(&d, 2 + (int)(i % 3), 1 + v % 2, k, 1, k / 2);
            if (v == 1) { /* dilated rows, plain columns */
                d.dilation_h = 2;
                d.pad_top = d.pad_bottom = 2;
            }
            d.bias = (int)(i + (size_t)v) & 1;
            d.dtype = (i + (size_t)v) % 3 == 0 ? CLCONV_FLOAT16 : CLCONV_FLOAT32;
            int in[4] = {1 + v % 2, d.in_channels, sizes[i][0], sizes[i][1]};
            run_forced(&d, in, FLAT, seed++);
        }
    clconv_desc d;
    dw(&d, 3, 2, 2, 1, 0); /* even kernel: 'same' pads one more at the end */
    d.pad_right = d.pad_bottom = 1;
    int in[4] = {2, 3, 9, 12};
    run_forced(&d, in, FLAT, 950);
    dw(&d, 4, 1, 1, 1, 0); /* 1x7 with dilation 2 */
    d.kernel_w = 7;
    d.dilation_w = 2;
    d.pad_left = 5;
    d.pad_right = 7;
    in[1] = 4;
    in[2] = 6;
    in[3] = 21;
    run_forced(&d, in, FLAT, 951);
    dw(&d, 2, 1, 3, 1, 1); /* a plane over the buffer in one channel: chunks of one plane */
    in[0] = 1;
    in[1] = 2;
    in[2] = 80;
    in[3] = 90;
    run_forced(&d, in, FLAT, 952);
    d.dtype = CLCONV_FLOAT16;
    run_forced(&d, in, FLAT, 953);
}
END_TEST

/* Stride 2 in both dimensions runs the phase kernel (the padded input split by row and column
 * parity into private planes, each tap a unit-stride read of one): odd and even heights and
 * widths, 1x1 and 2x2 maps, MobileNet's 7x7 output, rows split into chunks (large maps, and
 * rows mapped outside a chunk's copy by reflect and circular padding), every padding mode,
 * dilation (taps of one column phase), asymmetric and large left padding, depth multiplier,
 * batch, bias, float16, 5x5 and 2x4 kernels. */
START_TEST(stride2_phase_path)
{
    static const int sizes[][2] = {{1, 1},   {2, 2},   {3, 4},   {4, 3},   {7, 7},
                                   {14, 14}, {15, 13}, {16, 17}, {33, 40}, {64, 9}};
    uint64_t seed = 1000;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (int v = 0; v < 4; v++) {
            clconv_desc d;
            const int h = sizes[i][0], w = sizes[i][1];
            const int k = v == 3 && h >= 5 && w >= 5 ? 5 : 3;
            dw(&d, 2 + (int)(i % 3), 1 + v % 2, k, 2, k / 2);
            d.padding_mode = (clconv_padding_mode)v;
            if (v != 0) { /* reflect needs pad < size; keep every mode valid on tiny maps */
                const int ph = h > 1 ? (k / 2 < h ? k / 2 : h - 1) : 0;
                const int pw = w > 1 ? (k / 2 < w ? k / 2 : w - 1) : 0;
                d.pad_top = d.pad_bottom = ph;
                d.pad_left = d.pad_right = pw;
                if (h < k - 2 * ph + 0 + 1 || w < k - 2 * pw + 1) /* no room: 1x1 kernel */
                    d.kernel_h = d.kernel_w = 1, d.pad_top = d.pad_bottom = 0,
                    d.pad_left = d.pad_right = 0;
            }
            if (v == 2 && w >= 9) { /* dilated columns: every tap in one column phase */
                d.dilation_w = 2;
                d.pad_left = d.pad_right = 2;
            }
            d.bias = (int)(i + (size_t)v) & 1;
            d.dtype = (i + (size_t)v) % 3 == 0 ? CLCONV_FLOAT16 : CLCONV_FLOAT32;
            int in[4] = {1 + (v == 1), d.in_channels, h, w};
            run_forced(&d, in, S2, seed++);
        }
    clconv_desc d;
    dw(&d, 3, 1, 3, 2, 1); /* rows in several chunks, split from global (W >= 64) */
    int in[4] = {1, 3, 112, 112};
    run_forced(&d, in, S2, 1050);
    d.dtype = CLCONV_FLOAT16;
    run_forced(&d, in, S2, 1051);
    dw(&d, 1, 2, 3, 2, 1); /* circular and reflect rows from outside a chunk's copy */
    in[1] = 1;
    in[2] = in[3] = 96;
    d.padding_mode = CLCONV_PADDING_CIRCULAR;
    run_forced(&d, in, S2, 1052);
    d.padding_mode = CLCONV_PADDING_REFLECT;
    d.pad_top = 0;
    run_forced(&d, in, S2, 1053);
    d.padding_mode = CLCONV_PADDING_CIRCULAR; /* the same through the row copy (W < 64) */
    d.pad_top = 1;
    in[2] = 200;
    in[3] = 40;
    run_forced(&d, in, S2, 1058);
    dw(&d, 4, 1, 2, 2, 0); /* 2x4 kernel, padding at one end only */
    d.kernel_w = 4;
    d.pad_left = 3;
    d.pad_bottom = 1;
    d.bias = 0;
    in[1] = 4;
    in[2] = 9;
    in[3] = 10;
    run_forced(&d, in, S2, 1054);
    dw(&d, 2, 1, 1, 2, 0); /* 1x33: lanes past the last row read far past their phase */
    d.kernel_w = 33;
    d.pad_left = d.pad_right = 16;
    in[1] = 2;
    in[2] = 5;
    in[3] = 40;
    run_forced(&d, in, S2, 1061);
    dw(&d, 2, 1, 3, 2, 16); /* left padding at the copy's margin, then past it (row kernel) */
    in[1] = 2;
    in[2] = in[3] = 11;
    run_forced(&d, in, S2, 1055);
    d.pad_left = d.pad_top = 17;
    expect_refusal(&d, in, S2, "pad_left = 17");
    run_with_rows(&d, in, 1056);
    dw(&d, 1, 2, 3, 2,
       1); /* rows too wide for the phase planes: the row kernel's stride-2 strips */
    in[1] = 1;
    in[2] = 3;
    in[3] = 1100;
    d.padding_mode = CLCONV_PADDING_REPLICATE;
    expect_refusal(&d, in, S2, "input width = 1100");
    run_with_rows(&d, in, 1059);
    d.dtype = CLCONV_FLOAT16;
    run_with_rows(&d, in, 1060);
    dw(&d, 576, 1, 3, 2, 1); /* MobileNetV2's last stride-2 layer, batch 2, float16 */
    d.dtype = CLCONV_FLOAT16;
    int in2[4] = {2, 576, 14, 14};
    run_forced(&d, in2, S2, 1057);
}
END_TEST

/* The flat and stride-2 kernels convert half input with integer operations: every half bit
 * pattern through a 1x1 kernel of weight 1 (exact) comes out as it went in; NaN stays NaN, -0
 * may become +0. Stride 1: a 256x256 plane of the 65536 values; stride 2: value i at the even
 * position (2 (i / 16), 2 (i % 16)) of an 8192x32 plane (rows narrow enough for the row copy). */
static void half_identity(const char *variant, int stride)
{
    clconv_context *ctx = test_context();
    ck_assert_ptr_nonnull(ctx);
    clconv_desc d;
    dw(&d, 1, 1, 1, stride, 0);
    d.bias = 0;
    d.dtype = CLCONV_FLOAT16;
    const int in[4] = {1, 1, stride == 1 ? 256 : 8192, stride == 1 ? 256 : 32};
    const size_t count = (size_t)in[2] * in[3];
    uint16_t *x = calloc(count, sizeof *x), *y = malloc(65536 * sizeof *y);
    ck_assert_ptr_nonnull(x);
    ck_assert_ptr_nonnull(y);
    for (uint32_t i = 0; i < 65536; i++)
        x[stride == 1 ? i : (i / 16) * 2 * 32 + (i % 16) * 2] = (uint16_t)i;
    const uint16_t one = 0x3c00;
    cl_context cl = clconv_context_get_cl_context(ctx);
    cl_command_queue q = clconv_context_get_queue(ctx);
    cl_int err;
    cl_mem bi = clCreateBuffer(cl, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, count * 2, x, &err);
    cl_mem bw = clCreateBuffer(cl, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, 2, (void *)&one, &err);
    cl_mem bo = clCreateBuffer(cl, CL_MEM_READ_WRITE, 65536 * 2, NULL, &err);
    ck_assert(bi && bw && bo);
    clconv_plan *plan = NULL;
    ck_assert_int_eq(clconv_plan_create_variant(ctx, &d, in, variant, &plan), CLCONV_SUCCESS);
    ck_assert_str_eq(clconv_plan_get_variant_name(plan), variant);
    ck_assert_int_eq(clconv_plan_enqueue(plan, bi, bw, NULL, bo, NULL, 0, NULL, NULL),
                     CLCONV_SUCCESS);
    ck_assert_int_eq(clEnqueueReadBuffer(q, bo, CL_TRUE, 0, 65536 * 2, y, 0, NULL, NULL),
                     CL_SUCCESS);
    int bad = 0;
    for (uint32_t i = 0; i < 65536 && bad < 5; i++) {
        const bool nan = (i & 0x7c00u) == 0x7c00u && (i & 0x3ffu);
        const bool ok = nan ? ((y[i] & 0x7c00u) == 0x7c00u && (y[i] & 0x3ffu))
                            : (y[i] == i || (i == 0x8000u && y[i] == 0));
        if (!ok)
            fprintf(stderr, "%s: half 0x%04x came out as 0x%04x\n", variant, (unsigned)i,
                    (unsigned)y[i]);
        bad += !ok;
    }
    ck_assert_int_eq(bad, 0);
    clconv_plan_destroy(plan);
    clReleaseMemObject(bi);
    clReleaseMemObject(bw);
    clReleaseMemObject(bo);
    free(x);
    free(y);
}

START_TEST(half_conversion_every_value)
{
    half_identity(FLAT, 1);
    half_identity(S2, 2);
}
END_TEST

void depthwise_edges_add_tests(TCase *tc)
{
    tcase_add_test(tc, interior_and_border_tiles);
    tcase_add_test(tc, depth_multiplier_and_kernels);
    tcase_add_test(tc, mobilenet_shapes);
    tcase_add_test(tc, narrow_rows_padded_copy);
    tcase_add_test(tc, flat_path_shapes);
    tcase_add_test(tc, half_conversion_every_value);
    tcase_add_test(tc, stride2_phase_path);
}
