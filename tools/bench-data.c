/* clconv-bench: the layer's host and device tensors, the reference and verification (the
 * shared harness: random data, half conversion, the tolerance policy of the tests). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h" /* data, half conversion, the one tolerance policy */
#include "tools/bench.h"
#include "tools/tool-util.h"

/* Uploads count floats as the layer's dtype. */
static cl_mem make_buffer(cl_context cl, const float *host, size_t count, clconv_dtype dtype)
{
    size_t esize = clconv_dtype_size(dtype), bytes = (count ? count : 1) * esize;
    void *data = (void *)host;
    uint16_t *halves = NULL;
    if (host && dtype == CLCONV_FLOAT16) {
        halves = malloc(bytes);
        if (!halves)
            return NULL;
        for (size_t i = 0; i < count; i++)
            halves[i] = test_float_to_half(host[i]);
        data = halves;
    }
    cl_mem m = tool_buffer(cl, bytes, host && count ? data : NULL);
    free(halves);
    return m;
}

static int read_output(clconv_context *ctx, cl_mem buf, size_t count, clconv_dtype dtype,
                       float *out)
{
    cl_command_queue q = clconv_context_get_queue(ctx);
    if (dtype == CLCONV_FLOAT32)
        return clEnqueueReadBuffer(q, buf, CL_TRUE, 0, count * sizeof(float), out, 0, NULL, NULL) ==
                       CL_SUCCESS
                   ? 0
                   : -1;
    uint16_t *h = malloc(count * sizeof *h);
    if (!h)
        return -1;
    int rc =
        clEnqueueReadBuffer(q, buf, CL_TRUE, 0, count * sizeof *h, h, 0, NULL, NULL) == CL_SUCCESS
            ? 0
            : -1;
    for (size_t i = 0; i < count && rc == 0; i++)
        out[i] = test_half_to_float(h[i]);
    free(h);
    return rc;
}

void layer_data_free(layer_data *d)
{
    free(d->in);
    free(d->w);
    free(d->b);
    free(d->res);
    free(d->ref);
    free(d->scale);
    free(d->ref_nobias);
    free(d->scale_nobias);
    free(d->out);
    cl_mem bufs[] = {d->d_in, d->d_w, d->d_b, d->d_out, d->d_res};
    tool_release_buffers(bufs, 5);
    memset(d, 0, sizeof *d);
}

static float *abs_copy(const float *x, size_t n)
{
    float *y = malloc((n ? n : 1) * sizeof *y);
    if (y)
        for (size_t i = 0; i < n; i++)
            y[i] = fabsf(x[i]);
    return y;
}

/* Reference output and its scale (the same convolution of |x|, |w|, |b| plus |residual|, no
 * activation: the activations are about 1-Lipschitz, so the bound carries over) for desc;
 * bias dropped when no_bias. */
static int reference_pair(const layer_spec *L, const layer_data *d, bool no_bias, float **ref,
                          float **scale)
{
    clconv_desc desc = L->desc;
    if (no_bias)
        desc.bias = 0;
    *ref = malloc(d->nout * sizeof **ref);
    *scale = malloc(d->nout * sizeof **scale);
    float *ai = abs_copy(d->in, d->nin), *aw = abs_copy(d->w, d->nw), *ab = abs_copy(d->b, d->nb);
    float *ar = d->res ? abs_copy(d->res, d->nout) : NULL;
    clconv_desc plain = desc;
    plain.activation = CLCONV_ACTIVATION_NONE;
    int rc = -1;
    if (*ref && *scale && ai && aw && ab && (!d->res || ar) &&
        clconv_reference_residual(&desc, L->input, d->in, d->w, desc.bias ? d->b : NULL, d->res,
                                  *ref) == CLCONV_SUCCESS &&
        clconv_reference_residual(&plain, L->input, ai, aw, desc.bias ? ab : NULL, ar, *scale) ==
            CLCONV_SUCCESS)
        rc = 0;
    free(ar);
    free(ai);
    free(aw);
    free(ab);
    return rc;
}

int layer_data_init(bench_state *st, const layer_spec *L, layer_data *d, char *err, size_t n)
{
    memset(d, 0, sizeof *d);
    if (clconv_tensor_sizes(&L->desc, L->input, &d->nin, &d->nw, &d->nb, &d->nout) !=
        CLCONV_SUCCESS) {
        snprintf(err, n, "%s", clconv_last_error());
        return -1;
    }
    d->in = malloc((d->nin ? d->nin : 1) * sizeof(float));
    d->w = malloc((d->nw ? d->nw : 1) * sizeof(float));
    d->b = malloc((d->nb ? d->nb : 1) * sizeof(float));
    d->out = malloc(d->nout * sizeof(float));
    if (!d->in || !d->w || !d->b || !d->out) {
        snprintf(err, n, "host memory for %zu outputs", d->nout);
        return -1;
    }
    uint64_t seed = 0x9e3779b97f4a7c15ull; /* the layer's name picks its data */
    for (const char *c = L->name; *c; c++)
        seed = (seed ^ (unsigned char)*c) * 0x100000001b3ull;
    test_rng rng;
    test_rng_seed(&rng, seed);
    /* weights scaled by 1/sqrt(fan-in) keep outputs near 1, as torch's initialisation does */
    const clconv_desc *ds = &L->desc;
    double fan_in = (double)ds->kernel_h * ds->kernel_w *
                    (ds->kind == CLCONV_CONV2D ? ds->in_channels : ds->out_channels) / ds->groups;
    float wscale = (float)(1.0 / sqrt(fan_in > 0 ? fan_in : 1));
    for (size_t i = 0; i < d->nin; i++)
        d->in[i] = test_rng_float(&rng);
    for (size_t i = 0; i < d->nw; i++)
        d->w[i] = test_rng_float(&rng) * wscale;
    for (size_t i = 0; i < d->nb; i++)
        d->b[i] = test_rng_float(&rng) * 0.1f;
    if (ds->residual) {
        if (!(d->res = malloc(d->nout * sizeof(float)))) {
            snprintf(err, n, "host memory for the residual");
            return -1;
        }
        for (size_t i = 0; i < d->nout; i++)
            d->res[i] = test_rng_float(&rng);
    }
    if (ds->dtype == CLCONV_FLOAT16) { /* the reference sees what the device sees */
        test_round_to_half(d->in, d->nin);
        test_round_to_half(d->w, d->nw);
        test_round_to_half(d->b, d->nb);
        if (d->res)
            test_round_to_half(d->res, d->nout);
    }
    cl_context cl = clconv_context_get_cl_context(st->ctx);
    d->d_in = make_buffer(cl, d->in, d->nin, ds->dtype);
    d->d_w = make_buffer(cl, d->w, d->nw, ds->dtype);
    d->d_b = ds->bias ? make_buffer(cl, d->b, d->nb, ds->dtype) : NULL;
    d->d_out = make_buffer(cl, NULL, d->nout, ds->dtype);
    d->d_res = ds->residual ? make_buffer(cl, d->res, d->nout, ds->dtype) : NULL;
    if (!d->d_in || !d->d_w || (ds->bias && !d->d_b) || !d->d_out || (ds->residual && !d->d_res)) {
        snprintf(err, n, "device buffers for the layer could not be created");
        return -1;
    }
    if (st->opt.verify) {
        if (reference_pair(L, d, false, &d->ref, &d->scale) ||
            (ds->bias && reference_pair(L, d, true, &d->ref_nobias, &d->scale_nobias))) {
            snprintf(err, n, "reference failed: %s", clconv_last_error());
            return -1;
        }
    }
    return 0;
}

int poison_output(bench_state *st, const layer_spec *L, layer_data *d)
{
    const float nan32 = NAN;
    const uint16_t nan16 = 0x7e00u;
    const bool half = L->desc.dtype == CLCONV_FLOAT16;
    cl_command_queue q = clconv_context_get_queue(st->ctx);
    size_t bytes = d->nout * (half ? sizeof nan16 : sizeof nan32);
    if (clEnqueueFillBuffer(q, d->d_out, half ? (const void *)&nan16 : (const void *)&nan32,
                            half ? sizeof nan16 : sizeof nan32, 0, bytes, 0, NULL,
                            NULL) != CL_SUCCESS)
        return -1;
    return clFinish(q) == CL_SUCCESS ? 0 : -1;
}

void verify_row(bench_state *st, const layer_spec *L, layer_data *d, row *r, bool no_bias)
{
    if (!st->opt.verify)
        return;
    if (read_output(st->ctx, d->d_out, d->nout, L->desc.dtype, d->out)) {
        r->verified = 0;
        r->verify_ratio = INFINITY;
        return;
    }
    const bool nb = no_bias && L->desc.bias;
    test_outcome o;
    memset(&o, 0, sizeof o);
    r->verified = test_compare_outputs(&L->desc, d->out, nb ? d->ref_nobias : d->ref,
                                       nb ? d->scale_nobias : d->scale, d->nout, &o);
    r->verify_ratio = o.worst_ratio;
}
