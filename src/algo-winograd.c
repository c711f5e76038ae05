/* The Winograd family (cl/winograd.cl): F(MxM, 3x3) minimal filtering for 3x3 stride-1
 * Conv2d, any groups and padding mode, and ConvTranspose2d 3x3 stride 1 through its flipped
 * kernel; float32 and float16 storage, float arithmetic. Filter transform (once per plan with
 * set weights, else per enqueue), input transform, one batched GEMM per tile position, output
 * transform with the epilogue. param: {M, KB, PB}: output tile, GEMM register tile of a
 * vector of KB output channels x PB tiles. Accuracy and measurements: docs/winograd.md. */
#include <stdio.h>
#include <stdlib.h>

#include "src/algo-winograd.h"
#include "src/cost-model.h"
#include "src/epilogue.h"
#include "src/kernels.h"
#include "src/launch.h"

#define WINO_FILE "winograd.cl"
/* floats between the transformed planes beyond their size (cl/winograd.cl says why) */
#define WINO_SKEW 16
#define WINO_AUTO_MIN_CHANNELS 16
#define WINO_TRANSFORM_LOCAL 64 /* transform work-items per group: few groups of light items */
#define WINO_GEMM_LOCAL 4       /* GEMM work-items per group along the tiles */

/* What applies() fixed for a plan. Element counts and offsets are of floats. */
typedef struct wino_config {
    int m, t;                /* output tile, input tile (m + 2) */
    int pt, pl, yhi, xhi;    /* Conv2d-equivalent padding and the padded input's last row/col */
    int tiles_h, tiles_w, P; /* tiles per image, all tiles */
    int p_pad;               /* P rounded up to the GEMM's PB tiles */
    int coutpg_pad;          /* coutpg rounded up to KB */
    size_t u_count, v_count, m_count;
} wino_config;
CLCONV_CONFIG_FITS(wino_config);

typedef struct wino_state {
    cl_kernel filter, input, gemm, output;
    clconv_launch filter_launch, input_launch, gemm_launch, output_launch;
    cl_uint filter_w_slot, filter_u_slot;
    cl_uint input_in_slot, input_ws_slot;
    cl_uint gemm_u_slot, gemm_u_off_slot, gemm_ws_slot;
    cl_uint out_ws_slot, out_in_slot, out_w_slot, out_bias_slot, out_slot, residual_slot;
    cl_mem packed; /* U of the set weights (pack_weights), else NULL */
} wino_state;

static bool wino_applies(const clconv_variant *v, const clconv_problem *p,
                         const clconv_device_info *dev, size_t workspace_limit, clconv_config *cfg,
                         char *reason, size_t reason_size)
{
    (void)workspace_limit; /* checked by select.c */
    const clconv_desc *d = &p->desc;
    const bool transposed = d->kind == CLCONV_CONV_TRANSPOSE2D;
    if (d->kernel_h != 3 || d->kernel_w != 3) {
        snprintf(reason, reason_size, "kernel %dx%d: %s runs 3x3 kernels only", d->kernel_h,
                 d->kernel_w, v->name);
        return false;
    }
    if (d->stride_h != 1 || d->stride_w != 1) {
        snprintf(reason, reason_size, "stride %dx%d: %s runs stride 1 only", d->stride_h,
                 d->stride_w, v->name);
        return false;
    }
    if (d->dilation_h != 1 || d->dilation_w != 1) {
        snprintf(reason, reason_size, "dilation %dx%d: %s runs dilation 1 only", d->dilation_h,
                 d->dilation_w, v->name);
        return false;
    }
    if (transposed && (d->output_padding_h || d->output_padding_w)) {
        snprintf(reason, reason_size, "output_padding %dx%d: %s runs output_padding 0 only",
                 d->output_padding_h, d->output_padding_w, v->name);
        return false;
    }
    wino_config *c = CLCONV_CONFIG(wino_config, cfg);
    c->m = v->param[0];
    c->t = c->m + 2;
    /* ConvTranspose2d at stride 1 is the Conv2d of the flipped kernel padded by 2 - pad */
    c->pt = transposed ? 2 - d->pad_top : d->pad_top;
    c->pl = transposed ? 2 - d->pad_left : d->pad_left;
    c->yhi = p->out[2] + 1 - c->pt; /* the last input row the last output reads */
    c->xhi = p->out[3] + 1 - c->pl;
    c->tiles_h = (int)clconv_div_up((size_t)p->out[2], (size_t)c->m);
    c->tiles_w = (int)clconv_div_up((size_t)p->out[3], (size_t)c->m);
    const size_t tiles = (size_t)p->out[0] * c->tiles_h * c->tiles_w;
    const size_t p_pad = clconv_round_up(tiles, (size_t)v->param[2]);
    const size_t coutpg_pad = clconv_round_up((size_t)p->cout_per_group, (size_t)v->param[1]);
    const size_t t2 = (size_t)c->t * c->t, groups = (size_t)d->groups;
    /* the planes of U, V and M lie WINO_SKEW floats apart beyond their size (cl/winograd.cl) */
    c->u_count = t2 * (groups * p->cin_per_group * coutpg_pad + WINO_SKEW);
    c->v_count = t2 * (p->in[1] * p_pad + WINO_SKEW);
    c->m_count = t2 * (groups * coutpg_pad * p_pad + WINO_SKEW);
    const size_t floats = c->u_count + c->v_count + c->m_count;
    /* the kernels index the workspace with 32-bit element offsets and int tile counts */
    if (p_pad > INT32_MAX || floats > UINT32_MAX) {
        snprintf(reason, reason_size, "%zu workspace elements: %s indexes at most %u", floats,
                 v->name, (unsigned)UINT32_MAX);
        return false;
    }
    c->P = (int)tiles;
    c->p_pad = (int)p_pad;
    c->coutpg_pad = (int)coutpg_pad;
    cfg->workspace = floats * sizeof(float);
    const size_t largest = (c->v_count > c->m_count ? c->v_count : c->m_count) * sizeof(float);
    /* the workspace limit is checked by the caller (select.c), with one message for all */
    if (largest > dev->max_alloc_size) {
        snprintf(reason, reason_size,
                 "%s: a transformed-tile matrix of %zu bytes is over the device's max "
                 "allocation %llu",
                 v->name, largest, (unsigned long long)dev->max_alloc_size);
        return false;
    }
    return true;
}

/* AUTO's rule: groups of at least WINO_AUTO_MIN_CHANNELS input and output channels. Narrower
 * groups fill part of the GEMM's 16-channel vector and sum too few products per transformed
 * tile to pay for the transforms (docs/winograd.md). */
static bool wino_auto_domain(const clconv_variant *v, const clconv_problem *p,
                             const clconv_device_info *dev, const clconv_config *cfg, char *reason,
                             size_t reason_size)
{
    (void)dev;
    (void)cfg;
    if (p->cin_per_group < WINO_AUTO_MIN_CHANNELS || p->cout_per_group < WINO_AUTO_MIN_CHANNELS) {
        snprintf(reason, reason_size,
                 "%d -> %d channels per group: AUTO runs %s on groups of %d channels or more",
                 p->cin_per_group, p->cout_per_group, v->name, WINO_AUTO_MIN_CHANNELS);
        return false;
    }
    return true;
}

/* The operations each transform executes per tile and channel (adds and multiplies of the
 * 1-D transforms applied to rows and columns). */
static double input_transform_flops(int m)
{
    return m == 2 ? 8 * 4 * 1.0 : 12 * 6 * 4.0;
}
static double output_transform_flops(int m)
{
    return m == 2 ? 6 * 5 * 1.0 : 10 * 16.0;
}

static double wino_gemm_flops(const clconv_problem *p, const wino_config *c)
{
    return 2.0 * c->t * c->t * c->p_pad * p->desc.groups * c->coutpg_pad * p->cin_per_group;
}

/* Executed operations: the tile GEMMs, the input and output transforms, the filter transform
 * (as run per enqueue without set weights). */
static double wino_executed_flops(const clconv_variant *v, const clconv_problem *p,
                                  const clconv_config *cfg)
{
    (void)v;
    const wino_config *c = CLCONV_CONFIG_CONST(wino_config, cfg);
    const double filter = (double)p->desc.groups * c->coutpg_pad * p->cin_per_group *
                          (3.0 * c->t * 5 + c->t * c->t * 5.0);
    return wino_gemm_flops(p, c) + input_transform_flops(c->m) * c->P * p->in[1] +
           output_transform_flops(c->m) * c->P * p->out[1] + filter;
}

/* Calibration fields: efficiency (of the GEMM FLOPs), item_flops (fixed cost per tile and
 * channel of the transforms, at the model peak), bandwidth_share (the transformed tiles and
 * filters written and read back). */
static double wino_estimate(const clconv_variant *v, const clconv_problem *p,
                            const clconv_device_info *dev, const clconv_config *cfg,
                            const clconv_calibration *cal)
{
    (void)v;
    const wino_config *c = CLCONV_CONFIG_CONST(wino_config, cfg);
    clconv_device_model m;
    clconv_device_model_get(dev, &m);
    const double elem = clconv_dtype_size(p->desc.dtype);
    /* the transformed tiles are written once and read back once; so is the filter transform,
     * run per enqueue unless the weights are set once (then U is only read) */
    const double u_bytes = p->weights_constant ? sizeof(float) * (double)c->u_count
                                               : 2.0 * sizeof(float) * (double)c->u_count +
                                                     elem * (double)p->weight_count;
    const double bytes = 2.0 * sizeof(float) * (double)(c->v_count + c->m_count) + u_bytes +
                         elem * (double)(p->input_count + p->output_count);
    const double share = cal->bandwidth_share > 0 ? cal->bandwidth_share : 1;
    const double transform_items = (double)c->P * (p->in[1] + p->out[1]);
    return clconv_model_seconds(dev, wino_gemm_flops(p, c), cal->efficiency, 0, 4) +
           transform_items * cal->item_flops / m.peak_flops + bytes / (share * m.bandwidth);
}

static void wino_release(clconv_plan *plan)
{
    wino_state *s = plan->state;
    if (!s)
        return;
    cl_kernel kernels[] = {s->filter, s->input, s->gemm, s->output};
    for (int i = 0; i < 4; i++)
        if (kernels[i])
            clReleaseKernel(kernels[i]);
    if (s->packed)
        clReleaseMemObject(s->packed);
    free(s);
    plan->state = NULL;
}

/* Work-groups along dimension 0 (tiles), from the kernel's limits. */
static clconv_status wino_launch(clconv_context *ctx, cl_kernel kernel, clconv_launch *launch,
                                 cl_uint dims, size_t g0, size_t g1, size_t g2, size_t local0)
{
    launch->dims = dims;
    launch->global[0] = g0;
    launch->global[1] = g1;
    launch->global[2] = g2;
    const size_t preferred[3] = {g0 < local0 ? g0 : local0, 1, 1};
    return clconv_launch_shape(ctx, kernel, launch, preferred, 3u);
}

static clconv_status wino_build(clconv_plan *plan, wino_state *s)
{
    const clconv_problem *p = &plan->problem;
    const clconv_desc *d = &p->desc;
    const wino_config *c = CLCONV_CONFIG_CONST(wino_config, &plan->config);
    const clconv_variant *v = plan->variant;
    const bool transposed = d->kind == CLCONV_CONV_TRANSPOSE2D;
    clconv_context *ctx = plan->ctx;
    char options[512], epilogue[256];
    clconv_epilogue_options(p, epilogue, sizeof epilogue);
    snprintf(options, sizeof options,
             "-D WINO_M=%d -D PAD_MODE=%d -D TRANSPOSED=%d -D KB=%d "
             "-D PB=%d -D WINO_SKEW=%d%s%s",
             c->m, transposed ? 0 : (int)d->padding_mode, transposed ? 1 : 0, v->param[1],
             v->param[2], WINO_SKEW, d->dtype == CLCONV_FLOAT16 ? " -D CLCONV_HALF" : "", epilogue);
    const char *names[4] = {"winograd_filter", "winograd_input", "winograd_gemm",
                            "winograd_output"};
    cl_kernel *kernels[4] = {&s->filter, &s->input, &s->gemm, &s->output};
    for (int i = 0; i < 4; i++) {
        clconv_status st = clconv_create_kernel(ctx, WINO_FILE, options, names[i], kernels[i]);
        if (st != CLCONV_SUCCESS)
            return st;
    }
    const cl_uint v_off = (cl_uint)c->u_count, m_off = (cl_uint)(c->u_count + c->v_count);
    const int cinpg = p->cin_per_group, coutpg = p->cout_per_group, groups = d->groups;
    clconv_kernel_args a;
    clconv_args_begin(&a, ctx, s->filter);
    s->filter_w_slot = clconv_arg_slot(&a, "weight");
    s->filter_u_slot = clconv_arg_slot(&a, "u");
    clconv_arg_uint(&a, "u_off", 0);
    const int fv[] = {cinpg, coutpg, c->coutpg_pad, groups};
    clconv_arg_ints(&a, "cinpg, coutpg, coutpg_pad, groups", fv, 4);
    clconv_status st = clconv_args_end(&a);

    clconv_args_begin(&a, ctx, s->input);
    s->input_in_slot = clconv_arg_slot(&a, "in");
    s->input_ws_slot = clconv_arg_slot(&a, "ws");
    clconv_arg_uint(&a, "v_off", v_off);
    const int iv[] = {p->in[1], p->in[2], p->in[3], c->tiles_h, c->tiles_w, c->P,
                      c->p_pad, c->pt,    c->pl,    c->yhi,     c->xhi};
    clconv_arg_ints(&a, "C, H, W, tiles_h, tiles_w, P, P_pad, pt, pl, yhi, xhi", iv, 11);
    if (st == CLCONV_SUCCESS)
        st = clconv_args_end(&a);

    clconv_args_begin(&a, ctx, s->gemm);
    s->gemm_u_slot = clconv_arg_slot(&a, "u");
    s->gemm_u_off_slot = clconv_arg_uint(&a, "u_off", 0);
    s->gemm_ws_slot = clconv_arg_slot(&a, "ws");
    clconv_arg_uint(&a, "v_off", v_off);
    clconv_arg_uint(&a, "m_off", m_off);
    const int gv[] = {p->in[1], cinpg, c->coutpg_pad, groups, c->p_pad};
    clconv_arg_ints(&a, "C, cinpg, coutpg_pad, groups, P_pad", gv, 5);
    if (st == CLCONV_SUCCESS)
        st = clconv_args_end(&a);

    clconv_args_begin(&a, ctx, s->output);
    s->out_ws_slot = clconv_arg_slot(&a, "ws");
    clconv_arg_uint(&a, "m_off", m_off);
    s->out_in_slot = clconv_arg_slot(&a, "in");
    s->out_w_slot = clconv_arg_slot(&a, "weight");
    s->out_bias_slot = clconv_arg_slot(&a, "bias");
    s->out_slot = clconv_arg_slot(&a, "out");
    const int ov[] = {p->in[1],      p->in[2],   p->in[3], p->out[1],   p->out[2], p->out[3],
                      c->tiles_h,    c->tiles_w, c->P,     c->p_pad,    cinpg,     coutpg,
                      c->coutpg_pad, c->pt,      c->pl,    d->bias != 0};
    clconv_arg_ints(&a,
                    "C, H, W, K, OH, OW, tiles_h, tiles_w, P, P_pad, cinpg, coutpg, coutpg_pad, "
                    "pt, pl, has_bias",
                    ov, 16);
    s->residual_slot = clconv_arg_residual(&a, p);
    if (st == CLCONV_SUCCESS)
        st = clconv_args_end(&a);
    if (st != CLCONV_SUCCESS)
        return st;

    st = wino_launch(ctx, s->filter, &s->filter_launch, 2, (size_t)groups * c->coutpg_pad,
                     (size_t)cinpg, 1, WINO_TRANSFORM_LOCAL);
    if (st == CLCONV_SUCCESS)
        st = wino_launch(ctx, s->input, &s->input_launch, 2, (size_t)c->p_pad, (size_t)p->in[1], 1,
                         16);
    if (st == CLCONV_SUCCESS)
        st = wino_launch(ctx, s->gemm, &s->gemm_launch, 3,
                         (size_t)groups * (c->coutpg_pad / v->param[1]),
                         (size_t)c->p_pad / v->param[2], (size_t)c->t * c->t, WINO_GEMM_LOCAL);
    if (st == CLCONV_SUCCESS)
        st = wino_launch(ctx, s->output, &s->output_launch, 2, (size_t)p->out[1], (size_t)c->P, 1,
                         WINO_TRANSFORM_LOCAL);
    return st;
}

static clconv_status wino_prepare(clconv_plan *plan)
{
    wino_state *s = calloc(1, sizeof *s);
    if (!s)
        return clconv_fail(plan->ctx, CLCONV_ERROR_OUT_OF_HOST_MEMORY, "winograd plan state");
    plan->state = s;
    clconv_status st = wino_build(plan, s);
    if (st != CLCONV_SUCCESS)
        wino_release(plan);
    return st;
}

/* U of the plan's set weights, once, into a buffer of the state. */
static clconv_status wino_pack_weights(clconv_plan *plan)
{
    wino_state *s = plan->state;
    const wino_config *c = CLCONV_CONFIG_CONST(wino_config, &plan->config);
    clconv_context *ctx = plan->ctx;
    if (!s->packed) {
        cl_int err;
        s->packed =
            clCreateBuffer(ctx->cl_ctx, CL_MEM_READ_WRITE, c->u_count * sizeof(float), NULL, &err);
        if (err != CL_SUCCESS) {
            s->packed = NULL;
            return clconv_fail_cl(ctx, err, "clCreateBuffer (winograd filter transform)");
        }
    }
    clconv_status st = clconv_set_mem_arg(ctx, s->filter, s->filter_w_slot, plan->weights.weight);
    if (st == CLCONV_SUCCESS)
        st = clconv_set_mem_arg(ctx, s->filter, s->filter_u_slot, s->packed);
    if (st == CLCONV_SUCCESS)
        st = clconv_enqueue_launch(ctx, ctx->queue, s->filter, &s->filter_launch, 0, NULL, NULL);
    if (st != CLCONV_SUCCESS)
        return st;
    const cl_int err = clFinish(ctx->queue);
    return err == CL_SUCCESS ? CLCONV_SUCCESS
                             : clconv_fail_cl(ctx, err, "clFinish (winograd filter transform)");
}

static clconv_status wino_enqueue(clconv_plan *plan, const clconv_enqueue_args *a)
{
    wino_state *s = plan->state;
    clconv_context *ctx = plan->ctx;
    const bool packed = a->weights_packed && s->packed;
    const cl_mem u = packed ? s->packed : a->workspace;
    const cl_mem bias = a->bias ? a->bias : a->weight; /* never read when has_bias is 0 */
    /* every argument is set before anything is enqueued; the output kernel comes last */
    const struct {
        cl_kernel kernel;
        cl_uint slot;
        cl_mem buf;
    } sets[] = {
        {s->filter, s->filter_w_slot, a->weight},
        {s->filter, s->filter_u_slot, a->workspace},
        {s->input, s->input_in_slot, a->input},
        {s->input, s->input_ws_slot, a->workspace},
        {s->gemm, s->gemm_u_slot, u},
        {s->gemm, s->gemm_ws_slot, a->workspace},
        {s->output, s->out_ws_slot, a->workspace},
        {s->output, s->out_in_slot, a->input},
        {s->output, s->out_w_slot, a->weight},
        {s->output, s->out_bias_slot, bias},
        {s->output, s->out_slot, a->output},
    };
    clconv_status st = CLCONV_SUCCESS;
    for (size_t i = 0; i < sizeof sets / sizeof sets[0] && st == CLCONV_SUCCESS; i++)
        st = clconv_set_mem_arg(ctx, sets[i].kernel, sets[i].slot, sets[i].buf);
    if (st == CLCONV_SUCCESS)
        st = clconv_set_residual_arg(ctx, s->output, s->residual_slot, a);
    if (st != CLCONV_SUCCESS)
        return st;
    const clconv_launch *launches[4] = {&s->filter_launch, &s->input_launch, &s->gemm_launch,
                                        &s->output_launch};
    const cl_kernel kernels[4] = {s->filter, s->input, s->gemm, s->output};
    cl_event prev = NULL;
    for (int i = packed ? 1 : 0; i < 4 && st == CLCONV_SUCCESS; i++) {
        cl_event done = NULL;
        const bool last = i == 3;
        st = clconv_enqueue_launch(ctx, a->queue, kernels[i], launches[i],
                                   prev ? 1 : a->num_wait_events, prev ? &prev : a->wait_events,
                                   last ? a->event : &done);
        if (prev)
            clReleaseEvent(prev);
        prev = last ? NULL : done;
    }
    if (prev)
        clReleaseEvent(prev);
    return st;
}

const clconv_variant_ops clconv_winograd_ops = {
    .applies = wino_applies,
    .auto_domain = wino_auto_domain,
    .estimate = wino_estimate,
    .prepare = wino_prepare,
    .enqueue = wino_enqueue,
    .pack_weights = wino_pack_weights,
    .executed_flops = wino_executed_flops,
    .release = wino_release,
    .transform_based = true,
};
