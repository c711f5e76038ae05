/* Direct gather kernels: every Conv2d and ConvTranspose2d case, float32 and float16 storage. */
#include <stdio.h>
#include <stdlib.h>

#include "src/cost-model.h"
#include "src/internal.h"
#include "src/kernels.h"
#include "src/variant.h"

#define X_TILE 4

typedef struct direct_state {
    cl_kernel kernel;
    size_t global[3];
} direct_state;

/* Largest output-channel tile (4, 2 or 1) that stays inside one group. */
static int oc_tile_for(const clconv_problem *p)
{
    return p->cout_per_group % 4 == 0 ? 4 : p->cout_per_group % 2 == 0 ? 2 : 1;
}

static bool direct_supports(const clconv_problem *p, const clconv_device_info *dev, char *reason,
                            size_t reason_size)
{
    (void)p;
    (void)dev;
    (void)reason;
    (void)reason_size;
    return true;
}

static size_t direct_workspace(const clconv_problem *p, const clconv_device_info *dev)
{
    (void)p;
    (void)dev;
    return 0;
}

/* Fraction of the device's peak the direct kernels reach, measured on PoCL (2 cores, 166
 * GFLOP/s peak): ~5 GFLOP/s on dense and grouped Conv2d (3.6-8), ~3.5 on ConvTranspose2d
 * (2.2-5.9: every tap is checked for landing); with one output channel per work-item (oc
 * tile 1: depthwise, few channels per group) Conv2d drops to ~3.6 and ConvTranspose2d, one
 * FMA per check, to ~0.8 (0.4-1.2). */
#define DIRECT_EFFICIENCY 0.03
#define DIRECT_TRANSPOSED 0.7
#define DIRECT_OC1_CONV 0.75
#define DIRECT_OC1_TRANSPOSED 0.25
/* GPU (H100, NVIDIA OpenCL; medians of 5): a work-item's Cin x taps x OC_TILE x X_TILE chain
 * bounds small layers: ResNet-50's four 3x3 stages (same FLOPs, 9216-73728 MACs per item)
 * took 0.159, 0.321, 0.619, 1.22 ms, i.e. 3.2% of the lane's FMA rate; transposed, every tap
 * checked, 0.63 of that (DCGAN k4 s2: 3.42/1.73/0.88 ms for Cin 512/256/128), with one
 * output channel per item 0.36 again (FCN k16 s8, 21 channels: 1.54 ms). Large layers run at
 * ~10% of peak (pix2pix 7x7 from 3 channels: 6.5 TFLOP/s). */
#define DIRECT_GPU_EFFICIENCY 0.1
#define DIRECT_GPU_CHAIN 0.032
#define DIRECT_GPU_TRANSPOSED 0.63
#define DIRECT_GPU_OC1_TRANSPOSED 0.36

static double direct_estimate(const clconv_problem *p, const clconv_device_info *dev)
{
    const clconv_desc *d = &p->desc;
    const bool conv = d->kind == CLCONV_CONV2D;
    const double kk = (double)d->kernel_h * d->kernel_w;
    /* MACs by the op-count convention: every tap (Conv2d), the landing taps (transposed) */
    const double macs = conv ? (double)p->output_count * p->cin_per_group * kk
                             : (double)p->input_count * p->cout_per_group * kk;
    double eff = DIRECT_EFFICIENCY * (conv ? 1 : DIRECT_TRANSPOSED);
    if (oc_tile_for(p) == 1)
        eff *= conv ? DIRECT_OC1_CONV : DIRECT_OC1_TRANSPOSED;
    const double bytes =
        (double)(p->input_count + p->weight_count + p->output_count) * clconv_dtype_size(d->dtype);
    if (clconv_model_is_gpu(dev)) {
        const double chain = 2.0 * p->cin_per_group * kk * oc_tile_for(p) * X_TILE;
        double chain_eff = DIRECT_GPU_CHAIN * (conv ? 1 : DIRECT_GPU_TRANSPOSED);
        if (!conv && oc_tile_for(p) == 1)
            chain_eff *= DIRECT_GPU_OC1_TRANSPOSED;
        return clconv_model_gpu_seconds(dev, 2 * macs, DIRECT_GPU_EFFICIENCY, chain, chain_eff,
                                        bytes, 1);
    }
    return clconv_model_seconds(dev, 2 * macs, eff, bytes, 1);
}

static clconv_status direct_prepare(clconv_plan *plan)
{
    const clconv_problem *p = &plan->problem;
    const clconv_desc *d = &p->desc;
    const bool transposed = d->kind == CLCONV_CONV_TRANSPOSE2D;
    const int oc_tile = oc_tile_for(p);
    char options[256];
    snprintf(options, sizeof options, "-D PAD_MODE=%d -D OC_TILE=%d -D X_TILE=%d%s",
             (int)d->padding_mode, oc_tile, X_TILE,
             d->dtype == CLCONV_FLOAT16 ? " -D CLCONV_HALF" : "");
    direct_state *s = calloc(1, sizeof *s);
    if (!s)
        return clconv_fail(plan->ctx, CLCONV_ERROR_OUT_OF_HOST_MEMORY, "direct plan state");
    const char *file = transposed ? "conv_transpose2d_direct.cl" : "conv2d_direct.cl";
    const char *name = transposed ? "conv_transpose2d_direct" : "conv2d_direct";
    clconv_status st = clconv_create_kernel(plan->ctx, file, options, name, &s->kernel);
    if (st != CLCONV_SUCCESS) {
        free(s);
        return st;
    }
    const int nk_tiles = p->out[0] * (p->out[1] / oc_tile);
    int x_items;
    if (transposed) {
        int phase_cols = (int)clconv_div_up((size_t)p->out[3], (size_t)d->stride_w);
        x_items = d->stride_w * (int)clconv_div_up((size_t)phase_cols, X_TILE);
    } else {
        x_items = (int)clconv_div_up((size_t)p->out[3], X_TILE);
    }
    const int args[] = {p->in[1],      p->in[2],      p->in[3],         p->out[1],
                        p->out[2],     p->out[3],     d->kernel_h,      d->kernel_w,
                        d->stride_h,   d->stride_w,   d->pad_top,       d->pad_left,
                        d->dilation_h, d->dilation_w, p->cin_per_group, p->cout_per_group,
                        d->bias != 0,  x_items,       nk_tiles};
    /* the Conv2d kernel has no x_items argument */
    const size_t nargs = sizeof args / sizeof args[0];
    st = clconv_set_int_args(plan->ctx, s->kernel, 4, args, nargs - 2);
    if (st == CLCONV_SUCCESS)
        st = transposed ? clconv_set_int_args(plan->ctx, s->kernel, 4 + (cl_uint)nargs - 2,
                                              &args[nargs - 2], 2)
                        : clconv_set_int_args(plan->ctx, s->kernel, 4 + (cl_uint)nargs - 2,
                                              &args[nargs - 1], 1);
    if (st != CLCONV_SUCCESS) {
        clReleaseKernel(s->kernel);
        free(s);
        return st;
    }
    s->global[0] = (size_t)x_items;
    s->global[1] = (size_t)p->out[2];
    s->global[2] = (size_t)nk_tiles;
    plan->state = s;
    return CLCONV_SUCCESS;
}

static clconv_status direct_enqueue(clconv_plan *plan, const clconv_enqueue_args *a)
{
    direct_state *s = plan->state;
    cl_mem bias = a->bias ? a->bias : a->weight; /* never read when has_bias is 0 */
    cl_mem bufs[4] = {a->input, a->weight, bias, a->output};
    for (cl_uint i = 0; i < 4; i++) {
        cl_int err = clSetKernelArg(s->kernel, i, sizeof(cl_mem), &bufs[i]);
        if (err != CL_SUCCESS)
            return clconv_fail_cl(plan->ctx, err, "clSetKernelArg");
    }
    size_t local[3];
    clconv_pick_local_size(&plan->ctx->info, s->global, local);
    return clconv_enqueue_kernel(plan->ctx, a->queue, s->kernel, 3, s->global, local,
                                 a->num_wait_events, a->wait_events, a->event);
}

static void direct_release(clconv_plan *plan)
{
    direct_state *s = plan->state;
    if (!s)
        return;
    clReleaseKernel(s->kernel);
    free(s);
    plan->state = NULL;
}

const clconv_algo_impl clconv_algo_direct = {
    .id = CLCONV_ALGO_DIRECT,
    .name = "direct",
    .supports = direct_supports,
    .workspace = direct_workspace,
    .estimate = direct_estimate,
    .prepare = direct_prepare,
    .enqueue = direct_enqueue,
    .release = direct_release,
};
