/* clconv-peak: measured ceilings of an OpenCL device for the roofline, as JSON.
 *
 *   clconv-peak [--device SPEC] [--json FILE] [--quick] [--budget SECONDS] [--no-half]
 *               [--version] [--help]
 *
 * float32 FLOP/s (and float16 where the device has cl_khr_fp16): CHAINS independent
 * multiply-add chains per work-item, vector widths 1 to 16, the best kept. Memory bandwidth:
 * read-only and copy over a buffer beyond the caches, and read bandwidth over a working-set
 * sweep whose plateaus are the memory levels; the launch floor (an empty kernel). Every figure
 * is the best of several launches after a warm-up, the launch length calibrated to a time
 * budget, timed by profiling events where their timestamps pass a check, else by the host
 * clock (the JSON says which). Theoretical figures appear only where the device reports enough
 * to compute them, labelled as estimates (and as wrong when below the measurement). JSON goes
 * to stdout, or to FILE with --json; progress to stderr (docs/roofline.md). Exit status: 0; 1
 * when a measurement or the output failed; 2 for bad arguments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clconv.h>

#include "tools/peak.h"
#include "tools/tool-util.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: clconv-peak [--device SPEC] [--json FILE] [--quick] [--budget SECONDS] "
               "[--no-half]\n"
               "Measures the device's ceilings for the roofline (float32 and float16 FLOP/s, read\n"
               "and copy bandwidth, the memory levels of a working-set sweep, the launch floor)\n"
               "and writes them as JSON; progress goes to stderr. Timed by profiling events\n"
               "where their timestamps pass a check, else by the host clock (docs/roofline.md).\n"
               "  --device SPEC     P:D, a name fragment, gpu or cpu (default: $CLCONV_DEVICE)\n"
               "  --json FILE       write the JSON into FILE instead of stdout\n"
               "  --quick           shorter measurements (what clconv-bench uses)\n"
               "  --budget SECONDS  time budget of each measurement, in (0, 60]\n"
               "  --no-half         skip the float16 FLOP/s\n"
               "  --help            this text\n"
               "  --version         print the version\n"
               "Exit status: 0 on success, 1 a device or write error, 2 a usage error.\n");
}

int main(int argc, char **argv)
{
    const char *device = NULL, *json_path = NULL;
    peak_options opt = peak_default_options();
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--device") && i + 1 < argc)
            device = argv[++i];
        else if (!strcmp(argv[i], "--json") && i + 1 < argc)
            json_path = argv[++i];
        else if (!strcmp(argv[i], "--quick"))
            opt = peak_quick_options();
        else if (!strcmp(argv[i], "--budget") && i + 1 < argc) {
            char *end;
            opt.budget_s = strtod(argv[++i], &end);
            if (*end || opt.budget_s <= 0 || opt.budget_s > 60) {
                fprintf(stderr,
                        "clconv-peak: --budget %s: must be a number of seconds in "
                        "(0, 60]\n",
                        argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--no-half"))
            opt.half = 0;
        else if (tool_standard_option(argv[i], "clconv-peak", usage)) {
            return tool_exit("clconv-peak", 0);
        } else {
            fprintf(stderr, "clconv-peak: unknown argument %s\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    clconv_context *ctx = NULL;
    if (clconv_context_create(device, &ctx) != CLCONV_SUCCESS) {
        fprintf(stderr, "clconv-peak: %s\n", clconv_last_error());
        return 1;
    }
    clconv_device_info info;
    clconv_context_get_device_info(ctx, &info);
    fprintf(stderr, "clconv-peak: %s (%s, %s)\n", info.device_name, info.platform_name,
            info.driver_version);
    peak_results r;
    char err[512];
    if (peak_measure(ctx, &opt, 1, &r, err, sizeof err) != 0) {
        fprintf(stderr, "clconv-peak: %s\n", err);
        clconv_context_destroy(ctx);
        return 1;
    }
    FILE *f = stdout;
    if (json_path && !(f = fopen(json_path, "w"))) {
        fprintf(stderr, "clconv-peak: cannot write %s\n", json_path);
        clconv_context_destroy(ctx);
        return 1;
    }
    fprintf(f, "{\n  \"device\": ");
    peak_write_device(f, &info, "  ");
    fprintf(f, ",\n");
    peak_write_ceilings(f, &r, "  ");
    fprintf(f, "\n}\n");
    int rc = 0;
    const int bad = fflush(f) != 0 || ferror(f);
    if ((f != stdout && fclose(f) != 0) || bad) {
        fprintf(stderr, "clconv-peak: error writing %s\n", json_path ? json_path : "stdout");
        rc = 1;
    }
    const char *which;
    double bw = peak_roof_gbps(&r, &which);
    fprintf(stderr,
            "clconv-peak: float32 %.1f GFLOP/s (width %d), bandwidth %.1f GB/s (%s), "
            "ridge %.2f FLOP/byte, %.1f s\n",
            r.f32.gflops, r.f32.best_width, bw, which, r.f32.gflops / bw, r.seconds);
    clconv_context_destroy(ctx);
    return tool_exit("clconv-peak", rc);
}
