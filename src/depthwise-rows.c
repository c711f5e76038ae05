/* depthwise.rows_x8: the row kernel (cl/depthwise_rows.cl) for any depthwise Conv2d, each
 * work-item ry output rows of one channel in vector tiles of XT = param[0] columns. */
#include <limits.h>
#include <stdio.h>

#include "src/algo-depthwise.h"
#include "src/depthwise-common.h"

typedef struct rows_config {
    int ry;       /* output rows per work-item */
    int nk_total; /* N x out_channels: the planes */
    depthwise_launch launch;
} rows_config;
CLCONV_CONFIG_FITS(rows_config);

static bool rows_applies(const clconv_variant *v, const clconv_problem *p,
                         const clconv_device_info *dev, size_t workspace_limit, clconv_config *cfg,
                         char *reason, size_t reason_size)
{
    (void)workspace_limit;
    if (!depthwise_family_applies(v, p, reason, reason_size))
        return false;
    const long planes = (long)p->out[0] * p->out[1];
    if (planes > INT_MAX) {
        snprintf(reason, reason_size,
                 "N x out_channels = %ld: %s numbers the output planes with int (at most %d)",
                 planes, v->name, INT_MAX);
        return false;
    }
    rows_config *c = CLCONV_CONFIG(rows_config, cfg);
    /* rows per work-item: enough work to amortize its setup, enough items for every unit */
    const long units = dev->compute_units ? dev->compute_units : 1;
    long ry = planes * p->out[2] / (64 * units);
    c->ry = ry < 1 ? 1 : ry > 8 ? 8 : (int)ry;
    c->nk_total = (int)planes;
    c->launch.global[0] = clconv_div_up((size_t)p->out[2], (size_t)c->ry);
    c->launch.global[1] = (size_t)planes;
    /* small work-groups: each item already loops over many tiles */
    c->launch.local[0] = 1;
    c->launch.local[1] = planes % 4 == 0 ? 4 : 1;
    c->launch.grow_mask = 3u; /* the kernel ignores items past OH / ry and past the planes */
    cfg->workspace = 0;
    return true;
}

static double rows_estimate(const clconv_variant *v, const clconv_problem *p,
                            const clconv_device_info *dev, const clconv_config *cfg,
                            const clconv_calibration *cal)
{
    (void)v;
    const rows_config *c = CLCONV_CONFIG_CONST(rows_config, cfg);
    /* item_flops is the fixed cost of one output row (its setup, border columns, mapping) */
    const double rows = (double)p->out[0] * p->out[1] * p->out[2];
    const double chain = 2.0 * c->ry * p->out[3] * p->desc.kernel_h * p->desc.kernel_w;
    return depthwise_seconds(p, dev, cal, rows, chain);
}

static clconv_status rows_prepare(clconv_plan *plan)
{
    const clconv_problem *p = &plan->problem;
    const clconv_desc *d = &p->desc;
    const rows_config *c = CLCONV_CONFIG_CONST(rows_config, &plan->config);
    char options[32];
    snprintf(options, sizeof options, "-D XT=%d", plan->variant->param[0]);
    depthwise_state *s;
    clconv_kernel_args a;
    clconv_status st =
        depthwise_prepare_begin(plan, "depthwise_rows.cl", "depthwise_conv2d", options, &s, &a);
    if (st != CLCONV_SUCCESS)
        return st;
    const int args[] = {p->in[1],
                        p->in[2],
                        p->in[3],
                        p->out[1],
                        p->out[2],
                        p->out[3],
                        d->kernel_h,
                        d->kernel_w,
                        d->stride_h,
                        d->stride_w,
                        d->pad_top,
                        d->pad_left,
                        d->dilation_h,
                        d->dilation_w,
                        p->cout_per_group,
                        d->bias != 0,
                        (int)d->padding_mode,
                        c->ry,
                        c->nk_total};
    clconv_arg_ints(&a,
                    "C, H, W, K, OH, OW, kh, kw, sh, sw, pt, pl, dh, dw, mult, has_bias, mode, "
                    "ry, nk_total",
                    args, sizeof args / sizeof args[0]);
    return depthwise_prepare_end(plan, s, &a, &c->launch);
}

const clconv_variant_ops clconv_depthwise_rows_ops = {
    .applies = rows_applies,
    .estimate = rows_estimate,
    .prepare = rows_prepare,
    .enqueue = depthwise_enqueue,
    .release = depthwise_release,
};
