/* The zero-tap-skipping variant tiled.skipzeros_c16p8 (cl/tiled_skipzeros.cl): Conv2d with
 * zeros padding where many taps fall wholly in the padding (DeepLab's ASPP: 3x3, dilation
 * 6-18, padding = dilation, small maps). A work-item owns 16 output channels x 8 columns of a
 * row and skips every tap whose row or columns all lie in the padding. The weights are re-laid
 * out (with each tap's 0 * w sums) once in clconv_plan_set_weights, else per enqueue into the
 * workspace. param: {SZ_KB channels, SZ_PX columns}. Measurements: docs/winograd.md. */
#include <stdio.h>
#include <stdlib.h>

#include "src/algo-tiled.h"
#include "src/cost-model.h"
#include "src/epilogue.h"
#include "src/kernels.h"
#include "src/launch.h"
#include "src/tiled-common.h"

#define SKIPZEROS_FILE "tiled_skipzeros.cl"
#define SKIPZEROS_PACK_LOCAL 16 /* pack work-items per group */
#define SKIPZEROS_LOCAL 4       /* convolution work-items per group, along the channel tiles */
/* AUTO's domain: layers whose taps are at most this share inside the input */
#define SKIPZEROS_AUTO_MAX_INSIDE 0.8

typedef struct skipzeros_config {
    int kb, px, coutpg_pad, x_tiles;
    size_t wp_count, zt_count; /* floats of the re-laid-out weights and the 0 * w sums */
    double inside;             /* share of the (output, tap) pairs inside the input */
} skipzeros_config;
CLCONV_CONFIG_FITS(skipzeros_config);

typedef struct skipzeros_state {
    cl_kernel pack, conv;
    clconv_launch pack_launch, conv_launch;
    cl_uint pack_w_slot, pack_ws_slot;
    cl_uint in_slot, wp_slot, bias_slot, out_slot, residual_slot;
    cl_mem packed; /* re-laid-out set weights, else NULL */
} skipzeros_state;

/* Output positions along one dimension whose tap k lands inside [0, n), summed over taps. */
static double inside_pairs(int out, int n, int k, int stride, int pad, int dilation)
{
    double count = 0;
    for (int t = 0; t < k; t++)
        for (int o = 0; o < out; o++) {
            const int i = o * stride - pad + t * dilation;
            count += i >= 0 && i < n;
        }
    return count;
}

static bool skipzeros_applies(const clconv_variant *v, const clconv_problem *p,
                              const clconv_device_info *dev, size_t limit, clconv_config *cfg,
                              char *reason, size_t reason_size)
{
    (void)dev;
    (void)limit; /* checked by select.c */
    const clconv_desc *d = &p->desc;
    if (d->kind != CLCONV_CONV2D) {
        snprintf(reason, reason_size, "kind = conv_transpose2d: %s runs Conv2d only", v->name);
        return false;
    }
    if (d->padding_mode != CLCONV_PADDING_ZEROS) {
        snprintf(reason, reason_size, "padding_mode = %d (not zeros): %s skips zeros padding only",
                 (int)d->padding_mode, v->name);
        return false;
    }
    skipzeros_config *c = CLCONV_CONFIG(skipzeros_config, cfg);
    c->kb = v->param[0];
    c->px = v->param[1];
    c->coutpg_pad = (int)clconv_round_up((size_t)p->cout_per_group, (size_t)c->kb);
    c->x_tiles = (int)clconv_div_up((size_t)p->out[3], (size_t)c->px);
    const size_t taps = (size_t)d->kernel_h * d->kernel_w;
    c->wp_count = (size_t)d->groups * taps * p->cin_per_group * c->coutpg_pad;
    c->zt_count = (size_t)d->groups * taps * c->coutpg_pad;
    const double rows =
        inside_pairs(p->out[2], p->in[2], d->kernel_h, d->stride_h, d->pad_top, d->dilation_h);
    const double cols =
        inside_pairs(p->out[3], p->in[3], d->kernel_w, d->stride_w, d->pad_left, d->dilation_w);
    c->inside = rows * cols / ((double)p->out[2] * p->out[3] * taps);
    cfg->workspace = (c->wp_count + c->zt_count) * sizeof(float);
    /* the workspace limit is checked by the caller (select.c), with one message for all */
    if (c->wp_count + c->zt_count > UINT32_MAX) {
        snprintf(reason, reason_size, "%s: %zu bytes of workspace overflow its 32-bit offsets",
                 v->name, cfg->workspace);
        return false;
    }
    return true;
}

/* AUTO: where the padding holds enough of the taps to pay, and groups fill the vector. */
static bool skipzeros_auto_domain(const clconv_variant *v, const clconv_problem *p,
                                  const clconv_device_info *dev, const clconv_config *cfg,
                                  char *reason, size_t reason_size)
{
    (void)dev;
    const skipzeros_config *c = CLCONV_CONFIG_CONST(skipzeros_config, cfg);
    if (c->inside > SKIPZEROS_AUTO_MAX_INSIDE || p->cout_per_group < c->kb) {
        snprintf(reason, reason_size,
                 "%.0f%% of the taps inside the input, %d channels per group: AUTO runs %s "
                 "at most %.0f%% inside and %d channels or more",
                 100 * c->inside, p->cout_per_group, v->name, 100 * SKIPZEROS_AUTO_MAX_INSIDE,
                 c->kb);
        return false;
    }
    return true;
}

/* The products executed: those of the taps inside the input (tiles of SZ_PX columns round
 * them up a little). */
static double skipzeros_executed_flops(const clconv_variant *v, const clconv_problem *p,
                                       const clconv_config *cfg)
{
    (void)v;
    const skipzeros_config *c = CLCONV_CONFIG_CONST(skipzeros_config, cfg);
    const clconv_desc *d = &p->desc;
    return 2.0 * (double)p->output_count * p->cin_per_group * d->kernel_h * d->kernel_w * c->inside;
}

/* Calibration: efficiency of the executed FLOPs, bandwidth_share of the streamed bytes. */
static double skipzeros_estimate(const clconv_variant *v, const clconv_problem *p,
                                 const clconv_device_info *dev, const clconv_config *cfg,
                                 const clconv_calibration *cal)
{
    const skipzeros_config *c = CLCONV_CONFIG_CONST(skipzeros_config, cfg);
    clconv_device_model m;
    clconv_device_model_get(dev, &m);
    const double flops = skipzeros_executed_flops(v, p, cfg) * c->coutpg_pad / p->cout_per_group;
    /* the pack reads the weights and writes wp and zt, which the convolution reads back; with
     * the weights set once (pack_weights) only that read is left, and one launch */
    const bool packed = p->weights_constant;
    const double bytes =
        (double)(p->input_count + p->output_count + (packed ? 0 : p->weight_count)) *
            clconv_dtype_size(p->desc.dtype) +
        (packed ? 1.0 : 2.0) * sizeof(float) * (double)(c->wp_count + c->zt_count);
    const double share = cal->bandwidth_share > 0 ? cal->bandwidth_share : 1;
    return clconv_model_seconds(dev, flops, cal->efficiency, 0, packed ? 1 : 2) +
           bytes / (share * m.bandwidth);
}

static void skipzeros_release(clconv_plan *plan)
{
    skipzeros_state *s = plan->state;
    if (!s)
        return;
    if (s->pack)
        clReleaseKernel(s->pack);
    if (s->conv)
        clReleaseKernel(s->conv);
    if (s->packed)
        clReleaseMemObject(s->packed);
    free(s);
    plan->state = NULL;
}

static clconv_status skipzeros_build(clconv_plan *plan, skipzeros_state *s)
{
    const clconv_problem *p = &plan->problem;
    const clconv_desc *d = &p->desc;
    const skipzeros_config *c = CLCONV_CONFIG_CONST(skipzeros_config, &plan->config);
    clconv_context *ctx = plan->ctx;
    char options[512], epilogue[256];
    clconv_epilogue_options(p, epilogue, sizeof epilogue);
    snprintf(options, sizeof options, "-D SZ_KB=%d -D SZ_PX=%d%s%s", c->kb, c->px,
             tiled_dtype_option(d), epilogue);
    clconv_status st =
        clconv_create_kernel(ctx, SKIPZEROS_FILE, options, "skipzeros_pack", &s->pack);
    if (st == CLCONV_SUCCESS)
        st = clconv_create_kernel(ctx, SKIPZEROS_FILE, options, "skipzeros_conv", &s->conv);
    if (st != CLCONV_SUCCESS)
        return st;
    const int taps = d->kernel_h * d->kernel_w;
    const cl_uint zt_off = (cl_uint)c->wp_count;
    clconv_kernel_args a;
    clconv_args_begin(&a, ctx, s->pack);
    s->pack_w_slot = clconv_arg_slot(&a, "weight");
    s->pack_ws_slot = clconv_arg_slot(&a, "ws");
    clconv_arg_uint(&a, "zt_off", zt_off);
    const int pv[] = {p->cin_per_group, p->cout_per_group, c->coutpg_pad, d->groups, taps};
    clconv_arg_ints(&a, "cinpg, coutpg, coutpg_pad, groups, taps", pv, 5);
    st = clconv_args_end(&a);

    clconv_args_begin(&a, ctx, s->conv);
    s->in_slot = clconv_arg_slot(&a, "in");
    s->wp_slot = clconv_arg_slot(&a, "wp");
    clconv_arg_uint(&a, "zt_off", zt_off);
    s->bias_slot = clconv_arg_slot(&a, "bias");
    s->out_slot = clconv_arg_slot(&a, "out");
    const int cv[] = {p->in[1],      p->in[2],      p->in[3],         p->out[1],
                      p->out[2],     p->out[3],     d->kernel_h,      d->kernel_w,
                      d->stride_h,   d->stride_w,   d->pad_top,       d->pad_left,
                      d->dilation_h, d->dilation_w, p->cin_per_group, p->cout_per_group,
                      c->coutpg_pad, d->bias != 0,  c->x_tiles};
    clconv_arg_ints(&a,
                    "C, H, W, K, OH, OW, kh, kw, sh, sw, pt, pl, dh, dw, cinpg, coutpg, "
                    "coutpg_pad, has_bias, x_tiles",
                    cv, 19);
    s->residual_slot = clconv_arg_residual(&a, p);
    if (st == CLCONV_SUCCESS)
        st = clconv_args_end(&a);
    if (st != CLCONV_SUCCESS)
        return st;
    s->pack_launch.dims = 2;
    s->pack_launch.global[0] = (size_t)d->groups * c->coutpg_pad;
    s->pack_launch.global[1] = (size_t)taps;
    s->pack_launch.global[2] = 1;
    const size_t pack_pref[3] = {SKIPZEROS_PACK_LOCAL, 1, 1};
    st = clconv_launch_shape(ctx, s->pack, &s->pack_launch, pack_pref, 3u);
    if (st != CLCONV_SUCCESS)
        return st;
    s->conv_launch.dims = 3;
    s->conv_launch.global[0] = (size_t)d->groups * (c->coutpg_pad / c->kb);
    s->conv_launch.global[1] = (size_t)p->out[2] * c->x_tiles;
    s->conv_launch.global[2] = (size_t)p->out[0];
    return tiled_launch(ctx, s->conv, &s->conv_launch, SKIPZEROS_LOCAL);
}

static clconv_status skipzeros_prepare(clconv_plan *plan)
{
    skipzeros_state *s = calloc(1, sizeof *s);
    if (!s)
        return clconv_fail(plan->ctx, CLCONV_ERROR_OUT_OF_HOST_MEMORY, "%s plan state",
                           plan->variant->name);
    plan->state = s;
    clconv_status st = skipzeros_build(plan, s);
    if (st != CLCONV_SUCCESS)
        skipzeros_release(plan);
    return st;
}

static clconv_status skipzeros_pack_weights(clconv_plan *plan)
{
    skipzeros_state *s = plan->state;
    const skipzeros_config *c = CLCONV_CONFIG_CONST(skipzeros_config, &plan->config);
    clconv_context *ctx = plan->ctx;
    if (!s->packed) {
        cl_int err;
        s->packed = clCreateBuffer(ctx->cl_ctx, CL_MEM_READ_WRITE,
                                   (c->wp_count + c->zt_count) * sizeof(float), NULL, &err);
        if (err != CL_SUCCESS) {
            s->packed = NULL;
            return clconv_fail_cl(ctx, err, "clCreateBuffer (skipzeros weights)");
        }
    }
    clconv_status st = clconv_set_mem_arg(ctx, s->pack, s->pack_w_slot, plan->weights.weight);
    if (st == CLCONV_SUCCESS)
        st = clconv_set_mem_arg(ctx, s->pack, s->pack_ws_slot, s->packed);
    if (st == CLCONV_SUCCESS)
        st = clconv_enqueue_launch(ctx, ctx->queue, s->pack, &s->pack_launch, 0, NULL, NULL);
    if (st != CLCONV_SUCCESS)
        return st;
    const cl_int err = clFinish(ctx->queue);
    return err == CL_SUCCESS ? CLCONV_SUCCESS
                             : clconv_fail_cl(ctx, err, "clFinish (skipzeros weights)");
}

static clconv_status skipzeros_enqueue(clconv_plan *plan, const clconv_enqueue_args *a)
{
    skipzeros_state *s = plan->state;
    clconv_context *ctx = plan->ctx;
    const bool packed = a->weights_packed && s->packed;
    const cl_mem wp = packed ? s->packed : a->workspace;
    const cl_mem bias = a->bias ? a->bias : a->weight; /* never read when has_bias is 0 */
    clconv_status st = CLCONV_SUCCESS;
    if (!packed) {
        st = clconv_set_mem_arg(ctx, s->pack, s->pack_w_slot, a->weight);
        if (st == CLCONV_SUCCESS)
            st = clconv_set_mem_arg(ctx, s->pack, s->pack_ws_slot, a->workspace);
    }
    const cl_uint slots[4] = {s->in_slot, s->wp_slot, s->bias_slot, s->out_slot};
    const cl_mem bufs[4] = {a->input, wp, bias, a->output};
    for (int i = 0; i < 4 && st == CLCONV_SUCCESS; i++)
        st = clconv_set_mem_arg(ctx, s->conv, slots[i], bufs[i]);
    if (st == CLCONV_SUCCESS)
        st = clconv_set_residual_arg(ctx, s->conv, s->residual_slot, a);
    if (st != CLCONV_SUCCESS)
        return st;
    if (packed)
        return clconv_enqueue_launch(ctx, a->queue, s->conv, &s->conv_launch, a->num_wait_events,
                                     a->wait_events, a->event);
    cl_event done = NULL;
    st = clconv_enqueue_launch(ctx, a->queue, s->pack, &s->pack_launch, a->num_wait_events,
                               a->wait_events, &done);
    if (st != CLCONV_SUCCESS)
        return st;
    st = clconv_enqueue_launch(ctx, a->queue, s->conv, &s->conv_launch, 1, &done, a->event);
    clReleaseEvent(done);
    return st;
}

const clconv_variant_ops tiled_skipzeros_ops = {
    .applies = skipzeros_applies,
    .auto_domain = skipzeros_auto_domain,
    .estimate = skipzeros_estimate,
    .prepare = skipzeros_prepare,
    .enqueue = skipzeros_enqueue,
    .pack_weights = skipzeros_pack_weights,
    .executed_flops = skipzeros_executed_flops,
    .release = skipzeros_release,
};
