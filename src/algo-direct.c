/* The direct family: gather kernels for every Conv2d (direct.conv2d) and every ConvTranspose2d
 * (direct.tconv2d), float32 and float16 storage, one launch, no workspace. Each work-item owns
 * OC_TILE output channels of one group times X_TILE output columns (of one stride phase when
 * transposed); OC_TILE is the largest of 4, 2, 1 dividing out_channels / groups. */
#include <stdio.h>
#include <stdlib.h>

#include "src/algo-direct.h"
#include "src/cost-model.h"
#include "src/epilogue.h"
#include "src/kernels.h"
#include "src/launch.h"

/* What applies() fixed for a plan. */
typedef struct direct_config {
    int oc_tile, x_tile;
    int x_items;  /* NDRange dimension 0: column tiles (transposed: of every stride phase) */
    int nk_tiles; /* NDRange dimension 2: images x output-channel tiles */
} direct_config;
CLCONV_CONFIG_FITS(direct_config);

typedef struct direct_state {
    cl_kernel kernel;
    cl_uint buffer_slot[4]; /* in, weight, bias, out */
    cl_uint residual_slot;
    clconv_launch launch;
} direct_state;

static const char *kind_name(clconv_kind kind)
{
    return kind == CLCONV_CONV2D ? "conv2d" : "conv_transpose2d";
}

static bool direct_applies(const clconv_variant *v, const clconv_problem *p,
                           const clconv_device_info *dev, size_t workspace_limit,
                           clconv_config *cfg, char *reason, size_t reason_size)
{
    (void)dev;
    (void)workspace_limit;
    const clconv_desc *d = &p->desc;
    if ((int)d->kind != v->param[0]) {
        snprintf(reason, reason_size, "kind = %s: %s runs %s only", kind_name(d->kind), v->name,
                 v->param[0] == CLCONV_CONV2D ? "Conv2d" : "ConvTranspose2d");
        return false;
    }
    direct_config *c = CLCONV_CONFIG(direct_config, cfg);
    const int cpg = p->cout_per_group;
    c->oc_tile = cpg % 4 == 0 ? 4 : cpg % 2 == 0 ? 2 : 1;
    c->x_tile = v->param[1];
    if (d->kind == CLCONV_CONV_TRANSPOSE2D) {
        /* each stride phase of a row holds ceil(OW / sw) columns, in tiles of X_TILE */
        const size_t phase_cols = clconv_div_up((size_t)p->out[3], (size_t)d->stride_w);
        c->x_items = d->stride_w * (int)clconv_div_up(phase_cols, (size_t)c->x_tile);
    } else {
        c->x_items = (int)clconv_div_up((size_t)p->out[3], (size_t)c->x_tile);
    }
    c->nk_tiles = p->out[0] * (p->out[1] / c->oc_tile);
    cfg->workspace = 0;
    return true;
}

/* A calibration factor of the narrow case; 0 is a field the row leaves unused. */
static double factor(double f)
{
    return f > 0 ? f : 1;
}

/* MACs by the op-count convention (every tap of Conv2d, the landing taps of transposed) at
 * the row's efficiency; on classes with a chain efficiency, also bounded by one work-item's
 * Cin x taps x OC_TILE x X_TILE chain. With OC_TILE 1 the row's narrow factors apply. */
static double direct_estimate(const clconv_variant *v, const clconv_problem *p,
                              const clconv_device_info *dev, const clconv_config *cfg,
                              const clconv_calibration *cal)
{
    (void)v;
    const direct_config *c = CLCONV_CONFIG_CONST(direct_config, cfg);
    const clconv_desc *d = &p->desc;
    const double kk = (double)d->kernel_h * d->kernel_w;
    const double macs = d->kind == CLCONV_CONV2D ? (double)p->output_count * p->cin_per_group * kk
                                                 : (double)p->input_count * p->cout_per_group * kk;
    const bool narrow = c->oc_tile == 1;
    const double eff = cal->efficiency * (narrow ? factor(cal->narrow_factor) : 1);
    const double chain_eff =
        cal->chain_efficiency * (narrow ? factor(cal->chain_narrow_factor) : 1);
    const double chain = 2.0 * p->cin_per_group * kk * c->oc_tile * c->x_tile;
    const double bytes =
        (double)(p->input_count + p->weight_count + p->output_count) * clconv_dtype_size(d->dtype);
    return clconv_model_variant_seconds(dev, cal, 2 * macs, eff, chain, chain_eff, bytes, 1);
}

static void direct_release(clconv_plan *plan)
{
    direct_state *s = plan->state;
    if (!s)
        return;
    if (s->kernel)
        clReleaseKernel(s->kernel);
    free(s);
    plan->state = NULL;
}

static clconv_status direct_prepare(clconv_plan *plan)
{
    const clconv_problem *p = &plan->problem;
    const clconv_desc *d = &p->desc;
    const direct_config *c = CLCONV_CONFIG_CONST(direct_config, &plan->config);
    const bool transposed = d->kind == CLCONV_CONV_TRANSPOSE2D;
    direct_state *s = calloc(1, sizeof *s);
    if (!s)
        return clconv_fail(plan->ctx, CLCONV_ERROR_OUT_OF_HOST_MEMORY, "direct plan state");
    plan->state = s;
    char options[512], epilogue[256];
    char pad[32] = ""; /* ConvTranspose2d pads with zeros only */
    if (!transposed)
        snprintf(pad, sizeof pad, "-D PAD_MODE=%d ", (int)d->padding_mode);
    clconv_epilogue_options(p, epilogue, sizeof epilogue);
    snprintf(options, sizeof options, "%s-D OC_TILE=%d -D X_TILE=%d%s%s", pad, c->oc_tile,
             c->x_tile, d->dtype == CLCONV_FLOAT16 ? " -D CLCONV_HALF" : "", epilogue);
    clconv_status st = clconv_create_kernel(
        plan->ctx, transposed ? "conv_transpose2d_direct.cl" : "conv2d_direct.cl", options,
        transposed ? "conv_transpose2d_direct" : "conv2d_direct", &s->kernel);
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
        const int groups[] = {p->cin_per_group, p->cout_per_group, d->bias != 0};
        clconv_arg_ints(&a, "cinpg, coutpg, has_bias", groups, 3);
        if (transposed)
            clconv_arg_int(&a, "x_items", c->x_items);
        clconv_arg_int(&a, "nk_tiles", c->nk_tiles);
        s->residual_slot = clconv_arg_residual(&a, p);
        st = clconv_args_end(&a);
    }
    if (st == CLCONV_SUCCESS) {
        s->launch.dims = 3;
        s->launch.global[0] = (size_t)c->x_items;
        s->launch.global[1] = (size_t)p->out[2];
        s->launch.global[2] = (size_t)c->nk_tiles;
        st = clconv_launch_elementwise(plan->ctx, s->kernel, &s->launch);
    }
    if (st != CLCONV_SUCCESS)
        direct_release(plan);
    return st;
}

static clconv_status direct_enqueue(clconv_plan *plan, const clconv_enqueue_args *a)
{
    const direct_state *s = plan->state;
    return clconv_enqueue_one_kernel(plan->ctx, s->kernel, s->buffer_slot, s->residual_slot,
                                     &s->launch, a);
}

const clconv_variant_ops clconv_direct_ops = {
    .applies = direct_applies,
    .estimate = direct_estimate,
    .prepare = direct_prepare,
    .enqueue = direct_enqueue,
    .release = direct_release,
};
