/* clconv-bench: CLBlast's convgemm as the baseline (Conv2d, groups 1, symmetric zeros
 * padding, float32), where clconv-bench was built with CLBlast. */
#include <stdio.h>

#include "tools/bench.h"

#ifdef CLCONV_BENCH_CLBLAST
#include <clblast_c.h>
#endif

const char *baseline_unsupported(const clconv_desc *d)
{
    if (d->kind != CLCONV_CONV2D)
        return "convgemm: Conv2d only";
    if (d->groups != 1)
        return "convgemm: groups must be 1";
    if (d->padding_mode != CLCONV_PADDING_ZEROS)
        return "convgemm: zeros padding only";
    if (d->pad_top != d->pad_bottom || d->pad_left != d->pad_right)
        return "convgemm: symmetric padding only";
    if (d->dtype != CLCONV_FLOAT32)
        return "convgemm: float32 only here";
    if (d->activation != CLCONV_ACTIVATION_NONE || d->residual)
        return "convgemm: no fused epilogue";
    return NULL;
}

#ifdef CLCONV_BENCH_CLBLAST
typedef struct convgemm_run {
    const layer_spec *L;
    layer_data *d;
    cl_command_queue queue;
} convgemm_run;

static int convgemm_fn(void *arg, cl_event *event, char *err, size_t n)
{
    convgemm_run *c = arg;
    const clconv_desc *ds = &c->L->desc;
    const int *in = c->L->input;
    CLBlastStatusCode s = CLBlastSconvgemm(
        CLBlastKernelModeCrossCorrelation, (size_t)in[1], (size_t)in[2], (size_t)in[3],
        (size_t)ds->kernel_h, (size_t)ds->kernel_w, (size_t)ds->pad_top, (size_t)ds->pad_left,
        (size_t)ds->stride_h, (size_t)ds->stride_w, (size_t)ds->dilation_h, (size_t)ds->dilation_w,
        (size_t)ds->out_channels, (size_t)in[0], c->d->d_in, 0, c->d->d_w, 0, c->d->d_out, 0,
        &c->queue, event);
    if (s != CLBlastSuccess) {
        snprintf(err, n, "CLBlastSconvgemm returned %d", (int)s);
        return -1;
    }
    return 0;
}
#endif

void baseline_warm_up(bench_state *st, const layer_spec *L, layer_data *d)
{
#ifdef CLCONV_BENCH_CLBLAST
    char err[512];
    cl_event ev = NULL;
    convgemm_run c = {.L = L, .d = d, .queue = clconv_context_get_queue(st->ctx)};
    if (convgemm_fn(&c, &ev, err, sizeof err) == 0 && ev) {
        clWaitForEvents(1, &ev);
        clReleaseEvent(ev);
    }
#else
    (void)st;
    (void)L;
    (void)d;
#endif
}

void run_baseline(bench_state *st, const layer_spec *L, layer_data *d)
{
    if (!st->baseline_available)
        return;
    const char *why = baseline_unsupported(&L->desc);
    if (why) {
        add_skip(st, L, "clblast-convgemm", why);
        return;
    }
#ifdef CLCONV_BENCH_CLBLAST
    char err[512];
    convgemm_run c = {.L = L, .d = d, .queue = clconv_context_get_queue(st->ctx)};
    row tmp = {0};
    if (st->opt.verify && poison_output(st, L, d)) {
        add_skip(st, L, "clblast-convgemm", "clEnqueueFillBuffer on the output failed");
        return;
    }
    if (time_runs(st, convgemm_fn, &c, &tmp, err, sizeof err)) {
        add_skip(st, L, "clblast-convgemm", err);
        return;
    }
    row *r = add_row(st);
    if (!r)
        return;
    r->layer = L;
    r->mode = "baseline";
    snprintf(r->algo, sizeof r->algo, "clblast-convgemm");
    r->median_s = tmp.median_s;
    r->min_s = tmp.min_s;
    r->repeats = tmp.repeats;
    r->timing = tmp.timing;
    if (L->desc.bias)
        snprintf(r->note, sizeof r->note, "convgemm adds no bias: timed without it");
    clconv_count_ops(&L->desc, L->input, &r->ops);
    r->executed_flops = r->ops.flops; /* convgemm: im2col + GEMM over every tap, as counted */
    finish_row(st, r);
    verify_row(st, L, d, r, true);
#else
    (void)d;
#endif
}

void baseline_init(bench_state *st)
{
#ifdef CLCONV_BENCH_CLBLAST
    st->baseline_available = st->opt.baseline;
    snprintf(st->baseline_note, sizeof st->baseline_note, "%s",
             st->opt.baseline ? "CLBlast convgemm (CLBlastSconvgemm, cross-correlation mode)"
                              : "disabled by --no-baseline");
#else
    snprintf(st->baseline_note, sizeof st->baseline_note,
             "clconv-bench was built without CLBlast: no baseline rows");
#endif
}
