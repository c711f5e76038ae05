/* Fuzz target: descriptor validation, output shapes, tensor sizes and padding='same'.
 * Checks every accepted layer against an independent 128-bit computation of torch's shape
 * rules, and that rejected calls leave their outputs untouched and name a reason. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <clconv.h>

#include "fuzz_input.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

/* torch's output extent, in 128 bits. */
static __int128 extent(const clconv_desc *d, int in, int k, int s, int lo, int hi, int dil, int op)
{
    __int128 span = (__int128)dil * (k - 1);
    if (d->kind == CLCONV_CONV2D) {
        __int128 padded = (__int128)in + lo + hi;
        if (padded < span + 1)
            return 0;
        return (padded - span - 1) / s + 1;
    }
    return ((__int128)in - 1) * s - lo - hi + span + op + 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input in = {data, size};
    clconv_desc d;
    memset(&d, 0, sizeof d);
    int shape[4];
    fuzz_read_desc(&in, &d, shape);

    int out[4] = {-7, -7, -7, -7};
    clconv_status st = clconv_output_shape(&d, shape, out);
    if (st != CLCONV_SUCCESS) {
        CHECK(st == CLCONV_ERROR_INVALID_ARGUMENT || st == CLCONV_ERROR_TOO_LARGE);
        CHECK(out[0] == -7 && out[1] == -7 && out[2] == -7 && out[3] == -7);
        CHECK(clconv_last_error()[0] != '\0');
    } else {
        CHECK(out[0] == shape[0] && out[1] == d.out_channels);
        __int128 oh = extent(&d, shape[2], d.kernel_h, d.stride_h, d.pad_top, d.pad_bottom,
                             d.dilation_h, d.output_padding_h);
        __int128 ow = extent(&d, shape[3], d.kernel_w, d.stride_w, d.pad_left, d.pad_right,
                             d.dilation_w, d.output_padding_w);
        CHECK(oh == out[2] && ow == out[3] && out[2] >= 1 && out[3] >= 1);
        CHECK(d.in_channels % d.groups == 0 && d.out_channels % d.groups == 0);
        size_t ic = 0, wc = 0, bc = 0, oc = 0;
        CHECK(clconv_tensor_sizes(&d, shape, &ic, &wc, &bc, &oc) == CLCONV_SUCCESS);
        unsigned __int128 e_in = (unsigned __int128)shape[0] * shape[1] * shape[2] * shape[3];
        unsigned __int128 e_out = (unsigned __int128)out[0] * out[1] * out[2] * out[3];
        unsigned __int128 e_w =
            (unsigned __int128)(d.kind == CLCONV_CONV2D ? d.out_channels : d.in_channels) *
            (unsigned)((d.kind == CLCONV_CONV2D ? d.in_channels : d.out_channels) / d.groups) *
            (unsigned)d.kernel_h * (unsigned)d.kernel_w;
        CHECK(e_in == ic && e_out == oc && e_w == wc);
        CHECK(bc == (d.bias ? (size_t)d.out_channels : 0));
        CHECK(ic <= SIZE_MAX / 4 && oc <= SIZE_MAX / 4 && wc <= SIZE_MAX / 4);
    }

    clconv_desc same = d, before = d;
    st = clconv_desc_set_padding_same(&same);
    if (st != CLCONV_SUCCESS) {
        CHECK(!memcmp(&same, &before, sizeof same));
    } else {
        int64_t th = (int64_t)d.dilation_h * (d.kernel_h - 1);
        int64_t tw = (int64_t)d.dilation_w * (d.kernel_w - 1);
        CHECK(same.pad_top + (int64_t)same.pad_bottom == th);
        CHECK(same.pad_left + (int64_t)same.pad_right == tw);
        CHECK(same.pad_bottom - same.pad_top == (int)(th & 1));
        /* 'same' keeps the spatial size wherever the layer is valid */
        if (clconv_output_shape(&same, shape, out) == CLCONV_SUCCESS)
            CHECK(out[2] == shape[2] && out[3] == shape[3]);
    }
    return 0;
}
