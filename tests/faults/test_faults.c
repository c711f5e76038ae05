/* Fault injection: every injectable OpenCL call of a context create + plan create + enqueue
 * is made to fail in turn (tests/faults/shim.c), for each algorithm. Each failure must return
 * a specific status whose message names the failed call, leave the output buffer untouched
 * and return no event, leak no OpenCL object once everything is destroyed, and leave the
 * context usable: the same plan (or a new one) then runs and matches the CPU reference. A
 * fault the library absorbs (a refused cached binary falls back to a source build) must give
 * the right output. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"
#include "tests/common.h"

typedef struct fault_case {
    const char *name;
    clconv_kind kind;
    clconv_algo algo;
    test_spec spec;
} fault_case;

/* name, n, cin, h, w, cout, kh, kw, sh, sw, pt, pb, pl, pr, dh, dw, groups, bias, mode, oph, opw */
static const fault_case cases[] = {
    {"direct-conv", CLCONV_CONV2D, CLCONV_ALGO_DIRECT, {"c", 1, 3, 6, 6, 4, 3, 3, 1, 1, 1,
                                                        1,   1, 1, 1, 1, 1, 1, 0, 0, 0}},
    {"direct-tconv", CLCONV_CONV_TRANSPOSE2D, CLCONV_ALGO_DIRECT, {"t", 1, 4, 4, 4, 3, 3,
                                                                   3,   2, 2, 1, 1, 1, 1,
                                                                   1,   1, 1, 1, 0, 1, 1}},
    {"tiled-conv", CLCONV_CONV2D, CLCONV_ALGO_TILED, {"c", 1, 8, 8, 8, 8, 3, 3, 1, 1, 1,
                                                      1,   1, 1, 1, 1, 1, 1, 0, 0, 0}},
    {"tiled-tconv", CLCONV_CONV_TRANSPOSE2D, CLCONV_ALGO_TILED, {"t", 1, 8, 4, 4, 8, 4, 4, 2, 2, 1,
                                                                 1,   1, 1, 1, 1, 1, 1, 0, 0, 0}},
    /* on CPUs the cases above run the flat kernels; these three take the other tiled paths:
     * channel vectors (a map over 64 pixels), the strided-1x1 sampled copy, kernel == stride */
    {"tiled-conv-16", CLCONV_CONV2D, CLCONV_ALGO_TILED, {"c", 1, 8, 16, 16, 8, 3, 3, 1, 1, 1,
                                                         1,   1, 1, 1,  1,  1, 1, 0, 0, 0}},
    {"tiled-1x1-s2", CLCONV_CONV2D, CLCONV_ALGO_TILED, {"c", 1, 8, 9, 9, 8, 1, 1, 2, 2, 0,
                                                        0,   0, 0, 1, 1, 1, 1, 0, 0, 0}},
    {"tiled-tconv-k2", CLCONV_CONV_TRANSPOSE2D, CLCONV_ALGO_TILED, {"t", 1, 8, 4, 4, 8, 2,
                                                                    2,   2, 2, 0, 0, 0, 0,
                                                                    1,   1, 1, 1, 0, 0, 0}},
    {"depthwise", CLCONV_CONV2D, CLCONV_ALGO_DEPTHWISE, {"d", 1, 4, 7, 7, 8, 3, 3, 1, 1, 1,
                                                         1,   1, 1, 1, 1, 4, 1, 0, 0, 0}},
    {"gemm-conv", CLCONV_CONV2D, CLCONV_ALGO_GEMM, {"c", 2, 4, 6, 6, 5, 3, 3, 1, 1, 1,
                                                    1,   1, 1, 1, 1, 1, 1, 0, 0, 0}},
    {"gemm-tconv", CLCONV_CONV_TRANSPOSE2D, CLCONV_ALGO_GEMM, {"t", 1, 4, 4, 4, 3, 3, 3, 2, 2, 1,
                                                               1,   1, 1, 1, 1, 1, 1, 0, 1, 1}},
};
#define NCASES ((int)(sizeof cases / sizeof cases[0]))

static const float SENTINEL = 12345.5f;

/* Faults of the current case that the library absorbed (success with the right output), and
 * enqueue failures that came after part of the work was already queued (the output must be
 * untouched all the same: each plan writes it with its last command only). */
static long total_absorbed, total_partial;

typedef struct host_case {
    clconv_desc desc;
    int in[4];
    test_tensors t;
    float *ref;
} host_case;

static void host_case_init(host_case *h, const fault_case *fc)
{
    test_spec_desc(&fc->spec, fc->kind, CLCONV_FLOAT32, &h->desc, h->in);
    ck_assert_msg(test_tensors_alloc(&h->t, &h->desc, h->in, 7), "%s", clconv_last_error());
    h->ref = malloc(h->t.output_count * sizeof(float));
    ck_assert_ptr_nonnull(h->ref);
    ck_assert_int_eq(clconv_reference(&h->desc, h->in, h->t.input, h->t.weight, h->t.bias, h->ref),
                     CLCONV_SUCCESS);
}

static void host_case_free(host_case *h)
{
    free(h->ref);
    test_tensors_free(&h->t);
}

typedef struct device_bufs {
    cl_mem in, w, b, out, ws;
} device_bufs;

static cl_mem buffer_with(cl_context cl, const float *data, size_t count)
{
    cl_int err;
    cl_mem m = clCreateBuffer(cl, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
                              (count ? count : 1) * sizeof(float), (void *)data, &err);
    ck_assert_msg(m && err == CL_SUCCESS, "test buffer: %d", err);
    return m;
}

static void set_sentinel(cl_command_queue q, cl_mem out, size_t count)
{
    ck_assert_int_eq(clEnqueueFillBuffer(q, out, &SENTINEL, sizeof SENTINEL, 0,
                                         count * sizeof(float), 0, NULL, NULL),
                     CL_SUCCESS);
    ck_assert_int_eq(clFinish(q), CL_SUCCESS);
}

static void read_output(cl_command_queue q, cl_mem out, float *host, size_t count)
{
    ck_assert_int_eq(clFinish(q), CL_SUCCESS); /* work enqueued before a failure completes */
    ck_assert_int_eq(
        clEnqueueReadBuffer(q, out, CL_TRUE, 0, count * sizeof(float), host, 0, NULL, NULL),
        CL_SUCCESS);
}

/* worst |dev - ref| relative to the case's scale */
static double worst_error(const host_case *h, const float *dev)
{
    double worst = 0;
    for (size_t i = 0; i < h->t.output_count; i++) {
        double e = fabs((double)dev[i] - (double)h->ref[i]) / (1e-4 + fabs((double)h->ref[i]));
        if (!(e <= worst))
            worst = e; /* NaN too */
    }
    return worst;
}

/* The status a failure of `fn` with `code` must produce. */
static clconv_status expected_status(const char *fn, cl_int code)
{
    if (!strcmp(fn, "clBuildProgram"))
        return CLCONV_ERROR_BUILD;
    if (code == CL_OUT_OF_HOST_MEMORY)
        return CLCONV_ERROR_OUT_OF_HOST_MEMORY;
    return CLCONV_ERROR_OPENCL;
}

/* Checks a failed call's status and message against the injected fault. */
static void check_failure(const fault_case *fc, long n, const char *stage, clconv_status st,
                          const char *message)
{
    const char *fn = fault_fired();
    ck_assert_msg(fn != NULL, "%s, fault %ld: %s failed (%s: %s) with no fault injected", fc->name,
                  n, stage, clconv_status_name(st), message);
    clconv_status want = expected_status(fn, fault_fired_code());
    ck_assert_msg(st == want, "%s, fault %ld in %s: %s returned %s, expected %s (%s)", fc->name, n,
                  fn, stage, clconv_status_name(st), clconv_status_name(want), message);
    ck_assert_msg(strstr(message, fn) != NULL,
                  "%s, fault %ld in %s: the message does not name the call: \"%s\"", fc->name, n,
                  fn, message);
}

/* One run with the n-th injectable call failing; false once n is past the last call. */
static bool run_with_fault(const fault_case *fc, host_case *h, long n)
{
    fault_reset_live();
    fault_inject(n);
    clconv_context *ctx = NULL;
    clconv_status st = clconv_context_create(NULL, &ctx);
    if (st != CLCONV_SUCCESS) {
        fault_stop();
        check_failure(fc, n, "clconv_context_create", st, clconv_last_error());
        ck_assert_ptr_null(ctx);
    }
    clconv_plan *plan = NULL;
    bool plan_failed = false, enqueue_failed = false;
    device_bufs b = {0};
    float *dev = malloc(h->t.output_count * sizeof(float));
    ck_assert_ptr_nonnull(dev);
    if (ctx) {
        st = clconv_plan_create(ctx, &h->desc, h->in, fc->algo, &plan);
        if (st != CLCONV_SUCCESS) {
            fault_stop();
            plan_failed = true;
            check_failure(fc, n, "clconv_plan_create", st, clconv_context_last_error(ctx));
            ck_assert_ptr_null(plan);
        }
    }
    if (ctx) {
        fault_stop();
        cl_context cl = clconv_context_get_cl_context(ctx);
        cl_command_queue q = clconv_context_get_queue(ctx);
        b.in = buffer_with(cl, h->t.input, h->t.input_count);
        b.w = buffer_with(cl, h->t.weight, h->t.weight_count);
        b.b = buffer_with(cl, h->t.bias, h->t.bias_count);
        b.out = buffer_with(cl, h->t.output, h->t.output_count);
        set_sentinel(q, b.out, h->t.output_count);
        size_t ws = plan ? clconv_plan_get_workspace_size(plan) : 0;
        if (ws) {
            cl_int err;
            b.ws = clCreateBuffer(cl, CL_MEM_READ_WRITE, ws, NULL, &err);
            ck_assert_int_eq(err, CL_SUCCESS);
        }
        if (plan) {
            cl_event ev = NULL;
            fault_resume();
            st = clconv_plan_enqueue(plan, b.in, b.w, h->desc.bias ? b.b : NULL, b.out, b.ws, 0,
                                     NULL, &ev);
            fault_stop();
            if (st != CLCONV_SUCCESS) {
                enqueue_failed = true;
                check_failure(fc, n, "clconv_plan_enqueue", st, clconv_context_last_error(ctx));
                ck_assert_msg(ev == NULL, "%s, fault %ld in %s: a failed enqueue returned an event",
                              fc->name, n, fault_fired());
                read_output(q, b.out, dev, h->t.output_count);
                if (fault_work_before() > 0)
                    total_partial++;
                for (size_t i = 0; i < h->t.output_count; i++)
                    ck_assert_msg(dev[i] == SENTINEL,
                                  "%s, fault %ld in %s: the failed enqueue wrote output[%zu] = %g",
                                  fc->name, n, fault_fired(), i, dev[i]);
            } else {
                ck_assert_int_eq(clWaitForEvents(1, &ev), CL_SUCCESS);
                clReleaseEvent(ev);
                read_output(q, b.out, dev, h->t.output_count);
                double e = worst_error(h, dev);
                ck_assert_msg(e < 1e-3, "%s, fault %ld (%s absorbed): wrong output, error %g",
                              fc->name, n, fault_fired() ? fault_fired() : "none", e);
                if (fault_fired())
                    total_absorbed++;
            }
        }
        /* the context stays usable: retry the failed plan, or make a new one */
        if (plan_failed || enqueue_failed) {
            if (!plan) {
                st = clconv_plan_create(ctx, &h->desc, h->in, fc->algo, &plan);
                ck_assert_msg(st == CLCONV_SUCCESS, "%s, fault %ld: plan after failure: %s",
                              fc->name, n, clconv_context_last_error(ctx));
                size_t ws2 = clconv_plan_get_workspace_size(plan);
                if (ws2) {
                    cl_int err;
                    b.ws = clCreateBuffer(cl, CL_MEM_READ_WRITE, ws2, NULL, &err);
                    ck_assert_int_eq(err, CL_SUCCESS);
                }
            }
            set_sentinel(q, b.out, h->t.output_count);
            st = clconv_plan_enqueue(plan, b.in, b.w, h->desc.bias ? b.b : NULL, b.out, b.ws, 0,
                                     NULL, NULL);
            ck_assert_msg(st == CLCONV_SUCCESS, "%s, fault %ld in %s: run after failure: %s",
                          fc->name, n, fault_fired(), clconv_context_last_error(ctx));
            read_output(q, b.out, dev, h->t.output_count);
            double e = worst_error(h, dev);
            ck_assert_msg(e < 1e-3, "%s, fault %ld in %s: run after failure: error %g", fc->name, n,
                          fault_fired(), e);
        }
    }
    fault_stop();
    const char *fired = fault_fired();
    clconv_plan_destroy(plan);
    cl_mem all[] = {b.in, b.w, b.b, b.out, b.ws};
    for (int i = 0; i < 5; i++)
        if (all[i])
            clReleaseMemObject(all[i]);
    clconv_context_destroy(ctx);
    free(dev);
    fault_live live = fault_get_live();
    char text[256];
    fault_live_describe(&live, text, sizeof text);
    ck_assert_msg(fault_live_zero(&live), "%s, fault %ld in %s: OpenCL objects leaked: %s",
                  fc->name, n, fired ? fired : "none", text);
    return fired != NULL;
}

START_TEST(test_every_fault)
{
    const fault_case *fc = &cases[_i];
    if (!clconv_algo_available(fc->algo)) {
        /* not built (GEMM without CLBlast): the forced algorithm must say so, nothing else */
        clconv_context *ctx = test_context();
        ck_assert_ptr_nonnull(ctx);
        clconv_desc d;
        int in[4];
        test_spec_desc(&fc->spec, fc->kind, CLCONV_FLOAT32, &d, in);
        clconv_plan *plan = NULL;
        ck_assert_int_eq(clconv_plan_create(ctx, &d, in, fc->algo, &plan),
                         CLCONV_ERROR_UNSUPPORTED);
        test_context_release();
        return;
    }
    host_case h;
    host_case_init(&h, fc);
    /* a clean run first: fills the binary cache, so later runs also load cached binaries */
    ck_assert(!run_with_fault(fc, &h, 0));
    long calls = fault_calls();
    ck_assert_msg(calls > 5, "%s: only %ld injectable calls seen: is the shim in effect?", fc->name,
                  calls);
    total_absorbed = total_partial = 0;
    long n = 1;
    while (run_with_fault(fc, &h, n))
        n++;
    printf("%-14s %3ld injectable calls: %3ld faults injected and survived (%ld absorbed, "
           "%ld after work was queued)\n",
           fc->name, calls, n - 1, total_absorbed, total_partial);
    fflush(stdout);
    host_case_free(&h);
}
END_TEST

/* An adopted queue: every retain/create of context creation fails in turn, nothing leaks, and
 * the application's queue and context stay valid. */
START_TEST(test_adopted_queue_faults)
{
    clconv_context *owner = test_context();
    ck_assert_ptr_nonnull(owner);
    cl_command_queue q = clconv_context_get_queue(owner);
    long n = 1;
    for (;; n++) {
        fault_reset_live();
        fault_inject(n);
        clconv_context *ctx = NULL;
        clconv_status st = clconv_context_create_from_queue(q, &ctx);
        fault_stop();
        const char *fired = fault_fired();
        if (!fired) {
            ck_assert_int_eq(st, CLCONV_SUCCESS);
            clconv_context_destroy(ctx);
            break;
        }
        if (st == CLCONV_SUCCESS) {
            clconv_context_destroy(ctx); /* absorbed */
        } else {
            ck_assert_ptr_null(ctx);
            ck_assert_msg(strstr(clconv_last_error(), fired),
                          "adopted queue, fault in %s: message \"%s\"", fired, clconv_last_error());
        }
        fault_live live = fault_get_live();
        char text[256];
        fault_live_describe(&live, text, sizeof text);
        ck_assert_msg(fault_live_zero(&live), "adopted queue, fault in %s: leaked %s", fired, text);
        ck_assert_int_eq(clFinish(q), CL_SUCCESS); /* the application's queue still works */
    }
    ck_assert_int_ge(n, 2);
    printf("%-14s %3ld injectable calls: %3ld faults injected and survived\n", "adopted-queue",
           n - 1, n - 1);
    fflush(stdout);
    test_context_release();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create("faults");
    tcase_set_timeout(tc, 0);
    tcase_add_loop_test(tc, test_every_fault, 0, NCASES);
    tcase_add_test(tc, test_adopted_queue_faults);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
