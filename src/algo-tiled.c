/* Tiled algorithm: register-blocked implicit-GEMM Conv2d and stride-phase ConvTranspose2d
 * (cl/conv2d_tiled.cl). Each enqueue re-lays out the weights (and pads the input when the
 * layer needs it) into the workspace, then runs the convolution kernel, whose hot loop has no
 * border tests, in one launch (every stride phase of a ConvTranspose2d included: the output
 * has a single writer, the last command of the enqueue). Conv2d with
 * groups of at most 4 output channels runs the pixel-vector kernel instead, which reads the
 * weights in place (no re-layout). On CPUs, 1x1 kernels and maps of at most 64 pixels at
 * stride 1 run the flat pixel-vector kernel (16 pixels over the padded width, weights in
 * place); a strided 1x1 kernel runs it on a sampled copy of its input. A ConvTranspose2d
 * whose kernel equals its stride (no padding, dilation or output padding) runs there too, as
 * a 1x1 convolution with Cout*kh*kw channels stored strided (tconv2d_tiled_flat). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "src/cost-model.h"
#include "src/internal.h"
#include "src/kernels.h"
#include "src/variant.h"

#define TILED_FILE "conv2d_tiled.cl"
#define WS_ALIGN 256      /* byte offset of the padded input inside the workspace */
#define CONV_INT_ARGS 17  /* conv2d_tiled's int arguments, C .. has_bias */
#define TCONV_INT_ARGS 13 /* tconv2d_tiled's, C .. osw */
#define PHASE_FIELDS 11   /* a row of tconv2d_tiled's phase table */
#define RELAYOUT_INT_ARGS 14
#define RELAYOUT_LOCAL 16 /* input channels per work-group of the weight re-layout */

/* One axis of a ConvTranspose2d stride phase r: the outputs r + s*m (m < count) receive
 * input m + c0 + j*step through tap k0 - j*kstep, j < taps. */
typedef struct phase_axis {
    int count, taps, k0, kstep, c0, step;
} phase_axis;

typedef struct tiled_geometry {
    bool px;       /* conv2d_tiled_px: pixel vectors, weights read in place */
    int ocp, pxr;  /* px: output channels x rows of 8 columns per work-item */
    bool flat;     /* conv2d_tiled_flat: stride 1, 16-pixel vectors, weights read in place */
    bool decimate; /* flat strided 1x1: the workspace holds the input's sampled pixels */
    bool scatter;  /* tconv2d_tiled_flat: ConvTranspose2d with kernel == stride, one tap each */
    int ocf, pxf;  /* flat: output channels x vectors of 16 pixels per work-item */
    int oct, pxt;  /* output channels x pixels per work-item */
    int ocb;       /* oc tiles per group */
    int pad_top, pad_left;
    int hp, wp;           /* padded input plane */
    bool padded;          /* the input is copied into the workspace with its padding */
    size_t weight_bytes;  /* re-laid-out weights (float) */
    size_t padded_offset; /* bytes from the workspace start to the padded input */
    size_t padded_count;  /* elements of the padded input */
} tiled_geometry;

/* The weight re-layout of one stride phase (the one phase of Conv2d). */
typedef struct tiled_phase {
    cl_uint w_off; /* floats into the re-laid-out weights */
    int relayout_args[RELAYOUT_INT_ARGS];
    size_t relayout_global[2];
} tiled_phase;

typedef struct tiled_state {
    tiled_geometry geo;
    cl_kernel relayout, pad, conv, conv_px;
    size_t px_global[3], px_local[3];
    size_t relayout_local;
    size_t pad_global[3];
    size_t conv_global[3], conv_local[3];
    int nphases; /* 1 for Conv2d */
    tiled_phase *phases;
    /* ConvTranspose2d: the phase table (PHASE_FIELDS ints a phase), read by the one launch
     * that writes the output */
    int *table;
    cl_mem table_buf;
} tiled_state;

static int gcd(int a, int b)
{
    while (b) {
        int t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Phase r of one ConvTranspose2d axis: in extent, out extent, kernel, stride, pad, dilation. */
static phase_axis axis_phase(int r, int in, int out, int k, int s, int pad, int dil)
{
    phase_axis a = {0, 0, 0, 0, 0, 0};
    a.count = r < out ? (out - r + s - 1) / s : 0;
    const int g = gcd(s, dil);
    a.kstep = s / g;
    a.step = dil / g;
    for (int kk = k - 1; kk >= 0; kk--) /* the largest tap of the phase comes first */
        if ((((r + pad - kk * dil) % s) + s) % s == 0) {
            a.k0 = kk;
            a.taps = kk / a.kstep + 1;
            a.c0 = (r + pad - kk * dil) / s;
            break;
        }
    (void)in;
    return a;
}

/* Zero padding the phases read outside the input on one axis: before and after. */
static void axis_padding(int in, int out, int k, int s, int pad, int dil, int *lo, int *hi)
{
    *lo = *hi = 0;
    for (int r = 0; r < s; r++) {
        phase_axis a = axis_phase(r, in, out, k, s, pad, dil);
        if (!a.count || !a.taps)
            continue;
        if (-a.c0 > *lo)
            *lo = -a.c0;
        int last = a.count - 1 + a.c0 + (a.taps - 1) * a.step - (in - 1);
        if (last > *hi)
            *hi = last;
    }
}

static void geometry(const clconv_problem *p, const clconv_device_info *dev, tiled_geometry *geo)
{
    const clconv_desc *d = &p->desc;
    /* The vector spans output channels: as wide as the group allows without much padding. */
    geo->oct = p->cout_per_group >= 16 ? 16 : p->cout_per_group >= 8 ? 8 : 4;
    geo->pxt = 8;
    const bool narrow = p->cout_per_group <= 4;
    const bool k1 = d->kernel_h == 1 && d->kernel_w == 1;
    const bool stride1 = d->stride_h == 1 && d->stride_w == 1;
    const bool small = (size_t)p->out[2] * p->out[3] <= 64;
    const bool unpadded = !d->pad_top && !d->pad_bottom && !d->pad_left && !d->pad_right;
    /* On CPUs, Conv2d runs 16-pixel vectors over the padded width where the channel vectors
     * pay most: 1x1 kernels (the re-layout and the per-pixel finish weigh on their short tap
     * loops; a strided one reads a sampled copy of its input) and maps of at most 64 pixels
     * (the re-layout rivals the convolution; narrow groups too). Larger 3x3 maps ran 1.3-1.7x
     * slower there than on channel vectors, narrow groups on 14x14-56x56 maps within +-15%
     * of the 8-wide pixel vectors. GPUs keep the kernels their estimates were measured on. */
    const bool cpu_conv = d->kind == CLCONV_CONV2D && !clconv_model_is_gpu(dev);
    geo->decimate = cpu_conv && k1 && !stride1 && unpadded;
    geo->flat = geo->decimate || (cpu_conv && stride1 && (k1 || small));
    /* A ConvTranspose2d whose kernel equals its stride (dilation 1, no padding, no output
     * padding) gives every output exactly one tap: a 1x1 convolution with Cout*kh*kw
     * channels, stored strided. The flat kernel runs it with the weights in place; the
     * phase path re-lays them out per phase and ran U-Net's k2 s2 layers at 37-45% of the
     * ceiling. */
    geo->scatter = d->kind == CLCONV_CONV_TRANSPOSE2D && !clconv_model_is_gpu(dev) &&
                   d->kernel_h == d->stride_h && d->kernel_w == d->stride_w && d->dilation_h == 1 &&
                   d->dilation_w == 1 && unpadded && !d->output_padding_h && !d->output_padding_w;
    geo->flat = geo->flat || geo->scatter;
    /* 4 channels x 64 pixels: a whole small map per work-item reads the weights once, narrow
     * groups fill the 4 channels, and on ResNet-50's 1x1 layers at 14x14-56x56 it ran 20-35%
     * faster than 8 x 32 (the last tile computes only its vectors that hold outputs) */
    geo->ocf = 4;
    geo->pxf = 4;
    /* Groups of 4 channels or fewer fill a quarter of a 16-lane channel vector: vectors of
     * 8 columns times 4 rows run them about twice as fast on PoCL (measured on ResNeXt's
     * 4-channel groups); wider groups keep the channel vector, which was 2-5x faster. */
    geo->px = d->kind == CLCONV_CONV2D && narrow && !geo->flat;
    geo->ocp = 4;
    geo->pxr = 4;
    geo->ocb = (int)clconv_div_up((size_t)p->cout_per_group, (size_t)geo->oct);
    int pt = d->pad_top, pb = d->pad_bottom, pl = d->pad_left, pr = d->pad_right;
    if (d->kind == CLCONV_CONV_TRANSPOSE2D && !geo->scatter) {
        axis_padding(p->in[2], p->out[2], d->kernel_h, d->stride_h, d->pad_top, d->dilation_h, &pt,
                     &pb);
        axis_padding(p->in[3], p->out[3], d->kernel_w, d->stride_w, d->pad_left, d->dilation_w, &pl,
                     &pr);
    }
    geo->pad_top = pt;
    geo->pad_left = pl;
    geo->padded = pt || pb || pl || pr || geo->decimate;
    geo->hp = geo->decimate ? p->out[2] : p->in[2] + pt + pb; /* scatter: the input */
    geo->wp = geo->decimate ? p->out[3] : p->in[3] + pl + pr;
    geo->weight_bytes = geo->px || geo->flat
                            ? 0
                            : (size_t)d->groups * geo->ocb * p->cin_per_group * d->kernel_h *
                                  d->kernel_w * geo->oct * sizeof(float);
    geo->padded_offset = clconv_round_up(geo->weight_bytes, WS_ALIGN);
    geo->padded_count = geo->padded ? (size_t)p->in[0] * p->in[1] * geo->hp * geo->wp : 0;
}

static bool tiled_supports(const clconv_problem *p, const clconv_device_info *dev, char *reason,
                           size_t reason_size)
{
    tiled_geometry geo;
    geometry(p, dev, &geo);
    const size_t elem = clconv_dtype_size(p->desc.dtype);
    if (geo.padded_count > (size_t)INT_MAX ||
        geo.padded_offset / elem + geo.padded_count > (size_t)UINT_MAX ||
        geo.weight_bytes / sizeof(float) > (size_t)INT_MAX) {
        snprintf(reason, reason_size,
                 "padded input of %zu elements or %zu re-laid-out weights: more than the %d the "
                 "tiled kernels index",
                 geo.padded_count, geo.weight_bytes / sizeof(float), INT_MAX);
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
    geometry(p, dev, &geo);
    return geo.padded_offset + geo.padded_count * clconv_dtype_size(p->desc.dtype);
}

static double tiled_estimate(const clconv_problem *p, const clconv_device_info *dev)
{
    tiled_geometry geo;
    geometry(p, dev, &geo);
    const clconv_desc *d = &p->desc;
    /* On the shared cost model (src/cost-model.h). Calibrated on PoCL with 2 cores, whose
     * model peak is 166 GFLOP/s: 16-wide channel tiles ran at ~140 GFLOP/s (efficiency 0.84;
     * narrower tiles use proportionally fewer lanes), the pixel-vector variant at ~60 (0.36).
     * A work-item also pays a fixed cost per output to finish its tile, ~0.5 ns for a
     * 16-channel tile (83 flops at that peak; ~50 for pixel vectors), and the padded copy and
     * weight re-layout stream at about half the model's bandwidth. */
    clconv_device_model model;
    clconv_device_model_get(dev, &model);
    if (geo.flat) {
        /* 16-pixel vectors over OH x Wp (the dropped columns and the last tile's vectors
         * cost as much as the rest): 4 x 64 tiles ran ResNet-50's 1x1 layers 1.3-1.5x faster
         * than the 8 x 32 tiles measured at 0.72 of the model peak (1.0 here; this
         * estimate stays above the times measured), ~65 GFLOP/s on ResNeXt's 4-channel
         * groups (0.4, g32_1024_7); one launch plus the padded or sampled copy, which streams
         * its input at about half the model's bandwidth, and the weights read once. A
         * ConvTranspose2d with kernel == stride (scatter) counts its 1x1 convolution over the
         * input: U-Net's k2 s2 layers ran at 5.9-7.3 ms (512->256, 32x32) and 7.3-8.1 ms
         * (128->64, 128x128), estimated 7.3 and 9.0. */
        /* scatter: the 1x1 convolution of the input with coutpg*kh*kw channels */
        const size_t taps = (size_t)d->kernel_h * d->kernel_w;
        const double chans =
            (double)p->out[0] * d->groups *
            clconv_round_up((size_t)p->cout_per_group * (geo.scatter ? taps : 1), (size_t)geo.ocf);
        const double pix =
            (double)clconv_round_up((size_t)(geo.scatter ? p->in[2] : p->out[2]) * geo.wp, 16);
        const double macs = chans * pix * p->cin_per_group * (geo.scatter ? 1.0 : (double)taps);
        const double copy = geo.padded ? (double)(p->input_count + 2 * geo.padded_count) : 0;
        const double bytes = (double)(p->input_count + p->weight_count + p->output_count) *
                                 clconv_dtype_size(d->dtype) +
                             copy * clconv_dtype_size(d->dtype);
        return clconv_model_seconds(dev, 2.0 * macs, p->cout_per_group <= 4 ? 0.4 : 1.0, 0,
                                    geo.padded ? 2 : 1) +
               bytes / (0.5 * model.bandwidth);
    }
    const double efficiency = geo.px ? 0.36 : 0.84 * geo.oct / 16.0;
    /* GPU (H100): Conv2d items chain Cin x taps x 128 outputs at ~17% of the lane's FMA rate
     * (ResNet-50's 3x3 stages: 0.239, 0.422, 0.823, 1.60 ms for 74k-590k MACs an item);
     * ConvTranspose2d items at ~72% (DCGAN k4 s2, Cin 512/256/128: 0.698, 0.354, 0.181 ms
     * when the phases ran one launch each), large layers at ~15% of peak (CycleGAN's k3 s2:
     * 57 us, UNet's k2 s2 at 128x128: 134 us); all phases now share one launch, so the
     * longest phase's chain bounds the layer. Pixel-vector items (groups of 4 channels or
     * fewer) ran at ~1.5% of peak (ResNeXt 32x4 at 56x56: 51 us, direct 29). */
    const bool gpu = clconv_model_is_gpu(dev);
    const double per_item = geo.px ? geo.ocp * geo.pxr * 8.0 : (double)geo.oct * geo.pxt;
    double macs = 0, tile_outputs = 0, launches = 1 + (geo.padded ? 1 : 0), gpu_chain = 0;
    if (geo.px) {
        const double chans = (double)p->out[0] * d->groups *
                             clconv_round_up((size_t)p->cout_per_group, (size_t)geo.ocp);
        const double pix = (double)clconv_round_up((size_t)p->out[3], 8) *
                           clconv_round_up((size_t)p->out[2], (size_t)geo.pxr);
        tile_outputs = chans * pix;
        macs = tile_outputs * p->cin_per_group * d->kernel_h * d->kernel_w;
    } else if (d->kind == CLCONV_CONV2D) {
        const double chans = (double)p->out[0] * d->groups * geo.ocb * geo.oct;
        const double pix = (double)clconv_round_up((size_t)p->out[2] * p->out[3], geo.pxt);
        tile_outputs = chans * pix;
        macs = tile_outputs * p->cin_per_group * d->kernel_h * d->kernel_w;
        launches += 1; /* the weight re-layout */
    } else {
        const double chans = (double)p->out[0] * d->groups * geo.ocb * geo.oct;
        for (int ry = 0; ry < d->stride_h; ry++)
            for (int rx = 0; rx < d->stride_w; rx++) {
                phase_axis ay = axis_phase(ry, p->in[2], p->out[2], d->kernel_h, d->stride_h,
                                           d->pad_top, d->dilation_h);
                phase_axis ax = axis_phase(rx, p->in[3], p->out[3], d->kernel_w, d->stride_w,
                                           d->pad_left, d->dilation_w);
                if (!ay.count || !ax.count)
                    continue;
                const double taps = (double)p->cin_per_group * ay.taps * ax.taps;
                const double pix = (double)clconv_round_up((size_t)ay.count * ax.count, geo.pxt);
                tile_outputs += chans * pix;
                macs += chans * pix * taps;
                launches += 1; /* the phase's weight re-layout */
                if (2.0 * taps * per_item > gpu_chain)
                    gpu_chain = 2.0 * taps * per_item;
            }
    }
    const double bytes = (double)(p->input_count * (geo.padded ? 3 : 1) + p->output_count) *
                             clconv_dtype_size(d->dtype) +
                         2.0 * (double)geo.weight_bytes;
    if (gpu) {
        double seconds;
        if (d->kind == CLCONV_CONV2D) {
            const double chain = 2.0 * p->cin_per_group * d->kernel_h * d->kernel_w * per_item;
            seconds = clconv_model_gpu_seconds(dev, 2.0 * macs, geo.px ? 0.015 : 0.15, chain, 0.17,
                                               0, launches);
        } else {
            seconds = clconv_model_gpu_seconds(dev, 2.0 * macs, 0.15, gpu_chain, 0.72, 0, launches);
        }
        return seconds + bytes / model.bandwidth;
    }
    const double finish_flops = tile_outputs * (geo.px ? 50.0 : 83.0 * 16.0 / geo.oct);
    return clconv_model_seconds(dev, 2.0 * macs, efficiency, 0, launches) +
           finish_flops / model.peak_flops + bytes / (0.5 * model.bandwidth);
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
    if (s->conv_px)
        clReleaseKernel(s->conv_px);
    if (s->table_buf)
        clReleaseMemObject(s->table_buf);
    free(s->table);
    free(s->phases);
    free(s);
    plan->state = NULL;
}

/* Launch shape of the convolution: pixel tiles of the largest (phase) map, channel tiles,
 * images times phases. */
static void conv_launch(const clconv_problem *p, tiled_state *s, size_t max_pixels)
{
    s->conv_global[0] = clconv_div_up(max_pixels, (size_t)s->geo.pxt);
    s->conv_global[1] = (size_t)p->desc.groups * s->geo.ocb;
    s->conv_global[2] = (size_t)p->out[0] * s->nphases;
    /* Per-item vector code: small work-groups along the pixel tiles, which share weights. */
    s->conv_local[0] = s->conv_global[0] < 4 ? s->conv_global[0] : 4;
    s->conv_local[1] = 1;
    s->conv_local[2] = 1;
}

/* Fills the phases of the plan (one for Conv2d, the non-empty stride phases otherwise) and
 * sets the convolution kernel's scalar arguments. */
static clconv_status plan_phases(clconv_plan *plan, tiled_state *s)
{
    const clconv_problem *p = &plan->problem;
    const clconv_desc *d = &p->desc;
    const tiled_geometry *geo = &s->geo;
    const bool transposed = d->kind == CLCONV_CONV_TRANSPOSE2D;
    const int max_phases = transposed ? d->stride_h * d->stride_w : 1;
    s->phases = calloc((size_t)max_phases, sizeof *s->phases);
    if (!s->phases)
        return clconv_fail(plan->ctx, CLCONV_ERROR_OUT_OF_HOST_MEMORY, "tiled plan phases");
    const int gtiles = d->groups * geo->ocb;
    if (!transposed) {
        tiled_phase *ph = &s->phases[0];
        const int a[CONV_INT_ARGS] = {p->in[1],         p->in[2] + d->pad_top + d->pad_bottom,
                                      geo->wp,          p->out[1],
                                      p->out[2],        p->out[3],
                                      d->kernel_h,      d->kernel_w,
                                      d->stride_h,      d->stride_w,
                                      d->dilation_h,    d->dilation_w,
                                      p->cin_per_group, p->cout_per_group,
                                      geo->ocb,         gtiles,
                                      d->bias != 0};
        clconv_status st = clconv_set_int_args(plan->ctx, s->conv, 6, a, CONV_INT_ARGS);
        cl_int err = clSetKernelArg(s->conv, 3, sizeof(cl_uint), &ph->w_off);
        if (st == CLCONV_SUCCESS && err != CL_SUCCESS)
            st = clconv_fail_cl(plan->ctx, err, "clSetKernelArg");
        if (st != CLCONV_SUCCESS)
            return st;
        const int ksize = d->kernel_h * d->kernel_w;
        const int r[RELAYOUT_INT_ARGS] = {p->cin_per_group,
                                          p->cout_per_group,
                                          geo->ocb,
                                          p->cout_per_group * p->cin_per_group * ksize,
                                          p->cin_per_group * ksize,
                                          ksize,
                                          d->kernel_w,
                                          d->kernel_h,
                                          d->kernel_w,
                                          0,
                                          -1,
                                          0,
                                          -1,
                                          gtiles};
        for (int i = 0; i < RELAYOUT_INT_ARGS; i++)
            ph->relayout_args[i] = r[i];
        ph->relayout_global[0] = (size_t)p->cin_per_group;
        ph->relayout_global[1] = (size_t)gtiles;
        s->nphases = 1;
        conv_launch(p, s, (size_t)p->out[2] * p->out[3]);
        return CLCONV_SUCCESS;
    }
    s->table = calloc((size_t)max_phases * PHASE_FIELDS, sizeof *s->table);
    if (!s->table)
        return clconv_fail(plan->ctx, CLCONV_ERROR_OUT_OF_HOST_MEMORY, "tiled phase table");
    size_t w_off = 0, max_pixels = 0; /* floats; pixels of the largest phase */
    for (int ry = 0; ry < d->stride_h; ry++)
        for (int rx = 0; rx < d->stride_w; rx++) {
            phase_axis ay = axis_phase(ry, p->in[2], p->out[2], d->kernel_h, d->stride_h,
                                       d->pad_top, d->dilation_h);
            phase_axis ax = axis_phase(rx, p->in[3], p->out[3], d->kernel_w, d->stride_w,
                                       d->pad_left, d->dilation_w);
            if (!ay.count || !ax.count)
                continue;
            tiled_phase *ph = &s->phases[s->nphases++];
            /* a phase without taps still writes its outputs (bias or zero): its loops are
             * empty */
            const int y0 = ay.taps ? ay.c0 + geo->pad_top : 0;
            const int x0 = ax.taps ? ax.c0 + geo->pad_left : 0;
            ph->w_off = (cl_uint)w_off;
            const int row[PHASE_FIELDS] = {ay.count, ax.count, ay.taps, ax.taps, ay.step,   ax.step,
                                           y0,       x0,       ry,      rx,      (int)w_off};
            for (int i = 0; i < PHASE_FIELDS; i++)
                s->table[(s->nphases - 1) * PHASE_FIELDS + i] = row[i];
            if ((size_t)ay.count * ax.count > max_pixels)
                max_pixels = (size_t)ay.count * ax.count;
            const int ksize = d->kernel_h * d->kernel_w;
            const int r[RELAYOUT_INT_ARGS] = {p->cin_per_group,
                                              p->cout_per_group,
                                              geo->ocb,
                                              p->cin_per_group * p->cout_per_group * ksize,
                                              ksize,
                                              p->cout_per_group * ksize,
                                              d->kernel_w,
                                              ay.taps,
                                              ax.taps,
                                              ay.k0,
                                              ay.kstep,
                                              ax.k0,
                                              ax.kstep,
                                              gtiles};
            for (int i = 0; i < RELAYOUT_INT_ARGS; i++)
                ph->relayout_args[i] = r[i];
            /* a phase without taps has no weights */
            ph->relayout_global[0] = ay.taps && ax.taps ? (size_t)p->cin_per_group : 0;
            ph->relayout_global[1] = (size_t)gtiles;
            w_off += (size_t)gtiles * p->cin_per_group * ay.taps * ax.taps * geo->oct;
        }
    conv_launch(p, s, max_pixels);
    cl_int err;
    s->table_buf =
        clCreateBuffer(plan->ctx->cl_ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                       (size_t)s->nphases * PHASE_FIELDS * sizeof *s->table, s->table, &err);
    if (err != CL_SUCCESS) {
        s->table_buf = NULL;
        return clconv_fail_cl(plan->ctx, err, "clCreateBuffer");
    }
    const int a[TCONV_INT_ARGS] = {
        p->in[1], geo->hp,      geo->wp,   p->out[1], p->cin_per_group, p->cout_per_group, geo->ocb,
        gtiles,   d->bias != 0, p->out[2], p->out[3], d->stride_h,      d->stride_w};
    const int nphases = s->nphases;
    err = clSetKernelArg(s->conv, 5, sizeof(cl_mem), &s->table_buf);
    if (err == CL_SUCCESS)
        err = clSetKernelArg(s->conv, 6, sizeof(int), &nphases);
    if (err != CL_SUCCESS)
        return clconv_fail_cl(plan->ctx, err, "clSetKernelArg");
    return clconv_set_int_args(plan->ctx, s->conv, 7, a, TCONV_INT_ARGS);
}

static const char *dtype_option(const clconv_desc *d)
{
    return d->dtype == CLCONV_FLOAT16 ? " -D CLCONV_HALF" : "";
}

/* The pixel-vector kernel for narrow groups: weights in place. */
static clconv_status prepare_px(clconv_plan *plan, tiled_state *s)
{
    const clconv_problem *p = &plan->problem;
    const clconv_desc *d = &p->desc;
    clconv_context *ctx = plan->ctx;
    const tiled_geometry *geo = &s->geo;
    char options[160];
    snprintf(options, sizeof options, "-D OCP=%d -D PXR=%d%s", geo->ocp, geo->pxr, dtype_option(d));
    clconv_status st;
    if ((st = clconv_create_kernel(ctx, TILED_FILE, options, "conv2d_tiled_px", &s->conv_px)) !=
            CLCONV_SUCCESS ||
        (geo->padded && (st = clconv_create_kernel(ctx, TILED_FILE, options, "tiled_pad_input",
                                                   &s->pad)) != CLCONV_SUCCESS))
        return st;
    const int a[] = {p->in[1],         geo->hp,           geo->wp,       p->out[1],
                     p->out[2],        p->out[3],         d->kernel_h,   d->kernel_w,
                     d->stride_h,      d->stride_w,       d->dilation_h, d->dilation_w,
                     p->cin_per_group, p->cout_per_group, d->bias != 0};
    if ((st = clconv_set_int_args(ctx, s->conv_px, 5, a, 15)) != CLCONV_SUCCESS)
        return st;
    s->px_global[0] =
        clconv_div_up((size_t)p->out[3], 8) * clconv_div_up((size_t)p->out[2], (size_t)geo->pxr);
    s->px_global[1] =
        (size_t)d->groups * clconv_div_up((size_t)p->cout_per_group, (size_t)geo->ocp);
    s->px_global[2] = (size_t)p->out[0];
    s->px_local[0] = s->px_global[0] < 4 ? s->px_global[0] : 4;
    s->px_local[1] = s->px_local[2] = 1;
    return CLCONV_SUCCESS;
}

/* The flat kernels (CPUs): Conv2d over 16-pixel vectors of the padded plane, or a
 * ConvTranspose2d with kernel == stride as a 1x1 convolution stored strided (scatter). */
static clconv_status prepare_flat(clconv_plan *plan, tiled_state *s)
{
    const clconv_problem *p = &plan->problem;
    const clconv_desc *d = &p->desc;
    clconv_context *ctx = plan->ctx;
    const tiled_geometry *geo = &s->geo;
    /* the common square kernels get their tap loops unrolled */
    char taps[40] = "";
    if (geo->scatter) /* one tap per output: the 1x1 program */
        snprintf(taps, sizeof taps, " -D FKH=1 -D FKW=1");
    else if (d->kernel_h == d->kernel_w && (d->kernel_h == 1 || d->kernel_h == 3))
        snprintf(taps, sizeof taps, " -D FKH=%d -D FKW=%d", d->kernel_h, d->kernel_w);
    char options[160];
    snprintf(options, sizeof options, "-D OCF=%d -D PXF=%d%s%s", geo->ocf, geo->pxf, taps,
             dtype_option(d));
    clconv_status st;
    if ((st = clconv_create_kernel(ctx, TILED_FILE, options,
                                   geo->scatter ? "tconv2d_tiled_flat" : "conv2d_tiled_flat",
                                   &s->conv_px)) != CLCONV_SUCCESS ||
        (geo->padded &&
         (st = clconv_create_kernel(ctx, TILED_FILE, options,
                                    geo->decimate ? "tiled_subsample" : "tiled_pad_input",
                                    &s->pad)) != CLCONV_SUCCESS))
        return st;
    const int a[] = {p->in[1],         geo->hp,           geo->wp,     p->out[1],     p->out[2],
                     p->out[3],        d->kernel_h,       d->kernel_w, d->dilation_h, d->dilation_w,
                     p->cin_per_group, p->cout_per_group, d->bias != 0};
    const int t[] = {p->in[1],         p->in[2],          p->in[3],    p->out[1],   p->out[2],
                     p->out[3],        d->kernel_h,       d->kernel_w, d->stride_h, d->stride_w,
                     p->cin_per_group, p->cout_per_group, d->bias != 0};
    /* elements readable from the convolution's input: the padded copy or the input */
    const cl_long limit = (cl_long)(geo->padded ? geo->padded_count : (size_t)p->input_count);
    cl_int err = clSetKernelArg(s->conv_px, 18, sizeof limit, &limit);
    if (err != CL_SUCCESS)
        return clconv_fail_cl(ctx, err, "clSetKernelArg");
    if ((st = clconv_set_int_args(ctx, s->conv_px, 5, geo->scatter ? t : a, 13)) != CLCONV_SUCCESS)
        return st;
    /* scatter: pixels of the input, channels (co, ky, kx) */
    const size_t rows = geo->scatter ? (size_t)p->in[2] : (size_t)p->out[2];
    const size_t chans = (size_t)p->cout_per_group * (geo->scatter ? d->kernel_h * d->kernel_w : 1);
    s->px_global[0] = clconv_div_up(rows * geo->wp, 16 * (size_t)geo->pxf);
    s->px_global[1] = (size_t)d->groups * clconv_div_up(chans, (size_t)geo->ocf);
    if (geo->scatter) { /* channel tiles first */
        const size_t t0 = s->px_global[0];
        s->px_global[0] = s->px_global[1];
        s->px_global[1] = t0;
    }
    s->px_global[2] = (size_t)p->out[0];
    s->px_local[0] = s->px_global[0] < 4 ? s->px_global[0] : 4;
    s->px_local[1] = s->px_local[2] = 1;
    return CLCONV_SUCCESS;
}

/* The channel-vector kernels: weight re-layout, then conv2d_tiled or the stride phases. */
static clconv_status prepare_channel_vectors(clconv_plan *plan, tiled_state *s)
{
    const clconv_desc *d = &plan->problem.desc;
    clconv_context *ctx = plan->ctx;
    const tiled_geometry *geo = &s->geo;
    s->relayout_local = RELAYOUT_LOCAL <= ctx->info.max_work_group_size
                            ? RELAYOUT_LOCAL
                            : ctx->info.max_work_group_size;
    char options[160];
    snprintf(options, sizeof options, "-D OCT=%d -D PXT=%d%s", geo->oct, geo->pxt, dtype_option(d));
    clconv_status st;
    if ((st = clconv_create_kernel(ctx, TILED_FILE, options, "tiled_relayout", &s->relayout)) !=
            CLCONV_SUCCESS ||
        (st = clconv_create_kernel(
             ctx, TILED_FILE, options,
             d->kind == CLCONV_CONV_TRANSPOSE2D ? "tconv2d_tiled" : "conv2d_tiled", &s->conv)) !=
            CLCONV_SUCCESS ||
        (geo->padded && (st = clconv_create_kernel(ctx, TILED_FILE, options, "tiled_pad_input",
                                                   &s->pad)) != CLCONV_SUCCESS))
        return st;
    return plan_phases(plan, s);
}

/* The padded (or sampled) copy's arguments, and the convolution's input offset. */
static clconv_status prepare_copy(clconv_plan *plan, tiled_state *s)
{
    const clconv_problem *p = &plan->problem;
    const clconv_desc *d = &p->desc;
    clconv_context *ctx = plan->ctx;
    const tiled_geometry *geo = &s->geo;
    const cl_uint elem_off = (cl_uint)(geo->padded_offset / clconv_dtype_size(d->dtype));
    cl_int err;
    if (geo->padded) {
        const int mode =
            d->kind == CLCONV_CONV_TRANSPOSE2D ? (int)CLCONV_PADDING_ZEROS : (int)d->padding_mode;
        const int pad_args[] = {
            p->in[2], p->in[3], geo->hp, geo->wp, geo->pad_top, geo->pad_left, p->in[0] * p->in[1],
            mode};
        const int sub_args[] = {p->in[2],    p->in[3],    p->out[2],          p->out[3],
                                d->stride_h, d->stride_w, p->in[0] * p->in[1]};
        err = clSetKernelArg(s->pad, 2, sizeof elem_off, &elem_off);
        if (err != CL_SUCCESS)
            return clconv_fail_cl(ctx, err, "clSetKernelArg");
        clconv_status st = geo->decimate ? clconv_set_int_args(ctx, s->pad, 3, sub_args, 7)
                                         : clconv_set_int_args(ctx, s->pad, 3, pad_args, 8);
        if (st != CLCONV_SUCCESS)
            return st;
        s->pad_global[0] = (size_t)geo->hp;
        s->pad_global[1] = (size_t)p->in[0] * p->in[1];
        s->pad_global[2] = 1;
    }
    const cl_uint in_off = geo->padded ? elem_off : 0;
    err = clSetKernelArg(geo->px || geo->flat ? s->conv_px : s->conv, 1, sizeof in_off, &in_off);
    return err == CL_SUCCESS ? CLCONV_SUCCESS : clconv_fail_cl(ctx, err, "clSetKernelArg");
}

static clconv_status tiled_prepare(clconv_plan *plan)
{
    clconv_context *ctx = plan->ctx;
    tiled_state *s = calloc(1, sizeof *s);
    if (!s)
        return clconv_fail(ctx, CLCONV_ERROR_OUT_OF_HOST_MEMORY, "tiled plan state");
    plan->state = s;
    geometry(&plan->problem, &ctx->info, &s->geo);
    clconv_status st = s->geo.px     ? prepare_px(plan, s)
                       : s->geo.flat ? prepare_flat(plan, s)
                                     : prepare_channel_vectors(plan, s);
    if (st == CLCONV_SUCCESS)
        st = prepare_copy(plan, s);
    if (st != CLCONV_SUCCESS)
        tiled_release(plan);
    return st;
}

/* The pixel-vector variants (px, flat): the padded or sampled copy when the layer has one,
 * then one convolution. */
static clconv_status tiled_enqueue_px(clconv_plan *plan, const clconv_enqueue_args *a)
{
    tiled_state *s = plan->state;
    clconv_context *ctx = plan->ctx;
    cl_int err = CL_SUCCESS;
    if (s->pad) {
        err = clSetKernelArg(s->pad, 0, sizeof(cl_mem), &a->input);
        if (err == CL_SUCCESS)
            err = clSetKernelArg(s->pad, 1, sizeof(cl_mem), &a->workspace);
    }
    cl_mem bias = a->bias ? a->bias : a->weight; /* never read when has_bias is 0 */
    const cl_mem bufs[] = {s->pad ? a->workspace : a->input, a->weight, bias, a->output};
    const cl_uint index[] = {0, 2, 3, 4};
    for (int i = 0; i < 4 && err == CL_SUCCESS; i++)
        err = clSetKernelArg(s->conv_px, index[i], sizeof(cl_mem), &bufs[i]);
    if (err != CL_SUCCESS)
        return clconv_fail_cl(ctx, err, "clSetKernelArg");
    if (!s->pad)
        return clconv_enqueue_kernel(ctx, a->queue, s->conv_px, 3, s->px_global, s->px_local,
                                     a->num_wait_events, a->wait_events, a->event);
    size_t local[3];
    clconv_pick_local_size(&ctx->info, s->pad_global, local);
    cl_event padded = NULL;
    clconv_status st = clconv_enqueue_kernel(ctx, a->queue, s->pad, 3, s->pad_global, local,
                                             a->num_wait_events, a->wait_events, &padded);
    if (st != CLCONV_SUCCESS)
        return st;
    st = clconv_enqueue_kernel(ctx, a->queue, s->conv_px, 3, s->px_global, s->px_local, 1, &padded,
                               a->event);
    clReleaseEvent(padded);
    return st;
}

static clconv_status tiled_enqueue(clconv_plan *plan, const clconv_enqueue_args *a)
{
    tiled_state *s = plan->state;
    clconv_context *ctx = plan->ctx;
    if (s->geo.px || s->geo.flat)
        return tiled_enqueue_px(plan, a);
    /* Every argument the output-writing launch needs is set before anything is enqueued, and
     * that launch comes last: a failure anywhere leaves the output untouched. */
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
    static const cl_uint conv_index[] = {0, 2, 4, 5}, tconv_index[] = {0, 2, 3, 4};
    const cl_uint *index = s->table_buf ? tconv_index : conv_index;
    for (int i = 0; i < 4 && err == CL_SUCCESS; i++)
        err = clSetKernelArg(s->conv, index[i], sizeof(cl_mem), &conv_bufs[i]);
    if (err != CL_SUCCESS)
        return clconv_fail_cl(ctx, err, "clSetKernelArg");

    /* Every preparation (weights, padded copy) waits on the caller's events; the
     * convolution waits on all of them. Events chain even on out-of-order queues. */
    const int max_events = s->nphases + 1;
    cl_event *prep = calloc((size_t)max_events, sizeof *prep);
    if (!prep)
        return clconv_fail(ctx, CLCONV_ERROR_OUT_OF_HOST_MEMORY, "tiled enqueue events");
    cl_uint nprep = 0;
    clconv_status st = CLCONV_SUCCESS;
    for (int i = 0; i < s->nphases && st == CLCONV_SUCCESS; i++) {
        const tiled_phase *ph = &s->phases[i];
        if (ph->relayout_global[0] == 0)
            continue;
        err = clSetKernelArg(s->relayout, 2, sizeof(cl_uint), &ph->w_off);
        if (err != CL_SUCCESS) {
            st = clconv_fail_cl(ctx, err, "clSetKernelArg");
            break;
        }
        if ((st = clconv_set_int_args(ctx, s->relayout, 3, ph->relayout_args, RELAYOUT_INT_ARGS)) !=
            CLCONV_SUCCESS)
            break;
        size_t rl_local[2] = {s->relayout_local, 1};
        if (rl_local[0] > ph->relayout_global[0])
            rl_local[0] = ph->relayout_global[0];
        st = clconv_enqueue_kernel(ctx, a->queue, s->relayout, 2, ph->relayout_global, rl_local,
                                   a->num_wait_events, a->wait_events, &prep[nprep]);
        if (st == CLCONV_SUCCESS)
            nprep++;
    }
    if (st == CLCONV_SUCCESS && s->pad) {
        size_t local[3];
        clconv_pick_local_size(&ctx->info, s->pad_global, local);
        st = clconv_enqueue_kernel(ctx, a->queue, s->pad, 3, s->pad_global, local,
                                   a->num_wait_events, a->wait_events, &prep[nprep]);
        if (st == CLCONV_SUCCESS)
            nprep++;
    }
    if (st == CLCONV_SUCCESS)
        st = clconv_enqueue_kernel(ctx, a->queue, s->conv, 3, s->conv_global, s->conv_local, nprep,
                                   nprep ? prep : NULL, a->event);
    for (cl_uint i = 0; i < nprep; i++)
        clReleaseEvent(prep[i]);
    free(prep);
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
