/* depthwise.s2_phases: the stride-2 kernel (cl/depthwise_s2.cl), each work-item ny output
 * rows of one plane from private phase planes of the padded input (row and column parity).
 * Its private buffers suit CPUs (a GPU spills them): the variant has a CPU calibration row
 * only. */
#include <limits.h>
#include <stdio.h>

#include "src/algo-depthwise.h"
#include "src/depthwise-common.h"

typedef struct s2_config {
    int ny;     /* output rows per work-item */
    int prow;   /* rows of each phase plane: ny plus the lowest kernel row's offset */
    int pitch;  /* columns of each phase plane: OW plus the widest kernel column's offset */
    int chunks; /* work-items per plane */
    int items;  /* N x out_channels x chunks */
    depthwise_launch launch;
} s2_config;
CLCONV_CONFIG_FITS(s2_config);

/* Whether ny output rows per work-item fit the kernel's private buffers (cl/depthwise_s2.cl
 * states the same bounds). */
static bool s2_fits(long ny, long offh, long pitch, long h, long w)
{
    const long prow = ny + offh, rows = 2 * prow < h ? 2 * prow : h;
    return 4 * (prow * pitch + 8) + pitch + 16 <= DEPTHWISE_S2_CAP &&
           DEPTHWISE_S2_MARGIN + rows * w + 2 * pitch + 16 <= DEPTHWISE_S2_TCAP &&
           ny * pitch + 16 <= DEPTHWISE_S2_TCAP;
}

static bool s2_applies(const clconv_variant *v, const clconv_problem *p,
                       const clconv_device_info *dev, size_t workspace_limit, clconv_config *cfg,
                       char *reason, size_t reason_size)
{
    (void)workspace_limit;
    const clconv_desc *d = &p->desc;
    if (!depthwise_family_applies(v, p, reason, reason_size))
        return false;
    if (d->stride_h != 2 || d->stride_w != 2) {
        snprintf(reason, reason_size, "%s = %d: %s runs stride 2 in both dimensions only",
                 d->stride_h != 2 ? "stride_h" : "stride_w",
                 d->stride_h != 2 ? d->stride_h : d->stride_w, v->name);
        return false;
    }
    if (d->kernel_h * d->kernel_w > DEPTHWISE_FLAT_TAPS) {
        snprintf(reason, reason_size, "kernel_h x kernel_w = %dx%d: %s takes at most %d taps",
                 d->kernel_h, d->kernel_w, v->name, DEPTHWISE_FLAT_TAPS);
        return false;
    }
    if (d->pad_left > DEPTHWISE_S2_MARGIN) {
        snprintf(reason, reason_size, "pad_left = %d: %s takes at most %d (its row copy's margin)",
                 d->pad_left, v->name, DEPTHWISE_S2_MARGIN);
        return false;
    }
    const long offh = (long)(d->kernel_h - 1) * d->dilation_h / 2;
    const long pitch = p->out[3] + (long)(d->kernel_w - 1) * d->dilation_w / 2;
    if (!s2_fits(1, offh, pitch, p->in[2], p->in[3])) {
        snprintf(reason, reason_size,
                 "input width = %d, output width = %d, kernel %dx%d, dilation %dx%d: one output "
                 "row's phase planes and row copy exceed %s's private buffers (%d and %d floats)",
                 p->in[3], p->out[3], d->kernel_h, d->kernel_w, d->dilation_h, d->dilation_w,
                 v->name, DEPTHWISE_S2_CAP, DEPTHWISE_S2_TCAP);
        return false;
    }
    long ny = 1;
    while (ny < p->out[2] && s2_fits(ny + 1, offh, pitch, p->in[2], p->in[3]))
        ny++;
    const long oh = p->out[2], planes = (long)p->out[0] * p->out[1];
    long chunks = (oh + ny - 1) / ny;
    /* enough items for every unit to take several (load balance) */
    const long want = depthwise_items_wanted(dev);
    while (chunks < oh && planes * chunks < want)
        chunks++;
    ny = (oh + chunks - 1) / chunks; /* the same rows in every chunk, as far as they divide */
    chunks = (oh + ny - 1) / ny;
    if (planes * chunks > INT_MAX) {
        snprintf(reason, reason_size,
                 "N x out_channels x chunks = %ld: %s numbers its work-items with int",
                 planes * chunks, v->name);
        return false;
    }
    s2_config *c = CLCONV_CONFIG(s2_config, cfg);
    c->ny = (int)ny;
    c->prow = (int)(ny + offh);
    c->pitch = (int)pitch;
    c->chunks = (int)chunks;
    c->items = (int)(planes * chunks);
    c->launch.global[0] = 1;
    c->launch.global[1] = (size_t)c->items;
    c->launch.local[0] = 1;
    c->launch.local[1] = 8;
    c->launch.grow_mask = 2u; /* only dimension 1 is guarded */
    cfg->workspace = 0;
    return true;
}

static double s2_estimate(const clconv_variant *v, const clconv_problem *p,
                          const clconv_device_info *dev, const clconv_config *cfg,
                          const clconv_calibration *cal)
{
    (void)v;
    const s2_config *c = CLCONV_CONFIG_CONST(s2_config, cfg);
    /* item_flops is the fixed cost of one work-item (its copy, split and setup) */
    const double chain = 2.0 * c->ny * c->pitch * p->desc.kernel_h * p->desc.kernel_w;
    return depthwise_seconds(p, dev, cal, c->items, chain);
}

static clconv_status s2_prepare(clconv_plan *plan)
{
    const clconv_problem *p = &plan->problem;
    const clconv_desc *d = &p->desc;
    const s2_config *c = CLCONV_CONFIG_CONST(s2_config, &plan->config);
    char options[96];
    snprintf(options, sizeof options, "-D S2_CAP=%d -D S2_TCAP=%d -D S2_MARGIN=%d -D S2_TAPS=%d",
             DEPTHWISE_S2_CAP, DEPTHWISE_S2_TCAP, DEPTHWISE_S2_MARGIN, DEPTHWISE_FLAT_TAPS);
    depthwise_state *s;
    clconv_kernel_args a;
    clconv_status st =
        depthwise_prepare_begin(plan, "depthwise_s2.cl", "depthwise_s2", options, &s, &a);
    if (st != CLCONV_SUCCESS)
        return st;
    const int args[] = {
        p->in[1],      p->in[2],      p->in[3],          p->out[1],    p->out[2],
        p->out[3],     d->kernel_h,   d->kernel_w,       d->pad_top,   d->pad_left,
        d->dilation_h, d->dilation_w, p->cout_per_group, d->bias != 0, (int)d->padding_mode,
        c->ny,         c->prow,       c->pitch,          c->chunks,    c->items};
    clconv_arg_ints(&a,
                    "C, H, W, K, OH, OW, kh, kw, pt, pl, dh, dw, mult, has_bias, mode, ny, prow, "
                    "pitch, chunks, items",
                    args, sizeof args / sizeof args[0]);
    return depthwise_prepare_end(plan, s, &a, &c->launch);
}

const clconv_variant_ops clconv_depthwise_s2_ops = {
    .applies = s2_applies,
    .estimate = s2_estimate,
    .prepare = s2_prepare,
    .enqueue = depthwise_enqueue,
    .release = depthwise_release,
};
