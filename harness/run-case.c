/* The shared device run of one case (harness.h): upload, plan, enqueue (with the epilogue's
 * residual, separate or in place, and set weights when asked), read back, compare with the
 * reference under the suites' tolerance. */
#include "harness/harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Uploads count floats in dtype; returns NULL on failure. */
static cl_mem upload(cl_context cl, const float *data, size_t count, clconv_dtype dtype)
{
    size_t elem = clconv_dtype_size(dtype);
    size_t bytes = (count ? count : 1) * elem;
    void *host = malloc(bytes);
    if (!host)
        return NULL;
    if (dtype == CLCONV_FLOAT16)
        for (size_t i = 0; i < count; i++)
            ((uint16_t *)host)[i] = test_float_to_half(data[i]);
    else
        memcpy(host, data, count * elem);
    cl_int err;
    cl_mem buf = clCreateBuffer(cl, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, bytes, host, &err);
    free(host);
    return buf;
}

static bool download(cl_command_queue q, cl_mem buf, float *data, size_t count, clconv_dtype dtype)
{
    size_t elem = clconv_dtype_size(dtype);
    void *host = malloc(count * elem);
    if (!host)
        return false;
    bool ok =
        clEnqueueReadBuffer(q, buf, CL_TRUE, 0, count * elem, host, 0, NULL, NULL) == CL_SUCCESS;
    if (ok && dtype == CLCONV_FLOAT16)
        for (size_t i = 0; i < count; i++)
            data[i] = test_half_to_float(((uint16_t *)host)[i]);
    else if (ok)
        memcpy(data, host, count * elem);
    free(host);
    return ok;
}

double test_tolerance(const clconv_desc *desc, double scale, double ref)
{
    const bool half = desc->dtype == CLCONV_FLOAT16;
    const double rel = half ? 2e-3 : 1e-5, floor_abs = 1e-7;
    const double before = rel * scale + floor_abs;
    if (desc->activation == CLCONV_ACTIVATION_NONE)
        return before;
    /* the activations are at most 1.5-Lipschitz (hardswish's slope reaches 1.5); exp, erf and
     * tanh on the device add a few float ulps, and the stored value its rounding */
    const double rounding = half ? 0x1p-11 : 4 * 0x1p-23;
    return 1.5 * before + rounding * fabs(ref) + floor_abs;
}

/* The buffers and host data of one run, released together. */
typedef struct run_buffers {
    cl_mem in, w, b, res, out, ws;
} run_buffers;

static void release_buffers(run_buffers *b)
{
    cl_mem all[] = {b->in, b->w, b->b, b->res, b->out, b->ws};
    for (int i = 0; i < 6; i++)
        if (all[i])
            clReleaseMemObject(all[i]);
    memset(b, 0, sizeof *b);
}

/* Enqueues the plan: the old entry point for a plain case, clconv_plan_enqueue_buffers with
 * the residual and set weights otherwise. */
static clconv_status enqueue(clconv_plan *plan, const clconv_desc *desc, run_buffers *b,
                             const test_run_options *o, cl_event *ev)
{
    if (!desc->residual && !o->set_weights)
        return clconv_plan_enqueue(plan, b->in, b->w, b->b, b->out, b->ws, 0, NULL, ev);
    if (o->set_weights) {
        clconv_status st = clconv_plan_set_weights(plan, b->w, b->b);
        if (st != CLCONV_SUCCESS)
            return st;
        /* the plan owns copies: the caller's buffers may go */
        if (b->w)
            clReleaseMemObject(b->w);
        if (b->b)
            clReleaseMemObject(b->b);
        b->w = b->b = NULL;
    }
    const clconv_buffers bufs = {
        b->in,  b->w, b->b, desc->residual ? (o->residual_in_place ? b->out : b->res) : NULL,
        b->out, b->ws};
    return clconv_plan_enqueue_buffers(plan, NULL, &bufs, 0, NULL, ev);
}

/* One case with algo, or with the variant forced by name when variant is set. */
static bool run_case(clconv_context *ctx, const clconv_desc *desc, const int in_shape[4],
                     clconv_algo algo, const char *variant, uint64_t seed,
                     const test_run_options *o, test_outcome *r)
{
    static const test_run_options plain = {false, false};
    if (!o)
        o = &plain;
    memset(r, 0, sizeof *r);
    r->status = CLCONV_ERROR_INVALID_ARGUMENT;
    if (!ctx) {
        snprintf(r->message, sizeof r->message, "no context: %s", clconv_last_error());
        return false;
    }
    test_tensors t;
    if (!test_tensors_alloc(&t, desc, in_shape, seed)) {
        snprintf(r->message, sizeof r->message, "tensors: %s", clconv_last_error());
        return false;
    }
    const bool half = desc->dtype == CLCONV_FLOAT16;
    float *ref = malloc(t.output_count * sizeof(float));
    float *scale = malloc(t.output_count * sizeof(float));
    float *res = malloc(t.output_count * sizeof(float));
    float *ain = malloc(t.input_count * sizeof(float));
    float *aw = malloc(t.weight_count * sizeof(float));
    float *ab = malloc((t.bias_count ? t.bias_count : 1) * sizeof(float));
    run_buffers b = {0};
    clconv_plan *plan = NULL;
    bool ok = false;
    if (!ref || !scale || !res || !ain || !aw || !ab) {
        snprintf(r->message, sizeof r->message, "host allocation failed");
        goto done;
    }
    test_rng rng;
    test_rng_seed(&rng, seed ^ 0x5eed5eedull);
    test_fill(&rng, res, t.output_count);
    if (half) {
        test_round_to_half(t.input, t.input_count);
        test_round_to_half(t.weight, t.weight_count);
        test_round_to_half(t.bias, t.bias_count);
        test_round_to_half(res, t.output_count);
    }
    clconv_desc plain_desc = *desc; /* the scale: |x| * |w| + |bias| before any epilogue */
    plain_desc.activation = CLCONV_ACTIVATION_NONE;
    plain_desc.residual = 0;
    if (clconv_reference_residual(desc, in_shape, t.input, t.weight, t.bias, res, ref) !=
        CLCONV_SUCCESS) {
        snprintf(r->message, sizeof r->message, "reference: %s", clconv_last_error());
        goto done;
    }
    test_abs_copy(ain, t.input, t.input_count);
    test_abs_copy(aw, t.weight, t.weight_count);
    test_abs_copy(ab, t.bias, t.bias_count);
    clconv_reference(&plain_desc, in_shape, ain, aw, ab, scale);

    r->status = variant ? clconv_plan_create_variant(ctx, desc, in_shape, variant, &plan)
                        : clconv_plan_create(ctx, desc, in_shape, algo, &plan);
    if (r->status != CLCONV_SUCCESS) {
        snprintf(r->message, sizeof r->message, "plan_create: %s: %s",
                 clconv_status_name(r->status), clconv_context_last_error(ctx));
        goto done;
    }
    r->algo = clconv_plan_get_algo(plan);
    r->variant = clconv_plan_get_variant_name(plan);
    cl_context cl = clconv_context_get_cl_context(ctx);
    b.in = upload(cl, t.input, t.input_count, desc->dtype);
    b.w = upload(cl, t.weight, t.weight_count, desc->dtype);
    b.b = desc->bias ? upload(cl, t.bias, t.bias_count, desc->dtype) : NULL;
    const bool in_place = desc->residual && o->residual_in_place;
    for (size_t i = 0; i < t.output_count; i++)
        t.output[i] = in_place ? res[i] : NAN; /* a missed output shows as NaN */
    b.out = upload(cl, t.output, t.output_count, desc->dtype);
    b.res = desc->residual && !in_place ? upload(cl, res, t.output_count, desc->dtype) : NULL;
    size_t ws = clconv_plan_get_workspace_size(plan);
    if (ws) {
        cl_int err;
        b.ws = clCreateBuffer(cl, CL_MEM_READ_WRITE, ws, NULL, &err);
    }
    if (!b.in || !b.w || !b.out || (desc->bias && !b.b) || (ws && !b.ws) ||
        (desc->residual && !in_place && !b.res)) {
        snprintf(r->message, sizeof r->message, "device allocation failed");
        r->status = CLCONV_ERROR_OPENCL;
        goto done;
    }
    cl_event ev = NULL;
    r->status = enqueue(plan, desc, &b, o, &ev);
    if (r->status != CLCONV_SUCCESS) {
        snprintf(r->message, sizeof r->message, "enqueue: %s: %s", clconv_status_name(r->status),
                 clconv_context_last_error(ctx));
        goto done;
    }
    clWaitForEvents(1, &ev);
    clReleaseEvent(ev);
    if (!download(clconv_context_get_queue(ctx), b.out, t.output, t.output_count, desc->dtype)) {
        snprintf(r->message, sizeof r->message, "read back failed");
        r->status = CLCONV_ERROR_OPENCL;
        goto done;
    }
    /* the residual's magnitude joins the scale: it is summed before the activation */
    if (desc->residual)
        for (size_t i = 0; i < t.output_count; i++)
            scale[i] += fabsf(res[i]);
    ok = test_compare_outputs(desc, t.output, ref, scale, t.output_count, r);
    if (!ok)
        snprintf(r->message, sizeof r->message,
                 "output[%zu] = %.9g, reference %.9g: error %.3g x tolerance (variant %s%s%s)",
                 r->worst_index, r->worst_dev, r->worst_ref, r->worst_ratio,
                 r->variant ? r->variant : "?", o->set_weights ? ", set weights" : "",
                 in_place ? ", residual in place" : "");
done:
    clconv_plan_destroy(plan);
    release_buffers(&b);
    free(ref);
    free(scale);
    free(res);
    free(ain);
    free(aw);
    free(ab);
    test_tensors_free(&t);
    return ok;
}

bool test_run_case_on(clconv_context *ctx, const clconv_desc *desc, const int in_shape[4],
                      clconv_algo algo, uint64_t seed, test_outcome *r)
{
    return run_case(ctx, desc, in_shape, algo, NULL, seed, NULL, r);
}

bool test_run_case_with(clconv_context *ctx, const clconv_desc *desc, const int in_shape[4],
                        clconv_algo algo, uint64_t seed, const test_run_options *options,
                        test_outcome *r)
{
    return run_case(ctx, desc, in_shape, algo, NULL, seed, options, r);
}

bool test_run_variant_with(clconv_context *ctx, const clconv_desc *desc, const int in_shape[4],
                           const char *variant, uint64_t seed, const test_run_options *options,
                           test_outcome *r)
{
    if (!variant) {
        memset(r, 0, sizeof *r);
        r->status = CLCONV_ERROR_INVALID_ARGUMENT;
        snprintf(r->message, sizeof r->message, "variant is NULL");
        return false;
    }
    bool ok = run_case(ctx, desc, in_shape, CLCONV_ALGO_AUTO, variant, seed, options, r);
    if (r->status == CLCONV_SUCCESS && (!r->variant || strcmp(r->variant, variant) != 0)) {
        snprintf(r->message, sizeof r->message, "the plan ran variant %s, not the forced %s",
                 r->variant ? r->variant : "(null)", variant);
        ok = false;
    }
    return ok;
}

bool test_run_variant_on(clconv_context *ctx, const clconv_desc *desc, const int in_shape[4],
                         const char *variant, uint64_t seed, test_outcome *r)
{
    return test_run_variant_with(ctx, desc, in_shape, variant, seed, NULL, r);
}

void test_set_activation(clconv_desc *desc, clconv_activation activation)
{
    desc->activation = activation;
    desc->activation_alpha = desc->activation_beta = 0.0f;
    if (activation == CLCONV_ACTIVATION_LEAKY_RELU) {
        desc->activation_alpha = 0.125f;
    } else if (activation == CLCONV_ACTIVATION_CLAMP) {
        desc->activation_alpha = -0.5f;
        desc->activation_beta = 0.75f;
    }
}
