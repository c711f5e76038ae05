/* depthwise.flat_v16: the flat kernel (cl/depthwise_flat.cl) for stride-1, zeros-padded
 * depthwise layers as wide as their input, each work-item fc outputs of the flattened plane in
 * vectors of 16. Its private buffers suit CPUs (they live in the core's cache; a GPU spills
 * them): the variant has a CPU calibration row only. */
#include <limits.h>
#include <stdio.h>

#include "src/algo-depthwise.h"
#include "src/depthwise-common.h"

typedef struct flat_config {
    int fc;     /* outputs per work-item, a multiple of 16 */
    int chunks; /* work-items per plane */
    int items;  /* N x out_channels x chunks */
    depthwise_launch launch;
} flat_config;
CLCONV_CONFIG_FITS(flat_config);

static bool flat_applies(const clconv_variant *v, const clconv_problem *p,
                         const clconv_device_info *dev, size_t workspace_limit, clconv_config *cfg,
                         char *reason, size_t reason_size)
{
    (void)workspace_limit;
    const clconv_desc *d = &p->desc;
    if (!depthwise_family_applies(v, p, reason, reason_size))
        return false;
    if (d->stride_h != 1 || d->stride_w != 1) {
        snprintf(reason, reason_size, "%s = %d: %s runs stride 1 only",
                 d->stride_h != 1 ? "stride_h" : "stride_w",
                 d->stride_h != 1 ? d->stride_h : d->stride_w, v->name);
        return false;
    }
    if (p->out[3] != p->in[3]) {
        snprintf(reason, reason_size,
                 "output width = %d with input width = %d (pad_left + pad_right = %d, kernel_w "
                 "= %d, dilation_w = %d): %s needs the output as wide as the input",
                 p->out[3], p->in[3], d->pad_left + d->pad_right, d->kernel_w, d->dilation_w,
                 v->name);
        return false;
    }
    if (d->padding_mode != CLCONV_PADDING_ZEROS) {
        snprintf(reason, reason_size, "padding_mode = %s: %s runs zeros padding only",
                 depthwise_mode_name(d->padding_mode), v->name);
        return false;
    }
    if (d->kernel_h * d->kernel_w > DEPTHWISE_FLAT_TAPS) {
        snprintf(reason, reason_size, "kernel_h x kernel_w = %dx%d: %s takes at most %d taps",
                 d->kernel_h, d->kernel_w, v->name, DEPTHWISE_FLAT_TAPS);
        return false;
    }
    /* a chunk reads its outputs plus the reach of the last tap: both in the private buffer */
    const long reach = (long)(d->kernel_h - 1) * d->dilation_h * p->in[3] +
                       (long)(d->kernel_w - 1) * d->dilation_w;
    long fc = (DEPTHWISE_FLAT_CAP - reach) / 16 * 16;
    if (fc < 16) {
        snprintf(reason, reason_size,
                 "kernel_h = %d, dilation_h = %d, input width = %d: a chunk of 16 outputs reads "
                 "%ld inputs, over %s's private buffer of %d",
                 d->kernel_h, d->dilation_h, p->in[3], 16 + reach, v->name, DEPTHWISE_FLAT_CAP);
        return false;
    }
    const long ohw = (long)p->out[2] * p->out[3];
    const long planes = (long)p->out[0] * p->out[1];
    const long hw = (long)p->in[2] * p->in[3];
    if ((hw > ohw ? hw : ohw) > INT_MAX - DEPTHWISE_FLAT_CAP) {
        snprintf(reason, reason_size, "%s height x width = %ld: %s indexes a plane with int",
                 hw > ohw ? "input" : "output", hw > ohw ? hw : ohw, v->name);
        return false;
    }
    if (fc > (ohw + 15) / 16 * 16)
        fc = (ohw + 15) / 16 * 16;
    /* enough items for every unit to take several (load balance), chunks of >= 64 outputs */
    const long want = depthwise_items_wanted(dev);
    while (fc > 64 && planes * ((ohw + fc - 1) / fc) < want)
        fc = (fc / 2 + 15) / 16 * 16;
    const long chunks = (ohw + fc - 1) / fc;
    if (planes * chunks > INT_MAX) {
        snprintf(reason, reason_size,
                 "N x out_channels x chunks = %ld: %s numbers its work-items with int",
                 planes * chunks, v->name);
        return false;
    }
    flat_config *c = CLCONV_CONFIG(flat_config, cfg);
    c->fc = (int)fc;
    c->chunks = (int)chunks;
    c->items = (int)(planes * chunks);
    c->launch.global[0] = 1;
    c->launch.global[1] = (size_t)c->items;
    /* 8 items a group (1 to 32 measured alike on PoCL); only dimension 1 is guarded */
    c->launch.local[0] = 1;
    c->launch.local[1] = 8;
    c->launch.grow_mask = 2u;
    cfg->workspace = 0;
    return true;
}

static double flat_estimate(const clconv_variant *v, const clconv_problem *p,
                            const clconv_device_info *dev, const clconv_config *cfg,
                            const clconv_calibration *cal)
{
    (void)v;
    const flat_config *c = CLCONV_CONFIG_CONST(flat_config, cfg);
    /* item_flops is the fixed cost of one work-item (its buffer copy and setup) */
    const double chain = 2.0 * c->fc * p->desc.kernel_h * p->desc.kernel_w;
    return depthwise_seconds(p, dev, cal, c->items, chain);
}

static clconv_status flat_prepare(clconv_plan *plan)
{
    const clconv_problem *p = &plan->problem;
    const clconv_desc *d = &p->desc;
    const flat_config *c = CLCONV_CONFIG_CONST(flat_config, &plan->config);
    char options[64];
    snprintf(options, sizeof options, "-D FLAT_CAP=%d -D FLAT_TAPS=%d", DEPTHWISE_FLAT_CAP,
             DEPTHWISE_FLAT_TAPS);
    depthwise_state *s;
    clconv_kernel_args a;
    clconv_status st =
        depthwise_prepare_begin(plan, "depthwise_flat.cl", "depthwise_flat", options, &s, &a);
    if (st != CLCONV_SUCCESS)
        return st;
    const int args[] = {p->in[1],     p->in[2],      p->in[3],      p->out[1],
                        p->out[2],    d->kernel_h,   d->kernel_w,   d->pad_top,
                        d->pad_left,  d->dilation_h, d->dilation_w, p->cout_per_group,
                        d->bias != 0, c->fc,         c->chunks,     c->items};
    clconv_arg_ints(&a, "C, H, W, K, OH, kh, kw, pt, pl, dh, dw, mult, has_bias, fc, chunks, items",
                    args, sizeof args / sizeof args[0]);
    return depthwise_prepare_end(plan, s, &a, &c->launch);
}

const clconv_variant_ops clconv_depthwise_flat_ops = {
    .applies = flat_applies,
    .estimate = flat_estimate,
    .prepare = flat_prepare,
    .enqueue = depthwise_enqueue,
    .release = depthwise_release,
};
