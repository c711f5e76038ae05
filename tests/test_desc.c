/* Descriptor defaults, output shapes, 'same' padding and every rejection (host only). */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clconv.h>

#include "tests/common.h"

/* Expects output_shape to fail with status and a message containing needle, and
 * output_nchw to keep its sentinel. what names the case in failure messages. */
static void expect_reject(const char *what, const clconv_desc *d, const int in[4],
                          clconv_status status, const char *needle)
{
    int out[4] = {-77, -77, -77, -77};
    clconv_status st = clconv_output_shape(d, in, out);
    ck_assert_msg(st == status, "%s: status %s, expected %s (message \"%s\")", what,
                  clconv_status_name(st), clconv_status_name(status), clconv_last_error());
    ck_assert_msg(strstr(clconv_last_error(), needle) != NULL,
                  "%s: message \"%s\" does not contain \"%s\"", what, clconv_last_error(), needle);
    for (int i = 0; i < 4; i++)
        ck_assert_msg(out[i] == -77, "%s: output_nchw[%d] written on error", what, i);
    /* tensor_sizes validates the same way and writes nothing either */
    size_t count = 12345;
    st = clconv_tensor_sizes(d, in, &count, NULL, NULL, NULL);
    ck_assert_msg(st == status && count == 12345, "%s: tensor_sizes status %s", what,
                  clconv_status_name(st));
}

static void expect_shape(const char *what, const clconv_desc *d, const int in[4], int oh, int ow)
{
    int out[4] = {0, 0, 0, 0};
    clconv_status st = clconv_output_shape(d, in, out);
    ck_assert_msg(st == CLCONV_SUCCESS, "%s: %s: %s", what, clconv_status_name(st),
                  clconv_last_error());
    ck_assert_msg(out[0] == in[0] && out[1] == d->out_channels && out[2] == oh && out[3] == ow,
                  "%s: output %dx%dx%dx%d, expected %dx%dx%dx%d", what, out[0], out[1], out[2],
                  out[3], in[0], d->out_channels, oh, ow);
}

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

/* A valid Conv2d base the rejection cases modify one field at a time. */
static void base_conv(clconv_desc *d, int in[4])
{
    clconv_desc_init(d, CLCONV_CONV2D, 4, 6, 3, 3);
    d->groups = 2;
    in[0] = 2;
    in[1] = 4;
    in[2] = 6;
    in[3] = 5;
}

static void base_tconv(clconv_desc *d, int in[4])
{
    clconv_desc_init(d, CLCONV_CONV_TRANSPOSE2D, 4, 6, 3, 3);
    d->groups = 2;
    d->stride_h = d->stride_w = 2;
    in[0] = 2;
    in[1] = 4;
    in[2] = 6;
    in[3] = 5;
}

START_TEST(test_reject_fields)
{
    clconv_desc d;
    int in[4], out[4];
    base_conv(&d, in);
    ck_assert_int_eq(clconv_output_shape(&d, in, out), CLCONV_SUCCESS);
    base_tconv(&d, in);
    ck_assert_int_eq(clconv_output_shape(&d, in, out), CLCONV_SUCCESS);

#define FIELD_CASE(base, field, value, needle)                                                     \
    do {                                                                                           \
        base(&d, in);                                                                              \
        d.field = value;                                                                           \
        expect_reject(#base ": " #field " = " #value, &d, in, CLCONV_ERROR_INVALID_ARGUMENT,       \
                      needle);                                                                     \
    } while (0)

    FIELD_CASE(base_conv, kind, (clconv_kind)5, "kind = 5");
    FIELD_CASE(base_conv, kind, (clconv_kind)-1, "kind = -1");
    FIELD_CASE(base_conv, dtype, (clconv_dtype)2, "dtype = 2");
    FIELD_CASE(base_conv, padding_mode, (clconv_padding_mode)4, "padding_mode = 4");
    FIELD_CASE(base_conv, padding_mode, (clconv_padding_mode)-1, "padding_mode = -1");
    for (int pass = 0; pass < 2; pass++) {
        /* the same checks on both kinds */
        void (*base)(clconv_desc *, int *) = pass ? base_tconv : base_conv;
        FIELD_CASE(base, in_channels, 0, "in_channels = 0");
        FIELD_CASE(base, out_channels, -3, "out_channels = -3");
        FIELD_CASE(base, groups, 0, "groups = 0");
        FIELD_CASE(base, kernel_h, 0, "kernel_h = 0");
        FIELD_CASE(base, kernel_w, -1, "kernel_w = -1");
        FIELD_CASE(base, stride_h, 0, "stride_h = 0");
        FIELD_CASE(base, stride_w, -2, "stride_w = -2");
        FIELD_CASE(base, dilation_h, 0, "dilation_h = 0");
        FIELD_CASE(base, dilation_w, 0, "dilation_w = 0");
        FIELD_CASE(base, pad_top, -1, "pad_top = -1");
        FIELD_CASE(base, pad_bottom, -2, "pad_bottom = -2");
        FIELD_CASE(base, pad_left, -3, "pad_left = -3");
        FIELD_CASE(base, pad_right, -4, "pad_right = -4");
        FIELD_CASE(base, output_padding_h, -1, "output_padding_h = -1");
        FIELD_CASE(base, output_padding_w, -1, "output_padding_w = -1");
        FIELD_CASE(base, groups, 3, "in_channels = 4: must be divisible by groups = 3");
        /* in_channels divisible by 4 but out_channels 6 is not */
        FIELD_CASE(base, groups, 4, "out_channels = 6: must be divisible by groups = 4");
    }
    /* output padding belongs to ConvTranspose2d only */
    FIELD_CASE(base_conv, output_padding_h, 1, "output_padding_h = 1");
    FIELD_CASE(base_conv, output_padding_w, 1, "output_padding_w = 1");
    /* ConvTranspose2d: zeros padding only, as torch */
    FIELD_CASE(base_tconv, padding_mode, CLCONV_PADDING_REFLECT, "padding_mode = 1");
    FIELD_CASE(base_tconv, padding_mode, CLCONV_PADDING_REPLICATE, "padding_mode = 2");
    FIELD_CASE(base_tconv, padding_mode, CLCONV_PADDING_CIRCULAR, "padding_mode = 3");
    /* output padding must be smaller than stride (2 here) or dilation (1 here) */
    FIELD_CASE(base_tconv, output_padding_h, 2, "output_padding_h = 2");
    FIELD_CASE(base_tconv, output_padding_w, 3, "output_padding_w = 3");
#undef FIELD_CASE

    /* accepted below stride; then below dilation only (stride 1) */
    base_tconv(&d, in);
    d.output_padding_h = d.output_padding_w = 1;
    expect_shape("op 1 < stride 2", &d, in, 5 * 2 + 2 + 1 + 1, 4 * 2 + 2 + 1 + 1);
    d.stride_h = d.stride_w = 1;
    d.dilation_h = 3;
    d.dilation_w = 2;
    d.output_padding_h = 2;
    d.output_padding_w = 1;
    expect_shape("op < dilation only", &d, in, 5 + 6 + 2 + 1, 4 + 4 + 1 + 1);
    d.output_padding_h = 3;
    expect_reject("op_h = dilation_h", &d, in, CLCONV_ERROR_INVALID_ARGUMENT,
                  "output_padding_h = 3");
    d.output_padding_h = 2;
    d.output_padding_w = 2;
    expect_reject("op_w = dilation_w", &d, in, CLCONV_ERROR_INVALID_ARGUMENT,
                  "output_padding_w = 2");
    d.output_padding_w = 1;
    d.dilation_h = 1;
    expect_reject("op_h with stride 1 dilation 1", &d, in, CLCONV_ERROR_INVALID_ARGUMENT,
                  "output_padding_h = 2");
}
END_TEST

START_TEST(test_reject_mode_padding)
{
    clconv_desc d;
    int in[4];
    base_conv(&d, in); /* H 6, W 5 */
    const char *sides[4] = {"pad_top", "pad_bottom", "pad_left", "pad_right"};
    for (int side = 0; side < 4; side++) {
        int *pads[4] = {&d.pad_top, &d.pad_bottom, &d.pad_left, &d.pad_right};
        const int extent = side < 2 ? in[2] : in[3];
        char what[96], needle[64];
        /* reflect: pad < size */
        base_conv(&d, in);
        d.padding_mode = CLCONV_PADDING_REFLECT;
        *pads[side] = extent - 1;
        snprintf(what, sizeof what, "reflect %s = size - 1", sides[side]);
        int out[4];
        ck_assert_msg(clconv_output_shape(&d, in, out) == CLCONV_SUCCESS, "%s: %s", what,
                      clconv_last_error());
        *pads[side] = extent;
        snprintf(what, sizeof what, "reflect %s = size", sides[side]);
        snprintf(needle, sizeof needle, "%s = %d", sides[side], extent);
        expect_reject(what, &d, in, CLCONV_ERROR_INVALID_ARGUMENT, needle);
        /* circular: pad <= size */
        d.padding_mode = CLCONV_PADDING_CIRCULAR;
        snprintf(what, sizeof what, "circular %s = size", sides[side]);
        ck_assert_msg(clconv_output_shape(&d, in, out) == CLCONV_SUCCESS, "%s: %s", what,
                      clconv_last_error());
        *pads[side] = extent + 1;
        snprintf(what, sizeof what, "circular %s = size + 1", sides[side]);
        snprintf(needle, sizeof needle, "%s = %d", sides[side], extent + 1);
        expect_reject(what, &d, in, CLCONV_ERROR_INVALID_ARGUMENT, needle);
        /* zeros and replicate take any padding */
        *pads[side] = 3 * extent;
        d.padding_mode = CLCONV_PADDING_REPLICATE;
        ck_assert_int_eq(clconv_output_shape(&d, in, out), CLCONV_SUCCESS);
        d.padding_mode = CLCONV_PADDING_ZEROS;
        ck_assert_int_eq(clconv_output_shape(&d, in, out), CLCONV_SUCCESS);
    }
}
END_TEST

START_TEST(test_reject_input_shape)
{
    clconv_desc d;
    int in[4];
    static const char *const names[4] = {"input N", "input C", "input H", "input W"};
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < 4; i++) {
            if (pass)
                base_tconv(&d, in);
            else
                base_conv(&d, in);
            for (int v = 0; v >= -1; v--) {
                in[i] = v;
                char needle[48];
                snprintf(needle, sizeof needle, "%s = %d", names[i], v);
                expect_reject(needle, &d, in, CLCONV_ERROR_INVALID_ARGUMENT, needle);
            }
        }
    base_conv(&d, in);
    in[1] = 3;
    expect_reject("C != in_channels", &d, in, CLCONV_ERROR_INVALID_ARGUMENT,
                  "input C = 3: must equal in_channels = 4");
    base_tconv(&d, in);
    in[1] = 8;
    expect_reject("tconv C != in_channels", &d, in, CLCONV_ERROR_INVALID_ARGUMENT, "input C = 8");

    /* NULL arguments */
    int out[4] = {-77, -77, -77, -77};
    base_conv(&d, in);
    ck_assert_int_eq(clconv_output_shape(NULL, in, out), CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "desc is NULL"));
    ck_assert_int_eq(clconv_output_shape(&d, NULL, out), CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "input_nchw is NULL"));
    ck_assert_int_eq(clconv_output_shape(&d, in, NULL), CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "output_nchw is NULL"));
    ck_assert_int_eq(out[0], -77);
}
END_TEST

START_TEST(test_reject_empty_output)
{
    clconv_desc d;
    int in[4];
    base_conv(&d, in); /* H 6 W 5 */
    d.kernel_w = 6;
    expect_reject("kernel wider than input", &d, in, CLCONV_ERROR_INVALID_ARGUMENT, "empty");
    d.pad_left = 1;
    int out[4];
    ck_assert_int_eq(clconv_output_shape(&d, in, out), CLCONV_SUCCESS); /* fits with padding */
    ck_assert_int_eq(out[3], 1);
    base_conv(&d, in);
    d.dilation_h = 3; /* span 7 > 6 */
    expect_reject("dilated kernel taller than input", &d, in, CLCONV_ERROR_INVALID_ARGUMENT,
                  "empty");
    base_tconv(&d, in);
    d.kernel_h = 1;
    d.stride_h = 1;
    in[2] = 1;
    d.pad_top = 1;
    expect_reject("tconv cropped to nothing", &d, in, CLCONV_ERROR_INVALID_ARGUMENT, "empty");
    d.pad_top = 0;
    ck_assert_int_eq(clconv_output_shape(&d, in, out), CLCONV_SUCCESS);
    ck_assert_int_eq(out[2], 1);
}
END_TEST

START_TEST(test_reject_overflow)
{
    clconv_desc d;
    /* element counts beyond size_t */
    clconv_desc_init(&d, CLCONV_CONV2D, INT_MAX, 1, 1, 1);
    int in[4] = {INT_MAX, INT_MAX, INT_MAX, INT_MAX};
    expect_reject("huge input", &d, in, CLCONV_ERROR_TOO_LARGE, "overflow");
    /* 2^62 * 2 elements fit size_t but not as bytes */
    clconv_desc_init(&d, CLCONV_CONV2D, INT_MAX, INT_MAX, 1, 1);
    int in2[4] = {INT_MAX, INT_MAX, 2, 1};
    expect_reject("bytes overflow", &d, in2, CLCONV_ERROR_TOO_LARGE, "overflow");
    /* weight (Cout * Cin * kh * kw) overflows */
    clconv_desc_init(&d, CLCONV_CONV2D, INT_MAX, INT_MAX, INT_MAX / 2, 3);
    d.pad_top = d.pad_bottom = INT_MAX / 2;
    int in3[4] = {1, INT_MAX, 1, 3};
    expect_reject("huge weight", &d, in3, CLCONV_ERROR_TOO_LARGE, "overflow");
    /* ConvTranspose2d output extent beyond int */
    clconv_desc_init(&d, CLCONV_CONV_TRANSPOSE2D, 1, 1, 1, 1);
    d.stride_h = 1 << 20;
    int in4[4] = {1, 1, 1 << 12, 2};
    expect_reject("tconv output extent", &d, in4, CLCONV_ERROR_TOO_LARGE, "overflows int");
    /* 'same' with a huge dilation */
    clconv_desc_init(&d, CLCONV_CONV2D, 1, 1, 5, 5);
    d.dilation_h = INT_MAX;
    ck_assert_int_eq(clconv_desc_set_padding_same(&d), CLCONV_ERROR_TOO_LARGE);
    ck_assert_int_eq(d.pad_top, 0);
}
END_TEST

START_TEST(test_status_strings)
{
    const char *seen_names[CLCONV_STATUS_COUNT_];
    for (int s = 0; s < CLCONV_STATUS_COUNT_; s++) {
        const char *name = clconv_status_name((clconv_status)s);
        const char *text = clconv_status_string((clconv_status)s);
        ck_assert_ptr_nonnull(name);
        ck_assert_ptr_nonnull(text);
        ck_assert_msg(!strncmp(name, "CLCONV_", 7), "status %d name \"%s\"", s, name);
        ck_assert_msg(strcmp(text, "unknown status") != 0 && text[0], "status %d text", s);
        for (int t = 0; t < s; t++)
            ck_assert_msg(strcmp(name, seen_names[t]) != 0, "duplicate name %s", name);
        seen_names[s] = name;
    }
    ck_assert_str_eq(clconv_status_name(CLCONV_SUCCESS), "CLCONV_SUCCESS");
    ck_assert_str_eq(clconv_status_name(CLCONV_ERROR_BUILD), "CLCONV_ERROR_BUILD");
    ck_assert_str_eq(clconv_status_name(CLCONV_ERROR_OPENCL), "CLCONV_ERROR_OPENCL");
    ck_assert_str_eq(clconv_status_string(CLCONV_SUCCESS), "success");
    ck_assert_str_eq(clconv_status_string(CLCONV_ERROR_INVALID_ARGUMENT), "invalid argument");
    ck_assert_str_eq(clconv_status_name(CLCONV_STATUS_COUNT_), "unknown");
    ck_assert_str_eq(clconv_status_name((clconv_status)-1), "unknown");
    ck_assert_str_eq(clconv_status_string(CLCONV_STATUS_COUNT_), "unknown status");
    ck_assert_str_eq(clconv_status_string((clconv_status)1000), "unknown status");
}
END_TEST

START_TEST(test_algo_names)
{
    static const char *const names[CLCONV_ALGO_COUNT_] = {"auto",  "direct",    "gemm",
                                                          "tiled", "depthwise", "winograd"};
    for (int a = 0; a < CLCONV_ALGO_COUNT_; a++) {
        ck_assert_str_eq(clconv_algo_name((clconv_algo)a), names[a]);
        clconv_algo parsed = (clconv_algo)-1;
        ck_assert_int_eq(clconv_algo_from_name(names[a], &parsed), CLCONV_SUCCESS);
        ck_assert_int_eq(parsed, a);
        char upper[32];
        size_t n = strlen(names[a]);
        for (size_t i = 0; i <= n; i++)
            upper[i] =
                (char)(names[a][i] >= 'a' && names[a][i] <= 'z' ? names[a][i] - 32 : names[a][i]);
        parsed = (clconv_algo)-1;
        ck_assert_int_eq(clconv_algo_from_name(upper, &parsed), CLCONV_SUCCESS);
        ck_assert_int_eq(parsed, a);
    }
    ck_assert_str_eq(clconv_algo_name(CLCONV_ALGO_COUNT_), "unknown");
    ck_assert_str_eq(clconv_algo_name((clconv_algo)-3), "unknown");
    clconv_algo parsed = CLCONV_ALGO_DIRECT;
    ck_assert_int_eq(clconv_algo_from_name("winograd-fft", &parsed), CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "winograd-fft"));
    ck_assert_int_eq(parsed, CLCONV_ALGO_DIRECT);
    ck_assert_int_eq(clconv_algo_from_name("", &parsed), CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(clconv_algo_from_name(NULL, &parsed), CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "name is NULL"));
    ck_assert_int_eq(clconv_algo_from_name("direct", NULL), CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "algo is NULL"));
}
END_TEST

START_TEST(test_reference_rejects)
{
    clconv_desc d;
    int in[4];
    base_conv(&d, in);
    size_t ni, nw, nb, no;
    ck_assert_int_eq(clconv_tensor_sizes(&d, in, &ni, &nw, &nb, &no), CLCONV_SUCCESS);
    float *x = calloc(ni, sizeof *x), *w = calloc(nw, sizeof *w), *b = calloc(nb, sizeof *b);
    float *y = malloc(no * sizeof *y);
    ck_assert(x && w && b && y);
    for (size_t i = 0; i < no; i++)
        y[i] = -5.0f;
    ck_assert_int_eq(clconv_reference(&d, in, NULL, w, b, y), CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "input is NULL"));
    ck_assert_int_eq(clconv_reference(&d, in, x, NULL, b, y), CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "weight is NULL"));
    ck_assert_int_eq(clconv_reference(&d, in, x, w, NULL, y), CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "bias is NULL"));
    ck_assert_int_eq(clconv_reference(&d, in, x, w, b, NULL), CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "output is NULL"));
    d.stride_h = 0;
    ck_assert_int_eq(clconv_reference(&d, in, x, w, b, y), CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "stride_h = 0"));
    for (size_t i = 0; i < no; i++)
        ck_assert_msg(y[i] == -5.0f, "output[%zu] written by a rejected call", i);
    /* bias may be NULL without bias; zero data then gives zero output */
    d.stride_h = 1;
    d.bias = 0;
    ck_assert_int_eq(clconv_reference(&d, in, x, w, NULL, y), CLCONV_SUCCESS);
    for (size_t i = 0; i < no; i++)
        ck_assert_msg(y[i] == 0.0f, "output[%zu] = %g", i, y[i]);
    free(x);
    free(w);
    free(b);
    free(y);
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
    tcase_add_test(tc, test_reject_fields);
    tcase_add_test(tc, test_reject_mode_padding);
    tcase_add_test(tc, test_reject_input_shape);
    tcase_add_test(tc, test_reject_empty_output);
    tcase_add_test(tc, test_reject_overflow);
    tcase_add_test(tc, test_status_strings);
    tcase_add_test(tc, test_algo_names);
    tcase_add_test(tc, test_reference_rejects);
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
