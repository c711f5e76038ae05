/*
 * The gemm family through CLBlast (float32): its variants' applies, estimate, prepare and
 * release; the layout is in src/gemm-layout.c, the enqueue in src/gemm-enqueue.c.
 *
 * gemm.im2col (Conv2d): im2col (cl/im2col.cl: padding modes and dilation in its index
 * arithmetic) into the workspace, then CLBlast GEMMs, per (image, group):
 *   out[n, g] (coutpg x rows*OW) = W[g] (coutpg x cinpg*kh*kw) x col[n, g].
 * gemm.col2im (ConvTranspose2d): CLBlast GEMMs compute, per (image, group),
 *   col[n, g] (coutpg*kh*kw x rows*W) = W[g]^T x in[n, g]
 * and col2im (cl/col2im.cl) gathers the taps landing on each output pixel, bias included.
 * gemm.1x1 (1x1 kernels, stride 1, no padding, either kind): the input is the matrix, and the
 * product goes straight to the output.
 *
 * A staged plan (src/gemm-layout.c) writes the output with stage_finish (cl/stage_finish.cl)
 * as its last command. The epilogue runs in the command that writes the output: col2im when
 * unstaged, else stage_finish (GEMM results that would go straight to the output are staged
 * when the layer has an epilogue).
 */
#include <stdio.h>
#include <stdlib.h>

#include "src/cost-model.h"
#include "src/epilogue.h"
#include "src/gemm-plan.h"
#include "src/kernels.h"

static const char *kind_name(clconv_kind kind)
{
    return kind == CLCONV_CONV2D ? "conv2d" : "conv_transpose2d";
}

static bool gemm_applies(const clconv_variant *v, const clconv_problem *p,
                         const clconv_device_info *dev, size_t workspace_limit, clconv_config *cfg,
                         char *reason, size_t reason_size)
{
    const clconv_desc *d = &p->desc;
    const int path = v->param[0];
    if (d->dtype != CLCONV_FLOAT32) {
        snprintf(reason, reason_size,
                 "dtype = float16: %s runs CLBlast's float32 SGEMM; its half routines need "
                 "cl_khr_fp16 (%s) and accumulate in half, not float",
                 v->name, dev->has_fp16 ? "present on this device" : "absent on this device");
        return false;
    }
    if ((path == CLCONV_GEMM_IM2COL && d->kind != CLCONV_CONV2D) ||
        (path == CLCONV_GEMM_COL2IM && d->kind != CLCONV_CONV_TRANSPOSE2D)) {
        snprintf(reason, reason_size, "kind = %s: %s runs %s only", kind_name(d->kind), v->name,
                 path == CLCONV_GEMM_IM2COL ? "Conv2d" : "ConvTranspose2d");
        return false;
    }
    const char *field = "";
    int value = 0;
    if (path == CLCONV_GEMM_1X1 && !clconv_gemm_is_1x1(p, &field, &value)) {
        snprintf(reason, reason_size,
                 "%s = %d: %s runs 1x1 kernels with stride 1 and no padding or output padding "
                 "only (gemm.%s lowers the others)",
                 field, value, v->name, d->kind == CLCONV_CONV2D ? "im2col" : "col2im");
        return false;
    }
    clconv_gemm_config *c = CLCONV_CONFIG(clconv_gemm_config, cfg);
    const bool lowered = path != CLCONV_GEMM_1X1;
    c->path = path;
    if (!clconv_gemm_plan_layout(p, lowered, workspace_limit, &c->layout)) {
        snprintf(reason, reason_size,
                 "workspace limit = %zu bytes: the smallest chunk of %s needs %zu%s "
                 "(clconv_context_set_workspace_limit)",
                 workspace_limit, v->name, clconv_gemm_least_limit(p, lowered),
                 (cl_ulong)workspace_limit >= dev->max_alloc_size
                     ? ", over the device's max allocation"
                     : "");
        return false;
    }
    cfg->workspace = c->layout.bytes;
    return true;
}

/* AUTO keeps 1x1 stride-1 unpadded layers on gemm.1x1 (its estimate has no lowering pass);
 * forcing the lowered variants there still works. */
static bool gemm_auto_domain(const clconv_variant *v, const clconv_problem *p,
                             const clconv_device_info *dev, const clconv_config *cfg, char *reason,
                             size_t reason_size)
{
    (void)dev;
    (void)cfg;
    if (v->param[0] != CLCONV_GEMM_1X1 && clconv_gemm_is_1x1(p, NULL, NULL)) {
        snprintf(reason, reason_size,
                 "kernel 1x1, stride 1, no padding: AUTO leaves it to gemm.1x1 (no lowering)");
        return false;
    }
    return true;
}

/* A GEMM dimension under the row's tile loses its share of it. */
static double tile_share(double x, double tile)
{
    return tile > 0 && x < tile ? x / tile : 1;
}

/* The products at the row's efficiency, each dimension under its tile losing its share; on
 * classes with a chain efficiency, bounded by one output's serial k loop too; each CLBlast
 * call launches launches_per_call kernels and costs call_seconds besides. The lowering writes
 * the column matrix once and reads it once, and a staged plan copies the output once more. */
static double gemm_estimate(const clconv_variant *v, const clconv_problem *p,
                            const clconv_device_info *dev, const clconv_config *cfg,
                            const clconv_calibration *cal)
{
    (void)v;
    const clconv_gemm_config *c = CLCONV_CONFIG_CONST(clconv_gemm_config, cfg);
    const clconv_desc *d = &p->desc;
    const bool conv = d->kind == CLCONV_CONV2D;
    const double kk = (double)d->kernel_h * d->kernel_w;
    const double macs = conv ? (double)p->output_count * p->cin_per_group * kk
                             : (double)p->input_count * p->cout_per_group * kk;
    /* per-group product: m x k times k x n, n the pixels of one image */
    const double rows = (double)clconv_gemm_col_rows(p);
    const double m = conv ? (double)p->cout_per_group : rows;
    const double k = conv ? rows : (double)p->cin_per_group;
    const double n = conv ? (double)p->out[2] * p->out[3] : (double)p->in[2] * p->in[3];
    const double eff = cal->efficiency * tile_share(m, cal->tile) * tile_share(k, cal->tile) *
                       tile_share(n, cal->tile);
    const double io = (double)(p->input_count + p->weight_count + p->output_count) * sizeof(float);
    const double calls = d->groups > 1 ? p->in[0] : 1;
    double seconds =
        clconv_model_variant_seconds(dev, cal, 2 * macs, eff, 2 * k, cal->chain_efficiency, io,
                                     calls * cal->launches_per_call) +
        calls * cal->call_seconds;
    if (c->path != CLCONV_GEMM_1X1)
        seconds += clconv_model_seconds(
            dev, 0, 1, 2 * clconv_gemm_row_bytes(p) * p->in[0] * (conv ? p->out[2] : p->in[2]), 1);
    if (c->layout.staged)
        seconds += clconv_model_seconds(dev, 0, 1, 2.0 * p->output_count * sizeof(float), 1);
    return seconds;
}

static void gemm_release(clconv_plan *plan)
{
    clconv_gemm_state *s = plan->state;
    if (!s)
        return;
    if (s->lower)
        clReleaseKernel(s->lower);
    if (s->finish)
        clReleaseKernel(s->finish);
    free(s);
    plan->state = NULL;
}

/* im2col's kernel, its scalar arguments and its launch over the largest chunk. */
static clconv_status prepare_im2col(clconv_plan *plan, clconv_gemm_state *s,
                                    const clconv_gemm_config *c)
{
    const clconv_problem *p = &plan->problem;
    const clconv_desc *d = &p->desc;
    char options[64];
    snprintf(options, sizeof options, "-D PAD_MODE=%d", (int)d->padding_mode);
    clconv_status st = clconv_create_kernel(plan->ctx, "im2col.cl", options, "im2col", &s->lower);
    if (st != CLCONV_SUCCESS)
        return st;
    clconv_kernel_args a;
    clconv_args_begin(&a, plan->ctx, s->lower);
    s->lower_buffer_slot[0] = clconv_arg_slot(&a, "in");
    s->lower_buffer_slot[1] = clconv_arg_slot(&a, "col");
    const int args[] = {p->in[1],      p->in[2],      p->in[3],         p->out[3],  d->kernel_h,
                        d->kernel_w,   d->stride_h,   d->stride_w,      d->pad_top, d->pad_left,
                        d->dilation_h, d->dilation_w, p->cin_per_group, d->groups};
    clconv_arg_ints(&a, "C, H, W, OW, kh, kw, sh, sw, pt, pl, dh, dw, cinpg, G", args,
                    sizeof args / sizeof args[0]);
    s->lower_chunk_slot = clconv_arg_slot(&a, "n0");
    clconv_arg_slot(&a, "y0");
    clconv_arg_slot(&a, "rows");
    clconv_arg_slot(&a, "nbg");
    if ((st = clconv_args_end(&a)) != CLCONV_SUCCESS)
        return st;
    s->lower_launch.dims = 3;
    s->lower_launch.global[0] = (size_t)c->layout.rows * p->out[3];
    s->lower_launch.global[1] = clconv_gemm_col_rows(p);
    s->lower_launch.global[2] = (size_t)c->layout.nb * d->groups;
    return clconv_launch_elementwise(plan->ctx, s->lower, &s->lower_launch);
}

/* col2im's kernel, its scalar arguments (the result's offset: the staging area or the output
 * itself) and its launch over the largest chunk. */
static clconv_status prepare_col2im(clconv_plan *plan, clconv_gemm_state *s,
                                    const clconv_gemm_config *c)
{
    const clconv_problem *p = &plan->problem;
    const clconv_desc *d = &p->desc;
    const bool no_overlap = d->dilation_h == 1 && d->dilation_w == 1 &&
                            d->kernel_h <= d->stride_h && d->kernel_w <= d->stride_w;
    char options[320], epilogue[256] = "";
    if (!c->layout.staged) /* staged, stage_finish applies it */
        clconv_epilogue_options(p, epilogue, sizeof epilogue);
    snprintf(options, sizeof options, "-D NO_OVERLAP=%d%s", no_overlap ? 1 : 0, epilogue);
    clconv_status st = clconv_create_kernel(plan->ctx, "col2im.cl", options, "col2im", &s->lower);
    if (st != CLCONV_SUCCESS)
        return st;
    clconv_kernel_args a;
    clconv_args_begin(&a, plan->ctx, s->lower);
    s->lower_buffer_slot[0] = clconv_arg_slot(&a, "col");
    s->lower_buffer_slot[1] = clconv_arg_slot(&a, "bias");
    s->lower_buffer_slot[2] = clconv_arg_slot(&a, "out");
    const int args[] = {p->out[1],   p->out[2],     p->out[3],     p->in[2],          p->in[3],
                        d->kernel_h, d->kernel_w,   d->stride_h,   d->stride_w,       d->pad_top,
                        d->pad_left, d->dilation_h, d->dilation_w, p->cout_per_group, d->bias != 0};
    clconv_arg_ints(&a, "K, OH, OW, H, W, kh, kw, sh, sw, pt, pl, dh, dw, coutpg, has_bias", args,
                    sizeof args / sizeof args[0]);
    clconv_arg_uint(&a, "out_off", c->layout.staged ? (cl_uint)c->layout.stage_off : 0);
    s->lower_chunk_slot = clconv_arg_slot(&a, "n0");
    clconv_arg_slot(&a, "oy0");
    clconv_arg_slot(&a, "orows");
    clconv_arg_slot(&a, "iy0");
    clconv_arg_slot(&a, "irows");
    clconv_arg_slot(&a, "nbk");
    s->lower_residual_slot = c->layout.staged ? CLCONV_NO_SLOT : clconv_arg_residual(&a, p);
    if ((st = clconv_args_end(&a)) != CLCONV_SUCCESS)
        return st;
    s->lower_launch.dims = 3;
    s->lower_launch.global[0] = (size_t)p->out[3];
    s->lower_launch.global[1] = (size_t)c->layout.rows;
    s->lower_launch.global[2] = (size_t)c->layout.nb * p->out[1];
    return clconv_launch_elementwise(plan->ctx, s->lower, &s->lower_launch);
}

/* stage_finish: the staged results (at the layout's offset) to the output, with the bias
 * unless col2im added it already. */
static clconv_status prepare_finish(clconv_plan *plan, clconv_gemm_state *s,
                                    const clconv_gemm_config *c)
{
    const clconv_problem *p = &plan->problem;
    char epilogue[256];
    clconv_epilogue_options(p, epilogue, sizeof epilogue);
    clconv_status st =
        clconv_create_kernel(plan->ctx, "stage_finish.cl", epilogue, "stage_finish", &s->finish);
    if (st != CLCONV_SUCCESS)
        return st;
    clconv_kernel_args a;
    clconv_args_begin(&a, plan->ctx, s->finish);
    s->finish_buffer_slot[0] = clconv_arg_slot(&a, "staged");
    clconv_arg_uint(&a, "off", (cl_uint)c->layout.stage_off);
    s->finish_buffer_slot[1] = clconv_arg_slot(&a, "bias");
    s->finish_buffer_slot[2] = clconv_arg_slot(&a, "out");
    const int has_bias = p->desc.bias && c->path != CLCONV_GEMM_COL2IM;
    const int args[] = {p->out[1], p->out[2] * p->out[3], p->out[0], has_bias};
    clconv_arg_ints(&a, "K, P, N, has_bias", args, 4);
    s->finish_residual_slot = clconv_arg_residual(&a, p);
    if ((st = clconv_args_end(&a)) != CLCONV_SUCCESS)
        return st;
    s->finish_launch.dims = 3;
    s->finish_launch.global[0] = (size_t)p->out[2] * p->out[3];
    s->finish_launch.global[1] = (size_t)p->out[1];
    s->finish_launch.global[2] = (size_t)p->out[0];
    return clconv_launch_elementwise(plan->ctx, s->finish, &s->finish_launch);
}

static clconv_status gemm_prepare(clconv_plan *plan)
{
    const clconv_gemm_config *c = CLCONV_CONFIG_CONST(clconv_gemm_config, &plan->config);
    clconv_gemm_state *s = calloc(1, sizeof *s);
    if (!s)
        return clconv_fail(plan->ctx, CLCONV_ERROR_OUT_OF_HOST_MEMORY, "GEMM plan state");
    plan->state = s;
    s->lower_residual_slot = s->finish_residual_slot = CLCONV_NO_SLOT;
    clconv_status st = CLCONV_SUCCESS;
    if (c->path == CLCONV_GEMM_IM2COL)
        st = prepare_im2col(plan, s, c);
    else if (c->path == CLCONV_GEMM_COL2IM)
        st = prepare_col2im(plan, s, c);
    if (st == CLCONV_SUCCESS && c->layout.staged)
        st = prepare_finish(plan, s, c);
    if (st != CLCONV_SUCCESS)
        gemm_release(plan);
    return st;
}

const clconv_variant_ops clconv_gemm_ops = {
    .applies = gemm_applies,
    .auto_domain = gemm_auto_domain,
    .estimate = gemm_estimate,
    .prepare = gemm_prepare,
    .enqueue = clconv_gemm_enqueue,
    .release = gemm_release,
};
