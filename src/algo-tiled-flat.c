/* The flat pixel-vector variants (cl/tiled_flat.cl): vectors of 16 output pixels over the
 * padded width, the weights read in place (no re-layout).
 *   tiled.flat_c4v4          Conv2d at stride 1, any kernel; a layer that pads reads a
 *                            padded copy of its input
 *   tiled.flat_sampled_c4v4  an unpadded 1x1 Conv2d at any stride, on a copy of the input's
 *                            sampled pixels
 *   tiled.scatter_c4v4       ConvTranspose2d whose kernel equals its stride (dilation 1, no
 *                            padding or output padding): every output gets one tap, a 1x1
 *                            convolution with Cout*kh*kw channels stored strided
 * param: {OCF output channels, PXF vectors of 16 pixels} per work-item. */
#include <stdio.h>

#include "src/algo-tiled.h"
#include "src/epilogue.h"
#include "src/tiled-common.h"

#define FLAT_FILE "tiled_flat.cl"
#define FLAT_LANES 16 /* the kernels' float16 vector of pixels */
#define FLAT_LOCAL 4  /* work-items per group along dimension 0 */
/* AUTO runs kernels larger than 1x1 here on maps of at most this many output pixels */
#define FLAT_SMALL_MAP 64

static bool flat_common(const clconv_variant *v, const clconv_problem *p, clconv_kind kind,
                        tiled_config *c, char *reason, size_t reason_size)
{
    if (p->desc.kind != kind) {
        snprintf(reason, reason_size, "kind = %s: %s runs %s only",
                 p->desc.kind == CLCONV_CONV2D ? "conv2d" : "conv_transpose2d", v->name,
                 kind == CLCONV_CONV2D ? "Conv2d" : "ConvTranspose2d");
        return false;
    }
    c->oc_tile = v->param[0];
    c->px_tile = v->param[1];
    return true;
}

static bool unpadded(const clconv_desc *d)
{
    return !d->pad_top && !d->pad_bottom && !d->pad_left && !d->pad_right;
}

static bool flat_applies(const clconv_variant *v, const clconv_problem *p,
                         const clconv_device_info *dev, size_t limit, clconv_config *cfg,
                         char *reason, size_t reason_size)
{
    (void)limit;
    const clconv_desc *d = &p->desc;
    tiled_config *c = CLCONV_CONFIG(tiled_config, cfg);
    if (!flat_common(v, p, CLCONV_CONV2D, c, reason, reason_size))
        return false;
    if (d->stride_h != 1 || d->stride_w != 1) {
        snprintf(reason, reason_size, "%s = %d: %s runs stride 1 only",
                 d->stride_h != 1 ? "stride_h" : "stride_w",
                 d->stride_h != 1 ? d->stride_h : d->stride_w, v->name);
        return false;
    }
    tiled_config_conv_plane(p, c);
    return tiled_config_finish(v, p, dev, c, cfg, reason, reason_size);
}

/* The re-layout and the per-pixel finish of the channel vectors weigh most on 1x1 kernels
 * (short tap loops) and on small maps; larger 3x3 maps ran slower here than on channel
 * vectors. */
static bool flat_auto_domain(const clconv_variant *v, const clconv_problem *p,
                             const clconv_device_info *dev, const clconv_config *cfg, char *reason,
                             size_t reason_size)
{
    (void)dev;
    (void)cfg;
    const clconv_desc *d = &p->desc;
    const size_t pixels = (size_t)p->out[2] * p->out[3];
    if ((d->kernel_h == 1 && d->kernel_w == 1) || pixels <= FLAT_SMALL_MAP)
        return true;
    snprintf(reason, reason_size,
             "kernel %dx%d on %zu output pixels: AUTO runs %s on 1x1 kernels and maps of at most "
             "%d output pixels",
             d->kernel_h, d->kernel_w, pixels, v->name, FLAT_SMALL_MAP);
    return false;
}

static bool sampled_applies(const clconv_variant *v, const clconv_problem *p,
                            const clconv_device_info *dev, size_t limit, clconv_config *cfg,
                            char *reason, size_t reason_size)
{
    (void)limit;
    const clconv_desc *d = &p->desc;
    tiled_config *c = CLCONV_CONFIG(tiled_config, cfg);
    if (!flat_common(v, p, CLCONV_CONV2D, c, reason, reason_size))
        return false;
    if (d->kernel_h != 1 || d->kernel_w != 1) {
        snprintf(reason, reason_size, "kernel_%s = %d: %s runs 1x1 kernels only",
                 d->kernel_h != 1 ? "h" : "w", d->kernel_h != 1 ? d->kernel_h : d->kernel_w,
                 v->name);
        return false;
    }
    if (!unpadded(d)) {
        snprintf(reason, reason_size, "padding %d,%d,%d,%d: %s runs unpadded layers only",
                 d->pad_top, d->pad_bottom, d->pad_left, d->pad_right, v->name);
        return false;
    }
    /* the copy holds the sampled pixels: the output's plane */
    c->padded = c->sampled = true;
    c->hp = p->out[2];
    c->wp = p->out[3];
    return tiled_config_finish(v, p, dev, c, cfg, reason, reason_size);
}

static bool sampled_auto_domain(const clconv_variant *v, const clconv_problem *p,
                                const clconv_device_info *dev, const clconv_config *cfg,
                                char *reason, size_t reason_size)
{
    (void)dev;
    (void)cfg;
    if (p->desc.stride_h != 1 || p->desc.stride_w != 1)
        return true;
    snprintf(reason, reason_size,
             "stride 1: AUTO runs %s on strided layers (tiled.flat_c4v4 "
             "reads the input in place)",
             v->name);
    return false;
}

static bool scatter_applies(const clconv_variant *v, const clconv_problem *p,
                            const clconv_device_info *dev, size_t limit, clconv_config *cfg,
                            char *reason, size_t reason_size)
{
    (void)limit;
    const clconv_desc *d = &p->desc;
    tiled_config *c = CLCONV_CONFIG(tiled_config, cfg);
    if (!flat_common(v, p, CLCONV_CONV_TRANSPOSE2D, c, reason, reason_size))
        return false;
    const struct {
        const char *field;
        int value;
        bool off; /* outside what one tap per output covers */
    } checks[] = {
        {"kernel_h", d->kernel_h, d->kernel_h != d->stride_h},
        {"kernel_w", d->kernel_w, d->kernel_w != d->stride_w},
        {"dilation_h", d->dilation_h, d->dilation_h != 1},
        {"dilation_w", d->dilation_w, d->dilation_w != 1},
        {"pad_top", d->pad_top, d->pad_top != 0},
        {"pad_bottom", d->pad_bottom, d->pad_bottom != 0},
        {"pad_left", d->pad_left, d->pad_left != 0},
        {"pad_right", d->pad_right, d->pad_right != 0},
        {"output_padding_h", d->output_padding_h, d->output_padding_h != 0},
        {"output_padding_w", d->output_padding_w, d->output_padding_w != 0},
    };
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
        if (checks[i].off) {
            snprintf(reason, reason_size,
                     "%s = %d: %s runs kernel == stride (here %dx%d and %dx%d), dilation 1, no "
                     "padding or output padding",
                     checks[i].field, checks[i].value, v->name, d->kernel_h, d->kernel_w,
                     d->stride_h, d->stride_w);
            return false;
        }
    c->hp = p->in[2]; /* the input, read in place */
    c->wp = p->in[3];
    return tiled_config_finish(v, p, dev, c, cfg, reason, reason_size);
}

/* Calibration fields: efficiency (times narrow_factor on groups of 4 channels or fewer),
 * chain_efficiency (where a row has one), bandwidth_share for every byte streamed. The
 * dropped columns and the last tile's vectors cost as much as the rest. A scatter counts its
 * 1x1 convolution over the input with coutpg*kh*kw channels. */
static double flat_estimate(const clconv_variant *v, const clconv_problem *p,
                            const clconv_device_info *dev, const clconv_config *cfg,
                            const clconv_calibration *cal)
{
    (void)v;
    const tiled_config *c = CLCONV_CONFIG_CONST(tiled_config, cfg);
    const clconv_desc *d = &p->desc;
    const bool scatter = d->kind == CLCONV_CONV_TRANSPOSE2D;
    const size_t taps = (size_t)d->kernel_h * d->kernel_w;
    const double chans =
        (double)p->out[0] * d->groups *
        clconv_round_up((size_t)p->cout_per_group * (scatter ? taps : 1), (size_t)c->oc_tile);
    const double pix =
        (double)clconv_round_up((size_t)(scatter ? p->in[2] : p->out[2]) * c->wp, FLAT_LANES);
    const double item_taps = (double)p->cin_per_group * (scatter ? 1.0 : (double)taps);
    const double macs = chans * pix * item_taps;
    const double chain = 2.0 * item_taps * c->oc_tile * c->px_tile * FLAT_LANES;
    const double elem = (double)clconv_dtype_size(d->dtype);
    const double copy = c->padded ? (double)(p->input_count + 2 * c->padded_count) : 0;
    const double bytes =
        (double)(p->input_count + p->weight_count + p->output_count) * elem + copy * elem;
    const double narrow = p->cout_per_group <= 4 && cal->narrow_factor > 0 ? cal->narrow_factor : 1;
    return clconv_model_variant_seconds(dev, cal, 2.0 * macs, cal->efficiency * narrow, chain,
                                        cal->chain_efficiency, 0, c->padded ? 2 : 1) +
           tiled_stream_seconds(dev, cal, bytes);
}

static clconv_status flat_prepare(clconv_plan *plan)
{
    const clconv_problem *p = &plan->problem;
    const clconv_desc *d = &p->desc;
    const tiled_config *c = CLCONV_CONFIG_CONST(tiled_config, &plan->config);
    const bool scatter = d->kind == CLCONV_CONV_TRANSPOSE2D;
    /* the common square kernels get their tap loops unrolled; a scatter has one tap */
    char taps[40] = "";
    if (scatter)
        snprintf(taps, sizeof taps, " -D FKH=1 -D FKW=1");
    else if (d->kernel_h == d->kernel_w && (d->kernel_h == 1 || d->kernel_h == 3))
        snprintf(taps, sizeof taps, " -D FKH=%d -D FKW=%d", d->kernel_h, d->kernel_w);
    char options[160];
    snprintf(options, sizeof options, "-D OCF=%d -D PXF=%d%s%s", c->oc_tile, c->px_tile, taps,
             tiled_dtype_option(d));
    tiled_single *s = NULL;
    clconv_status st = tiled_single_begin(plan, FLAT_FILE, options,
                                          scatter ? "tconv2d_tiled_flat" : "conv2d_tiled_flat", &s);
    if (st == CLCONV_SUCCESS) {
        clconv_kernel_args a;
        clconv_args_begin(&a, plan->ctx, s->kernel);
        tiled_single_io_args(&a, s, p, c);
        if (scatter) {
            /* the input's plane, the output's, and the kernel that is the stride */
            const int v[] = {p->in[1],  p->in[2],    p->in[3],    p->out[1],   p->out[2],
                             p->out[3], d->kernel_h, d->kernel_w, d->stride_h, d->stride_w};
            clconv_arg_ints(&a, "C, H, W, K, OH, OW, tkh, tkw, sh, sw", v, 10);
        } else {
            tiled_args_plane(&a, p, c);
            const int taps[] = {d->kernel_h, d->kernel_w, d->dilation_h, d->dilation_w};
            clconv_arg_ints(&a, "kh, kw, dh, dw", taps, 4);
        }
        const int groups[] = {p->cin_per_group, p->cout_per_group, d->bias != 0};
        clconv_arg_ints(&a, "cinpg, coutpg, has_bias", groups, 3);
        /* elements readable from the convolution's input: the copy or the input */
        clconv_arg_long(&a, "limit",
                        (cl_long)(c->padded ? c->padded_count : (size_t)p->input_count));
        s->residual_slot = clconv_arg_residual(&a, p);
        st = clconv_args_end(&a);
    }
    if (st == CLCONV_SUCCESS) {
        /* a scatter's channels are (co, ky, kx), its pixels the input's */
        const size_t rows = scatter ? (size_t)p->in[2] : (size_t)p->out[2];
        const size_t chans =
            (size_t)p->cout_per_group * (scatter ? (size_t)d->kernel_h * d->kernel_w : 1);
        const size_t pixel_tiles =
            clconv_div_up(rows * c->wp, (size_t)FLAT_LANES * (size_t)c->px_tile);
        const size_t channel_tiles = (size_t)d->groups * clconv_div_up(chans, (size_t)c->oc_tile);
        s->launch.dims = 3;
        s->launch.global[0] = scatter ? channel_tiles : pixel_tiles; /* channel tiles first */
        s->launch.global[1] = scatter ? pixel_tiles : channel_tiles;
        s->launch.global[2] = (size_t)p->out[0];
        st = tiled_launch(plan->ctx, s->kernel, &s->launch, FLAT_LOCAL);
    }
    if (st != CLCONV_SUCCESS)
        tiled_single_release(plan);
    return st;
}

const clconv_variant_ops tiled_flat_ops = {
    .applies = flat_applies,
    .auto_domain = flat_auto_domain,
    .estimate = flat_estimate,
    .prepare = flat_prepare,
    .enqueue = tiled_single_enqueue,
    .release = tiled_single_release,
};

const clconv_variant_ops tiled_flat_sampled_ops = {
    .applies = sampled_applies,
    .auto_domain = sampled_auto_domain,
    .estimate = flat_estimate,
    .prepare = flat_prepare,
    .enqueue = tiled_single_enqueue,
    .release = tiled_single_release,
};

const clconv_variant_ops tiled_scatter_ops = {
    .applies = scatter_applies,
    .estimate = flat_estimate,
    .prepare = flat_prepare,
    .enqueue = tiled_single_enqueue,
    .release = tiled_single_release,
};
