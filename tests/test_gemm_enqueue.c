/* The GEMM plans at enqueue: the workspace's size, chunked and staged runs under a workspace
 * limit, the caller's wait list, an adopted out-of-order queue (the suite is in test_gemm.c). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clconv.h>

#include "tests/common.h"
#include "tests/test_gemm.h"

/* The plan's workspace: the whole column matrix (none for the 1x1 path), plus a staging
 * area of the output's size, 256-byte aligned, when the output would otherwise be written by
 * more than one command (a bias pass after the GEMM, or one GEMM call per image). */
START_TEST(test_gemm_workspace_size)
{
    clconv_context *ctx = test_context();
    ck_assert_ptr_nonnull(ctx);
    clconv_desc d;
    clconv_plan *plan;
    clconv_desc_init(&d, CLCONV_CONV2D, 8, 6, 1, 1);
    d.bias = 0;
    const int in1[4] = {2, 8, 5, 7};
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in1, CLCONV_ALGO_GEMM, &plan), CLCONV_SUCCESS);
    ck_assert_uint_eq(clconv_plan_get_workspace_size(plan), 0); /* one GEMM writes the output */
    clconv_plan_destroy(plan);
    d.bias = 1; /* the GEMM, then the bias: staged */
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in1, CLCONV_ALGO_GEMM, &plan), CLCONV_SUCCESS);
    ck_assert_str_eq(clconv_plan_get_variant_name(plan), "gemm.1x1");
    ck_assert_uint_eq(clconv_plan_get_workspace_size(plan), (size_t)2 * 6 * 35 * 4);
    clconv_plan_destroy(plan);
    /* the same layer through im2col forced: its columns (2 x 8 x 35 floats, 2304 bytes
     * aligned), then the staged output */
    ck_assert_int_eq(clconv_plan_create_variant(ctx, &d, in1, "gemm.im2col", &plan),
                     CLCONV_SUCCESS);
    ck_assert_uint_eq(clconv_plan_get_workspace_size(plan), (size_t)2304 + 2 * 6 * 35 * 4);
    clconv_plan_destroy(plan);
    d.bias = 0; /* one GEMM call writes the output: the columns alone */
    ck_assert_int_eq(clconv_plan_create_variant(ctx, &d, in1, "gemm.im2col", &plan),
                     CLCONV_SUCCESS);
    ck_assert_uint_eq(clconv_plan_get_workspace_size(plan), (size_t)2 * 8 * 35 * 4);
    clconv_plan_destroy(plan);

    /* 3x3 pad 1 on 2x4x6x5, groups 2: N * G * (Cin/G * 9) * (OH * OW) floats of columns (8640
     * bytes, 8704 aligned), then the staged output (one GEMM call per image) */
    clconv_desc_init(&d, CLCONV_CONV2D, 4, 6, 3, 3);
    d.groups = 2;
    d.bias = 0;
    d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
    const int in3[4] = {2, 4, 6, 5};
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in3, CLCONV_ALGO_GEMM, &plan), CLCONV_SUCCESS);
    ck_assert_str_eq(clconv_plan_get_variant_name(plan), "gemm.im2col");
    ck_assert_uint_eq(clconv_plan_get_workspace_size(plan), (size_t)8704 + 2 * 6 * 30 * 4);
    clconv_plan_destroy(plan);

    /* transposed k2 s2 on 3x4x5x6 -> 8 channels: N * (Cout * 4) * (H * W) floats */
    clconv_desc_init(&d, CLCONV_CONV_TRANSPOSE2D, 4, 8, 2, 2);
    d.stride_h = d.stride_w = 2;
    const int int2[4] = {3, 4, 5, 6};
    ck_assert_int_eq(clconv_plan_create(ctx, &d, int2, CLCONV_ALGO_GEMM, &plan), CLCONV_SUCCESS);
    ck_assert_str_eq(clconv_plan_get_variant_name(plan), "gemm.col2im");
    ck_assert_uint_eq(clconv_plan_get_workspace_size(plan), (size_t)3 * 32 * 30 * 4);
    clconv_plan_destroy(plan);
}
END_TEST

/* Runs a plan of variant on ctx with seeded data; returns the output (malloc'd) and the
 * workspace size. */
static float *run_on(clconv_context *ctx, const clconv_desc *d, const int in[4],
                     const char *variant, uint64_t seed, size_t *workspace, size_t *count)
{
    test_tensors t;
    ck_assert(test_tensors_alloc(&t, d, in, seed));
    clconv_plan *plan = NULL;
    clconv_status st = clconv_plan_create_variant(ctx, d, in, variant, &plan);
    ck_assert_msg(st == CLCONV_SUCCESS, "plan_create: %s", clconv_context_last_error(ctx));
    ck_assert_str_eq(clconv_plan_get_variant_name(plan), variant);
    *workspace = clconv_plan_get_workspace_size(plan);
    cl_context cl = clconv_context_get_cl_context(ctx);
    cl_command_queue q = clconv_context_get_queue(ctx);
    cl_int err;
    cl_mem bi = clCreateBuffer(cl, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                               t.input_count * sizeof(float), t.input, &err);
    cl_mem bw = clCreateBuffer(cl, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                               t.weight_count * sizeof(float), t.weight, &err);
    cl_mem bb = d->bias ? clCreateBuffer(cl, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                                         t.bias_count * sizeof(float), t.bias, &err)
                        : NULL;
    cl_mem bo = clCreateBuffer(cl, CL_MEM_READ_WRITE, t.output_count * sizeof(float), NULL, &err);
    cl_mem ws = *workspace ? clCreateBuffer(cl, CL_MEM_READ_WRITE, *workspace, NULL, &err) : NULL;
    ck_assert(bi && bw && bo && (bb || !d->bias) && (ws || !*workspace));
    st = clconv_plan_enqueue(plan, bi, bw, bb, bo, ws, 0, NULL, NULL);
    ck_assert_msg(st == CLCONV_SUCCESS, "enqueue: %s", clconv_context_last_error(ctx));
    float *out = malloc(t.output_count * sizeof(float));
    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(
        clEnqueueReadBuffer(q, bo, CL_TRUE, 0, t.output_count * sizeof(float), out, 0, NULL, NULL),
        CL_SUCCESS);
    *count = t.output_count;
    clReleaseMemObject(bi);
    clReleaseMemObject(bw);
    if (bb)
        clReleaseMemObject(bb);
    clReleaseMemObject(bo);
    if (ws)
        clReleaseMemObject(ws);
    clconv_plan_destroy(plan);
    test_tensors_free(&t);
    return out;
}

/* Bytes of the column matrices of the whole batch: the GEMM path's workspace unchunked and
 * unstaged. */
static size_t column_bytes(const clconv_desc *d, const int in[4])
{
    int out[4];
    ck_assert_int_eq(clconv_output_shape(d, in, out), CLCONV_SUCCESS);
    const bool conv = d->kind == CLCONV_CONV2D;
    const size_t per_group = (size_t)(conv ? d->in_channels : d->out_channels) / d->groups;
    const size_t pixels = conv ? (size_t)out[2] * out[3] : (size_t)in[2] * in[3];
    return (size_t)in[0] * d->groups * per_group * d->kernel_h * d->kernel_w * pixels *
           sizeof(float);
}

/* Chunked runs (batch split, row split, smallest chunks) match the unchunked run and the
 * reference, and each plan's workspace stays under its limit. A chunked plan stages its
 * output (the chunks write it in parts): its limit holds the staging area, an output's size
 * plus at most 256 bytes of alignment, and the column matrices of a chunk. */
static void check_chunking(const clconv_desc *d, const int in[4], const char *variant,
                           uint64_t seed, int row_div)
{
    clconv_context *ctx = NULL;
    ck_assert_int_eq(clconv_context_create(NULL, &ctx), CLCONV_SUCCESS);
    size_t full_ws, count;
    float *full = run_on(ctx, d, in, variant, seed, &full_ws, &count);
    ck_assert_uint_gt(full_ws, 0);
    char what[256];
    test_describe(d, in, what, sizeof what);
    const size_t col = column_bytes(d, in), stage = count * sizeof(float) + 256;
    ck_assert_msg(full_ws == col ||
                      (full_ws > col + count * sizeof(float) && full_ws <= col + stage),
                  "%s: workspace %zu for %zu bytes of columns", what, full_ws, col);
    /* half the batch; just under one image (two bands of rows); 1/row_div of an image (the
     * smallest bands: one output row, with the input rows it reads when transposed) */
    const size_t per_image = col / (size_t)in[0];
    const size_t limits[] = {stage + col / 2, stage + per_image - 1,
                             stage + per_image / (size_t)row_div};
    size_t smallest_seen = full_ws;
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        ck_assert_int_eq(clconv_context_set_workspace_limit(ctx, limits[i]), CLCONV_SUCCESS);
        ck_assert_uint_eq(clconv_context_get_workspace_limit(ctx), limits[i]);
        size_t ws, n;
        test_outcome r;
        setenv("CLCONV_VARIANT", variant, 1);
        bool ok = test_run_case_on(ctx, d, in, CLCONV_ALGO_AUTO, seed, &r);
        unsetenv("CLCONV_VARIANT");
        ck_assert_msg(ok, "%s, limit %zu: %s (worst ratio %g)", what, limits[i], r.message,
                      r.worst_ratio);
        float *chunked = run_on(ctx, d, in, variant, seed, &ws, &n);
        ck_assert_msg(ws <= limits[i] && ws > 0, "%s: workspace %zu over limit %zu", what, ws,
                      limits[i]);
        smallest_seen = ws < smallest_seen ? ws : smallest_seen;
        ck_assert_uint_eq(n, count);
        for (size_t k = 0; k < n; k++)
            ck_assert_msg(fabsf(chunked[k] - full[k]) <= 1e-5f * (1 + fabsf(full[k])),
                          "%s, limit %zu: output %zu = %g, unchunked %g", what, limits[i], k,
                          chunked[k], full[k]);
        free(chunked);
    }
    ck_assert_uint_lt(smallest_seen, stage + per_image); /* rows were split */

    /* below the smallest chunk: the forced variant and the GEMM algorithm refused with the
     * reason, AUTO picks another */
    ck_assert_int_eq(clconv_context_set_workspace_limit(ctx, 1), CLCONV_SUCCESS);
    clconv_plan *plan = NULL;
    ck_assert_int_eq(clconv_plan_create_variant(ctx, d, in, variant, &plan),
                     CLCONV_ERROR_UNSUPPORTED);
    ck_assert_ptr_null(plan);
    const char *msg = clconv_context_last_error(ctx);
    ck_assert_msg(strstr(msg, "workspace limit = 1 bytes") &&
                      strstr(msg, "clconv_context_set_workspace_limit"),
                  "message: %s", msg);
    ck_assert_int_eq(clconv_plan_create(ctx, d, in, CLCONV_ALGO_GEMM, &plan),
                     CLCONV_ERROR_UNSUPPORTED);
    ck_assert_ptr_null(plan);
    ck_assert_msg(strstr(clconv_context_last_error(ctx), "workspace limit = 1 bytes"),
                  "message: %s", clconv_context_last_error(ctx));
    ck_assert_int_eq(clconv_plan_create(ctx, d, in, CLCONV_ALGO_AUTO, &plan), CLCONV_SUCCESS);
    ck_assert_int_ne(clconv_plan_get_algo(plan), CLCONV_ALGO_GEMM);
    clconv_plan_destroy(plan);

    /* 0 restores the default */
    ck_assert_int_eq(clconv_context_set_workspace_limit(ctx, 0), CLCONV_SUCCESS);
    clconv_device_info info;
    ck_assert_int_eq(clconv_context_get_device_info(ctx, &info), CLCONV_SUCCESS);
    size_t expect = CLCONV_DEFAULT_WORKSPACE_LIMIT;
    if ((cl_ulong)expect > info.max_alloc_size)
        expect = (size_t)info.max_alloc_size;
    ck_assert_uint_eq(clconv_context_get_workspace_limit(ctx), expect);
    free(full);
    clconv_context_destroy(ctx);
}

START_TEST(test_gemm_chunking)
{
    clconv_desc d;
    /* Conv2d 3x3 s1 reflect, groups 2, 4 images of 13 output rows */
    clconv_desc_init(&d, CLCONV_CONV2D, 6, 4, 3, 3);
    d.groups = 2;
    d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
    d.padding_mode = CLCONV_PADDING_REFLECT;
    const int in1[4] = {4, 6, 13, 11};
    check_chunking(&d, in1, "gemm.im2col", 11, 7);
    /* ConvTranspose2d k4 s2 p1 (overlapping taps across row bands), groups 2 */
    clconv_desc_init(&d, CLCONV_CONV_TRANSPOSE2D, 4, 6, 4, 4);
    d.groups = 2;
    d.stride_h = d.stride_w = 2;
    d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
    const int in2[4] = {3, 4, 9, 7};
    check_chunking(&d, in2, "gemm.col2im", 12, 4);
    /* ConvTranspose2d k3 s1 dilation 2, output padding 1: bands overlap by 4 input rows */
    clconv_desc_init(&d, CLCONV_CONV_TRANSPOSE2D, 3, 2, 3, 3);
    d.dilation_h = d.dilation_w = 2;
    d.output_padding_h = 1;
    const int in3[4] = {2, 3, 10, 6};
    check_chunking(&d, in3, "gemm.col2im", 13, 2);
    /* Conv2d 1x1 stride 1 unpadded through im2col (AUTO would take gemm.1x1), grouped */
    clconv_desc_init(&d, CLCONV_CONV2D, 4, 6, 1, 1);
    d.groups = 2;
    const int in4[4] = {3, 4, 9, 5};
    check_chunking(&d, in4, "gemm.im2col", 14, 9);
}
END_TEST

/* CLBlast takes no wait list: the plan must still wait for the caller's events. */
START_TEST(test_gemm_wait_list)
{
    clconv_context *ctx = test_context();
    cl_context cl = clconv_context_get_cl_context(ctx);
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 3, 2, 3, 3);
    const int in[4] = {1, 3, 6, 6};
    clconv_plan *plan;
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_GEMM, &plan), CLCONV_SUCCESS);
    float data[108], w[54], b[2], out[32];
    for (int i = 0; i < 108; i++)
        data[i] = 1.0f;
    for (int i = 0; i < 54; i++)
        w[i] = 0.5f;
    b[0] = b[1] = 0.25f;
    for (int i = 0; i < 32; i++)
        out[i] = -7.0f;
    cl_int err;
    cl_mem bi = clCreateBuffer(cl, CL_MEM_COPY_HOST_PTR, sizeof data, data, &err);
    cl_mem bw = clCreateBuffer(cl, CL_MEM_COPY_HOST_PTR, sizeof w, w, &err);
    cl_mem bb = clCreateBuffer(cl, CL_MEM_COPY_HOST_PTR, sizeof b, b, &err);
    cl_mem bo = clCreateBuffer(cl, CL_MEM_COPY_HOST_PTR, sizeof out, out, &err);
    size_t ws_size = clconv_plan_get_workspace_size(plan);
    cl_mem ws = clCreateBuffer(cl, CL_MEM_READ_WRITE, ws_size, NULL, &err);
    cl_event gate = clCreateUserEvent(cl, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    cl_event done = NULL;
    ck_assert_int_eq(clconv_plan_enqueue(plan, bi, bw, bb, bo, ws, 1, &gate, &done),
                     CLCONV_SUCCESS);
    /* not yet: the gate is closed */
    cl_int state = 0;
    clGetEventInfo(done, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof state, &state, NULL);
    ck_assert_int_ne(state, CL_COMPLETE);
    float seen[32];
    clSetUserEventStatus(gate, CL_COMPLETE);
    ck_assert_int_eq(clWaitForEvents(1, &done), CL_SUCCESS);
    ck_assert_int_eq(clEnqueueReadBuffer(clconv_context_get_queue(ctx), bo, CL_TRUE, 0, sizeof seen,
                                         seen, 0, NULL, NULL),
                     CL_SUCCESS);
    for (int i = 0; i < 32; i++)
        ck_assert_float_eq_tol(seen[i], 3 * 9 * 0.5f + 0.25f, 1e-5f);
    clReleaseEvent(done);
    clReleaseEvent(gate);
    clReleaseMemObject(bi);
    clReleaseMemObject(bw);
    clReleaseMemObject(bb);
    clReleaseMemObject(bo);
    clReleaseMemObject(ws);
    clconv_plan_destroy(plan);
}
END_TEST

/* An adopted out-of-order queue: the steps (im2col, CLBlast, col2im, bias) stay ordered. */
START_TEST(test_gemm_out_of_order_queue)
{
    clconv_context *shared = test_context();
    cl_context cl = clconv_context_get_cl_context(shared);
    cl_device_id dev = clconv_context_get_device(shared);
    cl_command_queue_properties props = 0;
    clGetDeviceInfo(dev, CL_DEVICE_QUEUE_PROPERTIES, sizeof props, &props, NULL);
    if (!(props & CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE)) {
        /* the device cannot make one: nothing to check, and say so */
        fprintf(stderr, "test_gemm_out_of_order_queue: device has no out-of-order queues\n");
        return;
    }
    cl_int err;
    cl_command_queue q = clCreateCommandQueue(
        cl, dev, CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE | CL_QUEUE_PROFILING_ENABLE, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    clconv_context *ctx = NULL;
    ck_assert_int_eq(clconv_context_create_from_queue(q, &ctx), CLCONV_SUCCESS);
    clReleaseCommandQueue(q);
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 6, 4, 3, 3);
    d.groups = 2;
    d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
    const int in1[4] = {3, 6, 9, 8};
    /* chunks: 2000 bytes of columns besides the staged output (3 x 4 x 9 x 8 floats) */
    ck_assert_int_eq(clconv_context_set_workspace_limit(ctx, 2000 + 256 + 3 * 4 * 72 * 4),
                     CLCONV_SUCCESS);
    test_outcome r;
    ck_assert_msg(test_run_case_on(ctx, &d, in1, CLCONV_ALGO_GEMM, 21, &r), "%s", r.message);
    clconv_desc_init(&d, CLCONV_CONV_TRANSPOSE2D, 4, 6, 4, 4);
    d.stride_h = d.stride_w = 2;
    d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
    const int in2[4] = {2, 4, 6, 5};
    ck_assert_int_eq(clconv_context_set_workspace_limit(ctx, 6000 + 256 + 2 * 6 * 12 * 10 * 4),
                     CLCONV_SUCCESS);
    ck_assert_msg(test_run_case_on(ctx, &d, in2, CLCONV_ALGO_GEMM, 22, &r), "%s", r.message);
    clconv_context_destroy(ctx);
}
END_TEST

void gemm_enqueue_add_tests(TCase *tc)
{
    tcase_add_test(tc, test_gemm_workspace_size);
    tcase_add_test(tc, test_gemm_wait_list);
    tcase_add_test(tc, test_gemm_out_of_order_queue);
    tcase_add_test(tc, test_gemm_chunking);
}
