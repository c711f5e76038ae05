/* The tools' fused-epilogue helpers and clconv-bench's --fused and --set-weights comparisons
 * (tools/bench-epilogue.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/bench-epilogue.h"
#include "tools/tool-util.h"

#define MAX_REPEATS 256

/* ---- enqueues with the residual a spec asks for ---------------------------------------- */

static cl_mem residual_buf;
static size_t residual_bytes;

/* A zero-filled buffer of at least bytes on ctx (kept between calls); NULL on failure. */
static cl_mem residual_of(clconv_context *ctx, size_t bytes)
{
    if (residual_buf && residual_bytes >= bytes)
        return residual_buf;
    tool_epilogue_release();
    cl_context cl = clconv_context_get_cl_context(ctx);
    residual_buf = tool_buffer(cl, bytes, NULL);
    if (!residual_buf)
        return NULL;
    const float zero = 0.0f;
    cl_command_queue q = clconv_context_get_queue(ctx);
    if (clEnqueueFillBuffer(q, residual_buf, &zero, 2, 0, bytes & ~(size_t)1, 0, NULL, NULL) !=
            CL_SUCCESS ||
        clFinish(q) != CL_SUCCESS) {
        tool_epilogue_release();
        return NULL;
    }
    residual_bytes = bytes;
    return residual_buf;
}

void tool_epilogue_release(void)
{
    if (residual_buf)
        clReleaseMemObject(residual_buf);
    residual_buf = NULL;
    residual_bytes = 0;
}

/* Output bytes of the plan in dtype. */
static size_t output_bytes(const clconv_plan *plan, clconv_dtype dtype)
{
    int out[4] = {0, 0, 0, 0};
    clconv_plan_get_output_shape(plan, out);
    return (size_t)out[0] * out[1] * out[2] * out[3] * clconv_dtype_size(dtype);
}

static clconv_status enqueue_with(clconv_context *ctx, clconv_plan *plan, const clconv_desc *desc,
                                  const clconv_buffers *given, cl_event *event)
{
    clconv_buffers b = *given;
    b.residual = NULL;
    if (desc->residual && !(b.residual = residual_of(ctx, output_bytes(plan, desc->dtype))))
        return CLCONV_ERROR_OUT_OF_HOST_MEMORY;
    return clconv_plan_enqueue_buffers(plan, NULL, &b, 0, NULL, event);
}

clconv_status tool_enqueue_layer(clconv_context *ctx, clconv_plan *plan, const clconv_desc *desc,
                                 cl_mem input, cl_mem weight, cl_mem bias, cl_mem output,
                                 cl_mem workspace, cl_event *event)
{
    const clconv_buffers b = {input, weight, bias, NULL, output, workspace};
    return enqueue_with(ctx, plan, desc, &b, event);
}

/* ---- the separate elementwise pass ------------------------------------------------------ */

/* act(out + residual) in place, one element a work-item: the pass an application without
 * fusion runs after the convolution. The activations as cl/prelude.cl defines them. */
static const char pass_source[] =
    "#ifdef HALF\n"
    "#define T half\n#define LD(p, i) vload_half((i), (p))\n"
    "#define ST(p, i, v) vstore_half((v), (i), (p))\n"
    "#else\n"
    "#define T float\n#define LD(p, i) ((p)[i])\n#define ST(p, i, v) ((p)[i] = (v))\n"
    "#endif\n"
    "inline float act(float v) {\n"
    "#if ACT == 1\n return v < 0.0f ? 0.0f : v;\n"
    "#elif ACT == 2\n return v < 0.0f ? 0.0f : v > 6.0f ? 6.0f : v;\n"
    "#elif ACT == 3\n return v > 0.0f ? v : v * ALPHA;\n"
    "#elif ACT == 4\n return v < ALPHA ? ALPHA : v > BETA ? BETA : v;\n"
    "#elif ACT == 5\n return 1.0f / (1.0f + exp(-v));\n"
    "#elif ACT == 6\n return tanh(v);\n"
    "#elif ACT == 7\n return v / (1.0f + exp(-v));\n"
    "#elif ACT == 8\n return 0.5f * v * (1.0f + erf(v * M_SQRT1_2_F));\n"
    "#elif ACT == 9\n const float t = clamp(v + 3.0f, 0.0f, 6.0f); return v * t / 6.0f;\n"
    "#else\n return v;\n#endif\n}\n"
    "__kernel void epilogue_pass(__global T *out, __global const T *res, uint n) {\n"
    " const uint i = get_global_id(0);\n if (i >= n) return;\n float v = LD(out, i);\n"
    "#ifdef RESIDUAL\n v += LD(res, i);\n#endif\n ST(out, i, act(v));\n}\n";

typedef struct pass {
    cl_program program;
    cl_kernel kernel;
    size_t global;
} pass;

static void pass_release(pass *p)
{
    if (p->kernel)
        clReleaseKernel(p->kernel);
    if (p->program)
        clReleaseProgram(p->program);
    memset(p, 0, sizeof *p);
}

static int pass_build(clconv_context *ctx, const clconv_desc *d, size_t count, cl_mem out,
                      cl_mem res, pass *p)
{
    memset(p, 0, sizeof *p);
    cl_context cl = clconv_context_get_cl_context(ctx);
    cl_device_id dev = clconv_context_get_device(ctx);
    const char *src = pass_source;
    cl_int err;
    p->program = clCreateProgramWithSource(cl, 1, &src, NULL, &err);
    char options[160];
    snprintf(options, sizeof options, "-D ACT=%d -D ALPHA=%.9gf -D BETA=%.9gf%s%s",
             (int)d->activation, (double)d->activation_alpha, (double)d->activation_beta,
             d->residual ? " -D RESIDUAL" : "", d->dtype == CLCONV_FLOAT16 ? " -D HALF" : "");
    if (!p->program || clBuildProgram(p->program, 1, &dev, options, NULL, NULL) != CL_SUCCESS ||
        !(p->kernel = clCreateKernel(p->program, "epilogue_pass", &err))) {
        pass_release(p);
        return -1;
    }
    const cl_uint n = (cl_uint)count;
    clSetKernelArg(p->kernel, 0, sizeof out, &out);
    clSetKernelArg(p->kernel, 1, sizeof res, &res);
    clSetKernelArg(p->kernel, 2, sizeof n, &n);
    p->global = (count + 63) / 64 * 64;
    return 0;
}

/* ---- paired, interleaved timing ---------------------------------------------------------- */

/* One timed variant of a layer: a plan, its buffers, and an optional pass after it. */
typedef struct contender {
    clconv_plan *plan;
    clconv_desc desc;
    clconv_buffers bufs;
    pass *after;
} contender;

/* Runs c once; *sec its device span (marker before to the last command's end). */
static int run_once(clconv_context *ctx, const contender *c, double *sec)
{
    cl_command_queue q = clconv_context_get_queue(ctx);
    cl_event marker = NULL, done = NULL, conv = NULL;
    if (clEnqueueMarkerWithWaitList(q, 0, NULL, &marker) != CL_SUCCESS)
        return -1;
    int rc =
        enqueue_with(ctx, c->plan, &c->desc, &c->bufs, c->after ? &conv : &done) == CLCONV_SUCCESS
            ? 0
            : -1;
    if (rc == 0 && c->after &&
        clEnqueueNDRangeKernel(q, c->after->kernel, 1, NULL, &c->after->global, NULL, 1, &conv,
                               &done) != CL_SUCCESS)
        rc = -1;
    if (rc == 0 && clWaitForEvents(1, &done) != CL_SUCCESS)
        rc = -1;
    if (rc == 0)
        *sec = tool_span_seconds(marker, done);
    cl_event all[] = {marker, conv, done};
    for (int i = 0; i < 3; i++)
        if (all[i])
            clReleaseEvent(all[i]);
    return rc;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, tool_cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Medians of a and b over repeats pairs, the order alternating, after one warm-up each. */
static int paired(clconv_context *ctx, const contender *a, const contender *b, int repeats,
                  double *ma, double *mb)
{
    double ta[MAX_REPEATS], tb[MAX_REPEATS], s;
    if (repeats > MAX_REPEATS)
        repeats = MAX_REPEATS;
    if (run_once(ctx, a, &s) || run_once(ctx, b, &s))
        return -1;
    for (int r = 0; r < repeats; r++) {
        const contender *first = r % 2 ? b : a, *second = r % 2 ? a : b;
        double t1, t2;
        if (run_once(ctx, first, &t1) || run_once(ctx, second, &t2))
            return -1;
        ta[r] = r % 2 ? t2 : t1;
        tb[r] = r % 2 ? t1 : t2;
    }
    *ma = median(ta, repeats);
    *mb = median(tb, repeats);
    return 0;
}

/* ---- the comparisons --------------------------------------------------------------------- */

bool bench_epilogue_option(const char *word, bench_epilogue_options *o)
{
    if (!strcmp(word, "--fused"))
        return o->fused = true;
    if (!strcmp(word, "--set-weights"))
        return o->set_weights = true;
    return false;
}

/* The layer's buffers (filled with a small constant) and workspace for both plans. */
typedef struct layer_bufs {
    cl_mem in, w, b, out, ws;
} layer_bufs;

static int layer_bufs_make(clconv_context *ctx, const layer_spec *L, size_t ws, layer_bufs *lb)
{
    memset(lb, 0, sizeof *lb);
    size_t ni, nw, nb, no;
    if (clconv_tensor_sizes(&L->desc, L->input, &ni, &nw, &nb, &no) != CLCONV_SUCCESS)
        return -1;
    const size_t e = clconv_dtype_size(L->desc.dtype);
    cl_context cl = clconv_context_get_cl_context(ctx);
    cl_command_queue q = clconv_context_get_queue(ctx);
    cl_mem *all[] = {&lb->in, &lb->w, &lb->b, &lb->out};
    const size_t counts[] = {ni, nw, nb ? nb : 1, no};
    const unsigned short half_pattern = 0x211f; /* ~0.01 */
    const float float_pattern = 0.01f;
    for (int i = 0; i < 4; i++) {
        *all[i] = tool_buffer(cl, counts[i] * e, NULL);
        if (!*all[i] ||
            clEnqueueFillBuffer(q, *all[i],
                                e == 2 ? (const void *)&half_pattern : (const void *)&float_pattern,
                                e, 0, counts[i] * e, 0, NULL, NULL) != CL_SUCCESS)
            return -1;
    }
    lb->ws = ws ? tool_buffer(cl, ws, NULL) : NULL;
    return (ws && !lb->ws) || clFinish(q) != CL_SUCCESS ? -1 : 0;
}

static void layer_bufs_free(layer_bufs *lb)
{
    cl_mem all[] = {lb->in, lb->w, lb->b, lb->out, lb->ws};
    tool_release_buffers(all, 5);
}

static size_t max_size(size_t a, size_t b)
{
    return a > b ? a : b;
}

/* Fused against the plain convolution and the pass: *ratio = separate / fused. */
static int compare_fused(clconv_context *ctx, const layer_spec *L, int repeats, double *ratio)
{
    clconv_desc plain = L->desc;
    plain.activation = CLCONV_ACTIVATION_NONE;
    plain.activation_alpha = plain.activation_beta = 0.0f;
    plain.residual = 0;
    contender f = {.desc = L->desc}, s = {.desc = plain};
    layer_bufs lb = {0};
    pass p = {0};
    int rc = -1;
    double tf = 0, ts = 0;
    if (clconv_plan_create(ctx, &f.desc, L->input, CLCONV_ALGO_AUTO, &f.plan) ||
        clconv_plan_create(ctx, &s.desc, L->input, CLCONV_ALGO_AUTO, &s.plan) ||
        layer_bufs_make(ctx, L,
                        max_size(clconv_plan_get_workspace_size(f.plan),
                                 clconv_plan_get_workspace_size(s.plan)),
                        &lb))
        goto done;
    const size_t bytes = output_bytes(f.plan, L->desc.dtype);
    cl_mem res = residual_of(ctx, bytes);
    if (!res ||
        pass_build(ctx, &L->desc, bytes / clconv_dtype_size(L->desc.dtype), lb.out, res, &p))
        goto done;
    const clconv_buffers b = {lb.in, lb.w, L->desc.bias ? lb.b : NULL, NULL, lb.out, lb.ws};
    f.bufs = s.bufs = b;
    s.after = &p;
    if (paired(ctx, &f, &s, repeats, &tf, &ts))
        goto done;
    *ratio = ts / tf;
    printf("fused %-30s %-24s fused %9.4f ms  conv + pass %9.4f ms  (%-24s)  ratio %.3f\n", L->name,
           clconv_plan_get_variant_name(f.plan), tf * 1e3, ts * 1e3,
           clconv_plan_get_variant_name(s.plan), *ratio);
    rc = 0;
done:
    if (rc)
        fprintf(stderr, "clconv-bench: --fused %s: %s\n", L->name, clconv_last_error());
    pass_release(&p);
    layer_bufs_free(&lb);
    clconv_plan_destroy(f.plan);
    clconv_plan_destroy(s.plan);
    return rc;
}

/* With set weights against without: *ratio = without / with. */
static int compare_set_weights(clconv_context *ctx, const layer_spec *L, int repeats, double *ratio)
{
    contender with = {.desc = L->desc}, without = {.desc = L->desc};
    layer_bufs lb = {0};
    int rc = -1;
    double tw = 0, to = 0;
    /* each plan as its application makes it: AUTO told of the constant weights, or not */
    const int told = clconv_context_get_constant_weights(ctx);
    clconv_context_set_constant_weights(ctx, 1);
    clconv_status made = clconv_plan_create(ctx, &L->desc, L->input, CLCONV_ALGO_AUTO, &with.plan);
    clconv_context_set_constant_weights(ctx, 0);
    if (made == CLCONV_SUCCESS)
        made = clconv_plan_create(ctx, &L->desc, L->input, CLCONV_ALGO_AUTO, &without.plan);
    clconv_context_set_constant_weights(ctx, told);
    if (made != CLCONV_SUCCESS ||
        layer_bufs_make(ctx, L,
                        max_size(clconv_plan_get_workspace_size(with.plan),
                                 clconv_plan_get_workspace_size(without.plan)),
                        &lb) ||
        clconv_plan_set_weights(with.plan, lb.w, L->desc.bias ? lb.b : NULL))
        goto done;
    const clconv_buffers own = {lb.in, lb.w, L->desc.bias ? lb.b : NULL, NULL, lb.out, lb.ws};
    const clconv_buffers set = {lb.in, NULL, NULL, NULL, lb.out, lb.ws};
    without.bufs = own;
    with.bufs = set;
    if (paired(ctx, &with, &without, repeats, &tw, &to))
        goto done;
    *ratio = to / tw;
    printf("weights %-30s %-24s set %9.4f ms  per enqueue %9.4f ms  (%-24s)  ratio %.3f\n", L->name,
           clconv_plan_get_variant_name(with.plan), tw * 1e3, to * 1e3,
           clconv_plan_get_variant_name(without.plan), *ratio);
    rc = 0;
done:
    if (rc)
        fprintf(stderr, "clconv-bench: --set-weights %s: %s\n", L->name, clconv_last_error());
    layer_bufs_free(&lb);
    clconv_plan_destroy(with.plan);
    clconv_plan_destroy(without.plan);
    return rc;
}

int bench_epilogue_run(clconv_context *ctx, const bench_epilogue_options *o,
                       const layer_spec *layers, size_t count, int repeats)
{
    int failed = 0;
    for (int which = 0; which < 2; which++) {
        if (!(which ? o->set_weights : o->fused))
            continue;
        double log_sum = 0, worst = INFINITY;
        int n = 0;
        for (size_t i = 0; i < count; i++) {
            const layer_spec *L = &layers[i];
            const bool has_epilogue =
                L->desc.activation != CLCONV_ACTIVATION_NONE || L->desc.residual;
            if (!which && !has_epilogue)
                continue;
            double r;
            if (which ? compare_set_weights(ctx, L, repeats, &r)
                      : compare_fused(ctx, L, repeats, &r)) {
                failed = 1;
                continue;
            }
            log_sum += log(r);
            worst = r < worst ? r : worst;
            n++;
            fflush(stdout);
        }
        if (n)
            printf("%s: geometric mean ratio %.3f over %d layers, lowest %.3f\n",
                   which ? "set weights (per enqueue / set)" : "fused (conv + pass / fused)",
                   exp(log_sum / n), n, worst);
    }
    tool_epilogue_release();
    return failed;
}
