/* What the tiled variants share (src/tiled-common.h): limits, the input copy, the one-kernel
 * plans and the cost-model terms. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/epilogue.h"
#include "src/kernels.h"
#include "src/tiled-common.h"

#define WS_ALIGN 256 /* byte offset of the copy inside the workspace */

int tiled_auto_width(int cout_per_group)
{
    /* as wide as the group allows without much padding */
    return cout_per_group >= 16 ? 16 : cout_per_group >= 8 ? 8 : 4;
}

void tiled_config_conv_plane(const clconv_problem *p, tiled_config *c)
{
    const clconv_desc *d = &p->desc;
    c->pad_top = d->pad_top;
    c->pad_left = d->pad_left;
    c->padded = d->pad_top || d->pad_bottom || d->pad_left || d->pad_right;
    c->hp = p->in[2] + d->pad_top + d->pad_bottom;
    c->wp = p->in[3] + d->pad_left + d->pad_right;
}

bool tiled_config_finish(const clconv_variant *v, const clconv_problem *p,
                         const clconv_device_info *dev, tiled_config *c, clconv_config *cfg,
                         char *reason, size_t reason_size)
{
    const size_t elem = clconv_dtype_size(p->desc.dtype);
    c->padded_offset = clconv_round_up(c->weight_bytes, WS_ALIGN);
    c->padded_count = c->padded ? (size_t)p->in[0] * p->in[1] * c->hp * c->wp : 0;
    if (c->padded_count > (size_t)INT_MAX ||
        c->padded_offset / elem + c->padded_count > (size_t)UINT_MAX) {
        snprintf(reason, reason_size,
                 "padded input of %zu elements (%d planes of %dx%d): more than the %d %s indexes",
                 c->padded_count, p->in[0] * p->in[1], c->hp, c->wp, INT_MAX, v->name);
        return false;
    }
    if (c->weight_bytes / sizeof(float) > (size_t)INT_MAX) {
        snprintf(reason, reason_size,
                 "re-laid-out weights of %zu elements (out_channels %d, in_channels %d, kernel "
                 "%dx%d): more than the %d %s indexes",
                 c->weight_bytes / sizeof(float), p->desc.out_channels, p->desc.in_channels,
                 p->desc.kernel_h, p->desc.kernel_w, INT_MAX, v->name);
        return false;
    }
    const size_t bytes = c->padded_offset + c->padded_count * elem;
    if ((cl_ulong)c->weight_bytes > dev->max_alloc_size || (cl_ulong)bytes > dev->max_alloc_size) {
        snprintf(reason, reason_size,
                 "workspace of %zu bytes: more than the device's max allocation %llu", bytes,
                 (unsigned long long)dev->max_alloc_size);
        return false;
    }
    cfg->workspace = bytes;
    return true;
}

bool tiled_taken_by(const char *name, const clconv_problem *p, const clconv_device_info *dev)
{
    const clconv_variant *v = clconv_variant_lookup(name);
    if (!v || !clconv_calibration_lookup(name, clconv_device_class_of(dev)))
        return false;
    clconv_config cfg;
    char reason[256];
    memset(&cfg, 0, sizeof cfg);
    if (!v->ops->applies(v, p, dev, SIZE_MAX, &cfg, reason, sizeof reason))
        return false;
    return !v->ops->auto_domain || v->ops->auto_domain(v, p, dev, &cfg, reason, sizeof reason);
}

const char *tiled_dtype_option(const clconv_desc *d)
{
    return d->dtype == CLCONV_FLOAT16 ? " -D CLCONV_HALF" : "";
}

bool tiled_epilogue_options(const clconv_problem *p, const char *options, char *buf, size_t size)
{
    char epilogue[256];
    if (!clconv_epilogue_options(p, epilogue, sizeof epilogue))
        return false;
    const int n = snprintf(buf, size, "%s%s", options, epilogue);
    return n >= 0 && (size_t)n < size;
}

cl_uint tiled_input_offset(const clconv_problem *p, const tiled_config *c)
{
    return c->padded ? (cl_uint)(c->padded_offset / clconv_dtype_size(p->desc.dtype)) : 0;
}

void tiled_args_plane(clconv_kernel_args *a, const clconv_problem *p, const tiled_config *c)
{
    const int v[] = {p->in[1], c->hp, c->wp, p->out[1], p->out[2], p->out[3]};
    clconv_arg_ints(a, "C, Hp, Wp, K, OH, OW", v, 6);
}

clconv_status tiled_launch(clconv_context *ctx, cl_kernel kernel, clconv_launch *launch, size_t x0)
{
    const size_t preferred[3] = {launch->global[0] < x0 ? launch->global[0] : x0, 1, 1};
    return clconv_launch_shape(ctx, kernel, launch, preferred, 3u);
}

/* ---- the input copy ---- */

clconv_status tiled_copy_prepare(clconv_context *ctx, const clconv_problem *p,
                                 const tiled_config *c, tiled_copy *copy)
{
    memset(copy, 0, sizeof *copy);
    if (!c->padded)
        return CLCONV_SUCCESS;
    const clconv_desc *d = &p->desc;
    clconv_status st =
        clconv_create_kernel(ctx, TILED_COPY_FILE, tiled_dtype_option(d),
                             c->sampled ? "tiled_subsample" : "tiled_pad_input", &copy->kernel);
    if (st != CLCONV_SUCCESS)
        return st;
    const int planes = p->in[0] * p->in[1];
    clconv_kernel_args a;
    clconv_args_begin(&a, ctx, copy->kernel);
    copy->in_slot = clconv_arg_slot(&a, "in");
    copy->ws_slot = clconv_arg_slot(&a, "ws");
    clconv_arg_uint(&a, "ws_off", tiled_input_offset(p, c));
    if (c->sampled) {
        const int v[] = {p->in[2], p->in[3], c->hp, c->wp, d->stride_h, d->stride_w, planes};
        clconv_arg_ints(&a, "H, W, OH, OW, sh, sw, planes", v, 7);
    } else {
        /* ConvTranspose2d's phases read zeros around the input, whatever the mode field */
        const int mode =
            d->kind == CLCONV_CONV_TRANSPOSE2D ? (int)CLCONV_PADDING_ZEROS : (int)d->padding_mode;
        const int v[] = {p->in[2], p->in[3], c->hp, c->wp, c->pad_top, c->pad_left, planes, mode};
        clconv_arg_ints(&a, "H, W, Hp, Wp, pt, pl, planes, mode", v, 8);
    }
    if ((st = clconv_args_end(&a)) != CLCONV_SUCCESS)
        return st;
    copy->launch.dims = 2;
    copy->launch.global[0] = (size_t)c->hp;
    copy->launch.global[1] = (size_t)planes;
    copy->launch.global[2] = 1;
    return clconv_launch_elementwise(ctx, copy->kernel, &copy->launch);
}

clconv_status tiled_copy_set_buffers(clconv_context *ctx, const tiled_copy *copy,
                                     const clconv_enqueue_args *a)
{
    if (!copy->kernel)
        return CLCONV_SUCCESS;
    clconv_status st = clconv_set_mem_arg(ctx, copy->kernel, copy->in_slot, a->input);
    if (st == CLCONV_SUCCESS)
        st = clconv_set_mem_arg(ctx, copy->kernel, copy->ws_slot, a->workspace);
    return st;
}

void tiled_copy_release(tiled_copy *copy)
{
    if (copy->kernel)
        clReleaseKernel(copy->kernel);
    copy->kernel = NULL;
}

/* ---- one-kernel plans ---- */

clconv_status tiled_single_begin(clconv_plan *plan, const char *file, const char *options,
                                 const char *kernel_name, tiled_single **out)
{
    tiled_single *s = calloc(1, sizeof *s);
    if (!s)
        return clconv_fail(plan->ctx, CLCONV_ERROR_OUT_OF_HOST_MEMORY, "%s plan state",
                           plan->variant->name);
    plan->state = s;
    *out = s;
    const tiled_config *c = CLCONV_CONFIG_CONST(tiled_config, &plan->config);
    s->residual_slot = CLCONV_NO_SLOT;
    char full[512];
    if (!tiled_epilogue_options(&plan->problem, options, full, sizeof full))
        return clconv_fail(plan->ctx, CLCONV_ERROR_BUILD, "%s: build options too long",
                           plan->variant->name);
    clconv_status st = clconv_create_kernel(plan->ctx, file, full, kernel_name, &s->kernel);
    if (st == CLCONV_SUCCESS)
        st = tiled_copy_prepare(plan->ctx, &plan->problem, c, &s->copy);
    return st;
}

void tiled_single_io_args(clconv_kernel_args *a, tiled_single *s, const clconv_problem *p,
                          const tiled_config *c)
{
    s->in_slot = clconv_arg_slot(a, "in");
    clconv_arg_uint(a, "in_off", tiled_input_offset(p, c));
    s->w_slot = clconv_arg_slot(a, "w");
    s->bias_slot = clconv_arg_slot(a, "bias");
    s->out_slot = clconv_arg_slot(a, "out");
}

clconv_status tiled_single_enqueue(clconv_plan *plan, const clconv_enqueue_args *a)
{
    tiled_single *s = plan->state;
    clconv_context *ctx = plan->ctx;
    /* every argument is set before anything is enqueued, and the convolution comes last: a
     * failure anywhere leaves the output untouched */
    cl_mem bias = a->bias ? a->bias : a->weight; /* never read when has_bias is 0 */
    clconv_status st = tiled_copy_set_buffers(ctx, &s->copy, a);
    if (st == CLCONV_SUCCESS)
        st = clconv_set_mem_arg(ctx, s->kernel, s->in_slot,
                                s->copy.kernel ? a->workspace : a->input);
    if (st == CLCONV_SUCCESS)
        st = clconv_set_mem_arg(ctx, s->kernel, s->w_slot, a->weight);
    if (st == CLCONV_SUCCESS)
        st = clconv_set_mem_arg(ctx, s->kernel, s->bias_slot, bias);
    if (st == CLCONV_SUCCESS)
        st = clconv_set_mem_arg(ctx, s->kernel, s->out_slot, a->output);
    if (st == CLCONV_SUCCESS)
        st = clconv_set_residual_arg(ctx, s->kernel, s->residual_slot, a);
    if (st != CLCONV_SUCCESS)
        return st;
    if (!s->copy.kernel)
        return clconv_enqueue_launch(ctx, a->queue, s->kernel, &s->launch, a->num_wait_events,
                                     a->wait_events, a->event);
    cl_event copied = NULL;
    st = clconv_enqueue_launch(ctx, a->queue, s->copy.kernel, &s->copy.launch, a->num_wait_events,
                               a->wait_events, &copied);
    if (st != CLCONV_SUCCESS)
        return st;
    st = clconv_enqueue_launch(ctx, a->queue, s->kernel, &s->launch, 1, &copied, a->event);
    clReleaseEvent(copied);
    return st;
}

void tiled_single_release(clconv_plan *plan)
{
    tiled_single *s = plan->state;
    if (!s)
        return;
    tiled_copy_release(&s->copy);
    if (s->kernel)
        clReleaseKernel(s->kernel);
    free(s);
    plan->state = NULL;
}

/* ---- cost-model terms ---- */

double tiled_stream_seconds(const clconv_device_info *dev, const clconv_calibration *cal,
                            double bytes)
{
    clconv_device_model m;
    clconv_device_model_get(dev, &m);
    const double share = cal->bandwidth_share > 0 ? cal->bandwidth_share : 1;
    return bytes / (share * m.bandwidth);
}

double tiled_tile_seconds(const clconv_problem *p, const clconv_device_info *dev,
                          const clconv_calibration *cal, const tiled_config *c, double tile_outputs,
                          double macs, double chain_flops, double launches)
{
    clconv_device_model m;
    clconv_device_model_get(dev, &m);
    /* the input is read once more and written once by its copy; the weights are read and
     * written by their re-layout */
    const double bytes = (double)(p->input_count * (c->padded ? 3 : 1) + p->output_count) *
                             clconv_dtype_size(p->desc.dtype) +
                         2.0 * (double)c->weight_bytes;
    return clconv_model_variant_seconds(dev, cal, 2.0 * macs, cal->efficiency, chain_flops,
                                        cal->chain_efficiency, 0, launches) +
           tile_outputs * cal->output_flops / m.peak_flops + tiled_stream_seconds(dev, cal, bytes);
}
