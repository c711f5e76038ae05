/* The local-memory implicit GEMM (tiled.local_*, cl/local_gemm.cl): every Conv2d and
 * ConvTranspose2d, dense or grouped, float32 and float16 storage, one launch, no workspace.
 * A work-group computes an MWG x NWG tile of one group's (output channels x output pixels)
 * product, staging KWG-deep tiles of the weight and of the gathered input in local memory.
 *
 * The work-group holds up to the class's gemm_threads work-items (src/local-params.c), fewer
 * where the device or the built kernel allows fewer (CL_KERNEL_WORK_GROUP_SIZE, known only
 * after the build: prepare then builds again with more work per work-item). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "src/algo-local.h"
#include "src/cost-model.h"
#include "src/epilogue.h"
#include "src/kernels.h"
#include "src/launch.h"

enum { FLOAT_BYTES = 4 };

/* What applies() fixed for a plan. */
typedef struct local_gemm_config {
    int mwg, nwg, kwg;
    int threads; /* the most work-items per group the device and the class allow */
    int max_accumulators;
    clconv_local_shape shape;
    int n_tiles, m_tiles; /* over N = batch * OH * OW and M = out_channels / groups */
} local_gemm_config;
CLCONV_CONFIG_FITS(local_gemm_config);

typedef struct local_gemm_state {
    cl_kernel kernel;
    cl_uint buffer_slot[4]; /* in, weight, bias, out */
    cl_uint residual_slot;
    clconv_local_shape shape; /* the config's, or a narrower one the built kernel needed */
    clconv_launch launch;
} local_gemm_state;

static size_t local_bytes(const clconv_problem *p, int mwg, int nwg, int kwg)
{
    const size_t b_tiles = p->desc.kind == CLCONV_CONV_TRANSPOSE2D ? 2 : 1; /* values, valid */
    return FLOAT_BYTES * (size_t)kwg * ((size_t)mwg + b_tiles * (size_t)nwg);
}

static bool local_gemm_applies(const clconv_variant *v, const clconv_problem *p,
                               const clconv_device_info *dev, size_t workspace_limit,
                               clconv_config *cfg, char *reason, size_t reason_size)
{
    (void)workspace_limit;
    local_gemm_config *c = CLCONV_CONFIG(local_gemm_config, cfg);
    c->mwg = v->param[0];
    c->nwg = v->param[1];
    c->kwg = v->param[2];
    const size_t bytes = local_bytes(p, c->mwg, c->nwg, c->kwg);
    if (bytes > dev->local_mem_size) {
        snprintf(reason, reason_size, "%s needs %zu bytes of local memory, the device has %llu",
                 v->name, bytes, (unsigned long long)dev->local_mem_size);
        return false;
    }
    const double pixels = (double)p->out[0] * p->out[2] * p->out[3];
    if (pixels + c->nwg > INT_MAX || (double)p->out[1] * p->out[2] * p->out[3] > INT_MAX) {
        snprintf(reason, reason_size,
                 "batch x output pixels = %.0f: %s indexes pixels and channel planes with int",
                 pixels, v->name);
        return false;
    }
    const clconv_local_params *lp = clconv_local_params_of(dev);
    size_t cap = (size_t)lp->gemm_threads;
    if (dev->max_work_group_size && dev->max_work_group_size < cap)
        cap = dev->max_work_group_size;
    c->threads = clconv_local_pow2_floor(cap);
    c->max_accumulators = lp->max_accumulators;
    if (!clconv_local_gemm_shape(c->mwg, c->nwg, c->threads, lp->vector_width, c->max_accumulators,
                                 &c->shape) ||
        (dev->max_work_item_sizes[0] && (size_t)c->shape.tx > dev->max_work_item_sizes[0]) ||
        (dev->max_work_item_sizes[1] && (size_t)c->shape.ty > dev->max_work_item_sizes[1])) {
        snprintf(reason, reason_size,
                 "%s's %dx%d tile needs more than %d outputs per work-item in groups of at most "
                 "%d work-items",
                 v->name, c->mwg, c->nwg, c->max_accumulators, c->threads);
        return false;
    }
    c->n_tiles = (int)clconv_div_up((size_t)pixels, (size_t)c->nwg);
    c->m_tiles = (int)clconv_div_up((size_t)p->cout_per_group, (size_t)c->mwg);
    cfg->workspace = 0;
    return true;
}

static bool local_gemm_auto_domain(const clconv_variant *v, const clconv_problem *p,
                                   const clconv_device_info *dev, const clconv_config *cfg,
                                   char *reason, size_t reason_size)
{
    (void)p;
    (void)cfg;
    if (!dev->local_mem_dedicated) {
        snprintf(reason, reason_size, "%s stages tiles in local memory, which %s emulates", v->name,
                 dev->device_name);
        return false;
    }
    return true;
}

/* The tiles' padded product at the row's efficiency, bounded on GPU rows by one work-item's
 * chain (KD x its outputs); the bytes: input once per output-channel tile, weights once per
 * pixel tile. */
static double local_gemm_estimate(const clconv_variant *v, const clconv_problem *p,
                                  const clconv_device_info *dev, const clconv_config *cfg,
                                  const clconv_calibration *cal)
{
    (void)v;
    const local_gemm_config *c = CLCONV_CONFIG_CONST(local_gemm_config, cfg);
    const clconv_desc *d = &p->desc;
    const double kd = (double)p->cin_per_group * d->kernel_h * d->kernel_w;
    const double flops =
        2.0 * d->groups * (double)c->m_tiles * c->mwg * (double)c->n_tiles * c->nwg * kd;
    const double chain = 2.0 * kd * c->shape.wptm * c->shape.wptn;
    const double size = clconv_dtype_size(d->dtype);
    const double bytes = size * ((double)p->input_count * c->m_tiles +
                                 (double)p->weight_count * c->n_tiles + (double)p->output_count);
    return clconv_model_variant_seconds(dev, cal, flops, cal->efficiency, chain,
                                        cal->chain_efficiency, bytes, 1);
}

static void local_gemm_release(clconv_plan *plan)
{
    local_gemm_state *s = plan->state;
    if (!s)
        return;
    if (s->kernel)
        clReleaseKernel(s->kernel);
    free(s);
    plan->state = NULL;
}

static clconv_status build(clconv_plan *plan, const local_gemm_config *c, local_gemm_state *s)
{
    const clconv_problem *p = &plan->problem;
    const clconv_desc *d = &p->desc;
    const bool transposed = d->kind == CLCONV_CONV_TRANSPOSE2D;
    char options[512], epilogue[256], pad[32] = "";
    if (!transposed)
        snprintf(pad, sizeof pad, " -D PAD_MODE=%d", (int)d->padding_mode);
    clconv_epilogue_options(p, epilogue, sizeof epilogue);
    snprintf(options, sizeof options,
             "-D MWG=%d -D NWG=%d -D KWG=%d -D WPTM=%d -D WPTN=%d -D VW=%d -D TRANSPOSED=%d%s%s%s",
             c->mwg, c->nwg, c->kwg, s->shape.wptm, s->shape.wptn, s->shape.vw, transposed ? 1 : 0,
             pad, d->dtype == CLCONV_FLOAT16 ? " -D CLCONV_HALF" : "", epilogue);
    if (s->kernel) {
        clReleaseKernel(s->kernel);
        s->kernel = NULL;
    }
    return clconv_create_kernel(plan->ctx, "local_gemm.cl", options, "local_gemm", &s->kernel);
}

/* Builds the kernel at the config's shape; where the built kernel allows fewer work-items,
 * once more at the shape that fits (more outputs per work-item), else declines. */
static clconv_status build_fitting(clconv_plan *plan, const local_gemm_config *c,
                                   local_gemm_state *s)
{
    s->shape = c->shape;
    for (int attempt = 0; attempt < 2; attempt++) {
        clconv_status st = build(plan, c, s);
        if (st != CLCONV_SUCCESS)
            return st;
        size_t kmax = 0;
        cl_int err = clGetKernelWorkGroupInfo(s->kernel, plan->ctx->device,
                                              CL_KERNEL_WORK_GROUP_SIZE, sizeof kmax, &kmax, NULL);
        if (err != CL_SUCCESS)
            return clconv_fail_cl(plan->ctx, err, "clGetKernelWorkGroupInfo");
        const size_t group = (size_t)s->shape.tx * (size_t)s->shape.ty;
        if (group <= kmax)
            return CLCONV_SUCCESS;
        clconv_local_shape narrower;
        if (!clconv_local_gemm_shape(c->mwg, c->nwg, clconv_local_pow2_floor(kmax), s->shape.vw,
                                     c->max_accumulators, &narrower) ||
            attempt == 1)
            return clconv_fail(plan->ctx, CLCONV_ERROR_UNSUPPORTED,
                               "%s: the built kernel takes at most %zu work-items a group "
                               "(CL_KERNEL_WORK_GROUP_SIZE); its %dx%d tile needs %zu, or more "
                               "than %d outputs per work-item",
                               plan->variant->name, kmax, c->mwg, c->nwg, group,
                               c->max_accumulators);
        s->shape = narrower;
    }
    return CLCONV_SUCCESS;
}

static clconv_status local_gemm_prepare(clconv_plan *plan)
{
    const clconv_problem *p = &plan->problem;
    const clconv_desc *d = &p->desc;
    const local_gemm_config *c = CLCONV_CONFIG_CONST(local_gemm_config, &plan->config);
    local_gemm_state *s = calloc(1, sizeof *s);
    if (!s)
        return clconv_fail(plan->ctx, CLCONV_ERROR_OUT_OF_HOST_MEMORY, "local GEMM plan state");
    plan->state = s;
    clconv_status st = build_fitting(plan, c, s);
    if (st == CLCONV_SUCCESS) {
        clconv_kernel_args a;
        clconv_args_begin(&a, plan->ctx, s->kernel);
        s->buffer_slot[0] = clconv_arg_slot(&a, "in");
        s->buffer_slot[1] = clconv_arg_slot(&a, "weight");
        s->buffer_slot[2] = clconv_arg_slot(&a, "bias");
        s->buffer_slot[3] = clconv_arg_slot(&a, "out");
        const int shape[] = {p->in[1],   p->in[2],    p->in[3],      p->out[1],    p->out[2],
                             p->out[3],  d->kernel_h, d->kernel_w,   d->stride_h,  d->stride_w,
                             d->pad_top, d->pad_left, d->dilation_h, d->dilation_w};
        clconv_arg_ints(&a, "C, H, W, K, OH, OW, kh, kw, sh, sw, pt, pl, dh, dw", shape,
                        sizeof shape / sizeof shape[0]);
        const int rest[] = {p->cin_per_group, p->cout_per_group, p->out[0], d->bias != 0};
        clconv_arg_ints(&a, "cinpg, coutpg, batch, has_bias", rest, 4);
        s->residual_slot = clconv_arg_residual(&a, p);
        st = clconv_args_end(&a);
    }
    if (st == CLCONV_SUCCESS) {
        /* the kernel requires exactly this group shape */
        s->launch.dims = 3;
        s->launch.local[0] = (size_t)s->shape.tx;
        s->launch.local[1] = (size_t)s->shape.ty;
        s->launch.local[2] = 1;
        s->launch.global[0] = (size_t)c->n_tiles * s->launch.local[0];
        s->launch.global[1] = (size_t)c->m_tiles * s->launch.local[1];
        s->launch.global[2] = (size_t)d->groups;
    }
    if (st != CLCONV_SUCCESS)
        local_gemm_release(plan);
    return st;
}

static clconv_status local_gemm_enqueue(clconv_plan *plan, const clconv_enqueue_args *a)
{
    const local_gemm_state *s = plan->state;
    return clconv_enqueue_one_kernel(plan->ctx, s->kernel, s->buffer_slot, s->residual_slot,
                                     &s->launch, a);
}

const clconv_variant_ops clconv_local_gemm_ops = {
    .applies = local_gemm_applies,
    .auto_domain = local_gemm_auto_domain,
    .estimate = local_gemm_estimate,
    .prepare = local_gemm_prepare,
    .enqueue = local_gemm_enqueue,
    .release = local_gemm_release,
};
