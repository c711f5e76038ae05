/* The op-counting model's hand-worked values (counts, bytes, intensity), overflow, rejections. */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include <clconv.h>

#include "tests/test_opcount.h"

/* ---- hand-worked values -------------------------------------------------------------------- */

static clconv_op_count count_of(const clconv_desc *d, const int in[4])
{
    clconv_op_count c;
    clconv_status st = clconv_count_ops(d, in, &c);
    ck_assert_msg(st == CLCONV_SUCCESS, "%s", clconv_last_error());
    return c;
}

START_TEST(test_hand_moduleprofiler_example)
{
    /* moduleprofiler's own example: ConvTranspose2d(1, 1, kernel_size=2), 1x1x2x2 input.
     * Output 3x3; with all-ones data it is [[1,2,1],[2,4,2],[1,2,1]]: each value is the number
     * of contributions landing there, 16 in all (4 inputs x 4 taps, none cropped).
     * Executed, with bias: 16 multiplies + 16 adds (each product added to the bias-started
     * accumulator) = 32. Without bias: 16 multiplies + sum(c - 1) = 16 - 9 = 7 adds = 23.
     * moduleprofiler: Hout*Wout*(kh*kw + 1) + additions_per_filter = 9*5 + 7 = 52 with bias:
     * it charges 4 multiplies at each of the 9 outputs (36) where only 16 land, so it is 20
     * over; without bias 52 - 9 = 43, also 20 over (every output receives something).
     * MACs input-centric: 4 inputs x 4 taps = 16; FLOPs = 2*16 + 9 bias adds = 41.
     * Bytes f32: (4 input + 4 weight + 1 bias + 9 output) * 4 = 72. */
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV_TRANSPOSE2D, 1, 1, 2, 2);
    const int in[4] = {1, 1, 2, 2};
    clconv_op_count c = count_of(&d, in);
    ck_assert_uint_eq(c.exact_ops, 32);
    ck_assert_uint_eq(c.macs, 16);
    ck_assert_uint_eq(c.flops, 41);
    ck_assert_uint_eq(c.bytes, 72);
    ck_assert_double_eq_tol(c.intensity, 41.0 / 72.0, 1e-15);
    uint64_t mp;
    int64_t apf;
    ck_assert_int_eq(clconv_count_ops_moduleprofiler_tconv(&d, in, &mp, &apf), CLCONV_SUCCESS);
    ck_assert_uint_eq(mp, 52);
    ck_assert_int_eq(apf, 7);
    d.bias = 0;
    c = count_of(&d, in);
    ck_assert_uint_eq(c.exact_ops, 23);
    ck_assert_uint_eq(c.flops, 32);
    ck_assert_int_eq(clconv_count_ops_moduleprofiler_tconv(&d, in, &mp, &apf), CLCONV_SUCCESS);
    ck_assert_uint_eq(mp, 43);
    ck_assert_int_eq(apf, 7);
}
END_TEST

START_TEST(test_hand_tconv_stride_beyond_kernel)
{
    /* ConvTranspose2d(1, 1, 1, stride=3), 2x2 input: Hout = (2-1)*3 + 1 = 4, 16 outputs, but
     * only the 4 at rows/cols {0, 3} receive a product, 1 each.
     * Executed with bias: 4 multiplies + 4 bias adds = 8; the 12 others are just the bias.
     * Without bias: 4 multiplies, no adds = 4.
     * additions_per_filter = sum(out - 1) = 4*0 + 12*(-1) = -12.
     * moduleprofiler: 16*(1 + 1) - 12 = 20 with bias (12 over: a multiply charged at every
     * empty output); 20 - 16 = 4 without (the -1 of each empty output cancels its charged
     * multiply). */
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV_TRANSPOSE2D, 1, 1, 1, 1);
    d.stride_h = d.stride_w = 3;
    const int in[4] = {1, 1, 2, 2};
    ck_assert_uint_eq(count_of(&d, in).exact_ops, 8);
    uint64_t mp;
    int64_t apf;
    ck_assert_int_eq(clconv_count_ops_moduleprofiler_tconv(&d, in, &mp, &apf), CLCONV_SUCCESS);
    ck_assert_int_eq(apf, -12);
    ck_assert_uint_eq(mp, 20);
    d.bias = 0;
    ck_assert_uint_eq(count_of(&d, in).exact_ops, 4);
    ck_assert_int_eq(clconv_count_ops_moduleprofiler_tconv(&d, in, &mp, &apf), CLCONV_SUCCESS);
    ck_assert_uint_eq(mp, 4);
}
END_TEST

START_TEST(test_hand_tconv_cropping_padding)
{
    /* ConvTranspose2d(1, 1, 3, stride=2, padding=1), 3x3 input: Hout = 2*2 - 2 + 2 + 1 = 5.
     * Per axis, tap k sends input i to o = 2i - 1 + k:
     *   k=0: -1, 1, 3 -> 2 land (o = -1 is cropped)
     *   k=1:  0, 2, 4 -> 3 land
     *   k=2:  1, 3, 5 -> 2 land (o = 5 is cropped)
     * so 7 (input, tap) pairs land per axis and every o in 0..4 receives at least one.
     * Landing products 7*7 = 49 (of the 81 input-centric MACs, 32 are cropped); all 25
     * outputs are reached. With bias 49 + 49 = 98; without 49 + (49 - 25) = 73.
     * moduleprofiler: 25*(9 + 1) + (49 - 25) = 274 with bias (176 over = 25*9 - 49). */
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV_TRANSPOSE2D, 1, 1, 3, 3);
    d.stride_h = d.stride_w = 2;
    d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
    const int in[4] = {1, 1, 3, 3};
    clconv_op_count c = count_of(&d, in);
    ck_assert_uint_eq(c.macs, 81);
    ck_assert_uint_eq(c.exact_ops, 98);
    uint64_t mp;
    ck_assert_int_eq(clconv_count_ops_moduleprofiler_tconv(&d, in, &mp, NULL), CLCONV_SUCCESS);
    ck_assert_uint_eq(mp, 274);
    d.bias = 0;
    ck_assert_uint_eq(count_of(&d, in).exact_ops, 73);
}
END_TEST

START_TEST(test_hand_conv2d)
{
    /* Conv2d(1, 1, 3, padding=1) on 1x1x3x3: 9 outputs, 9 taps each (padded taps count).
     * MACs 81; FLOPs 2*81 + 9 = 171; exact with bias 9 * 2*9 = 162 (9 multiplies + 9 adds onto
     * the bias), without 9 * 17 = 153. Bytes f32 (9 + 9 + 1 + 9) * 4 = 112, f16 56. */
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 1, 1, 3, 3);
    d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
    const int in[4] = {1, 1, 3, 3};
    clconv_op_count c = count_of(&d, in);
    ck_assert_uint_eq(c.macs, 81);
    ck_assert_uint_eq(c.flops, 171);
    ck_assert_uint_eq(c.exact_ops, 162);
    ck_assert_uint_eq(c.bytes, 112);
    ck_assert_double_eq_tol(c.intensity, 171.0 / 112.0, 1e-15);
    d.dtype = CLCONV_FLOAT16;
    c = count_of(&d, in);
    ck_assert_uint_eq(c.bytes, 56);
    ck_assert_double_eq_tol(c.intensity, 171.0 / 56.0, 1e-15);
    d.bias = 0;
    d.dtype = CLCONV_FLOAT32;
    c = count_of(&d, in);
    ck_assert_uint_eq(c.exact_ops, 153);
    ck_assert_uint_eq(c.flops, 162);
    ck_assert_uint_eq(c.bytes, 108);

    /* Grouped: Conv2d(4, 6, (1, 3), stride=2, groups=2, bias=False) on 2x4x5x7:
     * Hout = (5-1)/2 + 1 = 3, Wout = (7-3)/2 + 1 = 3; 2*6*9 = 108 outputs of 2*1*3 = 6 taps.
     * MACs 648; exact 108 * (12 - 1) = 1188. Bytes f16: (280 + 36 + 108) * 2 = 848. */
    clconv_desc_init(&d, CLCONV_CONV2D, 4, 6, 1, 3);
    d.stride_h = d.stride_w = 2;
    d.groups = 2;
    d.bias = 0;
    d.dtype = CLCONV_FLOAT16;
    const int in2[4] = {2, 4, 5, 7};
    c = count_of(&d, in2);
    ck_assert_uint_eq(c.macs, 648);
    ck_assert_uint_eq(c.flops, 1296);
    ck_assert_uint_eq(c.exact_ops, 1188);
    ck_assert_uint_eq(c.bytes, 848);

    /* ResNet-50's first layer, Conv2d(3, 64, 7, stride=2, padding=3, bias=False) at 224x224:
     * 64*112*112 outputs * 3*49 taps = 118,013,952 MACs, the figure the literature quotes. */
    clconv_desc_init(&d, CLCONV_CONV2D, 3, 64, 7, 7);
    d.stride_h = d.stride_w = 2;
    d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 3;
    d.bias = 0;
    const int in3[4] = {1, 3, 224, 224};
    c = count_of(&d, in3);
    ck_assert_uint_eq(c.macs, 118013952ull);
    ck_assert_uint_eq(c.exact_ops, 2 * 118013952ull - 64 * 112 * 112);
}
END_TEST

/* ---- overflow and rejections --------------------------------------------------------------- */

START_TEST(test_overflow)
{
    /* Conv2d(2^20, 2^20, 32) on 1 x 2^20 x 1055 x 1055: every tensor fits (output 2^40
     * elements, weight 2^50), but MACs = 2^40 * 2^20 * 2^10 = 2^70 do not fit uint64. */
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 1 << 20, 1 << 20, 32, 32);
    const int in[4] = {1, 1 << 20, 1055, 1055};
    clconv_op_count c;
    memset(&c, 0x5a, sizeof c);
    clconv_op_count before = c;
    ck_assert_int_eq(clconv_count_ops(&d, in, &c), CLCONV_ERROR_TOO_LARGE);
    ck_assert_msg(strstr(clconv_last_error(), "macs") != NULL, "%s", clconv_last_error());
    ck_assert(memcmp(&c, &before, sizeof c) == 0);

    /* 2^13 input channels: MACs = 2^40 * 2^23 = 2^63 fit, FLOPs = 2^64 do not */
    d.in_channels = 1 << 13;
    const int in2[4] = {1, 1 << 13, 1055, 1055};
    ck_assert_int_eq(clconv_count_ops(&d, in2, &c), CLCONV_ERROR_TOO_LARGE);
    ck_assert_msg(strstr(clconv_last_error(), "flops") != NULL, "%s", clconv_last_error());

    /* one channel fewer per filter fits everywhere: 2^40 * (2^23 - 2^10) MACs */
    d.in_channels = (1 << 13) - 1;
    const int in3[4] = {1, (1 << 13) - 1, 1055, 1055};
    ck_assert_int_eq(clconv_count_ops(&d, in3, &c), CLCONV_SUCCESS);
    ck_assert_uint_eq(c.macs, (1ull << 40) * ((1ull << 23) - (1ull << 10)));

    /* transposed: 2^20 x 2^20 channels, 32x32 kernel, 1024x1024 input: input-centric MACs
     * 2^20 * 2^20 * 2^10 * 2^20 = 2^70 */
    clconv_desc_init(&d, CLCONV_CONV_TRANSPOSE2D, 1 << 20, 1 << 20, 32, 32);
    const int in4[4] = {1, 1 << 20, 1024, 1024};
    ck_assert_int_eq(clconv_count_ops(&d, in4, &c), CLCONV_ERROR_TOO_LARGE);
    uint64_t mp;
    ck_assert_int_eq(clconv_count_ops_moduleprofiler_tconv(&d, in4, &mp, NULL),
                     CLCONV_ERROR_TOO_LARGE);
}
END_TEST

START_TEST(test_rejections)
{
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 4, 4, 3, 3);
    const int in[4] = {1, 4, 8, 8};
    clconv_op_count c;
    ck_assert_int_eq(clconv_count_ops(&d, in, NULL), CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "count"));
    ck_assert_int_eq(clconv_count_ops(NULL, in, &c), CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(clconv_count_ops(&d, NULL, &c), CLCONV_ERROR_INVALID_ARGUMENT);
    d.groups = 3;
    memset(&c, 0x5a, sizeof c);
    ck_assert_int_eq(clconv_count_ops(&d, in, &c), CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "groups = 3"));
    ck_assert_uint_eq(c.macs, 0x5a5a5a5a5a5a5a5aull);
    /* the comparison formula is for ConvTranspose2d only */
    d.groups = 1;
    uint64_t mp = 7;
    ck_assert_int_eq(clconv_count_ops_moduleprofiler_tconv(&d, in, &mp, NULL),
                     CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "desc->kind"));
    ck_assert_uint_eq(mp, 7);
    d.kind = CLCONV_CONV_TRANSPOSE2D;
    ck_assert_int_eq(clconv_count_ops_moduleprofiler_tconv(&d, in, NULL, NULL),
                     CLCONV_ERROR_INVALID_ARGUMENT);
}
END_TEST

void opcount_hand_add_tests(TCase *tc)
{
    tcase_add_test(tc, test_hand_moduleprofiler_example);
    tcase_add_test(tc, test_hand_tconv_stride_beyond_kernel);
    tcase_add_test(tc, test_hand_tconv_cropping_padding);
    tcase_add_test(tc, test_hand_conv2d);
    tcase_add_test(tc, test_overflow);
    tcase_add_test(tc, test_rejections);
}
