/* Fuzz target: clconv_count_ops and the moduleprofiler comparison count. Accepted layers are
 * checked against independent 128-bit arithmetic; rejected ones leave *count untouched. */
#include <stdint.h>
#include <string.h>

#include <clconv.h>

#include "fuzz_input.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input in = {data, size};
    clconv_desc d;
    memset(&d, 0, sizeof d);
    int shape[4];
    fuzz_read_desc(&in, &d, shape);
    /* ConvTranspose2d counts loop over the kernel taps (O(kh + kw), as documented): a valid
     * layer with a 2^31-tap kernel takes seconds, which would starve the fuzzer. The overflow
     * paths stay reachable through the other extents. */
    if (d.kind == CLCONV_CONV_TRANSPOSE2D && (d.kernel_h > 4096 || d.kernel_w > 4096))
        return 0;

    clconv_op_count c, untouched;
    memset(&c, 0x5a, sizeof c);
    untouched = c;
    clconv_status st = clconv_count_ops(&d, shape, &c);
    int out[4];
    clconv_status shape_st = clconv_output_shape(&d, shape, out);
    if (st != CLCONV_SUCCESS) {
        CHECK(st == CLCONV_ERROR_INVALID_ARGUMENT || st == CLCONV_ERROR_TOO_LARGE);
        CHECK(!memcmp(&c, &untouched, sizeof c));
        /* only an overflowing count may reject a layer the shape check accepts */
        CHECK(shape_st != CLCONV_SUCCESS || st == CLCONV_ERROR_TOO_LARGE);
    } else {
        CHECK(shape_st == CLCONV_SUCCESS);
        const unsigned __int128 N = (unsigned)shape[0], cin = (unsigned)d.in_channels,
                                cout = (unsigned)d.out_channels, g = (unsigned)d.groups,
                                kh = (unsigned)d.kernel_h, kw = (unsigned)d.kernel_w;
        const unsigned __int128 outputs = N * cout * (unsigned)out[2] * (unsigned)out[3];
        unsigned __int128 macs =
            d.kind == CLCONV_CONV2D
                ? outputs * (cin / g) * kh * kw
                : N * cin * (cout / g) * kh * kw * (unsigned)shape[2] * (unsigned)shape[3];
        CHECK(macs == c.macs);
        CHECK((unsigned __int128)c.macs * 2 + (d.bias ? outputs : 0) == c.flops);
        if (d.kind == CLCONV_CONV2D)
            CHECK(c.exact_ops == outputs * (2 * (cin / g) * kh * kw - (d.bias ? 0 : 1)));
        else
            CHECK(c.exact_ops <= (unsigned __int128)2 * N * cout * (cin / g) * kh * kw *
                                     (unsigned)shape[2] * (unsigned)shape[3]);
        size_t ic, wc, bc, oc;
        CHECK(clconv_tensor_sizes(&d, shape, &ic, &wc, &bc, &oc) == CLCONV_SUCCESS);
        CHECK(((unsigned __int128)ic + wc + bc + oc) * clconv_dtype_size(d.dtype) == c.bytes);
        CHECK(c.bytes > 0 && c.intensity >= 0);
    }

    uint64_t ops = 0x1234;
    int64_t apf = 0x1234;
    st = clconv_count_ops_moduleprofiler_tconv(&d, shape, &ops, &apf);
    if (st != CLCONV_SUCCESS)
        CHECK(ops == 0x1234 && apf == 0x1234);
    else
        CHECK(d.kind == CLCONV_CONV_TRANSPOSE2D && shape_st == CLCONV_SUCCESS);
    return 0;
}
