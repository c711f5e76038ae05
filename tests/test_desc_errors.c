/* Descriptor rejections, the status and algorithm names, clconv_reference's argument checks. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clconv.h>

#include "tests/test_desc.h"

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

void desc_errors_add_tests(TCase *tc)
{
    tcase_add_test(tc, test_reject_fields);
    tcase_add_test(tc, test_reject_mode_padding);
    tcase_add_test(tc, test_reject_input_shape);
    tcase_add_test(tc, test_reject_empty_output);
    tcase_add_test(tc, test_reject_overflow);
    tcase_add_test(tc, test_status_strings);
    tcase_add_test(tc, test_algo_names);
    tcase_add_test(tc, test_reference_rejects);
}
