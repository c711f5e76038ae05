/* Descriptor defaults, output shapes, tensor sizes, 'same' padding; the desc suite (host only). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clconv.h>

#include "tests/common.h"
#include "tests/test_desc.h"

START_TEST(test_desc_init_defaults)
{
    clconv_desc d;
    memset(&d, 0x5a, sizeof d);
    clconv_desc_init(&d, CLCONV_CONV_TRANSPOSE2D, 6, 8, 3, 5);
    ck_assert_int_eq(d.kind, CLCONV_CONV_TRANSPOSE2D);
    ck_assert_int_eq(d.in_channels, 6);
    ck_assert_int_eq(d.out_channels, 8);
    ck_assert_int_eq(d.kernel_h, 3);
    ck_assert_int_eq(d.kernel_w, 5);
    ck_assert_int_eq(d.groups, 1);
    ck_assert_int_eq(d.stride_h, 1);
    ck_assert_int_eq(d.stride_w, 1);
    ck_assert_int_eq(d.dilation_h, 1);
    ck_assert_int_eq(d.dilation_w, 1);
    ck_assert_int_eq(d.pad_top, 0);
    ck_assert_int_eq(d.pad_bottom, 0);
    ck_assert_int_eq(d.pad_left, 0);
    ck_assert_int_eq(d.pad_right, 0);
    ck_assert_int_eq(d.output_padding_h, 0);
    ck_assert_int_eq(d.output_padding_w, 0);
    ck_assert_int_ne(d.bias, 0);
    ck_assert_int_eq(d.padding_mode, CLCONV_PADDING_ZEROS);
    ck_assert_int_eq(d.dtype, CLCONV_FLOAT32);
    clconv_desc_init(NULL, CLCONV_CONV2D, 1, 1, 1, 1); /* ignored, no crash */
    ck_assert_uint_eq(clconv_dtype_size(CLCONV_FLOAT32), 4);
    ck_assert_uint_eq(clconv_dtype_size(CLCONV_FLOAT16), 2);
    ck_assert_uint_eq(clconv_dtype_size((clconv_dtype)9), 0);
}
END_TEST

/* Hand-worked cases, checked once against torch.nn.functional (F.pad + conv2d for asymmetric
 * padding): H W kh kw sh sw pt pb pl pr dh dw -> OH OW */
static const int conv_cases[][14] = {
    {7, 7, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 4, 4}, {224, 224, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1, 112, 112},
    {5, 6, 3, 2, 1, 1, 0, 0, 0, 0, 1, 1, 3, 5}, {10, 9, 3, 3, 3, 2, 0, 0, 0, 0, 2, 3, 2, 2},
    {1, 1, 1, 1, 3, 3, 0, 0, 0, 0, 1, 1, 1, 1}, {4, 4, 4, 4, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1},
    {3, 5, 5, 5, 2, 2, 1, 1, 0, 0, 1, 1, 1, 1}, {8, 8, 2, 2, 2, 2, 0, 1, 0, 1, 1, 1, 4, 4},
    {6, 7, 3, 3, 1, 1, 2, 0, 1, 3, 2, 1, 4, 9}, {11, 13, 5, 3, 4, 3, 1, 2, 0, 1, 1, 2, 3, 4},
};

/* Same for F.conv_transpose2d: H W kh kw sh sw ph pw dh dw oph opw -> OH OW */
static const int tconv_cases[][14] = {
    {4, 4, 4, 4, 2, 2, 1, 1, 1, 1, 0, 0, 8, 8},   {7, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 14, 10},
    {1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1},   {3, 4, 2, 3, 3, 2, 0, 1, 2, 1, 2, 1, 11, 8},
    {5, 5, 3, 3, 1, 1, 2, 1, 3, 2, 2, 1, 9, 8},   {2, 3, 5, 1, 4, 1, 3, 0, 1, 1, 3, 0, 6, 3},
    {8, 8, 1, 1, 2, 2, 0, 0, 1, 1, 1, 0, 16, 15},
};

START_TEST(test_output_shape_torch_cases)
{
    char what[64];
    for (size_t i = 0; i < sizeof conv_cases / sizeof conv_cases[0]; i++) {
        const int *c = conv_cases[i];
        clconv_desc d;
        clconv_desc_init(&d, CLCONV_CONV2D, 3, 5, c[2], c[3]);
        d.stride_h = c[4];
        d.stride_w = c[5];
        d.pad_top = c[6];
        d.pad_bottom = c[7];
        d.pad_left = c[8];
        d.pad_right = c[9];
        d.dilation_h = c[10];
        d.dilation_w = c[11];
        const int in[4] = {2, 3, c[0], c[1]};
        snprintf(what, sizeof what, "conv case %zu", i);
        expect_shape(what, &d, in, c[12], c[13]);
    }
    for (size_t i = 0; i < sizeof tconv_cases / sizeof tconv_cases[0]; i++) {
        const int *c = tconv_cases[i];
        clconv_desc d;
        clconv_desc_init(&d, CLCONV_CONV_TRANSPOSE2D, 4, 6, c[2], c[3]);
        d.groups = 2;
        d.stride_h = c[4];
        d.stride_w = c[5];
        d.pad_top = d.pad_bottom = c[6];
        d.pad_left = d.pad_right = c[7];
        d.dilation_h = c[8];
        d.dilation_w = c[9];
        d.output_padding_h = c[10];
        d.output_padding_w = c[11];
        const int in[4] = {3, 4, c[0], c[1]};
        snprintf(what, sizeof what, "tconv case %zu", i);
        expect_shape(what, &d, in, c[12], c[13]);
    }
}
END_TEST

/* torch's formulas over a grid, written independently of the library's code. */
START_TEST(test_output_shape_formula_grid)
{
    int checked = 0;
    char what[160];
    for (int h = 1; h <= 9; h += 2)
        for (int k = 1; k <= 5; k++)
            for (int s = 1; s <= 3; s++)
                for (int dil = 1; dil <= 3; dil++)
                    for (int pt = 0; pt <= 3; pt++)
                        for (int pb = 0; pb <= 2; pb++) {
                            clconv_desc d;
                            clconv_desc_init(&d, CLCONV_CONV2D, 2, 2, k, 1);
                            d.stride_h = s;
                            d.dilation_h = dil;
                            d.pad_top = pt;
                            d.pad_bottom = pb;
                            const int in[4] = {1, 2, h, 3};
                            int num = h + pt + pb - dil * (k - 1) - 1;
                            snprintf(what, sizeof what, "conv h %d k %d s %d dil %d pad %d,%d", h,
                                     k, s, dil, pt, pb);
                            if (num < 0) {
                                expect_reject(what, &d, in, CLCONV_ERROR_INVALID_ARGUMENT, "empty");
                            } else {
                                expect_shape(what, &d, in, num / s + 1, 3);
                                checked++;
                            }
                            d.kind = CLCONV_CONV_TRANSPOSE2D;
                            for (int op = 0; op < (s > dil ? s : dil); op++) {
                                d.output_padding_h = op;
                                int oh = (h - 1) * s - pt - pb + dil * (k - 1) + op + 1;
                                snprintf(what, sizeof what,
                                         "tconv h %d k %d s %d dil %d pad %d,%d op %d", h, k, s,
                                         dil, pt, pb, op);
                                if (oh < 1) {
                                    expect_reject(what, &d, in, CLCONV_ERROR_INVALID_ARGUMENT,
                                                  "empty");
                                } else {
                                    expect_shape(what, &d, in, oh, 3);
                                    checked++;
                                }
                            }
                        }
    ck_assert_int_gt(checked, 2000);
}
END_TEST

START_TEST(test_tensor_sizes)
{
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 6, 9, 3, 2);
    d.groups = 3;
    d.stride_h = 2;
    const int in[4] = {2, 6, 7, 5};
    size_t ni = 0, nw = 0, nb = 0, no = 0;
    ck_assert_int_eq(clconv_tensor_sizes(&d, in, &ni, &nw, &nb, &no), CLCONV_SUCCESS);
    ck_assert_uint_eq(ni, 2 * 6 * 7 * 5);
    ck_assert_uint_eq(nw, 9 * 2 * 3 * 2); /* (Cout, Cin/groups, kh, kw) */
    ck_assert_uint_eq(nb, 9);
    ck_assert_uint_eq(no, 2 * 9 * 3 * 4);
    d.bias = 0;
    ck_assert_int_eq(clconv_tensor_sizes(&d, in, NULL, NULL, &nb, NULL), CLCONV_SUCCESS);
    ck_assert_uint_eq(nb, 0);
    clconv_desc_init(&d, CLCONV_CONV_TRANSPOSE2D, 6, 9, 3, 2);
    d.groups = 3;
    ck_assert_int_eq(clconv_tensor_sizes(&d, in, NULL, &nw, &nb, &no), CLCONV_SUCCESS);
    ck_assert_uint_eq(nw, 6 * 3 * 3 * 2); /* (Cin, Cout/groups, kh, kw) */
    ck_assert_uint_eq(nb, 9);
    ck_assert_uint_eq(no, 2 * 9 * 9 * 6);
}
END_TEST

START_TEST(test_padding_same)
{
    /* kernel, dilation -> top, bottom (torch: total dil*(k-1), the odd one at the end) */
    static const int cases[][4] = {{1, 1, 0, 0}, {3, 1, 1, 1}, {4, 1, 1, 2}, {5, 1, 2, 2},
                                   {6, 1, 2, 3}, {3, 2, 2, 2}, {4, 2, 3, 3}, {2, 3, 1, 2}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const int *c = cases[i];
        clconv_desc d;
        /* rows use the case, columns the next one: each axis is independent */
        const int *cw = cases[(i + 1) % (sizeof cases / sizeof cases[0])];
        clconv_desc_init(&d, CLCONV_CONV2D, 2, 3, c[0], cw[0]);
        d.dilation_h = c[1];
        d.dilation_w = cw[1];
        ck_assert_int_eq(clconv_desc_set_padding_same(&d), CLCONV_SUCCESS);
        ck_assert_msg(d.pad_top == c[2] && d.pad_bottom == c[3] && d.pad_left == cw[2] &&
                          d.pad_right == cw[3],
                      "k %dx%d dil %dx%d: pads t%d b%d l%d r%d", c[0], cw[0], c[1], cw[1],
                      d.pad_top, d.pad_bottom, d.pad_left, d.pad_right);
        /* 'same' keeps the spatial size, in every padding mode that allows the padding */
        for (int mode = 0; mode <= CLCONV_PADDING_CIRCULAR; mode++) {
            d.padding_mode = (clconv_padding_mode)mode;
            const int in[4] = {1, 2, 7, 8};
            char what[64];
            snprintf(what, sizeof what, "same case %zu mode %d", i, mode);
            expect_shape(what, &d, in, 7, 8);
        }
    }
}
END_TEST

START_TEST(test_padding_same_rejections)
{
    ck_assert_int_eq(clconv_desc_set_padding_same(NULL), CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "desc is NULL"));
    clconv_desc d, before;
    clconv_desc_init(&d, CLCONV_CONV2D, 2, 3, 3, 3);
    d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 7; /* must survive rejections */
    d.stride_h = 2;
    before = d;
    ck_assert_int_eq(clconv_desc_set_padding_same(&d), CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "stride_h = 2"));
    ck_assert_int_eq(memcmp(&d, &before, sizeof d), 0);
    d.stride_h = 1;
    d.stride_w = 3;
    before = d;
    ck_assert_int_eq(clconv_desc_set_padding_same(&d), CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "stride_w = 3"));
    ck_assert_int_eq(memcmp(&d, &before, sizeof d), 0);
    d.stride_w = 1;
    d.kind = CLCONV_CONV_TRANSPOSE2D;
    before = d;
    ck_assert_int_eq(clconv_desc_set_padding_same(&d), CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "kind = 1"));
    ck_assert_int_eq(memcmp(&d, &before, sizeof d), 0);
    d.kind = CLCONV_CONV2D;
    d.kernel_w = 0;
    ck_assert_int_eq(clconv_desc_set_padding_same(&d), CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "kernel_w = 0"));
    d.kernel_w = 3;
    d.dilation_h = -2;
    ck_assert_int_eq(clconv_desc_set_padding_same(&d), CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "dilation_h = -2"));
    ck_assert_int_eq(d.pad_top, 7);
}
END_TEST

static Suite *desc_suite(void)
{
    Suite *s = suite_create("desc");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_desc_init_defaults);
    tcase_add_test(tc, test_output_shape_torch_cases);
    tcase_add_test(tc, test_output_shape_formula_grid);
    tcase_add_test(tc, test_tensor_sizes);
    tcase_add_test(tc, test_padding_same);
    tcase_add_test(tc, test_padding_same_rejections);
    desc_errors_add_tests(tc);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(desc_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
