/* clconv-bench: times layer suites with every algorithm and CLBlast's convgemm baseline.
 *
 *   clconv-bench [--device SPEC] [--repeats N] [--verify] [--json FILE] [--csv FILE]
 *                [--ceiling-gflops X --ceiling-gbps Y] [--no-baseline]
 *                SUITE_FILE_OR_LAYER_SPEC...
 *
 * Each argument is a suite file (tools/suites/README.md) or one layer in clconv-count's
 * option syntax, quoted as one argument ("--input 1x64x56x56 --out-channels 64 --kernel 3").
 * Each layer runs with AUTO, then with every algorithm id that accepts it (the others are
 * listed as skipped, with the reason), then with CLBlast's convgemm where CLBlast was found
 * and supports the case (Conv2d, groups 1, symmetric zeros padding, float32). Every run is
 * warmed up, then timed N times (default 5, at least 5) by OpenCL profiling events; median
 * and minimum are kept. Each row names the algorithm and the kernel variant its plan ran
 * (clconv_plan_get_variant_name: for the AUTO row, the variant AUTO chose; none for the
 * baseline). Roofline columns use the ceilings given, else a quick measurement
 * (tools/peak.h). --verify compares every run's output with clconv_reference.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clconv.h>

#include "tools/bench-epilogue.h"
#include "tools/layerspec.h"
#include "tools/peak.h"
#include "tools/tool-util.h"

#ifdef CLCONV_BENCH_CLBLAST
#include <clblast_c.h>
#endif

#define MIN_REPEATS 5

typedef struct bench_options {
    const char *device, *json_path, *csv_path;
    int repeats;
    bool verify, baseline;
    double ceiling_gflops, ceiling_gbps; /* 0: measure */
} bench_options;

typedef struct ceilings {
    double gflops, gbps, ridge;
    const char *source, *gbps_from;
    bool measured;
    peak_results peak; /* when measured */
} ceilings;

typedef struct row {
    const layer_spec *layer;
    const char *mode; /* auto, forced, baseline */
    char algo[32];
    char variant[64]; /* the plan's kernel variant; "" for the baseline */
    char note[160];
    double median_s, min_s;
    int repeats;
    clconv_op_count ops;
    double gflops, gbps, roof_gflops, roof_pct;
    const char *bound;
    bool exceeds_roof;
    int verified;        /* -1: not checked, 0: failed, 1: passed */
    double verify_ratio; /* worst |dev - ref| / tolerance */
} row;

typedef struct skip {
    const layer_spec *layer;
    char algo[32];
    char reason[512];
} skip;

typedef struct bench_state {
    bench_options opt;
    clconv_context *ctx;
    clconv_device_info info;
    ceilings ceil;
    row *rows;
    size_t nrows, cap_rows;
    skip *skips;
    size_t nskips, cap_skips;
    bool baseline_available;
    char baseline_note[160];
} bench_state;

/* ---- host data ------------------------------------------------------------------------- */

static float frand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (float)((*s * 2685821657736338717ull) >> 40) / 8388608.0f - 1.0f;
}

static uint16_t float_to_half(float f)
{
    /* round to nearest even; values here are small and normal or zero */
    union {
        float f;
        uint32_t u;
    } v = {f};
    uint32_t sign = (v.u >> 16) & 0x8000u, exp = (v.u >> 23) & 0xffu, man = v.u & 0x7fffffu;
    if (exp < 103)
        return (uint16_t)sign;
    if (exp > 142)
        return (uint16_t)(sign | 0x7c00u);
    if (exp < 113) { /* subnormal half */
        man |= 0x800000u;
        uint32_t shift = 126 - exp, h = man >> shift, rem = man & ((1u << shift) - 1);
        uint32_t half_way = 1u << (shift - 1);
        if (rem > half_way || (rem == half_way && (h & 1)))
            h++;
        return (uint16_t)(sign | h);
    }
    uint32_t h = ((exp - 112) << 10) | (man >> 13), rem = man & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1)))
        h++;
    return (uint16_t)(sign | h);
}

static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
    float mag;
    if (exp == 0)
        mag = ldexpf((float)man, -24);
    else if (exp == 31)
        mag = man ? NAN : INFINITY;
    else
        mag = ldexpf((float)(man | 0x400u), (int)exp - 25);
    return sign ? -mag : mag;
}

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
            halves[i] = float_to_half(host[i]);
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
        out[i] = half_to_float(h[i]);
    free(h);
    return rc;
}

/* The layer's tensors on the host and the device, plus the reference when verifying. */
typedef struct layer_data {
    size_t nin, nw, nb, nout;
    float *in, *w, *b;
    float *ref, *scale, *ref_nobias, *scale_nobias; /* verify only */
    float *out;
    cl_mem d_in, d_w, d_b, d_out;
} layer_data;

static void layer_data_free(layer_data *d)
{
    free(d->in);
    free(d->w);
    free(d->b);
    free(d->ref);
    free(d->scale);
    free(d->ref_nobias);
    free(d->scale_nobias);
    free(d->out);
    cl_mem bufs[] = {d->d_in, d->d_w, d->d_b, d->d_out};
    tool_release_buffers(bufs, 4);
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

/* Reference output and its scale (the same convolution of |x|, |w|, |b|: sum of |x*w| + |b|
 * per output) for desc; bias dropped when no_bias. */
static int reference_pair(const layer_spec *L, const layer_data *d, bool no_bias, float **ref,
                          float **scale)
{
    clconv_desc desc = L->desc;
    if (no_bias)
        desc.bias = 0;
    *ref = malloc(d->nout * sizeof **ref);
    *scale = malloc(d->nout * sizeof **scale);
    float *ai = abs_copy(d->in, d->nin), *aw = abs_copy(d->w, d->nw), *ab = abs_copy(d->b, d->nb);
    int rc = -1;
    if (*ref && *scale && ai && aw && ab &&
        clconv_reference(&desc, L->input, d->in, d->w, desc.bias ? d->b : NULL, *ref) ==
            CLCONV_SUCCESS &&
        clconv_reference(&desc, L->input, ai, aw, desc.bias ? ab : NULL, *scale) == CLCONV_SUCCESS)
        rc = 0;
    free(ai);
    free(aw);
    free(ab);
    return rc;
}

static int layer_data_init(bench_state *st, const layer_spec *L, layer_data *d, char *err, size_t n)
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
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (const char *c = L->name; *c; c++)
        seed = (seed ^ (unsigned char)*c) * 0x100000001b3ull;
    /* weights scaled by 1/sqrt(fan-in) keep outputs near 1, as torch's initialisation does */
    const clconv_desc *ds = &L->desc;
    double fan_in = (double)ds->kernel_h * ds->kernel_w *
                    (ds->kind == CLCONV_CONV2D ? ds->in_channels : ds->out_channels) / ds->groups;
    float wscale = (float)(1.0 / sqrt(fan_in > 0 ? fan_in : 1));
    for (size_t i = 0; i < d->nin; i++)
        d->in[i] = frand(&seed);
    for (size_t i = 0; i < d->nw; i++)
        d->w[i] = frand(&seed) * wscale;
    for (size_t i = 0; i < d->nb; i++)
        d->b[i] = frand(&seed) * 0.1f;
    if (ds->dtype == CLCONV_FLOAT16) { /* the reference sees what the device sees */
        for (size_t i = 0; i < d->nin; i++)
            d->in[i] = half_to_float(float_to_half(d->in[i]));
        for (size_t i = 0; i < d->nw; i++)
            d->w[i] = half_to_float(float_to_half(d->w[i]));
        for (size_t i = 0; i < d->nb; i++)
            d->b[i] = half_to_float(float_to_half(d->b[i]));
    }
    cl_context cl = clconv_context_get_cl_context(st->ctx);
    d->d_in = make_buffer(cl, d->in, d->nin, ds->dtype);
    d->d_w = make_buffer(cl, d->w, d->nw, ds->dtype);
    d->d_b = ds->bias ? make_buffer(cl, d->b, d->nb, ds->dtype) : NULL;
    d->d_out = make_buffer(cl, NULL, d->nout, ds->dtype);
    if (!d->d_in || !d->d_w || (ds->bias && !d->d_b) || !d->d_out) {
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

/* Worst |dev - ref| / (rel * scale + floor) over the outputs (NaN counts as a failure). */
static double compare(const float *out, const float *ref, const float *scale, size_t n,
                      clconv_dtype dtype)
{
    const double rel = dtype == CLCONV_FLOAT16 ? 1e-2 : 1e-4, floor = 1e-6;
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)out[i] - ref[i]) / (rel * scale[i] + floor);
        if (!(e <= worst))
            worst = isnan(e) ? INFINITY : e;
    }
    return worst;
}

/* ---- rows ------------------------------------------------------------------------------ */

static row *add_row(bench_state *st)
{
    if (st->nrows == st->cap_rows) {
        size_t cap = st->cap_rows ? 2 * st->cap_rows : 64;
        row *r = realloc(st->rows, cap * sizeof *r);
        if (!r)
            return NULL;
        st->rows = r;
        st->cap_rows = cap;
    }
    row *r = &st->rows[st->nrows++];
    memset(r, 0, sizeof *r);
    r->verified = -1;
    return r;
}

static void add_skip(bench_state *st, const layer_spec *L, const char *algo, const char *reason)
{
    if (st->nskips == st->cap_skips) {
        size_t cap = st->cap_skips ? 2 * st->cap_skips : 64;
        skip *s = realloc(st->skips, cap * sizeof *s);
        if (!s)
            return;
        st->skips = s;
        st->cap_skips = cap;
    }
    skip *s = &st->skips[st->nskips++];
    s->layer = L;
    snprintf(s->algo, sizeof s->algo, "%.31s", algo);
    snprintf(s->reason, sizeof s->reason, "%.511s", reason);
}

/* Fills the derived columns of r from its times, op count and the ceilings. */
static void finish_row(const bench_state *st, row *r)
{
    const double t = r->median_s;
    r->gflops = t > 0 ? (double)r->ops.flops / t * 1e-9 : 0;
    r->gbps = t > 0 ? (double)r->ops.bytes / t * 1e-9 : 0;
    const double mem_roof = st->ceil.gbps * r->ops.intensity;
    r->roof_gflops = mem_roof < st->ceil.gflops ? mem_roof : st->ceil.gflops;
    r->bound = r->ops.intensity >= st->ceil.ridge ? "compute" : "memory";
    r->roof_pct = r->roof_gflops > 0 ? 100.0 * r->gflops / r->roof_gflops : 0;
    r->exceeds_roof = r->gflops > r->roof_gflops;
}

/* Device time of one run: from the start of a marker enqueued just before the run to the end
 * of the run's event, so runs made of several kernels are timed whole (the returned event
 * alone can be a last, tiny command: measured 0.1 us against 300 us for a GEMM run). */
typedef int (*enqueue_fn)(void *arg, cl_event *event, char *err, size_t n);

/* Fills the output with NaN so that a run which writes nothing cannot pass verification
 * with an earlier run's result. */
static int poison_output(bench_state *st, const layer_spec *L, layer_data *d)
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

/* Warm-up, then repeats timed runs of fn; median and minimum into r. */
static int time_runs(bench_state *st, enqueue_fn fn, void *arg, row *r, char *err, size_t n)
{
    cl_command_queue q = clconv_context_get_queue(st->ctx);
    double samples[256];
    const int reps = st->opt.repeats < 256 ? st->opt.repeats : 256;
    for (int i = -1; i < reps; i++) {
        cl_event marker = NULL, done = NULL;
        if (clEnqueueMarkerWithWaitList(q, 0, NULL, &marker) != CL_SUCCESS) {
            snprintf(err, n, "clEnqueueMarkerWithWaitList failed");
            return -1;
        }
        int rc = fn(arg, &done, err, n);
        clFlush(q);
        if (rc == 0 && done && clWaitForEvents(1, &done) != CL_SUCCESS) {
            snprintf(err, n, "clWaitForEvents failed");
            rc = -1;
        }
        if (rc == 0 && !done) {
            snprintf(err, n, "the run returned no event");
            rc = -1;
        }
        if (rc == 0 && i >= 0) /* run -1 is the warm-up */
            samples[i] = tool_span_seconds(marker, done);
        clReleaseEvent(marker);
        if (done)
            clReleaseEvent(done);
        if (rc)
            return rc;
    }
    qsort(samples, (size_t)reps, sizeof samples[0], tool_cmp_double);
    r->repeats = reps;
    r->min_s = samples[0];
    r->median_s = reps % 2 ? samples[reps / 2] : 0.5 * (samples[reps / 2 - 1] + samples[reps / 2]);
    return 0;
}

typedef struct plan_run {
    clconv_plan *plan;
    layer_data *d;
    cl_mem workspace;
    clconv_context *ctx;
    const layer_spec *layer;
} plan_run;

static int plan_enqueue_fn(void *arg, cl_event *event, char *err, size_t n)
{
    plan_run *p = arg;
    if (tool_enqueue_layer(p->ctx, p->plan, &p->layer->desc, p->d->d_in, p->d->d_w, p->d->d_b,
                           p->d->d_out, p->workspace, event) != CLCONV_SUCCESS) {
        snprintf(err, n, "%s", clconv_context_last_error(p->ctx));
        return -1;
    }
    return 0;
}

static void verify_row(bench_state *st, const layer_spec *L, layer_data *d, row *r, bool no_bias)
{
    if (!st->opt.verify)
        return;
    if (read_output(st->ctx, d->d_out, d->nout, L->desc.dtype, d->out)) {
        r->verified = 0;
        r->verify_ratio = INFINITY;
        return;
    }
    const bool nb = no_bias && L->desc.bias;
    r->verify_ratio = compare(d->out, nb ? d->ref_nobias : d->ref, nb ? d->scale_nobias : d->scale,
                              d->nout, L->desc.dtype);
    r->verified = r->verify_ratio <= 1.0;
}

/* Runs one algorithm (AUTO or forced) on the layer: a row, or a skip with the reason. */
static void run_algo(bench_state *st, const layer_spec *L, layer_data *d, clconv_algo algo)
{
    char err[512];
    clconv_plan *plan = NULL;
    clconv_status s = clconv_plan_create(st->ctx, &L->desc, L->input, algo, &plan);
    if (s != CLCONV_SUCCESS) {
        snprintf(err, sizeof err, "%s: %s", clconv_status_name(s),
                 clconv_context_last_error(st->ctx));
        add_skip(st, L, clconv_algo_name(algo), err);
        return;
    }
    plan_run pr = {.plan = plan, .d = d, .ctx = st->ctx, .layer = L};
    size_t ws = clconv_plan_get_workspace_size(plan);
    if (ws) {
        cl_int e;
        pr.workspace =
            clCreateBuffer(clconv_context_get_cl_context(st->ctx), CL_MEM_READ_WRITE, ws, NULL, &e);
        if (!pr.workspace) {
            snprintf(err, sizeof err, "workspace of %zu bytes: clCreateBuffer failed (%d)", ws,
                     (int)e);
            add_skip(st, L, clconv_algo_name(algo), err);
            clconv_plan_destroy(plan);
            return;
        }
    }
    row tmp = {0};
    if (st->opt.verify && poison_output(st, L, d)) {
        add_skip(st, L, clconv_algo_name(algo), "clEnqueueFillBuffer on the output failed");
    } else if (time_runs(st, plan_enqueue_fn, &pr, &tmp, err, sizeof err)) {
        add_skip(st, L, clconv_algo_name(algo), err);
    } else {
        row *r = add_row(st);
        if (r) {
            double med = tmp.median_s, mn = tmp.min_s;
            int reps = tmp.repeats;
            r->layer = L;
            r->mode = algo == CLCONV_ALGO_AUTO ? "auto" : "forced";
            snprintf(r->algo, sizeof r->algo, "%s", clconv_algo_name(clconv_plan_get_algo(plan)));
            snprintf(r->variant, sizeof r->variant, "%s", clconv_plan_get_variant_name(plan));
            r->median_s = med;
            r->min_s = mn;
            r->repeats = reps;
            clconv_count_ops(&L->desc, L->input, &r->ops);
            finish_row(st, r);
            verify_row(st, L, d, r, false);
        }
    }
    if (pr.workspace)
        clReleaseMemObject(pr.workspace);
    clconv_plan_destroy(plan);
}

/* ---- CLBlast convgemm baseline ----------------------------------------------------------- */

/* Why convgemm cannot run this layer, or NULL. */
static const char *baseline_unsupported(const clconv_desc *d)
{
    if (d->kind != CLCONV_CONV2D)
        return "convgemm: Conv2d only";
    if (d->groups != 1)
        return "convgemm: groups must be 1";
    if (d->padding_mode != CLCONV_PADDING_ZEROS)
        return "convgemm: zeros padding only";
    if (d->pad_top != d->pad_bottom || d->pad_left != d->pad_right)
        return "convgemm: symmetric padding only";
    if (d->dtype != CLCONV_FLOAT32)
        return "convgemm: float32 only here";
    return NULL;
}

#ifdef CLCONV_BENCH_CLBLAST
typedef struct convgemm_run {
    const layer_spec *L;
    layer_data *d;
    cl_command_queue queue;
} convgemm_run;

static int convgemm_fn(void *arg, cl_event *event, char *err, size_t n)
{
    convgemm_run *c = arg;
    const clconv_desc *ds = &c->L->desc;
    const int *in = c->L->input;
    CLBlastStatusCode s = CLBlastSconvgemm(
        CLBlastKernelModeCrossCorrelation, (size_t)in[1], (size_t)in[2], (size_t)in[3],
        (size_t)ds->kernel_h, (size_t)ds->kernel_w, (size_t)ds->pad_top, (size_t)ds->pad_left,
        (size_t)ds->stride_h, (size_t)ds->stride_w, (size_t)ds->dilation_h, (size_t)ds->dilation_w,
        (size_t)ds->out_channels, (size_t)in[0], c->d->d_in, 0, c->d->d_w, 0, c->d->d_out, 0,
        &c->queue, event);
    if (s != CLBlastSuccess) {
        snprintf(err, n, "CLBlastSconvgemm returned %d", (int)s);
        return -1;
    }
    return 0;
}
#endif

/* One untimed call: CLBlast builds its programs. */
static void baseline_warm_up(bench_state *st, const layer_spec *L, layer_data *d)
{
#ifdef CLCONV_BENCH_CLBLAST
    char err[512];
    cl_event ev = NULL;
    convgemm_run c = {.L = L, .d = d, .queue = clconv_context_get_queue(st->ctx)};
    if (convgemm_fn(&c, &ev, err, sizeof err) == 0 && ev) {
        clWaitForEvents(1, &ev);
        clReleaseEvent(ev);
    }
#else
    (void)st;
    (void)L;
    (void)d;
#endif
}

static void run_baseline(bench_state *st, const layer_spec *L, layer_data *d)
{
    if (!st->baseline_available)
        return;
    const char *why = baseline_unsupported(&L->desc);
    if (why) {
        add_skip(st, L, "clblast-convgemm", why);
        return;
    }
#ifdef CLCONV_BENCH_CLBLAST
    char err[512];
    convgemm_run c = {.L = L, .d = d, .queue = clconv_context_get_queue(st->ctx)};
    row tmp = {0};
    if (st->opt.verify && poison_output(st, L, d)) {
        add_skip(st, L, "clblast-convgemm", "clEnqueueFillBuffer on the output failed");
        return;
    }
    if (time_runs(st, convgemm_fn, &c, &tmp, err, sizeof err)) {
        add_skip(st, L, "clblast-convgemm", err);
        return;
    }
    row *r = add_row(st);
    if (!r)
        return;
    r->layer = L;
    r->mode = "baseline";
    snprintf(r->algo, sizeof r->algo, "clblast-convgemm");
    r->median_s = tmp.median_s;
    r->min_s = tmp.min_s;
    r->repeats = tmp.repeats;
    if (L->desc.bias)
        snprintf(r->note, sizeof r->note, "convgemm adds no bias: timed without it");
    clconv_count_ops(&L->desc, L->input, &r->ops);
    finish_row(st, r);
    verify_row(st, L, d, r, true);
#else
    (void)d;
#endif
}

/* ---- output ------------------------------------------------------------------------------ */

static void json_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.9g", v);
    else
        fputs("null", f);
}

static void write_json_row(FILE *f, const row *r)
{
    const layer_spec *L = r->layer;
    const clconv_desc *d = &L->desc;
    char params[512];
    layer_spec_format(L, params, sizeof params);
    fprintf(f, "    {\"name\": ");
    peak_json_string(f, L->name);
    fprintf(f, ", \"suite\": ");
    peak_json_string(f, L->suite);
    fprintf(f, ", \"kind\": \"%s\", \"params\": ", layer_kind_name(d->kind));
    peak_json_string(f, params);
    fprintf(f,
            ",\n     \"shape\": {\"n\": %d, \"c\": %d, \"h\": %d, \"w\": %d, \"oc\": %d, "
            "\"kh\": %d, \"kw\": %d, \"sh\": %d, \"sw\": %d, \"pad\": [%d, %d, %d, %d], "
            "\"dh\": %d, \"dw\": %d, \"groups\": %d, \"oph\": %d, \"opw\": %d, \"bias\": %d, "
            "\"padding_mode\": \"%s\", \"dtype\": \"%s\"},\n",
            L->input[0], L->input[1], L->input[2], L->input[3], d->out_channels, d->kernel_h,
            d->kernel_w, d->stride_h, d->stride_w, d->pad_top, d->pad_bottom, d->pad_left,
            d->pad_right, d->dilation_h, d->dilation_w, d->groups, d->output_padding_h,
            d->output_padding_w, d->bias ? 1 : 0, layer_mode_name(d->padding_mode),
            layer_dtype_name(d->dtype));
    fprintf(f, "     \"mode\": \"%s\", \"algo\": \"%s\", \"variant\": ", r->mode, r->algo);
    if (r->variant[0])
        peak_json_string(f, r->variant);
    else
        fputs("null", f);
    fprintf(f, ", \"median_s\": ");
    json_num(f, r->median_s);
    fprintf(f, ", \"min_s\": ");
    json_num(f, r->min_s);
    fprintf(f,
            ", \"repeats\": %d, \"macs\": %llu, \"flops\": %llu, \"bytes\": %llu, "
            "\"intensity\": ",
            r->repeats, (unsigned long long)r->ops.macs, (unsigned long long)r->ops.flops,
            (unsigned long long)r->ops.bytes);
    json_num(f, r->ops.intensity);
    fprintf(f, ",\n     \"gflops\": ");
    json_num(f, r->gflops);
    fprintf(f, ", \"gbps\": ");
    json_num(f, r->gbps);
    fprintf(f, ", \"roof_gflops\": ");
    json_num(f, r->roof_gflops);
    fprintf(f, ", \"roof_pct\": ");
    json_num(f, r->roof_pct);
    fprintf(f, ", \"bound\": \"%s\", \"exceeds_roof\": %s, \"verified\": %s", r->bound,
            r->exceeds_roof ? "true" : "false",
            r->verified < 0 ? "null"
            : r->verified   ? "true"
                            : "false");
    if (r->verified >= 0) {
        fprintf(f, ", \"verify_error_ratio\": ");
        json_num(f, r->verify_ratio);
    }
    if (r->note[0]) {
        fprintf(f, ", \"note\": ");
        peak_json_string(f, r->note);
    }
    fprintf(f, "}");
}

static int write_json(const bench_state *st, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "{\n  \"tool\": \"clconv-bench\",\n  \"device\": ");
    peak_write_device(f, &st->info, "  ");
    fprintf(f, ",\n  \"ceilings\": {\n    \"source\": \"%s\",\n    \"gflops\": ", st->ceil.source);
    json_num(f, st->ceil.gflops);
    fprintf(f, ",\n    \"gbps\": ");
    json_num(f, st->ceil.gbps);
    fprintf(f, ",\n    \"gbps_from\": \"%s\",\n    \"ridge_flops_per_byte\": ", st->ceil.gbps_from);
    json_num(f, st->ceil.ridge);
    if (st->ceil.measured) {
        fprintf(f, ",\n    \"peak\": {\n");
        peak_write_ceilings(f, &st->ceil.peak, "      ");
        fprintf(f, "\n    }");
    }
    fprintf(f, "\n  },\n  \"repeats\": %d,\n  \"timing\": ", st->opt.repeats);
    peak_json_string(f, "OpenCL profiling events: from a marker enqueued before each run to the "
                        "end of the run's event; one warm-up run first");
    fprintf(f, ",\n  \"verify\": %s,\n  \"baseline\": {\"available\": %s, \"note\": ",
            st->opt.verify ? "true" : "false", st->baseline_available ? "true" : "false");
    peak_json_string(f, st->baseline_note);
    fprintf(f, "},\n  \"rows\": [\n");
    for (size_t i = 0; i < st->nrows; i++) {
        write_json_row(f, &st->rows[i]);
        fprintf(f, "%s\n", i + 1 < st->nrows ? "," : "");
    }
    fprintf(f, "  ],\n  \"skipped\": [");
    for (size_t i = 0; i < st->nskips; i++) {
        const skip *s = &st->skips[i];
        fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
        peak_json_string(f, s->layer->name);
        fprintf(f, ", \"suite\": ");
        peak_json_string(f, s->layer->suite);
        fprintf(f, ", \"algo\": ");
        peak_json_string(f, s->algo);
        fprintf(f, ", \"reason\": ");
        peak_json_string(f, s->reason);
        fprintf(f, "}");
    }
    fprintf(f, "%s]\n}\n", st->nskips ? "\n  " : "");
    return fclose(f) == 0 ? 0 : -1;
}

/* CSV field: quoted when it holds a comma, quote or space. */
static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\" \n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static int write_csv(const bench_state *st, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "name,suite,kind,params,mode,algo,median_s,min_s,repeats,macs,flops,bytes,"
               "intensity,gflops,gbps,roof_gflops,roof_pct,bound,exceeds_roof,verified,variant\n");
    for (size_t i = 0; i < st->nrows; i++) {
        const row *r = &st->rows[i];
        char params[512];
        layer_spec_format(r->layer, params, sizeof params);
        csv_field(f, r->layer->name);
        fputc(',', f);
        csv_field(f, r->layer->suite);
        fprintf(f, ",%s,", layer_kind_name(r->layer->desc.kind));
        csv_field(f, params);
        fprintf(f, ",%s,%s,%.9g,%.9g,%d,%llu,%llu,%llu,%.6g,%.6g,%.6g,%.6g,%.4g,%s,%d,%s,", r->mode,
                r->algo, r->median_s, r->min_s, r->repeats, (unsigned long long)r->ops.macs,
                (unsigned long long)r->ops.flops, (unsigned long long)r->ops.bytes,
                r->ops.intensity, r->gflops, r->gbps, r->roof_gflops, r->roof_pct, r->bound,
                r->exceeds_roof ? 1 : 0,
                r->verified < 0 ? ""
                : r->verified   ? "1"
                                : "0");
        csv_field(f, r->variant);
        fputc('\n', f);
    }
    return fclose(f) == 0 ? 0 : -1;
}

/* ---- main -------------------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f, "usage: clconv-bench [--device SPEC] [--repeats N] [--verify] [--json FILE] "
               "[--csv FILE]\n"
               "                    [--ceiling-gflops X --ceiling-gbps Y] [--no-baseline]\n"
               "                    [--fused] [--set-weights]   (tools/bench-epilogue.h)\n"
               "                    SUITE_FILE_OR_LAYER_SPEC...\n"
               "A layer spec is one quoted argument in clconv-count's syntax, e.g.\n"
               "  \"--input 1x64x56x56 --out-channels 64 --kernel 3 --padding 1\"\n");
}

static int parse_positive(const char *opt, const char *s, double *v)
{
    char *end;
    *v = strtod(s, &end);
    if (*end || !(*v > 0) || !isfinite(*v)) {
        fprintf(stderr, "clconv-bench: %s %s: must be a positive number\n", opt, s);
        return -1;
    }
    return 0;
}

/* Appends the layers of one argument (suite file or layer spec) to *layers. */
static int load_layers(const char *arg, layer_spec **layers, size_t *count, size_t *spec_index)
{
    char err[512];
    layer_spec *add = NULL;
    size_t nadd = 0;
    layer_spec one;
    if (strstr(arg, "--")) { /* a layer spec: the option words of clconv-count */
        if (layer_spec_parse_string(arg, &one, err, sizeof err)) {
            fprintf(stderr, "clconv-bench: layer spec \"%s\": %s\n", arg, err);
            return -1;
        }
        ++*spec_index;
        if (!one.name[0])
            snprintf(one.name, sizeof one.name, "layer%zu", *spec_index);
        if (!one.suite[0])
            snprintf(one.suite, sizeof one.suite, "cli");
        add = &one;
        nadd = 1;
    } else if (layer_suite_read(arg, &add, &nadd, err, sizeof err)) {
        fprintf(stderr, "clconv-bench: %s\n", err);
        return -1;
    }
    layer_spec *all = realloc(*layers, (*count + nadd + 1) * sizeof *all);
    if (!all) {
        if (add != &one)
            free(add);
        return -1;
    }
    memcpy(all + *count, add, nadd * sizeof *add);
    *layers = all;
    *count += nadd;
    if (add != &one)
        free(add);
    return 0;
}

/* One line per layer: its runs, and the time left estimated from the FLOPs still to run at
 * the rate seen so far (layers differ by orders of magnitude in work). */
static void progress(size_t i, size_t n, const layer_spec *L, const bench_state *st, size_t first,
                     double t_start, double t_layers, double flops_done, double flops_total)
{
    fprintf(stderr, "clconv-bench: [%zu/%zu] %-30s", i + 1, n, L->name);
    for (size_t k = first; k < st->nrows; k++) {
        const row *r = &st->rows[k];
        /* AUTO's row names its variant: the choice is the point of that row */
        fprintf(stderr, " %s%s %.3f ms", r->mode[0] == 'a' ? "auto:" : "",
                r->mode[0] == 'a' && r->variant[0] ? r->variant : r->algo, r->median_s * 1e3);
    }
    double elapsed = tool_now_s() - t_start, spent = tool_now_s() - t_layers;
    double left = flops_done > 0 ? spent / flops_done * (flops_total - flops_done) : 0;
    fprintf(stderr, " | %.0f s elapsed, ~%.0f s left\n", elapsed, left);
}

/* Leaves main through its cleanup with exit status code. */
#define RC_OUT(code)                                                                               \
    do {                                                                                           \
        rc = (code);                                                                               \
        goto out;                                                                                  \
    } while (0)

int main(int argc, char **argv)
{
    bench_state st;
    memset(&st, 0, sizeof st);
    st.opt.repeats = MIN_REPEATS;
    st.opt.baseline = true;
    layer_spec *layers = NULL;
    size_t nlayers = 0, nspec = 0;
    int rc = 1;
    bench_epilogue_options epi = {false, false};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        double v;
        if (!strcmp(a, "--device") && i + 1 < argc)
            st.opt.device = argv[++i];
        else if (!strcmp(a, "--repeats") && i + 1 < argc) {
            char *end;
            long n = strtol(argv[++i], &end, 10);
            if (*end || n < MIN_REPEATS || n > 256) {
                fprintf(stderr, "clconv-bench: --repeats %s: must be an integer in [%d, 256]\n",
                        argv[i], MIN_REPEATS);
                RC_OUT(2);
            }
            st.opt.repeats = (int)n;
        } else if (!strcmp(a, "--verify"))
            st.opt.verify = true;
        else if (!strcmp(a, "--no-baseline"))
            st.opt.baseline = false;
        else if (bench_epilogue_option(a, &epi))
            continue;
        else if (!strcmp(a, "--json") && i + 1 < argc)
            st.opt.json_path = argv[++i];
        else if (!strcmp(a, "--csv") && i + 1 < argc)
            st.opt.csv_path = argv[++i];
        else if (!strcmp(a, "--ceiling-gflops") && i + 1 < argc) {
            if (parse_positive(a, argv[++i], &v))
                RC_OUT(2);
            st.opt.ceiling_gflops = v;
        } else if (!strcmp(a, "--ceiling-gbps") && i + 1 < argc) {
            if (parse_positive(a, argv[++i], &v))
                RC_OUT(2);
            st.opt.ceiling_gbps = v;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            RC_OUT(0);
        } else if (a[0] == '-' && a[1] == '-' && !strchr(a, ' ')) {
            fprintf(stderr,
                    "clconv-bench: unknown option %s (quote a layer spec as one "
                    "argument)\n",
                    a);
            usage(stderr);
            RC_OUT(2);
        } else if (load_layers(a, &layers, &nlayers, &nspec))
            RC_OUT(2);
    }
    if (nlayers == 0) {
        usage(stderr);
        RC_OUT(2);
    }
    if ((st.opt.ceiling_gflops > 0) != (st.opt.ceiling_gbps > 0)) {
        fprintf(stderr, "clconv-bench: --ceiling-gflops and --ceiling-gbps go together\n");
        RC_OUT(2);
    }
    if (clconv_context_create(st.opt.device, &st.ctx) != CLCONV_SUCCESS) {
        fprintf(stderr, "clconv-bench: %s\n", clconv_last_error());
        goto out;
    }
    clconv_context_get_device_info(st.ctx, &st.info);
    fprintf(stderr, "clconv-bench: %s (%s, %s), %zu layers, %d repeats\n", st.info.device_name,
            st.info.platform_name, st.info.driver_version, nlayers, st.opt.repeats);
    if (!st.info.queue_profiling) {
        fprintf(stderr, "clconv-bench: the queue has no profiling\n");
        goto out;
    }
    if (epi.fused || epi.set_weights) {
        rc = bench_epilogue_run(st.ctx, &epi, layers, nlayers, st.opt.repeats);
        goto out;
    }
    const char *env_algo = getenv("CLCONV_ALGO");
    if (env_algo && *env_algo)
        fprintf(stderr, "clconv-bench: note: CLCONV_ALGO=%s forces the AUTO rows\n", env_algo);

    if (st.opt.ceiling_gflops > 0) {
        st.ceil.gflops = st.opt.ceiling_gflops;
        st.ceil.gbps = st.opt.ceiling_gbps;
        st.ceil.source = "given";
        st.ceil.gbps_from = "given";
    } else {
        char err[512];
        peak_options po = peak_quick_options();
        fprintf(stderr, "clconv-bench: measuring the ceilings (quick; clconv-peak measures "
                        "them more thoroughly)\n");
        if (peak_measure(st.ctx, &po, 0, &st.ceil.peak, err, sizeof err)) {
            fprintf(stderr, "clconv-bench: ceilings: %s\n", err);
            goto out;
        }
        st.ceil.measured = true;
        st.ceil.gflops = st.ceil.peak.f32.gflops;
        st.ceil.gbps = peak_roof_gbps(&st.ceil.peak, &st.ceil.gbps_from);
        st.ceil.source = "measured (quick)";
    }
    st.ceil.ridge = st.ceil.gflops / st.ceil.gbps;
    fprintf(stderr, "clconv-bench: roofs %.1f GFLOP/s, %.1f GB/s (%s), ridge %.2f FLOP/byte\n",
            st.ceil.gflops, st.ceil.gbps, st.ceil.source, st.ceil.ridge);

#ifdef CLCONV_BENCH_CLBLAST
    st.baseline_available = st.opt.baseline;
    snprintf(st.baseline_note, sizeof st.baseline_note, "%s",
             st.opt.baseline ? "CLBlast convgemm (CLBlastSconvgemm, cross-correlation mode)"
                             : "disabled by --no-baseline");
#else
    snprintf(st.baseline_note, sizeof st.baseline_note,
             "clconv-bench was built without CLBlast: no baseline rows");
#endif

    const double t_start = tool_now_s();
    double t_layers = t_start, flops_total = 0, flops_done = 0;
    for (size_t i = 0; i < nlayers; i++) {
        clconv_op_count c;
        if (clconv_count_ops(&layers[i].desc, layers[i].input, &c) == CLCONV_SUCCESS)
            flops_total += (double)c.flops;
    }
    bool baseline_warm = false;
    int failures = 0;
    for (size_t i = 0; i < nlayers; i++) {
        const layer_spec *L = &layers[i];
        layer_data d;
        char err[512];
        size_t first = st.nrows;
        if (layer_data_init(&st, L, &d, err, sizeof err)) {
            fprintf(stderr, "clconv-bench: %s: %s\n", L->name, err);
            add_skip(&st, L, "all", err);
            layer_data_free(&d);
            failures++;
            continue;
        }
        for (int a = CLCONV_ALGO_AUTO; a < CLCONV_ALGO_COUNT_; a++)
            run_algo(&st, L, &d, (clconv_algo)a);
        if (st.baseline_available && !baseline_warm && !baseline_unsupported(&L->desc)) {
            /* CLBlast compiles its kernels on first use (tens of seconds on a CPU driver):
             * an untimed call, kept out of the estimate of the time left */
            fprintf(stderr, "clconv-bench: compiling CLBlast's kernels (first call)...\n");
            const double t0 = tool_now_s();
            baseline_warm_up(&st, L, &d);
            baseline_warm = true;
            t_layers += tool_now_s() - t0;
        }
        run_baseline(&st, L, &d);
        for (size_t k = first; k < st.nrows; k++)
            if (st.rows[k].verified == 0) {
                fprintf(stderr,
                        "clconv-bench: %s %s: verification FAILED (error %.3g x tolerance)\n",
                        L->name, st.rows[k].algo, st.rows[k].verify_ratio);
                failures++;
            }
        clconv_op_count c;
        if (clconv_count_ops(&L->desc, L->input, &c) == CLCONV_SUCCESS)
            flops_done += (double)c.flops;
        progress(i, nlayers, L, &st, first, t_start, t_layers, flops_done, flops_total);
        layer_data_free(&d);
    }
    rc = failures ? 1 : 0;
    if (st.opt.json_path && write_json(&st, st.opt.json_path)) {
        fprintf(stderr, "clconv-bench: cannot write %s\n", st.opt.json_path);
        rc = 1;
    }
    if (st.opt.csv_path && write_csv(&st, st.opt.csv_path)) {
        fprintf(stderr, "clconv-bench: cannot write %s\n", st.opt.csv_path);
        rc = 1;
    }
    if (!st.opt.json_path && !st.opt.csv_path) /* nothing asked for: a table on stdout */
        for (size_t k = 0; k < st.nrows; k++) {
            const row *r = &st.rows[k];
            printf("%-30s %-8s %-16s %-26s %10.4f ms %9.2f GFLOP/s %6.1f%% of roof (%s)%s\n",
                   r->layer->name, r->mode, r->algo, r->variant[0] ? r->variant : "-",
                   r->median_s * 1e3, r->gflops, r->roof_pct, r->bound,
                   r->verified < 0 ? ""
                   : r->verified   ? " verified"
                                   : " VERIFY FAILED");
        }
    fprintf(stderr, "clconv-bench: %zu rows, %zu skipped runs, %.1f s\n", st.nrows, st.nskips,
            tool_now_s() - t_start);
out:
    tool_epilogue_release();
    free(st.rows);
    free(st.skips);
    free(layers);
    clconv_context_destroy(st.ctx);
    return rc;
}
