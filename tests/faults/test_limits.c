/* Size limits and aliasing. Every size computation is probed on both sides of its limit:
 * the last accepted value must give the exact (128-bit checked) result, the first rejected
 * one a CLCONV_ERROR_TOO_LARGE (or INVALID_ARGUMENT) whose message names what overflowed.
 * Enqueue must reject an output that is also an input or the workspace, and leave it
 * untouched. */
#include <check.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "layerspec.h"
#include "tests/common.h"

#define BIG (1 << 30) /* 2^30: powers of two make the limits exact */

static clconv_desc conv(int cin, int cout, int kh, int kw)
{
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, cin, cout, kh, kw);
    d.bias = 0;
    return d;
}

static void expect_ok_shape(const char *what, const clconv_desc *d, const int in[4],
                            const int want[4])
{
    int out[4];
    clconv_status st = clconv_output_shape(d, in, out);
    ck_assert_msg(st == CLCONV_SUCCESS, "%s: %s: %s", what, clconv_status_name(st),
                  clconv_last_error());
    for (int i = 0; i < 4; i++)
        ck_assert_msg(out[i] == want[i], "%s: output[%d] = %d, expected %d", what, i, out[i],
                      want[i]);
}

static void expect_reject(const char *what, const clconv_desc *d, const int in[4],
                          clconv_status want, const char *needle)
{
    int out[4] = {-1, -1, -1, -1};
    clconv_status st = clconv_output_shape(d, in, out);
    ck_assert_msg(st == want, "%s: %s, expected %s (%s)", what, clconv_status_name(st),
                  clconv_status_name(want), clconv_last_error());
    ck_assert_msg(strstr(clconv_last_error(), needle), "%s: message \"%s\" lacks \"%s\"", what,
                  clconv_last_error(), needle);
    ck_assert_int_eq(out[0], -1);
    clconv_op_count c;
    memset(&c, 0x11, sizeof c);
    ck_assert_int_eq(clconv_count_ops(d, in, &c), want);
    ck_assert_int_eq(c.macs, 0x1111111111111111ull);
}

/* Output extents at INT_MAX: Conv2d, ConvTranspose2d, and a dilation span of INT_MAX. */
START_TEST(test_extent_int_limits)
{
    clconv_desc d = conv(1, 1, 1, 1);
    int in[4] = {1, 1, INT_MAX, 1};
    expect_ok_shape("conv H = INT_MAX", &d, in, (int[]){1, 1, INT_MAX, 1});
    d.pad_bottom = 1;
    expect_reject("conv H = INT_MAX + 1", &d, in, CLCONV_ERROR_TOO_LARGE, "overflows int");

    clconv_desc t = conv(1, 1, 1, 1);
    t.kind = CLCONV_CONV_TRANSPOSE2D;
    t.stride_h = INT_MAX - 1;
    int tin[4] = {1, 1, 2, 1};
    expect_ok_shape("tconv Hout = INT_MAX", &t, tin, (int[]){1, 1, INT_MAX, 1});
    t.output_padding_h = 1;
    expect_reject("tconv Hout = INT_MAX + 1", &t, tin, CLCONV_ERROR_TOO_LARGE, "overflows int");
    t.output_padding_h = 0;
    t.stride_h = INT_MAX;
    expect_reject("tconv (H - 1) * stride beyond int", &t, tin, CLCONV_ERROR_TOO_LARGE,
                  "overflows int");

    /* dilation * (kernel - 1) = INT_MAX: would fit once the padded extent reaches 2^31, but a
     * padded extent past int is refused (its coordinates would wrap in the kernels) */
    clconv_desc s = conv(1, 1, 2, 1);
    s.dilation_h = INT_MAX;
    s.pad_bottom = INT_MAX - 1;
    int sin[4] = {1, 1, 1, 1};
    expect_reject("span INT_MAX, padded 2^31 - 1", &s, sin, CLCONV_ERROR_INVALID_ARGUMENT, "empty");
    s.pad_bottom = INT_MAX;
    expect_reject("span INT_MAX, padded 2^31", &s, sin, CLCONV_ERROR_TOO_LARGE,
                  "pad_bottom = 2147483647");
    s.pad_top = INT_MAX; /* padded 2^32 - 1 (int64 arithmetic): output 2^31 rows */
    expect_reject("padded 2^32 - 1", &s, sin, CLCONV_ERROR_TOO_LARGE, "overflows int");

    /* 'same' padding: dilation * (k - 1) at INT_MAX and beyond */
    clconv_desc p = conv(1, 1, 2, 3);
    p.dilation_h = INT_MAX;
    ck_assert_int_eq(clconv_desc_set_padding_same(&p), CLCONV_SUCCESS);
    ck_assert_int_eq(p.pad_top, INT_MAX / 2);
    ck_assert_int_eq(p.pad_bottom, INT_MAX - INT_MAX / 2);
    p = conv(1, 1, 3, 3);
    p.dilation_w = INT_MAX;
    ck_assert_int_eq(clconv_desc_set_padding_same(&p), CLCONV_ERROR_TOO_LARGE);
    ck_assert_int_eq(p.pad_left, 0);
}
END_TEST

/* Element counts at SIZE_MAX / 4 (the byte size of a float tensor must fit size_t). */
START_TEST(test_element_count_limits)
{
    const size_t limit = SIZE_MAX / 4;
    /* input: 2^30 channels x H; 3 * 2^60 fits, 2^62 does not (on 64-bit size_t) */
    clconv_desc d = conv(BIG, 1, 1, 1);
    int in[4] = {1, BIG, 3, 1};
    size_t ic = 0, wc = 0, bc = 7, oc = 0;
    ck_assert_int_eq(clconv_tensor_sizes(&d, in, &ic, &wc, &bc, &oc), CLCONV_SUCCESS);
    ck_assert(ic == (size_t)3 * BIG && wc == (size_t)BIG && bc == 0 && oc == 3);
    in[0] = BIG;
    if ((unsigned __int128)3 * BIG * BIG <= limit) {
        ck_assert_int_eq(clconv_tensor_sizes(&d, in, &ic, NULL, NULL, NULL), CLCONV_SUCCESS);
        ck_assert((unsigned __int128)ic == (unsigned __int128)3 * BIG * BIG);
    }
    in[2] = 4;
    if ((unsigned __int128)4 * BIG * BIG > limit)
        expect_reject("input 2^62 elements", &d, in, CLCONV_ERROR_TOO_LARGE, "overflow");

    /* weight: Cout * Cin/groups * kh * kw */
    clconv_desc w = conv(BIG, BIG, 3, 1);
    int win[4] = {1, BIG, 4, 1};
    ck_assert_int_eq(clconv_tensor_sizes(&w, win, NULL, &wc, NULL, NULL), CLCONV_SUCCESS);
    ck_assert((unsigned __int128)wc == (unsigned __int128)3 * BIG * BIG);
    w.kernel_h = 4;
    if ((unsigned __int128)4 * BIG * BIG > limit)
        expect_reject("weight 2^62 elements", &w, win, CLCONV_ERROR_TOO_LARGE, "overflow");
    /* grouped: the same channels in 2^10 groups are 2^10 times smaller */
    w.groups = 1 << 10;
    ck_assert_int_eq(clconv_tensor_sizes(&w, win, NULL, &wc, NULL, NULL), CLCONV_SUCCESS);
    ck_assert((unsigned __int128)wc == (unsigned __int128)4 * BIG * (BIG >> 10));

    /* every dimension at INT_MAX */
    clconv_desc m = conv(INT_MAX, INT_MAX, 1, 1);
    int min[4] = {INT_MAX, INT_MAX, INT_MAX, INT_MAX};
    expect_reject("all INT_MAX", &m, min, CLCONV_ERROR_TOO_LARGE, "overflow");
}
END_TEST

/* Operation counts at UINT64_MAX: 2^30 x 2^30 channels, 1x1 kernel, H x 1 input, no bias. */
START_TEST(test_opcount_uint64_limits)
{
    clconv_desc d = conv(BIG, BIG, 1, 1);
    int in[4] = {1, BIG, 7, 1};
    clconv_op_count c;
    ck_assert_int_eq(clconv_count_ops(&d, in, &c), CLCONV_SUCCESS);
    /* outputs = 7 * 2^30, taps = 2^30: macs = 7 * 2^60 */
    ck_assert(c.macs == (uint64_t)7 << 60);
    ck_assert(c.flops == (uint64_t)14 << 60);
    ck_assert((unsigned __int128)c.exact_ops ==
              (unsigned __int128)7 * BIG * (2 * (uint64_t)BIG - 1));
    ck_assert(c.bytes == ((uint64_t)7 * BIG + (uint64_t)BIG * BIG + (uint64_t)7 * BIG) * 4);

    in[2] = 8; /* macs 2^63: fits, flops 2^64 does not */
    memset(&c, 0x22, sizeof c);
    ck_assert_int_eq(clconv_count_ops(&d, in, &c), CLCONV_ERROR_TOO_LARGE);
    ck_assert_msg(strstr(clconv_last_error(), "flops") || strstr(clconv_last_error(), "exact_ops"),
                  "%s", clconv_last_error());
    ck_assert_int_eq(c.macs, 0x2222222222222222ull);
    in[2] = 16; /* macs 2^64 */
    ck_assert_int_eq(clconv_count_ops(&d, in, &c), CLCONV_ERROR_TOO_LARGE);
    ck_assert_msg(strstr(clconv_last_error(), "macs"), "%s", clconv_last_error());

    /* ConvTranspose2d, input-centric: N * Cin * Cout/g * kh * kw * H * W */
    clconv_desc t = conv(BIG, BIG, 1, 1);
    t.kind = CLCONV_CONV_TRANSPOSE2D;
    int tin[4] = {1, BIG, 7, 1};
    ck_assert_int_eq(clconv_count_ops(&t, tin, &c), CLCONV_SUCCESS);
    ck_assert(c.macs == (uint64_t)7 << 60);
    tin[2] = 16;
    ck_assert_int_eq(clconv_count_ops(&t, tin, &c), CLCONV_ERROR_TOO_LARGE);
    ck_assert_msg(strstr(clconv_last_error(), "macs"), "%s", clconv_last_error());
    uint64_t ops = 5;
    ck_assert_int_eq(clconv_count_ops_moduleprofiler_tconv(&t, tin, &ops, NULL),
                     CLCONV_ERROR_TOO_LARGE);
    ck_assert_int_eq(ops, 5);
}
END_TEST

/* Plans: the kernels index with int, and each tensor must fit one device allocation. */
START_TEST(test_plan_device_limits)
{
    clconv_context *ctx = test_context();
    ck_assert_ptr_nonnull(ctx);
    clconv_device_info info;
    ck_assert_int_eq(clconv_context_get_device_info(ctx, &info), CLCONV_SUCCESS);
    clconv_plan *plan = NULL;
    clconv_desc d = conv(1, 1, 1, 1);
    /* INT_MAX + 1 elements: beyond int indexing whatever the device */
    int in[4] = {2, 1, 1 << 15, 1 << 15};
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_DIRECT, &plan),
                     CLCONV_ERROR_TOO_LARGE);
    ck_assert_ptr_null(plan);
    ck_assert_msg(strstr(clconv_context_last_error(ctx), "input"), "%s",
                  clconv_context_last_error(ctx));
    /* one float more than the device's max allocation, and exactly at it */
    cl_ulong elems = info.max_alloc_size / 4;
    if (elems < (cl_ulong)INT_MAX && elems % 2 == 0) {
        int at[4] = {1, 1, 2, (int)(elems / 2)};
        ck_assert_int_eq(clconv_plan_create(ctx, &d, at, CLCONV_ALGO_DIRECT, &plan),
                         CLCONV_SUCCESS);
        clconv_plan_destroy(plan);
        plan = NULL;
        int over[4] = {1, 1, 2, (int)(elems / 2) + 1};
        ck_assert_int_eq(clconv_plan_create(ctx, &d, over, CLCONV_ALGO_DIRECT, &plan),
                         CLCONV_ERROR_TOO_LARGE);
        ck_assert_msg(strstr(clconv_context_last_error(ctx), "max allocation"), "%s",
                      clconv_context_last_error(ctx));
    }
    test_context_release();
}
END_TEST

/* Layer-spec words at the int limit. */
START_TEST(test_layerspec_int_limits)
{
    layer_spec s;
    char err[256];
    ck_assert_int_eq(layer_spec_parse_string("--input 1x1x2147483647x1 --out-channels 1 --kernel 1",
                                             &s, err, sizeof err),
                     0);
    ck_assert_int_eq(s.input[2], INT_MAX);
    ck_assert_int_eq(layer_spec_parse_string("--input 1x1x2147483648x1 --out-channels 1 --kernel 1",
                                             &s, err, sizeof err),
                     -1);
    ck_assert_msg(strstr(err, "--input"), "%s", err);
    ck_assert_int_eq(layer_spec_parse_string("--input 1x1x9x9 --out-channels 1 --kernel 1 "
                                             "--stride 99999999999999999999",
                                             &s, err, sizeof err),
                     -1);
    ck_assert_msg(strstr(err, "--stride"), "%s", err);
}
END_TEST

/* An output that is also an input (or the workspace) is rejected before anything runs. */
START_TEST(test_aliasing_rejected)
{
    clconv_context *ctx = test_context();
    ck_assert_ptr_nonnull(ctx);
    cl_context cl = clconv_context_get_cl_context(ctx);
    cl_command_queue q = clconv_context_get_queue(ctx);
    /* tiled Conv2d needs a workspace (re-laid-out weights) */
    clconv_desc d = conv(8, 8, 3, 3);
    d.bias = 1;
    d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
    int in[4] = {1, 8, 8, 8};
    clconv_plan *plan = NULL;
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_TILED, &plan), CLCONV_SUCCESS);
    size_t ws = clconv_plan_get_workspace_size(plan);
    /* every buffer big enough to pass as any argument, so only the aliasing can fail */
    size_t bytes = 8 * 8 * 8 * 8 * sizeof(float) + ws;
    cl_int err;
    cl_mem bufs[4];
    const float sentinel = 777.0f;
    for (int i = 0; i < 4; i++) {
        bufs[i] = clCreateBuffer(cl, CL_MEM_READ_WRITE, bytes, NULL, &err);
        ck_assert_int_eq(err, CL_SUCCESS);
        ck_assert_int_eq(
            clEnqueueFillBuffer(q, bufs[i], &sentinel, sizeof sentinel, 0, bytes, 0, NULL, NULL),
            CL_SUCCESS);
    }
    cl_mem I = bufs[0], W = bufs[1], B = bufs[2], O = bufs[3];
    const struct {
        const char *what;
        cl_mem in, w, b, out, ws;
    } cases[] = {
        {"output = input", I, W, B, I, O},    {"output = weight", I, W, B, W, O},
        {"output = bias", I, W, B, B, O},     {"output = workspace", I, W, B, O, O},
        {"workspace = input", I, W, B, O, I}, {"workspace = weight", I, W, B, O, W},
        {"workspace = bias", I, W, B, O, B},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cl_event ev = NULL;
        clconv_status st = clconv_plan_enqueue(plan, cases[i].in, cases[i].w, cases[i].b,
                                               cases[i].out, ws ? cases[i].ws : NULL, 0, NULL, &ev);
        ck_assert_msg(st == CLCONV_ERROR_INVALID_BUFFER, "%s: %s", cases[i].what,
                      clconv_status_name(st));
        ck_assert_ptr_null(ev);
        ck_assert_msg(strstr(clconv_context_last_error(ctx), "output") ||
                          strstr(clconv_context_last_error(ctx), "workspace"),
                      "%s: \"%s\"", cases[i].what, clconv_context_last_error(ctx));
    }
    /* nothing ran: every buffer still holds the sentinel */
    float *host = malloc(bytes);
    ck_assert_ptr_nonnull(host);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(clEnqueueReadBuffer(q, bufs[i], CL_TRUE, 0, bytes, host, 0, NULL, NULL),
                         CL_SUCCESS);
        for (size_t j = 0; j < bytes / sizeof(float); j++)
            ck_assert_msg(host[j] == sentinel, "buffer %d [%zu] = %g after rejected enqueues", i, j,
                          host[j]);
    }
    free(host);
    /* sub-buffers of one allocation: overlapping views are rejected, disjoint ones run */
    cl_uint align_bits = 0;
    ck_assert_int_eq(clGetDeviceInfo(clconv_context_get_device(ctx), CL_DEVICE_MEM_BASE_ADDR_ALIGN,
                                     sizeof align_bits, &align_bits, NULL),
                     CL_SUCCESS);
    const size_t align = align_bits / 8 ? align_bits / 8 : 128;
    const size_t out_bytes = 8 * 8 * 8 * sizeof(float);
    const size_t view = (out_bytes + align - 1) / align * align;
    cl_mem parent = clCreateBuffer(cl, CL_MEM_READ_WRITE, 3 * view, NULL, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    cl_buffer_region regions[3] = {{0, out_bytes}, {align, out_bytes}, {view, out_bytes}};
    cl_mem sub[3];
    for (int i = 0; i < 3; i++) {
        sub[i] = clCreateSubBuffer(parent, CL_MEM_READ_WRITE, CL_BUFFER_CREATE_TYPE_REGION,
                                   &regions[i], &err);
        ck_assert_int_eq(err, CL_SUCCESS);
    }
    /* input in view 0, output in view 1: they share bytes */
    clconv_status st =
        clconv_plan_enqueue(plan, sub[0], W, B, sub[1], ws ? O : NULL, 0, NULL, NULL);
    ck_assert_msg(st == CLCONV_ERROR_INVALID_BUFFER, "overlapping views: %s",
                  clconv_status_name(st));
    ck_assert_msg(strstr(clconv_context_last_error(ctx), "output buffer overlaps the input"),
                  "\"%s\"", clconv_context_last_error(ctx));
    /* input in view 0, output in view 2: disjoint */
    ck_assert_int_eq(clconv_plan_enqueue(plan, sub[0], W, B, sub[2], ws ? O : NULL, 0, NULL, NULL),
                     CLCONV_SUCCESS);
    ck_assert_int_eq(clFinish(q), CL_SUCCESS);
    for (int i = 0; i < 3; i++)
        clReleaseMemObject(sub[i]);
    clReleaseMemObject(parent);
    /* input and weight may share a buffer: both are only read */
    ck_assert_int_eq(clconv_plan_enqueue(plan, I, I, B, O, ws ? bufs[1] : NULL, 0, NULL, NULL),
                     CLCONV_SUCCESS);
    ck_assert_int_eq(clFinish(q), CL_SUCCESS);
    for (int i = 0; i < 4; i++)
        clReleaseMemObject(bufs[i]);
    clconv_plan_destroy(plan);
    test_context_release();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("limits");
    TCase *host = tcase_create("host");
    tcase_add_test(host, test_extent_int_limits);
    tcase_add_test(host, test_element_count_limits);
    tcase_add_test(host, test_opcount_uint64_limits);
    tcase_add_test(host, test_layerspec_int_limits);
    suite_add_tcase(s, host);
    TCase *dev = tcase_create("device");
    tcase_set_timeout(dev, 0);
    tcase_add_test(dev, test_plan_device_limits);
    tcase_add_test(dev, test_aliasing_rejected);
    suite_add_tcase(s, dev);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
