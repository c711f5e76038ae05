/* JSON writers of the ceilings (see peak.h). */
#include <string.h>

#include "tools/peak.h"

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
    fprintf(f, ",\n%s\"bandwidth_levels\": ", in);
    peak_write_levels(f, r);
    fprintf(f, ",\n%s\"sweep\": [", in);
    for (int i = 0; i < r->nsweep; i++)
        fprintf(f, "%s{\"bytes\": %.0f, \"gbps\": %.3f, \"passes\": %d}", i ? ", " : "",
                r->sweep[i].bytes, r->sweep[i].gbps, r->sweep[i].passes);
    fprintf(f,
            "],\n%s\"launch_floor\": {\"seconds\": %.9g, \"repeats\": %d, \"kernel\": "
            "\"empty, one work-item\", \"median_s\": %.9g}",
            in, r->launch_floor_s, r->launch_repeats, r->launch_median_s);
    fprintf(f, ",\n%s\"timing\": {\"mode\": \"%s\", \"check\": ", in, tool_timing_name(&r->timing));
    peak_json_string(f, r->timing.why);
    fprintf(f, "}");
    fprintf(f, ",\n%s\"theoretical\": {", in);
    if (r->has_theoretical_gflops) {
        /* an estimate below a measurement is wrong, not a ceiling */
        const int below = r->theoretical_gflops < r->f32.gflops;
        fprintf(f, "\"gflops_f32\": %.3f, \"estimate\": true, \"below_measured\": %s, ",
                r->theoretical_gflops, below ? "true" : "false");
    }
    fprintf(f, "\"basis\": ");
    peak_json_string(f, r->theoretical_basis);
    fprintf(f, "}");
    fprintf(f, ",\n%s\"launch\": {\"global_size\": %zu, \"local_size\": %zu}", in, r->global_size,
            r->local_size);
    fprintf(f, ",\n%s\"seconds\": %.3f", in, r->seconds);
}

void peak_write_levels(FILE *f, const peak_results *r)
{
    fputc('[', f);
    for (int i = 0; i < r->nlevels; i++) {
        fprintf(f, "%s{\"name\": ", i ? ", " : "");
        peak_json_string(f, r->levels[i].name);
        fprintf(f, ", \"bytes\": %.0f, \"gbps\": %.3f}", r->levels[i].bytes, r->levels[i].gbps);
    }
    fputc(']', f);
}
