/* clconv-bench: times layer suites with every algorithm and CLBlast's convgemm baseline.
 *
 *   clconv-bench [--device SPEC] [--repeats N] [--verify] [--json FILE] [--csv FILE]
 *                [--ceiling-gflops X --ceiling-gbps Y] [--no-baseline] [--constant-weights]
 *                SUITE_FILE_OR_LAYER_SPEC...
 *
 * Each argument is a suite file (tools/suites/README.md) or one layer in clconv-count's
 * option syntax, quoted as one argument ("--input 1x64x56x56 --out-channels 64 --kernel 3").
 * Each layer runs with AUTO, then with every algorithm id that accepts it (the others are
 * listed as skipped, with the reason), then with CLBlast's convgemm where CLBlast was found
 * and supports the case (Conv2d, groups 1, symmetric zeros padding, float32). Every run is
 * warmed up, then timed N times (default 5, at least 5) by OpenCL profiling events where their
 * timestamps pass a check (tool_timing_check), else by the host clock around clFinish, which
 * every row says; median and minimum are kept. Each row names the algorithm and the kernel
 * variant its plan ran (clconv_plan_get_variant_name: for the AUTO row, the variant AUTO chose;
 * none for the baseline), and carries the counted FLOPs and those the variant executes where it
 * reports them. Roofline columns use the ceilings given, else a quick measurement (tools/peak.h,
 * memory levels and launch floor included). --verify compares every run's output with
 * clconv_reference. --constant-weights times every clconv plan as an application with constant
 * weights runs it: the weights go in once with clconv_plan_set_weights, AUTO is told so
 * (clconv_context_set_constant_weights), and the timed enqueues pass none (the baseline still
 * takes them per call). Exit status: 0; 1 when a run failed verification, a layer could not be
 * set up or an output could not be written; 2 for bad arguments. The parts: tools/bench.h.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clconv.h>

#include "tools/bench-epilogue.h"
#include "tools/bench.h"
#include "tools/tool-util.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: clconv-bench [--device SPEC] [--repeats N] [--verify] [--json FILE] "
               "[--csv FILE]\n"
               "                    [--ceiling-gflops X --ceiling-gbps Y] [--no-baseline]\n"
               "                    [--constant-weights] [--version] [--help]\n"
               "                    [--fused] [--set-weights]   (tools/bench-epilogue.h)\n"
               "                    SUITE_FILE_OR_LAYER_SPEC...\n"
               "A layer spec is one quoted argument in clconv-count's syntax, e.g.\n"
               "  \"--input 1x64x56x56 --out-channels 64 --kernel 3 --padding 1\"\n");
}

static int parse_positive(const char *opt, const char *s, double *v)
{
    char *end;
    *v = strtod(s, &end);
    if (*end || !(*v > 0) || !isfinite(*v)) {
        fprintf(stderr, "clconv-bench: %s %s: must be a positive number\n", opt, s);
        return -1;
    }
    return 0;
}

/* Appends the layers of one argument (suite file or layer spec) to *layers: 0; -1 for a bad
 * spec, an unreadable file or no memory; -2 for a malformed suite file. */
static int load_layers(const char *arg, layer_spec **layers, size_t *count, size_t *spec_index)
{
    char err[512];
    layer_spec *add = NULL;
    size_t nadd = 0;
    layer_spec one;
    if (strstr(arg, "--")) { /* a layer spec: the option words of clconv-count */
        if (layer_spec_parse_string(arg, &one, err, sizeof err)) {
            fprintf(stderr, "clconv-bench: layer spec \"%s\": %s\n", arg, err);
            return -1;
        }
        ++*spec_index;
        if (!one.name[0])
            snprintf(one.name, sizeof one.name, "layer%zu", *spec_index);
        if (!one.suite[0])
            snprintf(one.suite, sizeof one.suite, "cli");
        add = &one;
        nadd = 1;
    } else {
        int got = layer_suite_read(arg, &add, &nadd, err, sizeof err);
        if (got) {
            fprintf(stderr, "clconv-bench: %s\n", err);
            return got == LAYER_SUITE_UNREADABLE ? -1 : -2;
        }
    }
    layer_spec *all = realloc(*layers, (*count + nadd + 1) * sizeof *all);
    if (!all) {
        if (add != &one)
            free(add);
        return -1;
    }
    memcpy(all + *count, add, nadd * sizeof *add);
    *layers = all;
    *count += nadd;
    if (add != &one)
        free(add);
    return 0;
}

/* One line per layer: its runs, and the time left estimated from the FLOPs still to run at
 * the rate seen so far (layers differ by orders of magnitude in work). */
static void progress(size_t i, size_t n, const layer_spec *L, const bench_state *st, size_t first,
                     double t_start, double t_layers, double flops_done, double flops_total)
{
    fprintf(stderr, "clconv-bench: [%zu/%zu] %-30s", i + 1, n, L->name);
    for (size_t k = first; k < st->nrows; k++) {
        const row *r = &st->rows[k];
        /* AUTO's row names its variant: the choice is the point of that row */
        fprintf(stderr, " %s%s %.3f ms", r->mode[0] == 'a' ? "auto:" : "",
                r->mode[0] == 'a' && r->variant[0] ? r->variant : r->algo, r->median_s * 1e3);
    }
    double elapsed = tool_now_s() - t_start, spent = tool_now_s() - t_layers;
    double left = flops_done > 0 ? spent / flops_done * (flops_total - flops_done) : 0;
    fprintf(stderr, " | %.0f s elapsed, ~%.0f s left\n", elapsed, left);
}

/* Leaves main through its cleanup with exit status code. */
#define RC_OUT(code)                                                                               \
    do {                                                                                           \
        rc = (code);                                                                               \
        goto out;                                                                                  \
    } while (0)

int main(int argc, char **argv)
{
    bench_state st;
    memset(&st, 0, sizeof st);
    st.opt.repeats = MIN_REPEATS;
    st.opt.baseline = true;
    layer_spec *layers = NULL;
    size_t nlayers = 0, nspec = 0;
    int rc = 1;
    bench_epilogue_options epi = {false, false};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        double v;
        int loaded;
        if (!strcmp(a, "--device") && i + 1 < argc)
            st.opt.device = argv[++i];
        else if (!strcmp(a, "--repeats") && i + 1 < argc) {
            char *end;
            long n = strtol(argv[++i], &end, 10);
            if (*end || n < MIN_REPEATS || n > 256) {
                fprintf(stderr, "clconv-bench: --repeats %s: must be an integer in [%d, 256]\n",
                        argv[i], MIN_REPEATS);
                RC_OUT(2);
            }
            st.opt.repeats = (int)n;
        } else if (!strcmp(a, "--verify"))
            st.opt.verify = true;
        else if (!strcmp(a, "--no-baseline"))
            st.opt.baseline = false;
        else if (!strcmp(a, "--constant-weights"))
            st.opt.constant_weights = true;
        else if (bench_epilogue_option(a, &epi))
            continue;
        else if (!strcmp(a, "--json") && i + 1 < argc)
            st.opt.json_path = argv[++i];
        else if (!strcmp(a, "--csv") && i + 1 < argc)
            st.opt.csv_path = argv[++i];
        else if (!strcmp(a, "--ceiling-gflops") && i + 1 < argc) {
            if (parse_positive(a, argv[++i], &v))
                RC_OUT(2);
            st.opt.ceiling_gflops = v;
        } else if (!strcmp(a, "--ceiling-gbps") && i + 1 < argc) {
            if (parse_positive(a, argv[++i], &v))
                RC_OUT(2);
            st.opt.ceiling_gbps = v;
        } else if (tool_standard_option(a, "clconv-bench", usage)) {
            RC_OUT(0);
        } else if (a[0] == '-' && a[1] == '-' && !strchr(a, ' ')) {
            fprintf(stderr,
                    "clconv-bench: unknown option %s (quote a layer spec as one "
                    "argument)\n",
                    a);
            usage(stderr);
            RC_OUT(2);
        } else if ((loaded = load_layers(a, &layers, &nlayers, &nspec)) != 0)
            RC_OUT(loaded == -2 ? 1 : TOOL_EXIT_USAGE); /* a malformed suite: 1, as clconv-count */
    }
    if (nlayers == 0) {
        usage(stderr);
        RC_OUT(2);
    }
    if (st.opt.constant_weights && (epi.fused || epi.set_weights)) {
        fprintf(stderr, "clconv-bench: --constant-weights times the rows of a plain run; "
                        "--fused and --set-weights pair their own plans\n");
        RC_OUT(2);
    }
    if ((st.opt.ceiling_gflops > 0) != (st.opt.ceiling_gbps > 0)) {
        fprintf(stderr, "clconv-bench: --ceiling-gflops and --ceiling-gbps go together\n");
        RC_OUT(2);
    }
    if (clconv_context_create(st.opt.device, &st.ctx) != CLCONV_SUCCESS) {
        fprintf(stderr, "clconv-bench: %s\n", clconv_last_error());
        goto out;
    }
    clconv_context_get_device_info(st.ctx, &st.info);
    fprintf(stderr, "clconv-bench: %s (%s, %s), %zu layers, %d repeats\n", st.info.device_name,
            st.info.platform_name, st.info.driver_version, nlayers, st.opt.repeats);
    tool_timing_check(clconv_context_get_cl_context(st.ctx), clconv_context_get_queue(st.ctx),
                      &st.timing);
    fprintf(stderr, "clconv-bench: timing: %s\n", st.timing.why);
    if (st.opt.constant_weights) {
        clconv_context_set_constant_weights(st.ctx, 1); /* AUTO costs them that way too */
        fprintf(stderr, "clconv-bench: weights set once per plan (clconv_plan_set_weights; "
                        "AUTO told so); the CLBlast baseline takes them per call\n");
    }
    if (epi.fused || epi.set_weights) {
        rc = bench_epilogue_run(st.ctx, &epi, layers, nlayers, st.opt.repeats);
        goto out;
    }
    const char *env_algo = getenv("CLCONV_ALGO");
    if (env_algo && *env_algo)
        fprintf(stderr, "clconv-bench: note: CLCONV_ALGO=%s forces the AUTO rows\n", env_algo);

    if (st.opt.ceiling_gflops > 0) {
        st.ceil.gflops = st.opt.ceiling_gflops;
        st.ceil.gbps = st.opt.ceiling_gbps;
        st.ceil.source = "given";
        st.ceil.gbps_from = "given";
    } else {
        char err[512];
        peak_options po = peak_quick_options();
        fprintf(stderr, "clconv-bench: measuring the ceilings (quick; clconv-peak measures "
                        "them more thoroughly)\n");
        if (peak_measure(st.ctx, &po, 0, &st.ceil.peak, err, sizeof err)) {
            fprintf(stderr, "clconv-bench: ceilings: %s\n", err);
            goto out;
        }
        st.ceil.measured = true;
        st.ceil.gflops = st.ceil.peak.f32.gflops;
        st.ceil.gbps = peak_roof_gbps(&st.ceil.peak, &st.ceil.gbps_from);
        st.ceil.source = "measured (quick)";
    }
    st.ceil.ridge = st.ceil.gflops / st.ceil.gbps;
    fprintf(stderr, "clconv-bench: roofs %.1f GFLOP/s, %.1f GB/s (%s), ridge %.2f FLOP/byte\n",
            st.ceil.gflops, st.ceil.gbps, st.ceil.source, st.ceil.ridge);

    baseline_init(&st);

    const double t_start = tool_now_s();
    double t_layers = t_start, flops_total = 0, flops_done = 0;
    for (size_t i = 0; i < nlayers; i++) {
        clconv_op_count c;
        if (clconv_count_ops(&layers[i].desc, layers[i].input, &c) == CLCONV_SUCCESS)
            flops_total += (double)c.flops;
    }
    bool baseline_warm = false;
    int failures = 0;
    for (size_t i = 0; i < nlayers; i++) {
        const layer_spec *L = &layers[i];
        layer_data d;
        char err[512];
        size_t first = st.nrows;
        if (layer_data_init(&st, L, &d, err, sizeof err)) {
            fprintf(stderr, "clconv-bench: %s: %s\n", L->name, err);
            add_skip(&st, L, "all", err);
            layer_data_free(&d);
            failures++;
            continue;
        }
        for (int a = CLCONV_ALGO_AUTO; a < CLCONV_ALGO_COUNT_; a++)
            run_algo(&st, L, &d, (clconv_algo)a);
        if (st.baseline_available && !baseline_warm && !baseline_unsupported(&L->desc)) {
            /* CLBlast compiles its kernels on first use (tens of seconds on a CPU driver):
             * an untimed call, kept out of the estimate of the time left */
            fprintf(stderr, "clconv-bench: compiling CLBlast's kernels (first call)...\n");
            const double t0 = tool_now_s();
            baseline_warm_up(&st, L, &d);
            baseline_warm = true;
            t_layers += tool_now_s() - t0;
        }
        run_baseline(&st, L, &d);
        for (size_t k = first; k < st.nrows; k++)
            if (st.rows[k].verified == 0) {
                fprintf(stderr,
                        "clconv-bench: %s %s: verification FAILED (error %.3g x tolerance)\n",
                        L->name, st.rows[k].algo, st.rows[k].verify_ratio);
                failures++;
            }
        clconv_op_count c;
        if (clconv_count_ops(&L->desc, L->input, &c) == CLCONV_SUCCESS)
            flops_done += (double)c.flops;
        progress(i, nlayers, L, &st, first, t_start, t_layers, flops_done, flops_total);
        layer_data_free(&d);
    }
    rc = failures ? 1 : 0;
    if (st.opt.json_path && write_json(&st, st.opt.json_path)) {
        fprintf(stderr, "clconv-bench: cannot write %s\n", st.opt.json_path);
        rc = 1;
    }
    if (st.opt.csv_path && write_csv(&st, st.opt.csv_path)) {
        fprintf(stderr, "clconv-bench: cannot write %s\n", st.opt.csv_path);
        rc = 1;
    }
    if (!st.opt.json_path && !st.opt.csv_path && write_table(&st)) {
        fprintf(stderr, "clconv-bench: cannot write the table to stdout\n");
        rc = 1;
    }
    fprintf(stderr, "clconv-bench: %zu rows, %zu skipped runs, %.1f s\n", st.nrows, st.nskips,
            tool_now_s() - t_start);
out:
    tool_epilogue_release();
    free(st.rows);
    free(st.skips);
    free(layers);
    clconv_context_destroy(st.ctx);
    return tool_exit("clconv-bench", rc);
}
