/* The memory levels (a read-bandwidth sweep over working sets, grouped into plateaus) and the
 * launch floor (an empty kernel), see peak.h. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tools/peak.h"

#define SWEEP_FIRST_BYTES ((size_t)16 << 10)
#define PLATEAU_TOLERANCE 1.3 /* bandwidth ratio within which points share a plateau */
#define LAUNCH_REPEATS 31
#define MAX_PASSES (1 << 20)

static double median_of(double *v, int n)
{
    qsort(v, (size_t)n, sizeof v[0], tool_cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int peak_find_levels(const peak_sweep_point *sweep, int n, peak_level *levels, int max)
{
    if (n > PEAK_SWEEP_MAX)
        n = PEAK_SWEEP_MAX;
    /* the envelope: a working set gets at least what any larger one got (small sets on CPUs
     * are held back by loop overhead, not by a cache) */
    double env[PEAK_SWEEP_MAX];
    for (int i = n - 1; i >= 0; i--)
        env[i] = i + 1 < n && env[i + 1] > sweep[i].gbps ? env[i + 1] : sweep[i].gbps;
    /* plateau g spans [first[g], last[g]]; the envelope does not rise, so a point joins while
     * it stays within the tolerance of the plateau's first (highest) point */
    int first[PEAK_SWEEP_MAX], last[PEAK_SWEEP_MAX], groups = 0;
    for (int i = 0; i < n; i++) {
        if (groups > 0 && env[i] * PLATEAU_TOLERANCE >= env[first[groups - 1]]) {
            last[groups - 1] = i;
            continue;
        }
        first[groups] = last[groups] = i;
        groups++;
    }
    int out = 0;
    for (int g = 0; g < groups && out < max; g++) {
        /* one point between two resolved plateaus is the transition between them */
        const bool single = first[g] == last[g], inner = g > 0 && g + 1 < groups;
        if (single && inner && last[g - 1] > first[g - 1] && last[g + 1] > first[g + 1])
            continue;
        levels[out].bytes = sweep[last[g]].bytes;
        levels[out].gbps = env[first[g]];
        out++;
    }
    for (int i = 0; i < out; i++)
        snprintf(levels[i].name, sizeof levels[i].name, i + 1 == out ? "DRAM" : "L%d", i + 1);
    return out;
}

/* Best read bandwidth over a working set of n_vec float4 vectors: passes calibrated so one
 * launch takes about budget / max_repeats. */
static cl_int sweep_point(cl_command_queue q, cl_kernel k, size_t global, size_t local,
                          size_t n_vec, const peak_options *opt, const tool_timing *timing,
                          peak_sweep_point *p)
{
    int per_item = (int)(n_vec / global), passes = 1;
    cl_int err = clSetKernelArg(k, 2, sizeof per_item, &per_item);
    err |= clSetKernelArg(k, 3, sizeof passes, &passes);
    double t = 0;
    if (err == CL_SUCCESS)
        err = peak_run_timed(q, k, global, local, timing, &t); /* warm-up: into the caches */
    const double target = opt->budget_s / 4 / (opt->max_repeats > 0 ? opt->max_repeats : 1);
    for (int step = 0; err == CL_SUCCESS && step < 8 && t < 0.5 * target; step++) {
        double scale = t > 0 ? target / t : 64;
        int next = (int)(passes * (scale > 64 ? 64 : scale));
        if (next > MAX_PASSES)
            next = MAX_PASSES;
        if (next <= passes)
            break;
        passes = next;
        err = clSetKernelArg(k, 3, sizeof passes, &passes);
        if (err == CL_SUCCESS)
            err = peak_run_timed(q, k, global, local, timing, &t);
    }
    const double bytes = (double)global * per_item * 16;
    double best = 0, spent = 0;
    for (int n = 0;
         err == CL_SUCCESS && n < opt->max_repeats && (n < 3 || spent < opt->budget_s / 4); n++) {
        err = peak_run_timed(q, k, global, local, timing, &t);
        if (err == CL_SUCCESS && t > 0 && bytes * passes / t * 1e-9 > best)
            best = bytes * passes / t * 1e-9;
        spent += t;
    }
    p->bytes = bytes;
    p->gbps = best;
    p->passes = passes;
    return err;
}

static int measure_sweep(clconv_context *ctx, const peak_options *opt, cl_program program,
                         int verbose, peak_results *r, char *err, size_t err_size)
{
    clconv_device_info info;
    clconv_context_get_device_info(ctx, &info);
    size_t max_bytes = (size_t)opt->sweep_max_bytes;
    if (info.max_alloc_size && max_bytes > info.max_alloc_size / 2)
        max_bytes = (size_t)(info.max_alloc_size / 2);
    if (info.global_mem_size && max_bytes > info.global_mem_size / 8)
        max_bytes = (size_t)(info.global_mem_size / 8);
    const size_t local = r->local_size ? r->local_size : 64;
    const size_t full = (size_t)(info.compute_units ? info.compute_units : 1) * local * 4;
    cl_context cl = clconv_context_get_cl_context(ctx);
    cl_command_queue q = clconv_context_get_queue(ctx);
    cl_int e1 = CL_SUCCESS, e2 = CL_SUCCESS;
    cl_mem in = clCreateBuffer(cl, CL_MEM_READ_ONLY, max_bytes, NULL, &e1);
    cl_mem sums = clCreateBuffer(cl, CL_MEM_WRITE_ONLY, full * sizeof(float), NULL, &e2);
    cl_kernel k = NULL;
    int rc = -1;
    const float zero = 0.0f;
    if (!in || !sums ||
        clEnqueueFillBuffer(q, in, &zero, sizeof zero, 0, max_bytes, 0, NULL, NULL) != CL_SUCCESS ||
        clFinish(q) != CL_SUCCESS) {
        snprintf(err, err_size, "sweep buffer of %zu bytes: allocation or fill failed", max_bytes);
        goto done;
    }
    k = clCreateKernel(program, "peak_read_sweep", &e1);
    if (!k || clSetKernelArg(k, 0, sizeof in, &in) != CL_SUCCESS ||
        clSetKernelArg(k, 1, sizeof sums, &sums) != CL_SUCCESS) {
        snprintf(err, err_size, "peak_read_sweep: kernel setup failed (%d)", (int)e1);
        goto done;
    }
    const int factor = opt->sweep_factor >= 2 ? opt->sweep_factor : 2;
    r->nsweep = 0;
    for (size_t bytes = SWEEP_FIRST_BYTES; bytes <= max_bytes && r->nsweep < PEAK_SWEEP_MAX;
         bytes *= (size_t)factor) {
        const size_t n_vec = bytes / 16;
        /* fewer work-items than the device holds for small sets: whole groups, >= 1 vector each */
        size_t global = full;
        while (global > local && global > n_vec)
            global /= 2;
        global = global / local * local;
        if (global == 0 || n_vec < global)
            continue;
        peak_sweep_point *p = &r->sweep[r->nsweep];
        cl_int e = sweep_point(q, k, global, local, n_vec, opt, &r->timing, p);
        if (e != CL_SUCCESS) {
            snprintf(err, err_size, "peak_read_sweep at %zu bytes: launch failed (%d)", bytes,
                     (int)e);
            goto done;
        }
        if (verbose)
            fprintf(stderr, "clconv-peak: sweep %10.0f KiB: %9.2f GB/s\n", p->bytes / 1024,
                    p->gbps);
        r->nsweep++;
    }
    r->nlevels = peak_find_levels(r->sweep, r->nsweep, r->levels, PEAK_LEVELS_MAX);
    rc = 0;
done:
    if (k)
        clReleaseKernel(k);
    if (in)
        clReleaseMemObject(in);
    if (sums)
        clReleaseMemObject(sums);
    return rc;
}

/* Fastest and median time of an empty kernel timed as clconv-bench times a run: from a marker just
 * before it to its end (events), or enqueue to clFinish on the host clock. */
static int measure_launch(clconv_context *ctx, cl_program program, peak_results *r, char *err,
                          size_t err_size)
{
    cl_int e;
    cl_kernel k = clCreateKernel(program, "peak_empty", &e);
    if (!k) {
        snprintf(err, err_size, "peak_empty: clCreateKernel failed (%d)", (int)e);
        return -1;
    }
    cl_command_queue q = clconv_context_get_queue(ctx);
    double samples[LAUNCH_REPEATS];
    int n = 0;
    const size_t one = 1;
    for (int i = -1; i < LAUNCH_REPEATS; i++) { /* i = -1: warm-up */
        cl_event marker = NULL, done = NULL;
        const bool host = r->timing.mode == TOOL_TIMING_HOST;
        const double t0 = tool_now_s();
        e = host ? CL_SUCCESS : clEnqueueMarkerWithWaitList(q, 0, NULL, &marker);
        if (e == CL_SUCCESS)
            e = clEnqueueNDRangeKernel(q, k, 1, NULL, &one, &one, 0, NULL, host ? NULL : &done);
        if (e == CL_SUCCESS)
            e = clFinish(q);
        const double host_s = tool_now_s() - t0;
        if (e == CL_SUCCESS && i >= 0)
            samples[n++] = host ? host_s : tool_span_seconds(marker, done);
        if (marker)
            clReleaseEvent(marker);
        if (done)
            clReleaseEvent(done);
        if (e != CL_SUCCESS)
            break;
    }
    clReleaseKernel(k);
    if (e != CL_SUCCESS || n == 0) {
        snprintf(err, err_size, "peak_empty: launch failed (%d)", (int)e);
        return -1;
    }
    /* a floor is a lower bound: the fastest launch; the median says how far noise lifts it */
    r->launch_median_s = median_of(samples, n);
    r->launch_floor_s = samples[0];
    r->launch_repeats = n;
    return 0;
}

int peak_measure_levels(clconv_context *ctx, const peak_options *opt, int verbose, peak_results *r,
                        char *err, size_t err_size)
{
    clconv_device_info info;
    clconv_context_get_device_info(ctx, &info);
    const bool contiguous = (info.type & CL_DEVICE_TYPE_CPU) != 0;
    char why[1024];
    cl_program program = peak_build_program(ctx, "peak_bandwidth.cl",
                                            contiguous ? "-D CONTIGUOUS" : "", why, sizeof why);
    if (!program) {
        snprintf(err, err_size, "%.400s", why);
        return -1;
    }
    int rc = measure_sweep(ctx, opt, program, verbose, r, err, err_size);
    if (rc == 0)
        rc = measure_launch(ctx, program, r, err, err_size);
    if (rc == 0 && verbose) {
        for (int i = 0; i < r->nlevels; i++)
            fprintf(stderr, "clconv-peak: level %-4s up to %10.0f KiB: %9.2f GB/s\n",
                    r->levels[i].name, r->levels[i].bytes / 1024, r->levels[i].gbps);
        fprintf(stderr, "clconv-peak: launch floor %.2f us (%s)\n", r->launch_floor_s * 1e6,
                tool_timing_name(&r->timing));
    }
    clReleaseProgram(program);
    return rc;
}
