/* The pixel-vector variant tiled.pixvec_c4r4 (cl/tiled_pixvec.cl): Conv2d whose groups are
 * too narrow for a channel vector. Each work-item computes OCP output channels times PXR
 * rows of 8 columns, the weights read in place (no re-layout); a layer that pads reads a
 * padded copy of its input. param: {OCP output channels, PXR rows} per work-item. */
#include <stdio.h>

#include "src/algo-tiled.h"
#include "src/epilogue.h"
#include "src/tiled-common.h"

#define PIXVEC_FILE "tiled_pixvec.cl"
#define PIXVEC_COLUMNS 8 /* the kernel's float8 vector of output columns */
#define PIXVEC_LOCAL 4   /* pixel tiles per work-group */

static bool pixvec_applies(const clconv_variant *v, const clconv_problem *p,
                           const clconv_device_info *dev, size_t limit, clconv_config *cfg,
                           char *reason, size_t reason_size)
{
    (void)limit;
    if (p->desc.kind != CLCONV_CONV2D) {
        snprintf(reason, reason_size, "kind = conv_transpose2d: %s runs Conv2d only", v->name);
        return false;
    }
    tiled_config *c = CLCONV_CONFIG(tiled_config, cfg);
    c->oc_tile = v->param[0];
    c->px_tile = v->param[1];
    tiled_config_conv_plane(p, c);
    return tiled_config_finish(v, p, dev, c, cfg, reason, reason_size);
}

/* Groups of 4 channels or fewer fill a quarter of a 16-lane channel vector: these vectors
 * ran them about twice as fast on PoCL; wider groups keep the channel vectors. */
static bool pixvec_auto_domain(const clconv_variant *v, const clconv_problem *p,
                               const clconv_device_info *dev, const clconv_config *cfg,
                               char *reason, size_t reason_size)
{
    (void)cfg;
    if (p->cout_per_group > v->param[0]) {
        snprintf(reason, reason_size,
                 "cout_per_group = %d: AUTO runs %s on groups of at most %d channels",
                 p->cout_per_group, v->name, v->param[0]);
        return false;
    }
    static const char *const flat[] = {"tiled.flat_c4v4", "tiled.flat_sampled_c4v4"};
    for (int i = 0; i < 2; i++)
        if (tiled_taken_by(flat[i], p, dev)) {
            snprintf(reason, reason_size, "%s takes this layer where it is calibrated", flat[i]);
            return false;
        }
    return true;
}

/* Calibration fields: efficiency, chain_efficiency (GPU rows), output_flops per tile output,
 * bandwidth_share for the copy. */
static double pixvec_estimate(const clconv_variant *v, const clconv_problem *p,
                              const clconv_device_info *dev, const clconv_config *cfg,
                              const clconv_calibration *cal)
{
    (void)v;
    const tiled_config *c = CLCONV_CONFIG_CONST(tiled_config, cfg);
    const clconv_desc *d = &p->desc;
    const double chans = (double)p->out[0] * d->groups *
                         clconv_round_up((size_t)p->cout_per_group, (size_t)c->oc_tile);
    const double pix = (double)clconv_round_up((size_t)p->out[3], PIXVEC_COLUMNS) *
                       clconv_round_up((size_t)p->out[2], (size_t)c->px_tile);
    const double tile_outputs = chans * pix;
    const double taps = (double)p->cin_per_group * d->kernel_h * d->kernel_w;
    const double chain = 2.0 * taps * c->oc_tile * c->px_tile * PIXVEC_COLUMNS;
    return tiled_tile_seconds(p, dev, cal, c, tile_outputs, tile_outputs * taps, chain,
                              1 + (c->padded ? 1 : 0));
}

static clconv_status pixvec_prepare(clconv_plan *plan)
{
    const clconv_problem *p = &plan->problem;
    const clconv_desc *d = &p->desc;
    const tiled_config *c = CLCONV_CONFIG_CONST(tiled_config, &plan->config);
    char options[160];
    snprintf(options, sizeof options, "-D OCP=%d -D PXR=%d%s", c->oc_tile, c->px_tile,
             tiled_dtype_option(d));
    tiled_single *s = NULL;
    clconv_status st = tiled_single_begin(plan, PIXVEC_FILE, options, "conv2d_tiled_px", &s);
    if (st == CLCONV_SUCCESS) {
        clconv_kernel_args a;
        clconv_args_begin(&a, plan->ctx, s->kernel);
        tiled_single_io_args(&a, s, p, c);
        tiled_args_plane(&a, p, c);
        const int taps[] = {d->kernel_h, d->kernel_w,   d->stride_h,
                            d->stride_w, d->dilation_h, d->dilation_w};
        clconv_arg_ints(&a, "kh, kw, sh, sw, dh, dw", taps, 6);
        const int groups[] = {p->cin_per_group, p->cout_per_group, d->bias != 0};
        clconv_arg_ints(&a, "cinpg, coutpg, has_bias", groups, 3);
        s->residual_slot = clconv_arg_residual(&a, p);
        st = clconv_args_end(&a);
    }
    if (st == CLCONV_SUCCESS) {
        s->launch.dims = 3;
        s->launch.global[0] = clconv_div_up((size_t)p->out[3], PIXVEC_COLUMNS) *
                              clconv_div_up((size_t)p->out[2], (size_t)c->px_tile);
        s->launch.global[1] =
            (size_t)d->groups * clconv_div_up((size_t)p->cout_per_group, (size_t)c->oc_tile);
        s->launch.global[2] = (size_t)p->out[0];
        st = tiled_launch(plan->ctx, s->kernel, &s->launch, PIXVEC_LOCAL);
    }
    if (st != CLCONV_SUCCESS)
        tiled_single_release(plan);
    return st;
}

const clconv_variant_ops tiled_pixvec_ops = {
    .applies = pixvec_applies,
    .auto_domain = pixvec_auto_domain,
    .estimate = pixvec_estimate,
    .prepare = pixvec_prepare,
    .enqueue = tiled_single_enqueue,
    .release = tiled_single_release,
};
