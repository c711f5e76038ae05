/* Channel-vector variants (cl/tiled_chanvec.cl): tiled.chanvec_c{16,8,4}p8 run Conv2d as a
 * register-blocked implicit GEMM, tiled.phases_c{16,8,4}p8 run ConvTranspose2d as its stride
 * phases, all of them in one launch (the output has a single writer, the last command of the
 * enqueue, which applies the epilogue). Each enqueue re-lays out the weights into the
 * workspace (one launch per phase; with set weights once, into a buffer of the plan, by
 * pack_weights), pads the input there when the layer needs it, then runs the convolution,
 * whose hot loop has no border tests. param: {OCT output channels, PXT output pixels} per
 * work-item. */
#include <stdio.h>
#include <stdlib.h>

#include "src/algo-tiled.h"
#include "src/epilogue.h"
#include "src/kernels.h"
#include "src/tiled-common.h"

#define CHANVEC_FILE "tiled_chanvec.cl"
#define PHASE_FIELDS 11   /* ints per row of tconv2d_tiled's phase table (-D PHASE_FIELDS) */
#define RELAYOUT_LOCAL 16 /* input channels per work-group of the weight re-layout */
#define CONV_LOCAL 4      /* pixel tiles per work-group: they share their weights */

/* The re-laid-out weights: [group][oc tile][ci][taps][OCT] floats; the phases' sub-kernels
 * together hold at most every tap once. */
static void channel_tiles(const clconv_variant *v, const clconv_problem *p, tiled_config *c)
{
    const clconv_desc *d = &p->desc;
    c->oc_tile = v->param[0];
    c->px_tile = v->param[1];
    c->ocb = (int)clconv_div_up((size_t)p->cout_per_group, (size_t)c->oc_tile);
    c->weight_bytes = (size_t)d->groups * c->ocb * p->cin_per_group * d->kernel_h * d->kernel_w *
                      c->oc_tile * sizeof(float);
}

static bool chanvec_applies(const clconv_variant *v, const clconv_problem *p,
                            const clconv_device_info *dev, size_t limit, clconv_config *cfg,
                            char *reason, size_t reason_size)
{
    (void)limit;
    if (p->desc.kind != CLCONV_CONV2D) {
        snprintf(reason, reason_size,
                 "kind = conv_transpose2d: %s runs Conv2d (tiled.phases_* run ConvTranspose2d)",
                 v->name);
        return false;
    }
    tiled_config *c = CLCONV_CONFIG(tiled_config, cfg);
    channel_tiles(v, p, c);
    tiled_config_conv_plane(p, c);
    return tiled_config_finish(v, p, dev, c, cfg, reason, reason_size);
}

static bool phases_applies(const clconv_variant *v, const clconv_problem *p,
                           const clconv_device_info *dev, size_t limit, clconv_config *cfg,
                           char *reason, size_t reason_size)
{
    (void)limit;
    const clconv_desc *d = &p->desc;
    if (d->kind != CLCONV_CONV_TRANSPOSE2D) {
        snprintf(reason, reason_size,
                 "kind = conv2d: %s runs ConvTranspose2d (tiled.chanvec_* run Conv2d)", v->name);
        return false;
    }
    tiled_config *c = CLCONV_CONFIG(tiled_config, cfg);
    channel_tiles(v, p, c);
    int pt, pb, pl, pr;
    tiled_axis_padding(p, true, &pt, &pb);
    tiled_axis_padding(p, false, &pl, &pr);
    c->pad_top = pt;
    c->pad_left = pl;
    c->padded = pt || pb || pl || pr;
    c->hp = p->in[2] + pt + pb;
    c->wp = p->in[3] + pl + pr;
    /* the phases' work, for the estimate; prepare builds their table */
    for (int ry = 0; ry < d->stride_h; ry++)
        for (int rx = 0; rx < d->stride_w; rx++) {
            phase_axis ay = tiled_phase_y(p, ry), ax = tiled_phase_x(p, rx);
            if (!ay.count || !ax.count)
                continue;
            const size_t pixels = (size_t)ay.count * ax.count;
            const double taps = (double)p->cin_per_group * ay.taps * ax.taps;
            const double tile_pixels = (double)clconv_round_up(pixels, (size_t)c->px_tile);
            c->nphases++;
            c->tile_pixels += tile_pixels;
            c->tap_pixels += tile_pixels * taps;
            if (taps > c->max_taps)
                c->max_taps = taps;
            if (pixels > c->max_pixels)
                c->max_pixels = pixels;
        }
    return tiled_config_finish(v, p, dev, c, cfg, reason, reason_size);
}

/* AUTO's channel width for the group, as the old rule chose it. */
static bool width_domain(const clconv_variant *v, const clconv_problem *p, char *reason,
                         size_t reason_size)
{
    const int width = tiled_auto_width(p->cout_per_group);
    if (width == v->param[0])
        return true;
    snprintf(reason, reason_size,
             "cout_per_group = %d: AUTO runs %d-channel vectors on groups of %s channels",
             p->cout_per_group, width,
             width == 16  ? "16 or more"
             : width == 8 ? "8 to 15"
                          : "fewer than 8");
    return false;
}

static bool chanvec_auto_domain(const clconv_variant *v, const clconv_problem *p,
                                const clconv_device_info *dev, const clconv_config *cfg,
                                char *reason, size_t reason_size)
{
    (void)cfg;
    if (p->cout_per_group <= 4) {
        snprintf(reason, reason_size,
                 "cout_per_group = %d: groups of 4 channels or fewer run tiled.pixvec_c4r4 in "
                 "AUTO",
                 p->cout_per_group);
        return false;
    }
    if (!width_domain(v, p, reason, reason_size))
        return false;
    static const char *const flat[] = {"tiled.flat_c4v4", "tiled.flat_sampled_c4v4"};
    for (int i = 0; i < 2; i++)
        if (tiled_taken_by(flat[i], p, dev)) {
            snprintf(reason, reason_size, "%s takes this layer where it is calibrated", flat[i]);
            return false;
        }
    return true;
}

static bool phases_auto_domain(const clconv_variant *v, const clconv_problem *p,
                               const clconv_device_info *dev, const clconv_config *cfg,
                               char *reason, size_t reason_size)
{
    (void)cfg;
    if (!width_domain(v, p, reason, reason_size))
        return false;
    if (tiled_taken_by("tiled.scatter_c4v4", p, dev)) {
        snprintf(reason, reason_size,
                 "kernel == stride: tiled.scatter_c4v4 takes this layer where it is calibrated");
        return false;
    }
    return true;
}

/* Calibration fields: efficiency, chain_efficiency (GPU rows), output_flops per tile output,
 * bandwidth_share for the copy and the re-layout. */
static double chanvec_estimate(const clconv_variant *v, const clconv_problem *p,
                               const clconv_device_info *dev, const clconv_config *cfg,
                               const clconv_calibration *cal)
{
    (void)v;
    const tiled_config *c = CLCONV_CONFIG_CONST(tiled_config, cfg);
    const clconv_desc *d = &p->desc;
    const double chans = (double)p->out[0] * d->groups * c->ocb * c->oc_tile;
    const double tile_outputs =
        chans * (double)clconv_round_up((size_t)p->out[2] * p->out[3], (size_t)c->px_tile);
    const double taps = (double)p->cin_per_group * d->kernel_h * d->kernel_w;
    const double chain = 2.0 * taps * c->oc_tile * c->px_tile; /* one work-item's FMAs */
    /* launches: the re-layout (not with weights set once), the copy, the convolution */
    return tiled_tile_seconds(p, dev, cal, c, tile_outputs, tile_outputs * taps, chain,
                              (p->weights_constant ? 1 : 2) + (c->padded ? 1 : 0));
}

static double phases_estimate(const clconv_variant *v, const clconv_problem *p,
                              const clconv_device_info *dev, const clconv_config *cfg,
                              const clconv_calibration *cal)
{
    (void)v;
    const tiled_config *c = CLCONV_CONFIG_CONST(tiled_config, cfg);
    const double chans = (double)p->out[0] * p->desc.groups * c->ocb * c->oc_tile;
    /* the longest phase's chain bounds the one launch */
    const double chain = 2.0 * c->max_taps * c->oc_tile * c->px_tile;
    /* launches: a re-layout per phase (not with weights set once), the copy, the convolution */
    return tiled_tile_seconds(p, dev, cal, c, chans * c->tile_pixels, chans * c->tap_pixels, chain,
                              1 + (c->padded ? 1 : 0) + (p->weights_constant ? 0 : c->nphases));
}

/* ---- plans ---- */

/* The weight re-layout of one stride phase (the one phase of Conv2d). */
typedef struct relayout {
    cl_kernel kernel;
    clconv_launch launch;
    cl_uint w_slot, wr_slot;
} relayout;

typedef struct chanvec_state {
    tiled_copy copy;
    int nrelayouts;
    relayout *relayouts;
    cl_kernel conv;
    clconv_launch launch;
    cl_uint in_slot, wr_slot, bias_slot, out_slot, residual_slot;
    cl_mem table_buf; /* ConvTranspose2d: the phase table */
    cl_mem packed;    /* the set weights re-laid out (pack_weights), or NULL */
} chanvec_state;

static void chanvec_release(clconv_plan *plan)
{
    chanvec_state *s = plan->state;
    if (!s)
        return;
    tiled_copy_release(&s->copy);
    for (int i = 0; i < s->nrelayouts; i++)
        if (s->relayouts[i].kernel)
            clReleaseKernel(s->relayouts[i].kernel);
    free(s->relayouts);
    if (s->conv)
        clReleaseKernel(s->conv);
    if (s->table_buf)
        clReleaseMemObject(s->table_buf);
    if (s->packed)
        clReleaseMemObject(s->packed);
    free(s);
    plan->state = NULL;
}

static bool build_options(const clconv_plan *plan, char *options, size_t size)
{
    const tiled_config *c = CLCONV_CONFIG_CONST(tiled_config, &plan->config);
    char own[160];
    snprintf(own, sizeof own, "-D OCT=%d -D PXT=%d -D PHASE_FIELDS=%d%s", c->oc_tile, c->px_tile,
             PHASE_FIELDS, tiled_dtype_option(&plan->problem.desc));
    return tiled_epilogue_options(&plan->problem, own, options, size);
}

/* Adds a re-layout of the taps (ky0 - jy * qy, kx0 - jx * qx), jy < ty, jx < tx, of every
 * (group, oc tile, ci) to wr_off floats; s_* are the weight strides of group, output and
 * input channel. */
static clconv_status add_relayout(clconv_plan *plan, chanvec_state *s, const char *options,
                                  cl_uint wr_off, const int strides[3], const int taps[6])
{
    const clconv_problem *p = &plan->problem;
    const tiled_config *c = CLCONV_CONFIG_CONST(tiled_config, &plan->config);
    relayout *r = &s->relayouts[s->nrelayouts];
    clconv_status st =
        clconv_create_kernel(plan->ctx, CHANVEC_FILE, options, "tiled_relayout", &r->kernel);
    if (st != CLCONV_SUCCESS)
        return st;
    s->nrelayouts++;
    const int gtiles = p->desc.groups * c->ocb;
    clconv_kernel_args a;
    clconv_args_begin(&a, plan->ctx, r->kernel);
    r->w_slot = clconv_arg_slot(&a, "w");
    r->wr_slot = clconv_arg_slot(&a, "wr");
    clconv_arg_uint(&a, "wr_off", wr_off);
    const int sizes[] = {p->cin_per_group, p->cout_per_group, c->ocb};
    clconv_arg_ints(&a, "cinpg, coutpg, ocb", sizes, 3);
    clconv_arg_ints(&a, "s_g, s_oc, s_ci", strides, 3);
    clconv_arg_int(&a, "kw", p->desc.kernel_w);
    clconv_arg_ints(&a, "Ty, Tx, ky0, qy, kx0, qx", taps, 6);
    clconv_arg_int(&a, "gtiles", gtiles);
    if ((st = clconv_args_end(&a)) != CLCONV_SUCCESS)
        return st;
    r->launch.dims = 2;
    r->launch.global[0] = (size_t)p->cin_per_group;
    r->launch.global[1] = (size_t)gtiles;
    return tiled_launch(plan->ctx, r->kernel, &r->launch, RELAYOUT_LOCAL);
}

/* The convolution's leading buffer arguments: in, in_off, wr. */
static void conv_io_args(clconv_kernel_args *a, chanvec_state *s, const clconv_problem *p,
                         const tiled_config *c)
{
    s->in_slot = clconv_arg_slot(a, "in");
    clconv_arg_uint(a, "in_off", tiled_input_offset(p, c));
    s->wr_slot = clconv_arg_slot(a, "wr");
}

static clconv_status conv_launch(clconv_plan *plan, chanvec_state *s, size_t pixels, size_t z)
{
    const tiled_config *c = CLCONV_CONFIG_CONST(tiled_config, &plan->config);
    s->launch.dims = 3;
    s->launch.global[0] = clconv_div_up(pixels, (size_t)c->px_tile);
    s->launch.global[1] = (size_t)plan->problem.desc.groups * c->ocb;
    s->launch.global[2] = z;
    return tiled_launch(plan->ctx, s->conv, &s->launch, CONV_LOCAL);
}

static clconv_status prepare_conv2d(clconv_plan *plan, chanvec_state *s, const char *options)
{
    const clconv_problem *p = &plan->problem;
    const clconv_desc *d = &p->desc;
    const tiled_config *c = CLCONV_CONFIG_CONST(tiled_config, &plan->config);
    const int ksize = d->kernel_h * d->kernel_w;
    /* (Cout, Cin/g, kh, kw), every tap as is */
    const int strides[3] = {p->cout_per_group * p->cin_per_group * ksize, p->cin_per_group * ksize,
                            ksize};
    const int every_tap[6] = {d->kernel_h, d->kernel_w, 0, -1, 0, -1};
    clconv_status st = add_relayout(plan, s, options, 0, strides, every_tap);
    if (st == CLCONV_SUCCESS)
        st = clconv_create_kernel(plan->ctx, CHANVEC_FILE, options, "conv2d_tiled", &s->conv);
    if (st != CLCONV_SUCCESS)
        return st;
    clconv_kernel_args a;
    clconv_args_begin(&a, plan->ctx, s->conv);
    conv_io_args(&a, s, p, c);
    clconv_arg_uint(&a, "w_off", 0);
    s->bias_slot = clconv_arg_slot(&a, "bias");
    s->out_slot = clconv_arg_slot(&a, "out");
    tiled_args_plane(&a, p, c);
    const int taps[] = {d->kernel_h, d->kernel_w,   d->stride_h,
                        d->stride_w, d->dilation_h, d->dilation_w};
    clconv_arg_ints(&a, "kh, kw, sh, sw, dh, dw", taps, 6);
    const int tiles[] = {p->cin_per_group, p->cout_per_group, c->ocb, d->groups * c->ocb,
                         d->bias != 0};
    clconv_arg_ints(&a, "cinpg, coutpg, ocb, gtiles, has_bias", tiles, 5);
    s->residual_slot = clconv_arg_residual(&a, p);
    if ((st = clconv_args_end(&a)) != CLCONV_SUCCESS)
        return st;
    return conv_launch(plan, s, (size_t)p->out[2] * p->out[3], (size_t)p->out[0]);
}

/* The phase table (PHASE_FIELDS ints a phase: OH, OW, taps kh, kw, input steps dh, dw, input
 * start y0, x0, output start oy0, ox0, weight offset) and a re-layout per phase with taps. */
static clconv_status build_phases(clconv_plan *plan, chanvec_state *s, const char *options,
                                  int *table)
{
    const clconv_problem *p = &plan->problem;
    const clconv_desc *d = &p->desc;
    const tiled_config *c = CLCONV_CONFIG_CONST(tiled_config, &plan->config);
    const int ksize = d->kernel_h * d->kernel_w, gtiles = d->groups * c->ocb;
    /* (Cin, Cout/g, kh, kw) */
    const int strides[3] = {p->cin_per_group * p->cout_per_group * ksize, ksize,
                            p->cout_per_group * ksize};
    size_t w_off = 0; /* floats */
    int n = 0;
    for (int ry = 0; ry < d->stride_h; ry++)
        for (int rx = 0; rx < d->stride_w; rx++) {
            phase_axis ay = tiled_phase_y(p, ry), ax = tiled_phase_x(p, rx);
            if (!ay.count || !ax.count)
                continue;
            /* a phase without taps still writes its outputs (bias or zero): its loops are
             * empty, and it has no weights to re-lay out */
            const int y0 = ay.taps ? ay.c0 + c->pad_top : 0;
            const int x0 = ax.taps ? ax.c0 + c->pad_left : 0;
            const int row[PHASE_FIELDS] = {ay.count, ax.count, ay.taps, ax.taps, ay.step,   ax.step,
                                           y0,       x0,       ry,      rx,      (int)w_off};
            for (int i = 0; i < PHASE_FIELDS; i++)
                table[n * PHASE_FIELDS + i] = row[i];
            n++;
            if (!ay.taps || !ax.taps)
                continue;
            const int taps[6] = {ay.taps, ax.taps, ay.k0, ay.kstep, ax.k0, ax.kstep};
            clconv_status st = add_relayout(plan, s, options, (cl_uint)w_off, strides, taps);
            if (st != CLCONV_SUCCESS)
                return st;
            w_off += (size_t)gtiles * p->cin_per_group * ay.taps * ax.taps * c->oc_tile;
        }
    cl_int err;
    s->table_buf = clCreateBuffer(plan->ctx->cl_ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                                  (size_t)n * PHASE_FIELDS * sizeof *table, table, &err);
    if (!s->table_buf)
        return clconv_fail_cl(plan->ctx, err, "clCreateBuffer");
    return CLCONV_SUCCESS;
}

static clconv_status prepare_tconv2d(clconv_plan *plan, chanvec_state *s, const char *options)
{
    const clconv_problem *p = &plan->problem;
    const clconv_desc *d = &p->desc;
    const tiled_config *c = CLCONV_CONFIG_CONST(tiled_config, &plan->config);
    int *table = calloc((size_t)c->nphases * PHASE_FIELDS, sizeof *table);
    if (!table)
        return clconv_fail(plan->ctx, CLCONV_ERROR_OUT_OF_HOST_MEMORY, "tiled phase table");
    clconv_status st = build_phases(plan, s, options, table);
    free(table);
    if (st == CLCONV_SUCCESS)
        st = clconv_create_kernel(plan->ctx, CHANVEC_FILE, options, "tconv2d_tiled", &s->conv);
    if (st != CLCONV_SUCCESS)
        return st;
    clconv_kernel_args a;
    clconv_args_begin(&a, plan->ctx, s->conv);
    conv_io_args(&a, s, p, c);
    s->bias_slot = clconv_arg_slot(&a, "bias");
    s->out_slot = clconv_arg_slot(&a, "out");
    clconv_arg_mem(&a, "phases", s->table_buf);
    clconv_arg_int(&a, "nphases", c->nphases);
    const int plane[] = {p->in[1], c->hp, c->wp, p->out[1]};
    clconv_arg_ints(&a, "C, Hp, Wp, K", plane, 4);
    const int tiles[] = {p->cin_per_group, p->cout_per_group, c->ocb, d->groups * c->ocb,
                         d->bias != 0};
    clconv_arg_ints(&a, "cinpg, coutpg, ocb, gtiles, has_bias", tiles, 5);
    /* the whole output map, every phase's outputs a stride apart */
    const int placement[] = {p->out[2], p->out[3], d->stride_h, d->stride_w};
    clconv_arg_ints(&a, "OHf, OWf, osh, osw", placement, 4);
    /* where the input lies in the copy: taps outside it form no product */
    const int inner[] = {p->in[2], p->in[3], c->pad_top, c->pad_left};
    clconv_arg_ints(&a, "H, W, cpt, cpl", inner, 4);
    s->residual_slot = clconv_arg_residual(&a, p);
    if ((st = clconv_args_end(&a)) != CLCONV_SUCCESS)
        return st;
    return conv_launch(plan, s, c->max_pixels, (size_t)p->out[0] * c->nphases);
}

static clconv_status chanvec_prepare(clconv_plan *plan)
{
    const clconv_problem *p = &plan->problem;
    const tiled_config *c = CLCONV_CONFIG_CONST(tiled_config, &plan->config);
    chanvec_state *s = calloc(1, sizeof *s);
    const int max_relayouts = p->desc.kind == CLCONV_CONV2D ? 1 : c->nphases;
    if (s)
        s->relayouts = calloc((size_t)max_relayouts, sizeof *s->relayouts);
    if (!s || !s->relayouts) {
        free(s);
        return clconv_fail(plan->ctx, CLCONV_ERROR_OUT_OF_HOST_MEMORY, "%s plan state",
                           plan->variant->name);
    }
    plan->state = s;
    char options[512];
    if (!build_options(plan, options, sizeof options)) {
        chanvec_release(plan);
        return clconv_fail(plan->ctx, CLCONV_ERROR_BUILD, "%s: build options too long",
                           plan->variant->name);
    }
    clconv_status st = p->desc.kind == CLCONV_CONV2D ? prepare_conv2d(plan, s, options)
                                                     : prepare_tconv2d(plan, s, options);
    if (st == CLCONV_SUCCESS)
        st = tiled_copy_prepare(plan->ctx, p, c, &s->copy);
    if (st != CLCONV_SUCCESS)
        chanvec_release(plan);
    return st;
}

/* The re-layouts' buffers: the weights from w to wr. */
static clconv_status set_relayout_buffers(clconv_context *ctx, chanvec_state *s, cl_mem w,
                                          cl_mem wr)
{
    clconv_status st = CLCONV_SUCCESS;
    for (int i = 0; i < s->nrelayouts && st == CLCONV_SUCCESS; i++) {
        st = clconv_set_mem_arg(ctx, s->relayouts[i].kernel, s->relayouts[i].w_slot, w);
        if (st == CLCONV_SUCCESS)
            st = clconv_set_mem_arg(ctx, s->relayouts[i].kernel, s->relayouts[i].wr_slot, wr);
    }
    return st;
}

/* The set weights re-laid out once into a new buffer; the old one stays until that succeeds,
 * so a failure keeps the previous packed weights. */
static clconv_status chanvec_pack_weights(clconv_plan *plan)
{
    chanvec_state *s = plan->state;
    clconv_context *ctx = plan->ctx;
    const tiled_config *c = CLCONV_CONFIG_CONST(tiled_config, &plan->config);
    cl_int err;
    cl_mem packed = clCreateBuffer(ctx->cl_ctx, CL_MEM_READ_WRITE, c->weight_bytes, NULL, &err);
    if (!packed)
        return clconv_fail_cl(ctx, err, "clCreateBuffer (packed weights)");
    clconv_status st = set_relayout_buffers(ctx, s, plan->weights.weight, packed);
    for (int i = 0; i < s->nrelayouts && st == CLCONV_SUCCESS; i++)
        st = clconv_enqueue_launch(ctx, ctx->queue, s->relayouts[i].kernel, &s->relayouts[i].launch,
                                   0, NULL, NULL);
    if (st == CLCONV_SUCCESS && (err = clFinish(ctx->queue)) != CL_SUCCESS)
        st = clconv_fail_cl(ctx, err, "clFinish (packed weights)");
    if (st != CLCONV_SUCCESS) {
        clReleaseMemObject(packed);
        return st;
    }
    if (s->packed)
        clReleaseMemObject(s->packed);
    s->packed = packed;
    return CLCONV_SUCCESS;
}

static clconv_status set_buffers(clconv_plan *plan, chanvec_state *s, const clconv_enqueue_args *a)
{
    clconv_context *ctx = plan->ctx;
    const bool packed = a->weights_packed && s->packed;
    clconv_status st = tiled_copy_set_buffers(ctx, &s->copy, a);
    if (st == CLCONV_SUCCESS && !packed)
        st = set_relayout_buffers(ctx, s, a->weight, a->workspace);
    cl_mem bias = a->bias ? a->bias : a->weight; /* never read when has_bias is 0 */
    if (st == CLCONV_SUCCESS)
        st = clconv_set_mem_arg(ctx, s->conv, s->in_slot, s->copy.kernel ? a->workspace : a->input);
    if (st == CLCONV_SUCCESS)
        st = clconv_set_mem_arg(ctx, s->conv, s->wr_slot, packed ? s->packed : a->workspace);
    if (st == CLCONV_SUCCESS)
        st = clconv_set_mem_arg(ctx, s->conv, s->bias_slot, bias);
    if (st == CLCONV_SUCCESS)
        st = clconv_set_mem_arg(ctx, s->conv, s->out_slot, a->output);
    if (st == CLCONV_SUCCESS)
        st = clconv_set_residual_arg(ctx, s->conv, s->residual_slot, a);
    return st;
}
static clconv_status chanvec_enqueue(clconv_plan *plan, const clconv_enqueue_args *a)
{
    chanvec_state *s = plan->state;
    clconv_context *ctx = plan->ctx;
    /* Every argument the output-writing launch needs is set before anything is enqueued, and
     * that launch comes last: a failure anywhere leaves the output untouched. */
    clconv_status st = set_buffers(plan, s, a);
    if (st != CLCONV_SUCCESS)
        return st;
    /* Every preparation (weights, copy) waits on the caller's events; the convolution waits
     * on all of them. Events chain even on out-of-order queues. */
    cl_event *prep = calloc((size_t)s->nrelayouts + 1, sizeof *prep);
    if (!prep)
        return clconv_fail(ctx, CLCONV_ERROR_OUT_OF_HOST_MEMORY, "tiled enqueue events");
    cl_uint nprep = 0;
    const int nrelayouts = a->weights_packed && s->packed ? 0 : s->nrelayouts;
    for (int i = 0; i < nrelayouts && st == CLCONV_SUCCESS; i++) {
        st = clconv_enqueue_launch(ctx, a->queue, s->relayouts[i].kernel, &s->relayouts[i].launch,
                                   a->num_wait_events, a->wait_events, &prep[nprep]);
        if (st == CLCONV_SUCCESS)
            nprep++;
    }
    if (st == CLCONV_SUCCESS && s->copy.kernel) {
        st = clconv_enqueue_launch(ctx, a->queue, s->copy.kernel, &s->copy.launch,
                                   a->num_wait_events, a->wait_events, &prep[nprep]);
        if (st == CLCONV_SUCCESS)
            nprep++;
    }
    if (st == CLCONV_SUCCESS)
        st = clconv_enqueue_launch(ctx, a->queue, s->conv, &s->launch, nprep, nprep ? prep : NULL,
                                   a->event);
    for (cl_uint i = 0; i < nprep; i++)
        clReleaseEvent(prep[i]);
    free(prep);
    return st;
}

const clconv_variant_ops tiled_chanvec_ops = {
    .applies = chanvec_applies,
    .auto_domain = chanvec_auto_domain,
    .estimate = chanvec_estimate,
    .prepare = chanvec_prepare,
    .enqueue = chanvec_enqueue,
    .pack_weights = chanvec_pack_weights,
    .release = chanvec_release,
};

const clconv_variant_ops tiled_phases_ops = {
    .applies = phases_applies,
    .auto_domain = phases_auto_domain,
    .estimate = phases_estimate,
    .prepare = chanvec_prepare,
    .enqueue = chanvec_enqueue,
    .pack_weights = chanvec_pack_weights,
    .release = chanvec_release,
};
