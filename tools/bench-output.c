/* clconv-bench: the rows as JSON, CSV or a table on stdout. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tools/bench.h"

static void json_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.9g", v);
    else
        fputs("null", f);
}

static void write_json_row(FILE *f, const row *r)
{
    const layer_spec *L = r->layer;
    const clconv_desc *d = &L->desc;
    char params[512];
    layer_spec_format(L, params, sizeof params);
    fprintf(f, "    {\"name\": ");
    peak_json_string(f, L->name);
    fprintf(f, ", \"suite\": ");
    peak_json_string(f, L->suite);
    fprintf(f, ", \"kind\": \"%s\", \"params\": ", layer_kind_name(d->kind));
    peak_json_string(f, params);
    fprintf(f,
            ",\n     \"shape\": {\"n\": %d, \"c\": %d, \"h\": %d, \"w\": %d, \"oc\": %d, "
            "\"kh\": %d, \"kw\": %d, \"sh\": %d, \"sw\": %d, \"pad\": [%d, %d, %d, %d], "
            "\"dh\": %d, \"dw\": %d, \"groups\": %d, \"oph\": %d, \"opw\": %d, \"bias\": %d, "
            "\"padding_mode\": \"%s\", \"dtype\": \"%s\"},\n",
            L->input[0], L->input[1], L->input[2], L->input[3], d->out_channels, d->kernel_h,
            d->kernel_w, d->stride_h, d->stride_w, d->pad_top, d->pad_bottom, d->pad_left,
            d->pad_right, d->dilation_h, d->dilation_w, d->groups, d->output_padding_h,
            d->output_padding_w, d->bias ? 1 : 0, layer_mode_name(d->padding_mode),
            layer_dtype_name(d->dtype));
    fprintf(f,
            "     \"mode\": \"%s\", \"algo\": \"%s\", \"timing\": \"%s\", \"variant\": ", r->mode,
            r->algo, r->timing ? r->timing : "events");
    if (r->variant[0])
        peak_json_string(f, r->variant);
    else
        fputs("null", f);
    fprintf(f, ", \"median_s\": ");
    json_num(f, r->median_s);
    fprintf(f, ", \"min_s\": ");
    json_num(f, r->min_s);
    fprintf(f,
            ", \"repeats\": %d, \"macs\": %llu, \"flops\": %llu, \"bytes\": %llu, "
            "\"intensity\": ",
            r->repeats, (unsigned long long)r->ops.macs, (unsigned long long)r->ops.flops,
            (unsigned long long)r->ops.bytes);
    json_num(f, r->ops.intensity);
    fprintf(f, ", \"executed_flops\": %llu, \"executed_from\": \"%s\"",
            (unsigned long long)r->executed_flops, r->executed_reported ? "variant" : "counted");
    fprintf(f, ",\n     \"gflops\": ");
    json_num(f, r->gflops);
    fprintf(f, ", \"gbps\": ");
    json_num(f, r->gbps);
    fprintf(f, ", \"roof_gflops\": ");
    json_num(f, r->roof_gflops);
    fprintf(f, ", \"roof_pct\": ");
    json_num(f, r->roof_pct);
    fprintf(f, ", \"bound\": \"%s\", \"exceeds_roof\": %s, \"verified\": %s", r->bound,
            r->exceeds_roof ? "true" : "false",
            r->verified < 0 ? "null"
            : r->verified   ? "true"
                            : "false");
    if (r->verified >= 0) {
        fprintf(f, ", \"verify_error_ratio\": ");
        json_num(f, r->verify_ratio);
    }
    if (r->note[0]) {
        fprintf(f, ", \"note\": ");
        peak_json_string(f, r->note);
    }
    fprintf(f, "}");
}

int write_json(const bench_state *st, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "{\n  \"tool\": \"clconv-bench\",\n  \"device\": ");
    peak_write_device(f, &st->info, "  ");
    fprintf(f, ",\n  \"ceilings\": {\n    \"source\": \"%s\",\n    \"gflops\": ", st->ceil.source);
    json_num(f, st->ceil.gflops);
    fprintf(f, ",\n    \"gbps\": ");
    json_num(f, st->ceil.gbps);
    fprintf(f, ",\n    \"gbps_from\": \"%s\",\n    \"ridge_flops_per_byte\": ", st->ceil.gbps_from);
    json_num(f, st->ceil.ridge);
    if (st->ceil.measured) {
        /* the levels and the floor at the top of the ceilings, where clconv-report puts
         * them too */
        fprintf(f, ",\n    \"bandwidth_levels\": ");
        peak_write_levels(f, &st->ceil.peak);
        fprintf(f, ",\n    \"launch_floor_s\": ");
        json_num(f, st->ceil.peak.launch_floor_s);
        fprintf(f, ",\n    \"peak\": {\n");
        peak_write_ceilings(f, &st->ceil.peak, "      ");
        fprintf(f, "\n    }");
    }
    fprintf(f,
            "\n  },\n  \"repeats\": %d,\n  \"weights\": \"%s\",\n  \"timing\": ", st->opt.repeats,
            st->opt.constant_weights ? "set" : "per_enqueue");
    peak_json_string(f, st->timing.mode == TOOL_TIMING_EVENTS
                            ? "OpenCL profiling events: from a marker enqueued before each run to "
                              "the end of the run's event; one warm-up run first"
                            : "host clock around each enqueue and clFinish (includes launch and "
                              "wait overhead); one warm-up run first");
    fprintf(f,
            ",\n  \"timing_mode\": \"%s\",\n  \"timing_check\": ", tool_timing_name(&st->timing));
    peak_json_string(f, st->timing.why);
    fprintf(f, ",\n  \"flops_used\": ");
    peak_json_string(f, "counted: gflops, roof_pct and the chart use the FLOP convention of "
                        "clconv_count_ops; executed_flops is what the variant executes where it "
                        "reports it (executed_from: variant), else the counted FLOPs");
    fprintf(f, ",\n  \"verify\": %s,\n  \"baseline\": {\"available\": %s, \"note\": ",
            st->opt.verify ? "true" : "false", st->baseline_available ? "true" : "false");
    peak_json_string(f, st->baseline_note);
    fprintf(f, "},\n  \"rows\": [\n");
    for (size_t i = 0; i < st->nrows; i++) {
        write_json_row(f, &st->rows[i]);
        fprintf(f, "%s\n", i + 1 < st->nrows ? "," : "");
    }
    fprintf(f, "  ],\n  \"skipped\": [");
    for (size_t i = 0; i < st->nskips; i++) {
        const skip *s = &st->skips[i];
        fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
        peak_json_string(f, s->layer->name);
        fprintf(f, ", \"suite\": ");
        peak_json_string(f, s->layer->suite);
        fprintf(f, ", \"algo\": ");
        peak_json_string(f, s->algo);
        fprintf(f, ", \"reason\": ");
        peak_json_string(f, s->reason);
        fprintf(f, "}");
    }
    fprintf(f, "%s]\n}\n", st->nskips ? "\n  " : "");
    int bad = ferror(f);
    return fclose(f) == 0 && !bad ? 0 : -1;
}

/* CSV field: quoted when it holds a comma, quote or space. */
static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\" \n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

int write_csv(const bench_state *st, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "name,suite,kind,params,mode,algo,median_s,min_s,repeats,macs,flops,bytes,"
               "intensity,gflops,gbps,roof_gflops,roof_pct,bound,exceeds_roof,verified,variant,"
               "timing,executed_flops\n");
    for (size_t i = 0; i < st->nrows; i++) {
        const row *r = &st->rows[i];
        char params[512];
        layer_spec_format(r->layer, params, sizeof params);
        csv_field(f, r->layer->name);
        fputc(',', f);
        csv_field(f, r->layer->suite);
        fprintf(f, ",%s,", layer_kind_name(r->layer->desc.kind));
        csv_field(f, params);
        fprintf(f, ",%s,%s,%.9g,%.9g,%d,%llu,%llu,%llu,%.6g,%.6g,%.6g,%.6g,%.4g,%s,%d,%s,", r->mode,
                r->algo, r->median_s, r->min_s, r->repeats, (unsigned long long)r->ops.macs,
                (unsigned long long)r->ops.flops, (unsigned long long)r->ops.bytes,
                r->ops.intensity, r->gflops, r->gbps, r->roof_gflops, r->roof_pct, r->bound,
                r->exceeds_roof ? 1 : 0,
                r->verified < 0 ? ""
                : r->verified   ? "1"
                                : "0");
        csv_field(f, r->variant);
        fprintf(f, ",%s,%llu\n", r->timing ? r->timing : "events",
                (unsigned long long)r->executed_flops);
    }
    int bad = ferror(f);
    return fclose(f) == 0 && !bad ? 0 : -1;
}

int write_table(const bench_state *st)
{
    for (size_t k = 0; k < st->nrows; k++) {
        const row *r = &st->rows[k];
        printf("%-30s %-8s %-16s %-26s %10.4f ms %9.2f GFLOP/s %6.1f%% of roof (%s)%s%s\n",
               r->layer->name, r->mode, r->algo, r->variant[0] ? r->variant : "-",
               r->median_s * 1e3, r->gflops, r->roof_pct, r->bound,
               r->timing && !strcmp(r->timing, "host") ? " [host clock]" : "",
               r->verified < 0 ? ""
               : r->verified   ? " verified"
                               : " VERIFY FAILED");
    }
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : -1;
}
