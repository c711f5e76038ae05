/* Depthwise algorithm: a sliding-window kernel vectorized along W (cl/depthwise.cl) for
 * Conv2d with groups == in_channels and any depth multiplier; stride-1 zeros-padded layers as
 * wide as their input take the flat kernel, stride-2 layers the phase-split kernel. */
#include <stdio.h>
#include <stdlib.h>

#include "src/cost-model.h"
#include "src/internal.h"
#include "src/kernels.h"
#include "src/variant.h"

#define DEPTHWISE_XT 8

/* The flat kernel's private buffers, in floats: FLAT_CAP and FLAT_TAPS in cl/depthwise.cl. */
#define DEPTHWISE_FLAT_CAP 1024
#define DEPTHWISE_FLAT_TAPS 64

typedef struct depthwise_state {
    cl_kernel kernel;
    size_t global[2];
    size_t local[2];
} depthwise_state;

/* Outputs per work-item of the flat kernel (a multiple of 16), or 0 when the layer does not
 * take the flat path: stride 1, output width == input width, zeros padding, at most
 * DEPTHWISE_FLAT_TAPS taps, and the input a chunk reads (chunk + reach) fits the kernel's
 * private buffer. */
static int depthwise_flat_chunk(const clconv_problem *p, const clconv_device_info *dev)
{
    const clconv_desc *d = &p->desc;
    /* CPU devices only: a work-item's private buffers (up to 16 KB) live in the core's cache
     * there, while a GPU spills them to memory; GPUs keep the row kernel they were measured
     * with */
    if (clconv_model_is_gpu(dev))
        return 0;
    if (d->stride_h != 1 || d->stride_w != 1 || p->out[3] != p->in[3] ||
        d->padding_mode != CLCONV_PADDING_ZEROS || d->kernel_h * d->kernel_w > DEPTHWISE_FLAT_TAPS)
        return 0;
    const long reach = (long)(d->kernel_h - 1) * d->dilation_h * p->in[3] +
                       (long)(d->kernel_w - 1) * d->dilation_w;
    long fc = (DEPTHWISE_FLAT_CAP - reach) / 16 * 16;
    if (fc < 16)
        return 0;
    const long ohw = (long)p->out[2] * p->out[3];
    const long planes = (long)p->out[0] * p->out[1];
    if (fc > (ohw + 15) / 16 * 16)
        fc = (ohw + 15) / 16 * 16;
    /* enough items for every unit to take several (load balance), chunks of >= 64 outputs */
    const long want = 16L * (long)(dev->compute_units ? dev->compute_units : 1);
    while (fc > 64 && planes * ((ohw + fc - 1) / fc) < want)
        fc = (fc / 2 + 15) / 16 * 16;
    return (int)fc;
}

/* The stride-2 kernel's private buffers, in floats, and the row copy's margin for the left
 * padding: S2_CAP, S2_TCAP and S2_MARGIN in cl/depthwise.cl. */
#define DEPTHWISE_S2_CAP 2048
#define DEPTHWISE_S2_TCAP 2048
#define DEPTHWISE_S2_MARGIN 16

typedef struct depthwise_s2_shape {
    int ny;    /* output rows per work-item */
    int prow;  /* rows of each phase plane: ny plus the lowest kernel row's offset */
    int pitch; /* columns of each phase plane: OW plus the widest kernel column's offset */
} depthwise_s2_shape;

/* Whether ny output rows per work-item fit the stride-2 kernel's private buffers. */
static bool depthwise_s2_fits(long ny, long offh, long pitch, long h, long w)
{
    const long prow = ny + offh, rows = 2 * prow < h ? 2 * prow : h;
    return 4 * (prow * pitch + 8) + pitch + 16 <= DEPTHWISE_S2_CAP &&
           DEPTHWISE_S2_MARGIN + rows * w + 2 * pitch + 16 <= DEPTHWISE_S2_TCAP &&
           ny * pitch + 16 <= DEPTHWISE_S2_TCAP;
}

/* Output rows per work-item of the stride-2 kernel, or 0 when the layer does not take it:
 * stride 2 in both dimensions, at most DEPTHWISE_FLAT_TAPS taps, left padding within the
 * row copy's margin, and the buffers of at least one output row fit. */
static int depthwise_s2_rows(const clconv_problem *p, const clconv_device_info *dev,
                             depthwise_s2_shape *sh)
{
    const clconv_desc *d = &p->desc;
    if (clconv_model_is_gpu(dev)) /* CPU devices only, as the flat kernel */
        return 0;
    if (d->stride_h != 2 || d->stride_w != 2 || d->kernel_h * d->kernel_w > DEPTHWISE_FLAT_TAPS ||
        d->pad_left > DEPTHWISE_S2_MARGIN)
        return 0;
    const long offh = (long)(d->kernel_h - 1) * d->dilation_h / 2;
    const long pitch = p->out[3] + (long)(d->kernel_w - 1) * d->dilation_w / 2;
    if (!depthwise_s2_fits(1, offh, pitch, p->in[2], p->in[3]))
        return 0;
    long ny = 1;
    while (ny < p->out[2] && depthwise_s2_fits(ny + 1, offh, pitch, p->in[2], p->in[3]))
        ny++;
    const long oh = p->out[2], planes = (long)p->out[0] * p->out[1];
    long chunks = (oh + ny - 1) / ny;
    /* enough items for every unit to take several (load balance) */
    const long want = 16L * (long)(dev->compute_units ? dev->compute_units : 1);
    while (chunks < oh && planes * chunks < want)
        chunks++;
    ny = (oh + chunks - 1) / chunks; /* the same rows in every chunk, as far as they divide */
    sh->ny = (int)ny;
    sh->prow = (int)(ny + offh);
    sh->pitch = (int)pitch;
    return (int)ny;
}

static bool depthwise_supports(const clconv_problem *p, const clconv_device_info *dev, char *reason,
                               size_t reason_size)
{
    (void)dev;
    const clconv_desc *d = &p->desc;
    if (d->kind != CLCONV_CONV2D) {
        snprintf(reason, reason_size,
                 "kind = ConvTranspose2d: the depthwise algorithm runs Conv2d only");
        return false;
    }
    if (d->groups != d->in_channels) {
        snprintf(reason, reason_size,
                 "groups = %d with in_channels = %d: the depthwise algorithm needs groups == "
                 "in_channels",
                 d->groups, d->in_channels);
        return false;
    }
    return true;
}

static size_t depthwise_workspace(const clconv_problem *p, const clconv_device_info *dev)
{
    (void)p;
    (void)dev;
    return 0;
}

/* Measured on PoCL (2 cores, 166 GFLOP/s peak) over MobileNetV2's depthwise layers: ~0.5 ns
 * per output column of a 3x3 stride-1 row (18 FLOPs: 22% of peak) plus ~20 ns per output
 * row (its setup, border columns and row mapping), i.e. DEPTHWISE_ROW_FLOPS of work at that
 * rate; the row path now runs only what the flat and stride-2 kernels do not take. */
#define DEPTHWISE_EFFICIENCY 0.22
#define DEPTHWISE_ROW_FLOPS 720.0
/* The flat kernel on the stride-1 layers: ~30% of peak on the taps (dw192 28x28: 50-78 us,
 * dw144 56x56: 165-230 us, noisy shared host) plus ~40 ns a work-item (its buffer copy and
 * setup: dw960 7x7, 960 items of 49 outputs, 43-64 us), DEPTHWISE_ITEM_FLOPS at that rate. */
#define DEPTHWISE_FLAT_EFFICIENCY 0.30
#define DEPTHWISE_ITEM_FLOPS 2000.0
/* The stride-2 kernel on MobileNetV2's stride-2 layers: ~0.6 ns an output (18 FLOPs: 18% of
 * peak, its copy, split and taps) plus ~70 ns a work-item, DEPTHWISE_ITEM_FLOPS at that rate
 * (fastest runs on a shared, noisy host: dw576 7x7, 576 items: 60-69 us; dw144 56x56, 288
 * items: 96-126 us; dw96 112x112, 768 items: 170-240 us). */
#define DEPTHWISE_S2_EFFICIENCY 0.18
/* GPU (H100): MobileNetV2's depthwise layers took ~22 us plus ~47 ps per output (dw32 112x112:
 * 41 us, dw960 7x7: 24 us), 0.6% of peak on 18 FLOPs an output; direct ran the same layers in
 * 19-23 us. */
#define DEPTHWISE_GPU_EFFICIENCY 0.006

static double depthwise_estimate(const clconv_problem *p, const clconv_device_info *dev)
{
    const clconv_desc *d = &p->desc;
    const double rows = (double)p->out[0] * p->out[1] * p->out[2];
    const double flops = 2.0 * (double)p->output_count * d->kernel_h * d->kernel_w;
    const double bytes =
        (double)(p->input_count + p->weight_count + p->output_count) * clconv_dtype_size(d->dtype);
    if (clconv_model_is_gpu(dev))
        return clconv_model_seconds(dev, flops, DEPTHWISE_GPU_EFFICIENCY, bytes, 1);
    const int fc = depthwise_flat_chunk(p, dev);
    if (fc) {
        const long chunks = ((long)p->out[2] * p->out[3] + fc - 1) / fc;
        const double items = (double)p->out[0] * p->out[1] * (double)chunks;
        return clconv_model_seconds(dev, flops + items * DEPTHWISE_ITEM_FLOPS,
                                    DEPTHWISE_FLAT_EFFICIENCY, bytes, 1);
    }
    depthwise_s2_shape s2;
    const int ny = depthwise_s2_rows(p, dev, &s2);
    if (ny) {
        const double items = (double)p->out[0] * p->out[1] * ((p->out[2] + ny - 1) / ny);
        return clconv_model_seconds(dev, flops + items * DEPTHWISE_ITEM_FLOPS,
                                    DEPTHWISE_S2_EFFICIENCY, bytes, 1);
    }
    return clconv_model_seconds(dev, flops + rows * DEPTHWISE_ROW_FLOPS, DEPTHWISE_EFFICIENCY,
                                bytes, 1);
}

/* Sets the kernel's int arguments (after its 4 buffers) and its launch shape, local
 * (1, local1), and hands the state to the plan; frees it on failure. */
static clconv_status finish_prepare(clconv_plan *plan, depthwise_state *s, const int *args,
                                    size_t count, const size_t global[2], size_t local1)
{
    clconv_status st = clconv_set_int_args(plan->ctx, s->kernel, 4, args, count);
    if (st != CLCONV_SUCCESS) {
        clReleaseKernel(s->kernel);
        free(s);
        return st;
    }
    s->global[0] = global[0];
    s->global[1] = global[1];
    s->local[0] = 1;
    s->local[1] = local1;
    plan->state = s;
    return CLCONV_SUCCESS;
}

static clconv_status depthwise_prepare(clconv_plan *plan)
{
    const clconv_problem *p = &plan->problem;
    const clconv_desc *d = &p->desc;
    char options[128];
    snprintf(options, sizeof options, "-D XT=%d%s", DEPTHWISE_XT,
             d->dtype == CLCONV_FLOAT16 ? " -D CLCONV_HALF" : "");
    depthwise_state *s = calloc(1, sizeof *s);
    if (!s)
        return clconv_fail(plan->ctx, CLCONV_ERROR_OUT_OF_HOST_MEMORY, "depthwise plan state");
    const int nk_total = p->out[0] * p->out[1];
    const int fc = depthwise_flat_chunk(p, &plan->ctx->info);
    depthwise_s2_shape s2 = {0, 0, 0};
    const int ny = fc ? 0 : depthwise_s2_rows(p, &plan->ctx->info, &s2);
    clconv_status st = clconv_create_kernel(plan->ctx, "depthwise.cl", options,
                                            fc   ? "depthwise_flat"
                                            : ny ? "depthwise_s2"
                                                 : "depthwise_conv2d",
                                            &s->kernel);
    if (st != CLCONV_SUCCESS) {
        free(s);
        return st;
    }
    if (ny) {
        const int chunks = (p->out[2] + ny - 1) / ny;
        const int items = nk_total * chunks;
        const int sargs[] = {p->in[1],
                             p->in[2],
                             p->in[3],
                             p->out[1],
                             p->out[2],
                             p->out[3],
                             d->kernel_h,
                             d->kernel_w,
                             d->pad_top,
                             d->pad_left,
                             d->dilation_h,
                             d->dilation_w,
                             p->cout_per_group,
                             d->bias != 0,
                             (int)d->padding_mode,
                             ny,
                             s2.prow,
                             s2.pitch,
                             chunks,
                             items};
        const size_t global[2] = {1, clconv_div_up((size_t)items, 8) * 8};
        return finish_prepare(plan, s, sargs, sizeof sargs / sizeof sargs[0], global, 8);
    }
    if (fc) {
        const int ohw = p->out[2] * p->out[3];
        const int chunks = (ohw + fc - 1) / fc;
        const int items = nk_total * chunks;
        const int fargs[] = {
            p->in[1],     p->in[2],   p->in[3],    p->out[1],     p->out[2],     d->kernel_h,
            d->kernel_w,  d->pad_top, d->pad_left, d->dilation_h, d->dilation_w, p->cout_per_group,
            d->bias != 0, fc,         chunks,      items};
        /* 8 items a group: 1 to 32 measured the same on PoCL */
        const size_t global[2] = {1, clconv_div_up((size_t)items, 8) * 8};
        return finish_prepare(plan, s, fargs, sizeof fargs / sizeof fargs[0], global, 8);
    }
    /* rows per work-item: enough work to amortize its setup, enough items for every unit */
    int ry = (int)((size_t)nk_total * p->out[2] / (64 * (size_t)plan->ctx->info.compute_units));
    ry = ry < 1 ? 1 : ry > 8 ? 8 : ry;
    const int args[] = {p->in[1],
                        p->in[2],
                        p->in[3],
                        p->out[1],
                        p->out[2],
                        p->out[3],
                        d->kernel_h,
                        d->kernel_w,
                        d->stride_h,
                        d->stride_w,
                        d->pad_top,
                        d->pad_left,
                        d->dilation_h,
                        d->dilation_w,
                        p->cout_per_group,
                        d->bias != 0,
                        (int)d->padding_mode,
                        ry,
                        nk_total};
    const size_t global[2] = {clconv_div_up((size_t)p->out[2], (size_t)ry), (size_t)nk_total};
    /* small work-groups: each item already loops over many tiles */
    return finish_prepare(plan, s, args, sizeof args / sizeof args[0], global,
                          global[1] % 4 == 0 ? 4 : 1);
}

static clconv_status depthwise_enqueue(clconv_plan *plan, const clconv_enqueue_args *a)
{
    depthwise_state *s = plan->state;
    cl_mem bias = a->bias ? a->bias : a->weight; /* never read when has_bias is 0 */
    const cl_mem bufs[4] = {a->input, a->weight, bias, a->output};
    for (cl_uint i = 0; i < 4; i++) {
        cl_int err = clSetKernelArg(s->kernel, i, sizeof(cl_mem), &bufs[i]);
        if (err != CL_SUCCESS)
            return clconv_fail_cl(plan->ctx, err, "clSetKernelArg");
    }
    return clconv_enqueue_kernel(plan->ctx, a->queue, s->kernel, 2, s->global, s->local,
                                 a->num_wait_events, a->wait_events, a->event);
}

static void depthwise_release(clconv_plan *plan)
{
    depthwise_state *s = plan->state;
    if (!s)
        return;
    clReleaseKernel(s->kernel);
    free(s);
    plan->state = NULL;
}

const clconv_algo_impl clconv_algo_depthwise = {
    .id = CLCONV_ALGO_DEPTHWISE,
    .name = "depthwise",
    .supports = depthwise_supports,
    .workspace = depthwise_workspace,
    .estimate = depthwise_estimate,
    .prepare = depthwise_prepare,
    .enqueue = depthwise_enqueue,
    .release = depthwise_release,
};
