/* Plan creation and enqueue: wait lists, events, buffer checks, algorithm forcing, limits. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <clconv.h>

#include "src/internal.h"
#include "tests/common.h"

#define SENTINEL 12345.0f

/* One Conv2d layer with its host data, device buffers and plan on the shared context. */
typedef struct fixture {
    clconv_context *ctx;
    cl_context cl;
    cl_command_queue queue;
    clconv_desc desc;
    int in[4];
    test_tensors t;
    float *ref;
    cl_mem input, weight, bias, output;
    clconv_plan *plan;
} fixture;

static cl_mem make_buffer(cl_context cl, size_t bytes, const void *host)
{
    cl_int err;
    cl_mem m = clCreateBuffer(cl, CL_MEM_READ_WRITE | (host ? CL_MEM_COPY_HOST_PTR : 0), bytes,
                              (void *)host, &err);
    ck_assert_msg(m != NULL, "clCreateBuffer(%zu) failed: %d", bytes, err);
    return m;
}

/* Fills the output buffer with the sentinel (blocking). */
static void fill_sentinel(fixture *f)
{
    float *s = malloc(f->t.output_count * sizeof *s);
    ck_assert_ptr_nonnull(s);
    for (size_t i = 0; i < f->t.output_count; i++)
        s[i] = SENTINEL;
    ck_assert_int_eq(clEnqueueWriteBuffer(f->queue, f->output, CL_TRUE, 0,
                                          f->t.output_count * sizeof *s, s, 0, NULL, NULL),
                     CL_SUCCESS);
    free(s);
}

/* Reads the output back through queue (blocking). */
static void read_output(fixture *f, cl_command_queue queue, float *out)
{
    ck_assert_int_eq(clEnqueueReadBuffer(queue, f->output, CL_TRUE, 0,
                                         f->t.output_count * sizeof *out, out, 0, NULL, NULL),
                     CL_SUCCESS);
}

static void expect_sentinel(fixture *f, const char *after)
{
    clFinish(f->queue);
    float *out = malloc(f->t.output_count * sizeof *out);
    ck_assert_ptr_nonnull(out);
    read_output(f, f->queue, out);
    for (size_t i = 0; i < f->t.output_count; i++)
        ck_assert_msg(out[i] == SENTINEL, "after %s: output[%zu] = %g, not the sentinel", after, i,
                      out[i]);
    free(out);
}

static void expect_result(fixture *f, const char *after)
{
    float *out = malloc(f->t.output_count * sizeof *out);
    ck_assert_ptr_nonnull(out);
    read_output(f, f->queue, out);
    for (size_t i = 0; i < f->t.output_count; i++)
        ck_assert_msg(fabsf(out[i] - f->ref[i]) <= 1e-4f * (1.0f + fabsf(f->ref[i])),
                      "after %s: output[%zu] = %g, reference %g", after, i, out[i], f->ref[i]);
    free(out);
}

static void fixture_init(fixture *f, int bias)
{
    memset(f, 0, sizeof *f);
    f->ctx = test_context();
    ck_assert_ptr_nonnull(f->ctx);
    f->cl = clconv_context_get_cl_context(f->ctx);
    f->queue = clconv_context_get_queue(f->ctx);
    clconv_desc_init(&f->desc, CLCONV_CONV2D, 4, 6, 3, 3);
    f->desc.pad_top = f->desc.pad_bottom = f->desc.pad_left = f->desc.pad_right = 1;
    f->desc.bias = bias;
    const int in[4] = {2, 4, 7, 9};
    memcpy(f->in, in, sizeof in);
    ck_assert(test_tensors_alloc(&f->t, &f->desc, f->in, 99));
    f->ref = malloc(f->t.output_count * sizeof *f->ref);
    ck_assert_ptr_nonnull(f->ref);
    ck_assert_int_eq(clconv_reference(&f->desc, f->in, f->t.input, f->t.weight, f->t.bias, f->ref),
                     CLCONV_SUCCESS);
    f->input = make_buffer(f->cl, f->t.input_count * 4, f->t.input);
    f->weight = make_buffer(f->cl, f->t.weight_count * 4, f->t.weight);
    f->bias = make_buffer(f->cl, (f->t.bias_count ? f->t.bias_count : 1) * 4, f->t.bias);
    f->output = make_buffer(f->cl, f->t.output_count * 4, NULL);
    ck_assert_int_eq(clconv_plan_create(f->ctx, &f->desc, f->in, CLCONV_ALGO_DIRECT, &f->plan),
                     CLCONV_SUCCESS);
    fill_sentinel(f);
}

static void fixture_free(fixture *f)
{
    clconv_plan_destroy(f->plan);
    clReleaseMemObject(f->input);
    clReleaseMemObject(f->weight);
    clReleaseMemObject(f->bias);
    clReleaseMemObject(f->output);
    free(f->ref);
    test_tensors_free(&f->t);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

START_TEST(test_wait_list_gates_enqueue)
{
    fixture f;
    fixture_init(&f, 1);
    cl_int err;
    cl_event gate = clCreateUserEvent(f.cl, &err);
    ck_assert_ptr_nonnull(gate);
    cl_event done = NULL;
    ck_assert_int_eq(
        clconv_plan_enqueue(f.plan, f.input, f.weight, f.bias, f.output, NULL, 1, &gate, &done),
        CLCONV_SUCCESS);
    ck_assert_ptr_nonnull(done);
    clFlush(f.queue);
    sleep_ms(100);
    cl_int status = CL_COMPLETE;
    ck_assert_int_eq(
        clGetEventInfo(done, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status, NULL),
        CL_SUCCESS);
    ck_assert_msg(status == CL_QUEUED || status == CL_SUBMITTED,
                  "the convolution ran (status %d) before its wait event completed", status);
    /* a second queue sees the output as it is now: still the sentinel */
    cl_command_queue peek = clCreateCommandQueue(f.cl, clconv_context_get_device(f.ctx), 0, &err);
    ck_assert_ptr_nonnull(peek);
    float *out = malloc(f.t.output_count * sizeof *out);
    ck_assert_ptr_nonnull(out);
    read_output(&f, peek, out);
    for (size_t i = 0; i < f.t.output_count; i++)
        ck_assert_msg(out[i] == SENTINEL, "output[%zu] = %g written before the gate opened", i,
                      out[i]);
    free(out);
    clReleaseCommandQueue(peek);

    ck_assert_int_eq(clSetUserEventStatus(gate, CL_COMPLETE), CL_SUCCESS);
    ck_assert_int_eq(clWaitForEvents(1, &done), CL_SUCCESS);
    ck_assert_int_eq(
        clGetEventInfo(done, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status, NULL),
        CL_SUCCESS);
    ck_assert_int_eq(status, CL_COMPLETE);
    expect_result(&f, "the gate opened");
    clReleaseEvent(done);
    clReleaseEvent(gate);
    fixture_free(&f);
}
END_TEST

/* Several events in the wait list, the returned event usable as the next one's wait list. */
START_TEST(test_event_chain)
{
    fixture f;
    fixture_init(&f, 1);
    cl_int err;
    cl_event gates[2] = {clCreateUserEvent(f.cl, &err), clCreateUserEvent(f.cl, &err)};
    ck_assert(gates[0] && gates[1]);
    cl_event first = NULL, second = NULL;
    ck_assert_int_eq(
        clconv_plan_enqueue(f.plan, f.input, f.weight, f.bias, f.output, NULL, 2, gates, &first),
        CLCONV_SUCCESS);
    ck_assert_int_eq(
        clconv_plan_enqueue(f.plan, f.input, f.weight, f.bias, f.output, NULL, 1, &first, &second),
        CLCONV_SUCCESS);
    clSetUserEventStatus(gates[0], CL_COMPLETE);
    clFlush(f.queue);
    sleep_ms(50);
    cl_int status;
    clGetEventInfo(first, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status, NULL);
    ck_assert_msg(status != CL_COMPLETE && status != CL_RUNNING,
                  "ran with one of two wait events pending");
    clSetUserEventStatus(gates[1], CL_COMPLETE);
    ck_assert_int_eq(clWaitForEvents(1, &second), CL_SUCCESS);
    clGetEventInfo(first, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status, NULL);
    ck_assert_int_eq(status, CL_COMPLETE);
    expect_result(&f, "a chain of two");
    clReleaseEvent(first);
    clReleaseEvent(second);
    clReleaseEvent(gates[0]);
    clReleaseEvent(gates[1]);
    fixture_free(&f);
}
END_TEST

START_TEST(test_event_optional_and_no_bias)
{
    fixture f;
    fixture_init(&f, 0);
    /* bias NULL with desc.bias == 0; event NULL */
    ck_assert_int_eq(
        clconv_plan_enqueue(f.plan, f.input, f.weight, NULL, f.output, NULL, 0, NULL, NULL),
        CLCONV_SUCCESS);
    clFinish(f.queue);
    expect_result(&f, "bias NULL, event NULL");
    /* a bias buffer given anyway is ignored when desc.bias == 0 */
    fill_sentinel(&f);
    ck_assert_int_eq(
        clconv_plan_enqueue(f.plan, f.input, f.weight, f.bias, f.output, NULL, 0, NULL, NULL),
        CLCONV_SUCCESS);
    clFinish(f.queue);
    expect_result(&f, "bias ignored");
    fixture_free(&f);
}
END_TEST

/* Expects a rejected enqueue with status and a context message containing needle, and the
 * output still holding the sentinel. */
static void expect_enqueue_reject(fixture *f, const char *what, clconv_status status,
                                  const char *needle, cl_mem input, cl_mem weight, cl_mem bias,
                                  cl_mem output, cl_uint nwait, const cl_event *wait)
{
    cl_event ev = (cl_event)(uintptr_t)0x1; /* a rejected call leaves *event alone */
    clconv_status st =
        clconv_plan_enqueue(f->plan, input, weight, bias, output, NULL, nwait, wait, &ev);
    ck_assert_msg(st == status, "%s: status %s, expected %s (%s)", what, clconv_status_name(st),
                  clconv_status_name(status), clconv_context_last_error(f->ctx));
    ck_assert_msg(strstr(clconv_context_last_error(f->ctx), needle) != NULL,
                  "%s: context message \"%s\" lacks \"%s\"", what,
                  clconv_context_last_error(f->ctx), needle);
    ck_assert_msg(strstr(clconv_last_error(), needle) != NULL,
                  "%s: thread message \"%s\" lacks \"%s\"", what, clconv_last_error(), needle);
    ck_assert_msg(ev == (cl_event)(uintptr_t)0x1, "%s: event written on a rejected call", what);
    expect_sentinel(f, what);
}

START_TEST(test_rejected_buffers)
{
    fixture f;
    fixture_init(&f, 1);
    const clconv_status IB = CLCONV_ERROR_INVALID_BUFFER;
    expect_enqueue_reject(&f, "NULL input", IB, "input buffer is NULL", NULL, f.weight, f.bias,
                          f.output, 0, NULL);
    expect_enqueue_reject(&f, "NULL weight", IB, "weight buffer is NULL", f.input, NULL, f.bias,
                          f.output, 0, NULL);
    expect_enqueue_reject(&f, "NULL bias", IB, "bias buffer is NULL", f.input, f.weight, NULL,
                          f.output, 0, NULL);
    expect_enqueue_reject(&f, "NULL output", IB, "output buffer is NULL", f.input, f.weight, f.bias,
                          NULL, 0, NULL);

    /* one element short each */
    cl_mem small_in = make_buffer(f.cl, (f.t.input_count - 1) * 4, NULL);
    cl_mem small_w = make_buffer(f.cl, (f.t.weight_count - 1) * 4, NULL);
    cl_mem small_b = make_buffer(f.cl, (f.t.bias_count - 1) * 4, NULL);
    cl_mem small_out = make_buffer(f.cl, (f.t.output_count - 1) * 4, NULL);
    expect_enqueue_reject(&f, "short input", IB, "input buffer holds", small_in, f.weight, f.bias,
                          f.output, 0, NULL);
    expect_enqueue_reject(&f, "short weight", IB, "weight buffer holds", f.input, small_w, f.bias,
                          f.output, 0, NULL);
    expect_enqueue_reject(&f, "short bias", IB, "bias buffer holds", f.input, f.weight, small_b,
                          f.output, 0, NULL);
    /* the short output must itself stay untouched */
    float probe = SENTINEL;
    clEnqueueWriteBuffer(f.queue, small_out, CL_TRUE, 0, 4, &probe, 0, NULL, NULL);
    expect_enqueue_reject(&f, "short output", IB, "output buffer holds", f.input, f.weight, f.bias,
                          small_out, 0, NULL);
    probe = 0;
    clEnqueueReadBuffer(f.queue, small_out, CL_TRUE, 0, 4, &probe, 0, NULL, NULL);
    ck_assert(probe == SENTINEL);

    /* aliasing: a buffer big enough for either role, passed as output and as an input */
    size_t big = f.t.input_count > f.t.output_count ? f.t.input_count : f.t.output_count;
    big = big > f.t.weight_count ? big : f.t.weight_count;
    cl_mem both = make_buffer(f.cl, big * 4, NULL);
    expect_enqueue_reject(&f, "output = input", IB, "output buffer overlaps the input", both,
                          f.weight, f.bias, both, 0, NULL);
    expect_enqueue_reject(&f, "output = weight", IB, "output buffer overlaps the weight", f.input,
                          both, f.bias, both, 0, NULL);
    expect_enqueue_reject(&f, "output = bias", IB, "output buffer overlaps the bias", f.input,
                          f.weight, both, both, 0, NULL);

    /* a buffer of another OpenCL context on the same device */
    cl_int err;
    cl_device_id dev = clconv_context_get_device(f.ctx);
    cl_context other = clCreateContext(NULL, 1, &dev, NULL, NULL, &err);
    ck_assert_ptr_nonnull(other);
    cl_mem foreign_in = make_buffer(other, f.t.input_count * 4, NULL);
    cl_mem foreign_out = make_buffer(other, f.t.output_count * 4, NULL);
    expect_enqueue_reject(&f, "foreign input", IB, "input buffer belongs to another", foreign_in,
                          f.weight, f.bias, f.output, 0, NULL);
    expect_enqueue_reject(&f, "foreign output", IB, "output buffer belongs to another", f.input,
                          f.weight, f.bias, foreign_out, 0, NULL);

    /* inconsistent wait lists */
    cl_event gate = clCreateUserEvent(f.cl, &err);
    expect_enqueue_reject(&f, "count 1, list NULL", CLCONV_ERROR_INVALID_ARGUMENT,
                          "num_wait_events = 1", f.input, f.weight, f.bias, f.output, 1, NULL);
    expect_enqueue_reject(&f, "count 0, list set", CLCONV_ERROR_INVALID_ARGUMENT,
                          "num_wait_events = 0", f.input, f.weight, f.bias, f.output, 0, &gate);
    clSetUserEventStatus(gate, CL_COMPLETE);
    clReleaseEvent(gate);

    ck_assert_int_eq(
        clconv_plan_enqueue(NULL, f.input, f.weight, f.bias, f.output, NULL, 0, NULL, NULL),
        CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "plan is NULL"));
    expect_sentinel(&f, "NULL plan");

    /* after all that, a correct call still works */
    ck_assert_int_eq(
        clconv_plan_enqueue(f.plan, f.input, f.weight, f.bias, f.output, NULL, 0, NULL, NULL),
        CLCONV_SUCCESS);
    clFinish(f.queue);
    expect_result(&f, "the rejections");

    cl_mem bufs[] = {small_in, small_w, small_b, small_out, both, foreign_in, foreign_out};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        clReleaseMemObject(bufs[i]);
    clReleaseContext(other);
    fixture_free(&f);
}
END_TEST

/* float16 plans check sizes in half elements: a float-sized check would reject these. */
START_TEST(test_half_buffer_sizes)
{
    clconv_context *ctx = test_context();
    ck_assert_ptr_nonnull(ctx);
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 2, 2, 1, 1);
    d.dtype = CLCONV_FLOAT16;
    const int in[4] = {1, 2, 2, 2};
    clconv_plan *plan;
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_DIRECT, &plan), CLCONV_SUCCESS);
    cl_context cl = clconv_context_get_cl_context(ctx);
    cl_mem x = make_buffer(cl, 8 * 2, NULL), w = make_buffer(cl, 4 * 2, NULL);
    cl_mem b = make_buffer(cl, 2 * 2, NULL), y = make_buffer(cl, 8 * 2, NULL);
    cl_mem y_short = make_buffer(cl, 8 * 2 - 2, NULL);
    uint16_t zero[8] = {0};
    clEnqueueWriteBuffer(clconv_context_get_queue(ctx), x, CL_TRUE, 0, 16, zero, 0, NULL, NULL);
    clEnqueueWriteBuffer(clconv_context_get_queue(ctx), w, CL_TRUE, 0, 8, zero, 0, NULL, NULL);
    clEnqueueWriteBuffer(clconv_context_get_queue(ctx), b, CL_TRUE, 0, 4, zero, 0, NULL, NULL);
    ck_assert_int_eq(clconv_plan_enqueue(plan, x, w, b, y, NULL, 0, NULL, NULL), CLCONV_SUCCESS);
    ck_assert_int_eq(clconv_plan_enqueue(plan, x, w, b, y_short, NULL, 0, NULL, NULL),
                     CLCONV_ERROR_INVALID_BUFFER);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "output buffer holds 14 bytes"));
    clFinish(clconv_context_get_queue(ctx));
    cl_mem all[] = {x, w, b, y, y_short};
    for (int i = 0; i < 5; i++)
        clReleaseMemObject(all[i]);
    clconv_plan_destroy(plan);
}
END_TEST

START_TEST(test_plan_create_rejections)
{
    clconv_context *ctx = test_context();
    ck_assert_ptr_nonnull(ctx);
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 3, 4, 3, 3);
    const int in[4] = {1, 3, 8, 8};
    clconv_plan *plan = (clconv_plan *)(uintptr_t)0x1;
    ck_assert_int_eq(clconv_plan_create(NULL, &d, in, CLCONV_ALGO_AUTO, &plan),
                     CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "ctx is NULL"));
    ck_assert_int_eq(clconv_plan_create(ctx, NULL, in, CLCONV_ALGO_AUTO, &plan),
                     CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_context_last_error(ctx), "desc is NULL"));
    ck_assert_int_eq(clconv_plan_create(ctx, &d, NULL, CLCONV_ALGO_AUTO, &plan),
                     CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_context_last_error(ctx), "input_nchw is NULL"));
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_AUTO, NULL),
                     CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_context_last_error(ctx), "plan is NULL"));
    ck_assert(plan == (clconv_plan *)(uintptr_t)0x1); /* untouched */

    /* an invalid descriptor: the context's message names the field too */
    d.dilation_w = 0;
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_AUTO, &plan),
                     CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_context_last_error(ctx), "dilation_w = 0"));
    d.dilation_w = 1;

    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, (clconv_algo)99, &plan),
                     CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_context_last_error(ctx), "algo = 99"));
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, (clconv_algo)-1, &plan),
                     CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert(plan == (clconv_plan *)(uintptr_t)0x1);

    /* NULL plan queries */
    ck_assert_int_eq(clconv_plan_get_algo(NULL), CLCONV_ALGO_AUTO);
    ck_assert_uint_eq(clconv_plan_get_workspace_size(NULL), 0);
    int out[4];
    ck_assert_int_eq(clconv_plan_get_output_shape(NULL, out), CLCONV_ERROR_INVALID_ARGUMENT);
    clconv_plan_destroy(NULL);
}
END_TEST

/* Every non-AUTO algorithm, forced: an algorithm missing from this build is UNSUPPORTED with a
 * reason; a registered one either runs the case correctly or says why it cannot. */
START_TEST(test_forced_algorithms)
{
    clconv_context *ctx = test_context();
    ck_assert_ptr_nonnull(ctx);
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 3, 4, 3, 3);
    d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
    const int in[4] = {1, 3, 8, 8};
    for (int a = CLCONV_ALGO_DIRECT; a < CLCONV_ALGO_COUNT_; a++) {
        clconv_plan *plan = NULL;
        clconv_status st = clconv_plan_create(ctx, &d, in, (clconv_algo)a, &plan);
        const char *name = clconv_algo_name((clconv_algo)a);
        const char *msg = clconv_context_last_error(ctx);
        if (!clconv_algo_available((clconv_algo)a)) {
            ck_assert_msg(st == CLCONV_ERROR_UNSUPPORTED, "%s: %s", name, clconv_status_name(st));
            ck_assert_msg(strstr(msg, name) && strstr(msg, "not available"), "%s: \"%s\"", name,
                          msg);
            ck_assert_ptr_null(plan);
            if (a == CLCONV_ALGO_GEMM)
                ck_assert_ptr_nonnull(strstr(msg, "CLBlast"));
        } else if (st == CLCONV_SUCCESS) {
            ck_assert_int_eq(clconv_plan_get_algo(plan), a);
            clconv_plan_destroy(plan);
            test_outcome r;
            ck_assert_msg(test_run_case(&d, in, (clconv_algo)a, 5, &r), "%s: %s", name, r.message);
        } else {
            ck_assert_msg(st == CLCONV_ERROR_UNSUPPORTED, "%s: %s: %s", name,
                          clconv_status_name(st), msg);
            ck_assert_msg(strstr(msg, name) && strstr(msg, "cannot run"), "%s: \"%s\"", name, msg);
        }
    }
    /* direct is always there and runs everything */
    ck_assert(clconv_algo_available(CLCONV_ALGO_DIRECT));
}
END_TEST

START_TEST(test_algo_environment)
{
    clconv_context *ctx = test_context();
    ck_assert_ptr_nonnull(ctx);
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 3, 4, 3, 3);
    const int in[4] = {1, 3, 8, 8};
    clconv_plan *plan = NULL;

    ck_assert_int_eq(setenv("CLCONV_ALGO", "DiReCt", 1), 0);
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_AUTO, &plan), CLCONV_SUCCESS);
    ck_assert_int_eq(clconv_plan_get_algo(plan), CLCONV_ALGO_DIRECT);
    clconv_plan_destroy(plan);
    plan = NULL;

    ck_assert_int_eq(setenv("CLCONV_ALGO", "no-such-algo", 1), 0);
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_AUTO, &plan),
                     CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_context_last_error(ctx), "CLCONV_ALGO"));
    ck_assert_ptr_nonnull(strstr(clconv_context_last_error(ctx), "no-such-algo"));
    ck_assert_ptr_null(plan);
    /* an explicit algorithm wins over the environment */
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_DIRECT, &plan), CLCONV_SUCCESS);
    clconv_plan_destroy(plan);
    plan = NULL;

    /* an algorithm the build lacks, forced from the environment: the reason names the source */
    for (int a = CLCONV_ALGO_DIRECT; a < CLCONV_ALGO_COUNT_; a++) {
        if (clconv_algo_available((clconv_algo)a))
            continue;
        ck_assert_int_eq(setenv("CLCONV_ALGO", clconv_algo_name((clconv_algo)a), 1), 0);
        ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_AUTO, &plan),
                         CLCONV_ERROR_UNSUPPORTED);
        ck_assert_ptr_nonnull(strstr(clconv_context_last_error(ctx), "from CLCONV_ALGO"));
    }
    /* "auto" and the empty string mean no override */
    ck_assert_int_eq(setenv("CLCONV_ALGO", "auto", 1), 0);
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_AUTO, &plan), CLCONV_SUCCESS);
    ck_assert_int_ne(clconv_plan_get_algo(plan), CLCONV_ALGO_AUTO);
    clconv_plan_destroy(plan);
    ck_assert_int_eq(setenv("CLCONV_ALGO", "", 1), 0);
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_AUTO, &plan), CLCONV_SUCCESS);
    clconv_plan_destroy(plan);
    unsetenv("CLCONV_ALGO");
}
END_TEST

START_TEST(test_too_large_for_device)
{
    clconv_context *ctx = test_context();
    ck_assert_ptr_nonnull(ctx);
    clconv_device_info info;
    ck_assert_int_eq(clconv_context_get_device_info(ctx, &info), CLCONV_SUCCESS);
    /* one more float than the device's max allocation, as a 1-channel image */
    unsigned long long elems = info.max_alloc_size / 4 + 1;
    const int w = 32768;
    unsigned long long h = (elems + w - 1) / w;
    if (h > 0x7fffffffull)
        h = 0x7fffffffull; /* beyond int indexing anyway: still too large */
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 1, 1, 1, 1);
    const int in[4] = {1, 1, (int)h, w};
    clconv_plan *plan = NULL;
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_AUTO, &plan),
                     CLCONV_ERROR_TOO_LARGE);
    ck_assert_ptr_null(plan);
    const char *msg = clconv_context_last_error(ctx);
    ck_assert_msg(strstr(msg, "input") && (strstr(msg, "max allocation") || strstr(msg, "index")),
                  "message: %s", msg);
    /* the same with the output the big one: a 1x1 input upsampled */
    clconv_desc_init(&d, CLCONV_CONV_TRANSPOSE2D, 1, 1, 1, 1);
    d.stride_h = (int)h;
    d.stride_w = w;
    d.output_padding_h = (int)h - 1;
    d.output_padding_w = w - 1;
    const int in2[4] = {1, 1, 2, 2};
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in2, CLCONV_ALGO_DIRECT, &plan),
                     CLCONV_ERROR_TOO_LARGE);
    ck_assert_ptr_nonnull(strstr(clconv_context_last_error(ctx), "output"));
    /* the validation alone accepts it: the limit is the device's */
    int out[4];
    ck_assert_int_eq(clconv_output_shape(&d, in2, out), CLCONV_SUCCESS);
}
END_TEST

static Suite *enqueue_suite(void)
{
    Suite *s = suite_create("enqueue");
    TCase *tc = tcase_create("device");
    tcase_set_timeout(tc, 0);
    tcase_add_test(tc, test_wait_list_gates_enqueue);
    tcase_add_test(tc, test_event_chain);
    tcase_add_test(tc, test_event_optional_and_no_bias);
    tcase_add_test(tc, test_rejected_buffers);
    tcase_add_test(tc, test_half_buffer_sizes);
    tcase_add_test(tc, test_plan_create_rejections);
    tcase_add_test(tc, test_forced_algorithms);
    tcase_add_test(tc, test_algo_environment);
    tcase_add_test(tc, test_too_large_for_device);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(enqueue_suite, CK_FORK_GETENV)
