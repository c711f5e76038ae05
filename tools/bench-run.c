/* clconv-bench: rows and skips, timing, one algorithm's run. Device time of one run: from the
 * start of a marker enqueued just before the run to the end of the run's event, so runs made
 * of several kernels are timed whole (the returned event alone can be a last, tiny command:
 * measured 0.1 us against 300 us for a GEMM run). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/variant.h" /* clconv_plan_executed_flops */
#include "tools/bench.h"
#include "tools/tool-util.h"

row *add_row(bench_state *st)
{
    if (st->nrows == st->cap_rows) {
        size_t cap = st->cap_rows ? 2 * st->cap_rows : 64;
        row *r = realloc(st->rows, cap * sizeof *r);
        if (!r)
            return NULL;
        st->rows = r;
        st->cap_rows = cap;
    }
    row *r = &st->rows[st->nrows++];
    memset(r, 0, sizeof *r);
    r->verified = -1;
    return r;
}

void add_skip(bench_state *st, const layer_spec *L, const char *algo, const char *reason)
{
    if (st->nskips == st->cap_skips) {
        size_t cap = st->cap_skips ? 2 * st->cap_skips : 64;
        skip *s = realloc(st->skips, cap * sizeof *s);
        if (!s)
            return;
        st->skips = s;
        st->cap_skips = cap;
    }
    skip *s = &st->skips[st->nskips++];
    s->layer = L;
    snprintf(s->algo, sizeof s->algo, "%.31s", algo);
    snprintf(s->reason, sizeof s->reason, "%.511s", reason);
}

void finish_row(const bench_state *st, row *r)
{
    const double t = r->median_s;
    r->gflops = t > 0 ? (double)r->ops.flops / t * 1e-9 : 0;
    r->gbps = t > 0 ? (double)r->ops.bytes / t * 1e-9 : 0;
    const double mem_roof = st->ceil.gbps * r->ops.intensity;
    r->roof_gflops = mem_roof < st->ceil.gflops ? mem_roof : st->ceil.gflops;
    r->bound = r->ops.intensity >= st->ceil.ridge ? "compute" : "memory";
    r->roof_pct = r->roof_gflops > 0 ? 100.0 * r->gflops / r->roof_gflops : 0;
    r->exceeds_roof = r->gflops > r->roof_gflops;
}

int time_runs(bench_state *st, enqueue_fn fn, void *arg, row *r, char *err, size_t n)
{
    cl_command_queue q = clconv_context_get_queue(st->ctx);
    double samples[256];
    const int reps = st->opt.repeats < 256 ? st->opt.repeats : 256;
    const bool host = st->timing.mode == TOOL_TIMING_HOST;
    for (int i = -1; i < reps; i++) {
        cl_event marker = NULL, done = NULL;
        const double t0 = tool_now_s();
        if (!host && clEnqueueMarkerWithWaitList(q, 0, NULL, &marker) != CL_SUCCESS) {
            snprintf(err, n, "clEnqueueMarkerWithWaitList failed");
            return -1;
        }
        int rc = fn(arg, &done, err, n);
        clFlush(q);
        if (rc == 0 && host && clFinish(q) != CL_SUCCESS) {
            snprintf(err, n, "clFinish failed");
            rc = -1;
        }
        const double host_s = tool_now_s() - t0;
        if (rc == 0 && done && clWaitForEvents(1, &done) != CL_SUCCESS) {
            snprintf(err, n, "clWaitForEvents failed");
            rc = -1;
        }
        if (rc == 0 && !done) {
            snprintf(err, n, "the run returned no event");
            rc = -1;
        }
        if (rc == 0 && i >= 0) /* run -1 is the warm-up */
            samples[i] = host ? host_s : tool_span_seconds(marker, done);
        if (marker)
            clReleaseEvent(marker);
        if (done)
            clReleaseEvent(done);
        if (rc)
            return rc;
    }
    qsort(samples, (size_t)reps, sizeof samples[0], tool_cmp_double);
    r->repeats = reps;
    r->timing = tool_timing_name(&st->timing);
    r->min_s = samples[0];
    r->median_s = reps % 2 ? samples[reps / 2] : 0.5 * (samples[reps / 2 - 1] + samples[reps / 2]);
    return 0;
}

typedef struct plan_run {
    clconv_plan *plan;
    layer_data *d;
    cl_mem workspace;
    clconv_context *ctx;
    bool weights_set; /* the plan holds the weights: enqueues pass none */
} plan_run;

static int plan_enqueue_fn(void *arg, cl_event *event, char *err, size_t n)
{
    plan_run *p = arg;
    const clconv_buffers b = {.input = p->d->d_in,
                              .weight = p->weights_set ? NULL : p->d->d_w,
                              .bias = p->weights_set ? NULL : p->d->d_b,
                              .residual = p->d->d_res,
                              .output = p->d->d_out,
                              .workspace = p->workspace};
    if (clconv_plan_enqueue_buffers(p->plan, NULL, &b, 0, NULL, event) != CLCONV_SUCCESS) {
        snprintf(err, n, "%s", clconv_context_last_error(p->ctx));
        return -1;
    }
    return 0;
}

void run_algo(bench_state *st, const layer_spec *L, layer_data *d, clconv_algo algo)
{
    char err[512];
    clconv_plan *plan = NULL;
    clconv_status s = clconv_plan_create(st->ctx, &L->desc, L->input, algo, &plan);
    if (s != CLCONV_SUCCESS) {
        snprintf(err, sizeof err, "%s: %s", clconv_status_name(s),
                 clconv_context_last_error(st->ctx));
        add_skip(st, L, clconv_algo_name(algo), err);
        return;
    }
    plan_run pr = {.plan = plan, .d = d, .ctx = st->ctx};
    if (st->opt.constant_weights) {
        s = clconv_plan_set_weights(plan, d->d_w, d->d_b);
        if (s != CLCONV_SUCCESS) {
            snprintf(err, sizeof err, "clconv_plan_set_weights: %s: %s", clconv_status_name(s),
                     clconv_context_last_error(st->ctx));
            add_skip(st, L, clconv_algo_name(algo), err);
            clconv_plan_destroy(plan);
            return;
        }
        pr.weights_set = true;
    }
    size_t ws = clconv_plan_get_workspace_size(plan);
    if (ws) {
        cl_int e;
        pr.workspace =
            clCreateBuffer(clconv_context_get_cl_context(st->ctx), CL_MEM_READ_WRITE, ws, NULL, &e);
        if (!pr.workspace) {
            snprintf(err, sizeof err, "workspace of %zu bytes: clCreateBuffer failed (%d)", ws,
                     (int)e);
            add_skip(st, L, clconv_algo_name(algo), err);
            clconv_plan_destroy(plan);
            return;
        }
    }
    row tmp = {0};
    if (st->opt.verify && poison_output(st, L, d)) {
        add_skip(st, L, clconv_algo_name(algo), "clEnqueueFillBuffer on the output failed");
    } else if (time_runs(st, plan_enqueue_fn, &pr, &tmp, err, sizeof err)) {
        add_skip(st, L, clconv_algo_name(algo), err);
    } else {
        row *r = add_row(st);
        if (r) {
            double med = tmp.median_s, mn = tmp.min_s;
            int reps = tmp.repeats;
            r->layer = L;
            r->mode = algo == CLCONV_ALGO_AUTO ? "auto" : "forced";
            snprintf(r->algo, sizeof r->algo, "%s", clconv_algo_name(clconv_plan_get_algo(plan)));
            snprintf(r->variant, sizeof r->variant, "%s", clconv_plan_get_variant_name(plan));
            r->median_s = med;
            r->min_s = mn;
            r->repeats = reps;
            r->timing = tmp.timing;
            clconv_count_ops(&L->desc, L->input, &r->ops);
            r->executed_reported = clconv_plan_executed_flops(plan, &r->executed_flops);
            if (!r->executed_reported)
                r->executed_flops = r->ops.flops;
            finish_row(st, r);
            verify_row(st, L, d, r, false);
        }
    }
    if (pr.workspace)
        clReleaseMemObject(pr.workspace);
    clconv_plan_destroy(plan);
}
