/* Ceiling measurements (see peak.h), timed by OpenCL profiling events. */
#include "tools/peak.h"

#include <stdlib.h>
#include <string.h>

#include "src/kernels.h"
#include "tools/tool-util.h"

static const int widths[PEAK_WIDTHS] = {1, 2, 4, 8, 16};
#define PEAK_CHAINS 16 /* independent chains per work-item, as in cl/peak_flops.cl */

peak_options peak_default_options(void)
{
    peak_options o = {.budget_s = 0.4, .max_repeats = 10, .half = 1};
    return o;
}

peak_options peak_quick_options(void)
{
    peak_options o = {.budget_s = 0.12, .max_repeats = 4, .half = 0};
    return o;
}

/* One launch, its device time from the profiling event. Returns the cl error. */
static cl_int run_timed(cl_command_queue q, cl_kernel k, size_t global, size_t local, double *sec)
{
    cl_event ev;
    cl_int err = clEnqueueNDRangeKernel(q, k, 1, NULL, &global, &local, 0, NULL, &ev);
    if (err != CL_SUCCESS)
        return err;
    err = clWaitForEvents(1, &ev);
    *sec = 0;
    if (err == CL_SUCCESS)
        err = tool_event_seconds(ev, sec);
    clReleaseEvent(ev);
    return err;
}

/* Local size for a kernel: at most 256 (enough to fill a GPU's compute unit several times
 * over), within the kernel's and the device's limits. */
static size_t local_size_for(cl_kernel k, cl_device_id dev, const clconv_device_info *info)
{
    size_t local = info->max_work_group_size < 256 ? info->max_work_group_size : 256;
    size_t kmax = 0;
    if (clGetKernelWorkGroupInfo(k, dev, CL_KERNEL_WORK_GROUP_SIZE, sizeof kmax, &kmax, NULL) ==
            CL_SUCCESS &&
        kmax > 0 && kmax < local)
        local = kmax;
    if (local == 0)
        local = 1;
    return local;
}

static void measure_width(clconv_context *ctx, const peak_options *opt, int half, peak_width *w,
                          size_t *global_out, size_t *local_out)
{
    const clconv_device_info *info = NULL;
    clconv_device_info info_buf;
    clconv_context_get_device_info(ctx, &info_buf);
    info = &info_buf;
    cl_command_queue q = clconv_context_get_queue(ctx);
    char options[64];
    snprintf(options, sizeof options, "-D VW=%d%s", w->width, half ? " -D PEAK_HALF" : "");
    cl_kernel k = NULL;
    cl_mem out = NULL;
    if (clconv_create_kernel(ctx, "peak_flops.cl", options, "peak_flops", &k) != CLCONV_SUCCESS) {
        snprintf(w->note, sizeof w->note, "build failed: %.120s", clconv_context_last_error(ctx));
        return;
    }
    size_t local = local_size_for(k, clconv_context_get_device(ctx), info);
    /* several work-groups per compute unit so every unit stays busy */
    size_t global = (size_t)(info->compute_units ? info->compute_units : 1) * local * 8;
    cl_int err;
    out = clCreateBuffer(clconv_context_get_cl_context(ctx), CL_MEM_WRITE_ONLY,
                         global * sizeof(float), NULL, &err);
    if (!out) {
        snprintf(w->note, sizeof w->note, "clCreateBuffer failed (%d)", (int)err);
        goto done;
    }
    float a = 0.999f;
    int iters = 64;
    err = clSetKernelArg(k, 0, sizeof out, &out);
    err |= clSetKernelArg(k, 1, sizeof a, &a);
    err |= clSetKernelArg(k, 2, sizeof iters, &iters);
    double t = 0;
    /* warm-up: the first launch may include the driver's own compilation */
    if (err == CL_SUCCESS)
        err = run_timed(q, k, global, local, &t);
    /* calibrate the trip count so one launch takes about budget / max_repeats */
    const double target = opt->budget_s / (opt->max_repeats > 0 ? opt->max_repeats : 1);
    for (int step = 0; err == CL_SUCCESS && step < 8; step++) {
        err = run_timed(q, k, global, local, &t);
        if (err != CL_SUCCESS || t >= 0.5 * target)
            break;
        double scale = t > 0 ? target / t : 64;
        if (scale > 64)
            scale = 64;
        double next = iters * scale;
        if (next > (1 << 26))
            next = 1 << 26;
        if ((int)next <= iters)
            break;
        iters = (int)next;
        err = clSetKernelArg(k, 2, sizeof iters, &iters);
    }
    double samples[64];
    int n = 0;
    double spent = 0;
    const int max_rep = opt->max_repeats > 64 ? 64 : opt->max_repeats;
    while (err == CL_SUCCESS && n < max_rep && (n < 3 || spent < opt->budget_s)) {
        err = run_timed(q, k, global, local, &t);
        if (err == CL_SUCCESS && t > 0) {
            double flops = (double)global * iters * PEAK_CHAINS * w->width * 2.0;
            samples[n++] = flops / t * 1e-9;
            spent += t;
        }
    }
    if (err != CL_SUCCESS || n == 0) {
        snprintf(w->note, sizeof w->note, "kernel launch failed (%d)", (int)err);
        goto done;
    }
    qsort(samples, (size_t)n, sizeof samples[0], tool_cmp_double);
    w->ok = 1;
    w->gflops = samples[n - 1];
    w->median_gflops = n % 2 ? samples[n / 2] : 0.5 * (samples[n / 2 - 1] + samples[n / 2]);
    w->iters = iters;
    w->repeats = n;
    *global_out = global;
    *local_out = local;
done:
    if (out)
        clReleaseMemObject(out);
    if (k)
        clReleaseKernel(k);
}

static void measure_flops(clconv_context *ctx, const peak_options *opt, int half, int verbose,
                          peak_flops *pf, peak_results *r)
{
    pf->best_width = 0;
    for (int i = 0; i < PEAK_WIDTHS; i++) {
        peak_width *w = &pf->widths[i];
        memset(w, 0, sizeof *w);
        w->width = widths[i];
        size_t g = 0, l = 0;
        measure_width(ctx, opt, half, w, &g, &l);
        if (verbose) {
            if (w->ok)
                fprintf(stderr, "clconv-peak: %s width %2d: %8.2f GFLOP/s\n",
                        half ? "float16" : "float32", w->width, w->gflops);
            else
                fprintf(stderr, "clconv-peak: %s width %2d: %s\n", half ? "float16" : "float32",
                        w->width, w->note);
        }
        if (w->ok && w->gflops > pf->gflops) {
            pf->gflops = w->gflops;
            pf->best_width = w->width;
            if (!half) {
                r->global_size = g;
                r->local_size = l;
            }
        }
    }
    pf->measured = pf->best_width != 0;
    if (!pf->measured)
        snprintf(pf->note, sizeof pf->note, "no vector width ran: %.120s", pf->widths[0].note);
}

/* Best bandwidth of one kernel over the repeats, in GB/s (bytes_per_run / time). */
static int measure_bandwidth(clconv_context *ctx, const peak_options *opt, const char *name,
                             cl_mem in, cl_mem out, size_t global, size_t local, int per_item,
                             double bytes_per_run, double *gbps, int *repeats)
{
    cl_kernel k = NULL;
    clconv_device_info info;
    clconv_context_get_device_info(ctx, &info);
    /* CPUs: one stream per work-item (measured here: 10x the interleaved layout on PoCL) */
    const int contiguous = (info.type & CL_DEVICE_TYPE_CPU) != 0;
    if (clconv_create_kernel(ctx, "peak_bandwidth.cl", contiguous ? "-D CONTIGUOUS" : "", name,
                             &k) != CLCONV_SUCCESS)
        return -1;
    cl_command_queue q = clconv_context_get_queue(ctx);
    cl_int err = clSetKernelArg(k, 0, sizeof in, &in);
    err |= clSetKernelArg(k, 1, sizeof out, &out);
    err |= clSetKernelArg(k, 2, sizeof per_item, &per_item);
    double t = 0, spent = 0, best = 0;
    if (err == CL_SUCCESS)
        err = run_timed(q, k, global, local, &t); /* warm-up: first touch, driver compile */
    int n = 0;
    while (err == CL_SUCCESS && n < opt->max_repeats && (n < 3 || spent < opt->budget_s)) {
        err = run_timed(q, k, global, local, &t);
        if (err == CL_SUCCESS && t > 0) {
            double g = bytes_per_run / t * 1e-9;
            if (g > best)
                best = g;
            spent += t;
            n++;
        }
    }
    clReleaseKernel(k);
    *gbps = best;
    *repeats = n;
    return err == CL_SUCCESS && n > 0 ? 0 : -1;
}

int peak_measure(clconv_context *ctx, const peak_options *opt, int verbose, peak_results *r,
                 char *err, size_t err_size)
{
    memset(r, 0, sizeof *r);
    const double t_start = tool_now_s();
    clconv_device_info info;
    if (clconv_context_get_device_info(ctx, &info) != CLCONV_SUCCESS) {
        snprintf(err, err_size, "no device information");
        return -1;
    }
    if (!info.queue_profiling) {
        snprintf(err, err_size, "the queue has no profiling: ceilings need profiling events");
        return -1;
    }
    measure_flops(ctx, opt, 0, verbose, &r->f32, r);
    if (!r->f32.measured) {
        snprintf(err, err_size, "float32 peak: %s", r->f32.note);
        return -1;
    }
    if (!info.has_fp16)
        snprintf(r->f16.note, sizeof r->f16.note, "device has no cl_khr_fp16");
    else if (!opt->half)
        snprintf(r->f16.note, sizeof r->f16.note, "not requested");
    else
        measure_flops(ctx, opt, 1, verbose, &r->f16, r);

    /* Bandwidth: a buffer well beyond any last-level cache (256 MiB) where the device allows,
     * split into equal blocks per work-group. */
    const size_t vec_bytes = 16, local = r->local_size ? r->local_size : 64;
    const size_t global = (size_t)(info.compute_units ? info.compute_units : 1) * local * 16;
    size_t bytes = (size_t)256 << 20;
    if (info.max_alloc_size && bytes > info.max_alloc_size / 2)
        bytes = (size_t)(info.max_alloc_size / 2);
    if (info.global_mem_size && bytes > info.global_mem_size / 8)
        bytes = (size_t)(info.global_mem_size / 8);
    int per_item = (int)(bytes / (vec_bytes * global));
    if (per_item < 1) {
        snprintf(err, err_size, "device memory too small for the bandwidth test");
        return -1;
    }
    bytes = (size_t)per_item * vec_bytes * global;
    r->bandwidth_buffer_mib = (double)bytes / (1 << 20);
    cl_context cl = clconv_context_get_cl_context(ctx);
    cl_int e1, e2, e3;
    cl_mem in = clCreateBuffer(cl, CL_MEM_READ_ONLY, bytes, NULL, &e1);
    cl_mem out = clCreateBuffer(cl, CL_MEM_WRITE_ONLY, bytes, NULL, &e2);
    cl_mem sums = clCreateBuffer(cl, CL_MEM_WRITE_ONLY, global * sizeof(float), NULL, &e3);
    int rc = -1;
    if (!in || !out || !sums) {
        snprintf(err, err_size, "bandwidth buffers of %zu bytes: clCreateBuffer failed", bytes);
        goto done;
    }
    const float zero = 0.0f;
    if (clEnqueueFillBuffer(clconv_context_get_queue(ctx), in, &zero, sizeof zero, 0, bytes, 0,
                            NULL, NULL) != CL_SUCCESS ||
        clFinish(clconv_context_get_queue(ctx)) != CL_SUCCESS) {
        snprintf(err, err_size, "clEnqueueFillBuffer failed");
        goto done;
    }
    int rep_read = 0, rep_copy = 0;
    if (measure_bandwidth(ctx, opt, "peak_read", in, sums, global, local, per_item, (double)bytes,
                          &r->read_gbps, &rep_read) ||
        measure_bandwidth(ctx, opt, "peak_copy", in, out, global, local, per_item,
                          2.0 * (double)bytes, &r->copy_gbps, &rep_copy)) {
        snprintf(err, err_size, "bandwidth kernels failed: %s", clconv_context_last_error(ctx));
        goto done;
    }
    r->bandwidth_repeats = rep_read < rep_copy ? rep_read : rep_copy;
    if (verbose)
        fprintf(stderr, "clconv-peak: bandwidth read %.2f GB/s, copy %.2f GB/s (%.0f MiB)\n",
                r->read_gbps, r->copy_gbps, r->bandwidth_buffer_mib);

    /* Theoretical arithmetic peak: only for CPUs, where the native vector width is the SIMD
     * width; GPUs do not report their lanes per compute unit through OpenCL. */
    cl_uint native = 0;
    clGetDeviceInfo(clconv_context_get_device(ctx), CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT,
                    sizeof native, &native, NULL);
    if ((info.type & CL_DEVICE_TYPE_CPU) && info.max_clock_mhz && native) {
        r->has_theoretical_gflops = 1;
        r->theoretical_gflops =
            (double)info.compute_units * info.max_clock_mhz * 1e-3 * native * 2.0;
        snprintf(r->theoretical_basis, sizeof r->theoretical_basis,
                 "estimate: %u compute units x %u MHz x %u float lanes (native vector width) x 2 "
                 "(one FMA per lane per cycle); the FMA pipes per core and turbo clocks are "
                 "not reported",
                 info.compute_units, info.max_clock_mhz, native);
    } else {
        snprintf(r->theoretical_basis, sizeof r->theoretical_basis,
                 "not computable: the device does not report its lanes per compute unit "
                 "or its memory bus");
    }
    rc = 0;
done:
    if (in)
        clReleaseMemObject(in);
    if (out)
        clReleaseMemObject(out);
    if (sums)
        clReleaseMemObject(sums);
    r->seconds = tool_now_s() - t_start;
    return rc;
}

double peak_roof_gbps(const peak_results *r, const char **which)
{
    int copy = r->copy_gbps > r->read_gbps;
    if (which)
        *which = copy ? "copy" : "read";
    return copy ? r->copy_gbps : r->read_gbps;
}

void peak_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static const char *type_name(cl_device_type t)
{
    return (t & CL_DEVICE_TYPE_GPU)           ? "gpu"
           : (t & CL_DEVICE_TYPE_CPU)         ? "cpu"
           : (t & CL_DEVICE_TYPE_ACCELERATOR) ? "accelerator"
                                              : "other";
}

void peak_write_device(FILE *f, const clconv_device_info *d, const char *in)
{
    fprintf(f, "{\n%s  \"platform\": ", in);
    peak_json_string(f, d->platform_name);
    fprintf(f, ",\n%s  \"platform_version\": ", in);
    peak_json_string(f, d->platform_version);
    fprintf(f, ",\n%s  \"name\": ", in);
    peak_json_string(f, d->device_name);
    fprintf(f, ",\n%s  \"vendor\": ", in);
    peak_json_string(f, d->vendor);
    fprintf(f, ",\n%s  \"driver_version\": ", in);
    peak_json_string(f, d->driver_version);
    fprintf(f, ",\n%s  \"device_version\": ", in);
    peak_json_string(f, d->device_version);
    fprintf(f,
            ",\n%s  \"type\": \"%s\",\n%s  \"compute_units\": %u,\n%s  \"max_clock_mhz\": %u,\n"
            "%s  \"max_work_group_size\": %zu,\n%s  \"global_mem_bytes\": %llu,\n"
            "%s  \"local_mem_bytes\": %llu,\n%s  \"local_mem_dedicated\": %s,\n"
            "%s  \"fp16\": %s,\n%s  \"fp64\": %s,\n%s  \"clconv_version\": \"%s\"\n%s}",
            in, type_name(d->type), in, d->compute_units, in, d->max_clock_mhz, in,
            d->max_work_group_size, in, (unsigned long long)d->global_mem_size, in,
            (unsigned long long)d->local_mem_size, in, d->local_mem_dedicated ? "true" : "false",
            in, d->has_fp16 ? "true" : "false", in, d->has_fp64 ? "true" : "false", in,
            CLCONV_VERSION_STRING, in);
}

static void write_flops(FILE *f, const peak_flops *pf, const char *in)
{
    if (!pf->measured) {
        fprintf(f, "{\"measured\": false, \"note\": ");
        peak_json_string(f, pf->note);
        fputc('}', f);
        return;
    }
    fprintf(f, "{\n%s  \"measured\": true,\n%s  \"gflops\": %.3f,\n%s  \"best_width\": %d,\n", in,
            in, pf->gflops, in, pf->best_width);
    fprintf(f, "%s  \"chains_per_work_item\": %d,\n%s  \"widths\": [", in, PEAK_CHAINS, in);
    for (int i = 0; i < PEAK_WIDTHS; i++) {
        const peak_width *w = &pf->widths[i];
        fprintf(f, "%s\n%s    {\"width\": %d, ", i ? "," : "", in, w->width);
        if (w->ok)
            fprintf(f, "\"gflops\": %.3f, \"median_gflops\": %.3f, \"iters\": %d, \"repeats\": %d}",
                    w->gflops, w->median_gflops, w->iters, w->repeats);
        else {
            fprintf(f, "\"gflops\": null, \"error\": ");
            peak_json_string(f, w->note);
            fputc('}', f);
        }
    }
    fprintf(f, "\n%s  ]\n%s}", in, in);
}

void peak_write_ceilings(FILE *f, const peak_results *r, const char *in)
{
    fprintf(f, "%s\"flops_f32\": ", in);
    write_flops(f, &r->f32, in);
    fprintf(f, ",\n%s\"flops_f16\": ", in);
    write_flops(f, &r->f16, in);
    const char *which;
    double roof = peak_roof_gbps(r, &which);
    fprintf(f,
            ",\n%s\"bandwidth\": {\n%s  \"read_gbps\": %.3f,\n%s  \"copy_gbps\": %.3f,\n"
            "%s  \"copy_counts\": \"bytes read + bytes written\",\n"
            "%s  \"buffer_mib\": %.1f,\n%s  \"repeats\": %d\n%s}",
            in, in, r->read_gbps, in, r->copy_gbps, in, in, r->bandwidth_buffer_mib, in,
            r->bandwidth_repeats, in);
    fprintf(f,
            ",\n%s\"roof\": {\"gflops\": %.3f, \"gbps\": %.3f, \"gbps_from\": \"%s\", "
            "\"ridge_flops_per_byte\": %.4f}",
            in, r->f32.gflops, roof, which, roof > 0 ? r->f32.gflops / roof : 0.0);
    fprintf(f, ",\n%s\"theoretical\": {", in);
    if (r->has_theoretical_gflops)
        fprintf(f, "\"gflops_f32\": %.3f, \"estimate\": true, ", r->theoretical_gflops);
    fprintf(f, "\"basis\": ");
    peak_json_string(f, r->theoretical_basis);
    fprintf(f, "}");
    fprintf(f, ",\n%s\"launch\": {\"global_size\": %zu, \"local_size\": %zu}", in, r->global_size,
            r->local_size);
    fprintf(f, ",\n%s\"seconds\": %.3f", in, r->seconds);
}
