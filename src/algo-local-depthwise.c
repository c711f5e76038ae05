/* The local-memory depthwise kernel (depthwise.local_*, cl/local_depthwise.cl): depthwise
 * Conv2d (groups == in_channels, any depth multiplier), every padding mode, stride and
 * dilation, float32 and float16 storage, one launch, no workspace. A work-group computes a
 * (tile columns x tile rows) output tile of one channel from its input tile in local memory.
 *
 * The work-group is tile columns wide (at most the class's depthwise_threads,
 * src/local-params.c) and as many rows high as the rest of that budget allows; each
 * work-item computes tile rows / group rows outputs. The shape narrows at prepare when the
 * built kernel allows fewer work-items (CL_KERNEL_WORK_GROUP_SIZE): the kernel reads it at
 * run time, so nothing is built again. */
#include <stdio.h>
#include <stdlib.h>

#include "src/algo-local.h"
#include "src/cost-model.h"
#include "src/depthwise-common.h"
#include "src/epilogue.h"
#include "src/kernels.h"
#include "src/launch.h"

/* What applies() fixed for a plan. */
typedef struct local_dw_config {
    int tile_w, tile_h;   /* output tile: work-group width x (group rows x rows per item) */
    int group_w, group_h; /* the preferred work-group */
    size_t tile_bytes;    /* the local input tile */
} local_dw_config;
CLCONV_CONFIG_FITS(local_dw_config);

typedef struct local_dw_state {
    cl_kernel kernel;
    cl_uint buffer_slot[4]; /* in, weight, bias, out */
    cl_uint residual_slot;
    clconv_launch launch;
} local_dw_state;

static size_t input_extent(int tile, int stride, int kernel, int dilation)
{
    return (size_t)(tile - 1) * (size_t)stride + (size_t)(kernel - 1) * (size_t)dilation + 1;
}

static bool local_dw_applies(const clconv_variant *v, const clconv_problem *p,
                             const clconv_device_info *dev, size_t workspace_limit,
                             clconv_config *cfg, char *reason, size_t reason_size)
{
    (void)workspace_limit;
    if (!depthwise_family_applies(v, p, reason, reason_size))
        return false;
    const clconv_desc *d = &p->desc;
    local_dw_config *c = CLCONV_CONFIG(local_dw_config, cfg);
    c->tile_w = v->param[0];
    c->tile_h = v->param[1];
    c->tile_bytes = sizeof(float) *
                    input_extent(c->tile_h, d->stride_h, d->kernel_h, d->dilation_h) *
                    input_extent(c->tile_w, d->stride_w, d->kernel_w, d->dilation_w);
    if (c->tile_bytes > dev->local_mem_size) {
        snprintf(reason, reason_size,
                 "%s's input tile for kernel %dx%d, stride %dx%d, dilation %dx%d takes %zu bytes "
                 "of local memory, the device has %llu",
                 v->name, d->kernel_h, d->kernel_w, d->stride_h, d->stride_w, d->dilation_h,
                 d->dilation_w, c->tile_bytes, (unsigned long long)dev->local_mem_size);
        return false;
    }
    size_t cap = (size_t)clconv_local_params_of(dev)->depthwise_threads;
    if (dev->max_work_group_size && dev->max_work_group_size < cap)
        cap = dev->max_work_group_size;
    const int threads = clconv_local_pow2_floor(cap);
    c->group_w = c->tile_w < threads ? c->tile_w : threads;
    if (dev->max_work_item_sizes[0] && (size_t)c->group_w > dev->max_work_item_sizes[0])
        c->group_w = clconv_local_pow2_floor(dev->max_work_item_sizes[0]);
    c->group_h = threads / c->group_w < c->tile_h ? threads / c->group_w : c->tile_h;
    if (c->group_h < 1 || c->tile_w % c->group_w) {
        snprintf(reason, reason_size, "%s's %d-column tile does not fit groups of %d work-items",
                 v->name, c->tile_w, threads);
        return false;
    }
    cfg->workspace = 0;
    return true;
}

static bool local_dw_auto_domain(const clconv_variant *v, const clconv_problem *p,
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

/* The depthwise family's model: the taps at the row's efficiency, a work-item's chain of
 * rows per item x taps. */
static double local_dw_estimate(const clconv_variant *v, const clconv_problem *p,
                                const clconv_device_info *dev, const clconv_config *cfg,
                                const clconv_calibration *cal)
{
    (void)v;
    const local_dw_config *c = CLCONV_CONFIG_CONST(local_dw_config, cfg);
    const double rows = (double)c->tile_h / c->group_h;
    const double chain = 2.0 * rows * p->desc.kernel_h * p->desc.kernel_w;
    const double groups = (double)clconv_div_up((size_t)p->out[3], (size_t)c->group_w) *
                          (double)clconv_div_up((size_t)p->out[2], (size_t)c->tile_h) * p->out[0] *
                          p->out[1];
    return depthwise_seconds(p, dev, cal, groups * c->group_w * c->group_h, chain);
}

static void local_dw_release(clconv_plan *plan)
{
    local_dw_state *s = plan->state;
    if (!s)
        return;
    if (s->kernel)
        clReleaseKernel(s->kernel);
    free(s);
    plan->state = NULL;
}

static clconv_status local_dw_prepare(clconv_plan *plan)
{
    const clconv_problem *p = &plan->problem;
    const clconv_desc *d = &p->desc;
    const local_dw_config *c = CLCONV_CONFIG_CONST(local_dw_config, &plan->config);
    local_dw_state *s = calloc(1, sizeof *s);
    if (!s)
        return clconv_fail(plan->ctx, CLCONV_ERROR_OUT_OF_HOST_MEMORY, "local depthwise state");
    plan->state = s;
    char options[384], epilogue[256];
    clconv_epilogue_options(p, epilogue, sizeof epilogue);
    snprintf(options, sizeof options, "-D PAD_MODE=%d%s%s", (int)d->padding_mode,
             d->dtype == CLCONV_FLOAT16 ? " -D CLCONV_HALF" : "", epilogue);
    clconv_status st = clconv_create_kernel(plan->ctx, "local_depthwise.cl", options,
                                            "local_depthwise", &s->kernel);
    /* the group the built kernel allows: fewer rows first, then narrower columns */
    size_t kmax = 0;
    int gw = c->group_w, gh = c->group_h;
    if (st == CLCONV_SUCCESS) {
        cl_int err = clGetKernelWorkGroupInfo(s->kernel, plan->ctx->device,
                                              CL_KERNEL_WORK_GROUP_SIZE, sizeof kmax, &kmax, NULL);
        if (err != CL_SUCCESS)
            st = clconv_fail_cl(plan->ctx, err, "clGetKernelWorkGroupInfo");
    }
    while (st == CLCONV_SUCCESS && (size_t)gw * (size_t)gh > kmax && gw * gh > 1) {
        if (gh > 1)
            gh /= 2;
        else
            gw /= 2;
    }
    if (st == CLCONV_SUCCESS && (size_t)gw * (size_t)gh > kmax)
        st = clconv_fail(plan->ctx, CLCONV_ERROR_UNSUPPORTED,
                         "%s: the built kernel takes %zu work-items a group "
                         "(CL_KERNEL_WORK_GROUP_SIZE)",
                         plan->variant->name, kmax);
    /* the tile's columns are the group's: a narrower group keeps the tile's rows */
    const size_t tile_bytes = sizeof(float) *
                              input_extent(c->tile_h, d->stride_h, d->kernel_h, d->dilation_h) *
                              input_extent(gw, d->stride_w, d->kernel_w, d->dilation_w);
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
        const int rest[] = {p->out[1] / p->in[1], d->bias != 0, c->tile_h / gh};
        clconv_arg_ints(&a, "mult, has_bias, rows_per_item", rest, 3);
        const cl_uint tile_slot = clconv_arg_slot(&a, "tile");
        s->residual_slot = clconv_arg_residual(&a, p);
        st = clconv_args_end(&a);
        if (st == CLCONV_SUCCESS) {
            cl_int err = clSetKernelArg(s->kernel, tile_slot, tile_bytes, NULL);
            if (err != CL_SUCCESS)
                st = clconv_fail_cl(plan->ctx, err, "clSetKernelArg(local_depthwise, tile)");
        }
    }
    if (st == CLCONV_SUCCESS) {
        s->launch.dims = 3;
        s->launch.local[0] = (size_t)gw;
        s->launch.local[1] = (size_t)gh;
        s->launch.local[2] = 1;
        s->launch.global[0] = clconv_round_up((size_t)p->out[3], (size_t)gw);
        s->launch.global[1] = clconv_div_up((size_t)p->out[2], (size_t)c->tile_h) * (size_t)gh;
        s->launch.global[2] = (size_t)p->out[0] * (size_t)p->out[1];
    }
    if (st != CLCONV_SUCCESS)
        local_dw_release(plan);
    return st;
}

static clconv_status local_dw_enqueue(clconv_plan *plan, const clconv_enqueue_args *a)
{
    const local_dw_state *s = plan->state;
    return clconv_enqueue_one_kernel(plan->ctx, s->kernel, s->buffer_slot, s->residual_slot,
                                     &s->launch, a);
}

const clconv_variant_ops clconv_local_depthwise_ops = {
    .applies = local_dw_applies,
    .auto_domain = local_dw_auto_domain,
    .estimate = local_dw_estimate,
    .prepare = local_dw_prepare,
    .enqueue = local_dw_enqueue,
    .release = local_dw_release,
};
