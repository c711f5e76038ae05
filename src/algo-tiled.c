/* Tiled algorithm: register-blocked implicit-GEMM Conv2d (cl/conv2d_tiled.cl). Each enqueue
 * re-lays out the weights (and pads the input when the layer pads) into the workspace, then
 * runs the convolution kernel, whose hot loop has no border tests. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "src/internal.h"
#include "src/kernels.h"

#define TILED_FILE "conv2d_tiled.cl"
#define WS_ALIGN 256 /* byte offset of the padded input inside the workspace */

typedef struct tiled_geometry {
    int oct, pxt;         /* output channels x pixels per work-item */
    int ocb;              /* oc tiles per group */
    int hp, wp;           /* padded input plane */
    bool padded;          /* the input is copied into the workspace with its padding */
    size_t weight_bytes;  /* re-laid-out weights (float) */
    size_t padded_offset; /* bytes from the workspace start to the padded input */
    size_t padded_count;  /* elements of the padded input */
} tiled_geometry;

typedef struct tiled_state {
    tiled_geometry geo;
    cl_kernel relayout, pad, conv;
    size_t relayout_global[1], pad_global[3], conv_global[3], conv_local[3];
} tiled_state;

static void geometry(const clconv_problem *p, tiled_geometry *geo)
{
    const clconv_desc *d = &p->desc;
    /* The vector spans output channels: as wide as the group allows without much padding. */
    geo->oct = p->cout_per_group >= 16 ? 16 : p->cout_per_group >= 8 ? 8 : 4;
    geo->pxt = 8;
    { /* DEVTMP */
        const char *e = getenv("TILED_DEV");
        int a, b;
        if (e && sscanf(e, "%d,%d", &a, &b) == 2) {
            if (p->cout_per_group >= a)
                geo->oct = a;
            geo->pxt = b;
        }
    }
    geo->ocb = (int)clconv_div_up((size_t)p->cout_per_group, (size_t)geo->oct);
    geo->padded = d->pad_top || d->pad_bottom || d->pad_left || d->pad_right;
    geo->hp = p->in[2] + d->pad_top + d->pad_bottom;
    geo->wp = p->in[3] + d->pad_left + d->pad_right;
    geo->weight_bytes = (size_t)d->groups * geo->ocb * p->cin_per_group * d->kernel_h *
                        d->kernel_w * geo->oct * sizeof(float);
    geo->padded_offset = clconv_round_up(geo->weight_bytes, WS_ALIGN);
    geo->padded_count = geo->padded ? (size_t)p->in[0] * p->in[1] * geo->hp * geo->wp : 0;
}

static bool tiled_supports(const clconv_problem *p, const clconv_device_info *dev, char *reason,
                           size_t reason_size)
{
    if (p->desc.kind != CLCONV_CONV2D) {
        snprintf(reason, reason_size,
                 "kind = ConvTranspose2d: the tiled algorithm runs Conv2d only");
        return false;
    }
    tiled_geometry geo;
    geometry(p, &geo);
    const size_t elem = clconv_dtype_size(p->desc.dtype);
    if (geo.padded_count > (size_t)INT_MAX ||
        geo.padded_offset / elem + geo.padded_count > (size_t)UINT_MAX) {
        snprintf(reason, reason_size,
                 "padded input of %zu elements: more than the %d the tiled kernel indexes",
                 geo.padded_count, INT_MAX);
        return false;
    }
    if (geo.weight_bytes > dev->max_alloc_size ||
        geo.padded_count * elem > dev->max_alloc_size - geo.padded_offset) {
        snprintf(reason, reason_size,
                 "workspace of %zu bytes: more than the device's max allocation %llu",
                 geo.padded_offset + geo.padded_count * elem,
                 (unsigned long long)dev->max_alloc_size);
        return false;
    }
    return true;
}

static size_t tiled_workspace(const clconv_problem *p, const clconv_device_info *dev)
{
    (void)dev;
    tiled_geometry geo;
    geometry(p, &geo);
    return geo.padded_offset + geo.padded_count * clconv_dtype_size(p->desc.dtype);
}

static double tiled_estimate(const clconv_problem *p, const clconv_device_info *dev)
{
    tiled_geometry geo;
    geometry(p, &geo);
    const clconv_desc *d = &p->desc;
    /* MACs the kernel really issues: channel padding of the last oc tile and the pixel tail
     * included. Rate: OCT-wide FMAs on every lane, at a fraction of the peak measured on
     * PoCL (calibrated against the direct kernel's estimate). */
    const double pix = (double)clconv_round_up((size_t)p->out[2] * p->out[3], (size_t)geo.pxt);
    const double macs = (double)p->out[0] * d->groups * geo.ocb * geo.oct * pix * p->cin_per_group *
                        d->kernel_h * d->kernel_w;
    const double lanes = (double)dev->compute_units * (geo.oct >= 8 ? 8.0 : 4.0) * 2.0;
    const double mem = (double)(p->input_count * (geo.padded ? 3 : 1) + p->output_count) *
                       clconv_dtype_size(d->dtype) / 10e9;
    return macs / (lanes * 2.5e9) + mem + 20e-6;
}

static clconv_status set_args(clconv_context *ctx, cl_kernel k, cl_uint first, const int *v,
                              int count)
{
    for (int i = 0; i < count; i++) {
        cl_int err = clSetKernelArg(k, first + (cl_uint)i, sizeof(int), &v[i]);
        if (err != CL_SUCCESS)
            return clconv_fail_cl(ctx, err, "clSetKernelArg");
    }
    return CLCONV_SUCCESS;
}

static void tiled_release(clconv_plan *plan)
{
    tiled_state *s = plan->state;
    if (!s)
        return;
    if (s->relayout)
        clReleaseKernel(s->relayout);
    if (s->pad)
        clReleaseKernel(s->pad);
    if (s->conv)
        clReleaseKernel(s->conv);
    free(s);
    plan->state = NULL;
}

static clconv_status tiled_prepare(clconv_plan *plan)
{
    const clconv_problem *p = &plan->problem;
    const clconv_desc *d = &p->desc;
    clconv_context *ctx = plan->ctx;
    tiled_state *s = calloc(1, sizeof *s);
    if (!s)
        return clconv_fail(ctx, CLCONV_ERROR_OUT_OF_HOST_MEMORY, "tiled plan state");
    plan->state = s;
    tiled_geometry *geo = &s->geo;
    geometry(p, geo);
    char options[160];
    snprintf(options, sizeof options, "-D OCT=%d -D PXT=%d%s", geo->oct, geo->pxt,
             d->dtype == CLCONV_FLOAT16 ? " -D CLCONV_HALF" : "");
    clconv_status st;
    if ((st = clconv_create_kernel(ctx, TILED_FILE, options, "tiled_relayout_weights",
                                   &s->relayout)) != CLCONV_SUCCESS ||
        (st = clconv_create_kernel(ctx, TILED_FILE, options, "conv2d_tiled", &s->conv)) !=
            CLCONV_SUCCESS ||
        (geo->padded && (st = clconv_create_kernel(ctx, TILED_FILE, options, "tiled_pad_input",
                                                   &s->pad)) != CLCONV_SUCCESS))
        goto fail;

    const int ksize = d->kernel_h * d->kernel_w;
    const int relayout_total = d->groups * geo->ocb * p->cin_per_group * ksize;
    const int relayout_args[] = {p->cin_per_group, p->cout_per_group, ksize, geo->ocb,
                                 relayout_total};
    if ((st = set_args(ctx, s->relayout, 2, relayout_args, 5)) != CLCONV_SUCCESS)
        goto fail;
    s->relayout_global[0] = (size_t)relayout_total;

    const cl_uint elem_off = (cl_uint)(geo->padded_offset / clconv_dtype_size(d->dtype));
    if (geo->padded) {
        const int pad_args[] = {p->in[2],
                                p->in[3],
                                geo->hp,
                                geo->wp,
                                d->pad_top,
                                d->pad_left,
                                p->in[0] * p->in[1],
                                (int)d->padding_mode};
        cl_int err = clSetKernelArg(s->pad, 2, sizeof elem_off, &elem_off);
        if (err != CL_SUCCESS) {
            st = clconv_fail_cl(ctx, err, "clSetKernelArg");
            goto fail;
        }
        if ((st = set_args(ctx, s->pad, 3, pad_args, 8)) != CLCONV_SUCCESS)
            goto fail;
        s->pad_global[0] = (size_t)geo->wp;
        s->pad_global[1] = (size_t)geo->hp;
        s->pad_global[2] = (size_t)p->in[0] * p->in[1];
    }
    const cl_uint in_off = geo->padded ? elem_off : 0;
    cl_int err = clSetKernelArg(s->conv, 1, sizeof in_off, &in_off);
    if (err != CL_SUCCESS) {
        st = clconv_fail_cl(ctx, err, "clSetKernelArg");
        goto fail;
    }
    const int gtiles = d->groups * geo->ocb;
    const int conv_args[] = {
        p->in[1],         geo->hp,           geo->wp,     p->out[1],   p->out[2],     p->out[3],
        d->kernel_h,      d->kernel_w,       d->stride_h, d->stride_w, d->dilation_h, d->dilation_w,
        p->cin_per_group, p->cout_per_group, geo->ocb,    gtiles,      d->bias != 0};
    if ((st = set_args(ctx, s->conv, 5, conv_args, 17)) != CLCONV_SUCCESS)
        goto fail;
    s->conv_global[0] = clconv_div_up((size_t)p->out[2] * p->out[3], (size_t)geo->pxt);
    s->conv_global[1] = (size_t)gtiles;
    s->conv_global[2] = (size_t)p->out[0];
    /* Per-item vector code: small work-groups along the pixel tiles, which share weights. */
    s->conv_local[0] = s->conv_global[0] < 4 ? s->conv_global[0] : 4;
    { /* DEVTMP */
        const char *e = getenv("TILED_LOCAL");
        if (e)
            s->conv_local[0] = s->conv_global[0] < (size_t)atoi(e) ? s->conv_global[0] : (size_t)atoi(e);
    }
    s->conv_local[1] = 1;
    s->conv_local[2] = 1;
    return CLCONV_SUCCESS;
fail:
    tiled_release(plan);
    return st;
}

static clconv_status tiled_enqueue(clconv_plan *plan, const clconv_enqueue_args *a)
{
    tiled_state *s = plan->state;
    clconv_context *ctx = plan->ctx;
    cl_int err = clSetKernelArg(s->relayout, 0, sizeof(cl_mem), &a->weight);
    if (err == CL_SUCCESS)
        err = clSetKernelArg(s->relayout, 1, sizeof(cl_mem), &a->workspace);
    if (err == CL_SUCCESS && s->pad) {
        err = clSetKernelArg(s->pad, 0, sizeof(cl_mem), &a->input);
        if (err == CL_SUCCESS)
            err = clSetKernelArg(s->pad, 1, sizeof(cl_mem), &a->workspace);
    }
    cl_mem bias = a->bias ? a->bias : a->weight; /* never read when has_bias is 0 */
    cl_mem conv_in = s->pad ? a->workspace : a->input;
    const cl_mem conv_bufs[] = {conv_in, a->workspace, bias, a->output};
    const cl_uint conv_index[] = {0, 2, 3, 4};
    for (int i = 0; i < 4 && err == CL_SUCCESS; i++)
        err = clSetKernelArg(s->conv, conv_index[i], sizeof(cl_mem), &conv_bufs[i]);
    if (err != CL_SUCCESS)
        return clconv_fail_cl(ctx, err, "clSetKernelArg");

    /* In-order chain: relayout (after the caller's events), pad, conv (returns the event). */
    cl_event ev_w = NULL, ev_p = NULL;
    clconv_status st = clconv_enqueue_kernel(ctx, s->relayout, 1, s->relayout_global, NULL,
                                             a->num_wait_events, a->wait_events, &ev_w);
    if (st != CLCONV_SUCCESS)
        return st;
    cl_event deps[2] = {ev_w, NULL};
    cl_uint ndeps = 1;
    if (s->pad) {
        size_t local[3];
        clconv_pick_local_size(&ctx->info, s->pad_global, local);
        st = clconv_enqueue_kernel(ctx, s->pad, 3, s->pad_global, local, a->num_wait_events,
                                   a->wait_events, &ev_p);
        if (st != CLCONV_SUCCESS) {
            clReleaseEvent(ev_w);
            return st;
        }
        deps[ndeps++] = ev_p;
    }
    st = clconv_enqueue_kernel(ctx, s->conv, 3, s->conv_global, s->conv_local, ndeps, deps,
                               a->event);
    clReleaseEvent(ev_w);
    if (ev_p)
        clReleaseEvent(ev_p);
    return st;
}

const clconv_algo_impl clconv_algo_tiled = {
    .id = CLCONV_ALGO_TILED,
    .name = "tiled",
    .supports = tiled_supports,
    .workspace = tiled_workspace,
    .estimate = tiled_estimate,
    .prepare = tiled_prepare,
    .enqueue = tiled_enqueue,
    .release = tiled_release,
};
