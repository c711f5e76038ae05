/* clconv-tune: times every kernel variant on the layers of suites or specs and writes the
 * device's tuning database (format version 2: src/tuning.c, docs/selection.md, "Tuning"), which
 * contexts load for AUTO.
 *
 *   clconv-tune [--device SPEC] [--repeats N] [--output FILE] [--fresh]
 *               SUITE_FILE_OR_LAYER_SPEC...
 *
 * Each argument is a suite file (tools/suites/README.md) or one layer in clconv-count's option
 * syntax, quoted as one argument. Every variant of this build (clconv_variant_name) that
 * accepts a layer is forced on it (clconv_plan_create_variant), baked, warmed up, then run N
 * times (default 5); one run is an enqueue plus clFinish, timed on the host clock so
 * multi-kernel variants count whole and drivers whose profiling timestamps are unusable
 * (rusticl on llvmpipe) still give true times (the tool says what the events are worth); the median
 * is stored, one "variant=seconds" per variant. The output defaults to the device's file in the
 * cache folder. Entries already there are kept (layers tuned again are replaced), times of variants
 * this build lacks included; an existing file that cannot be read or parsed (corrupt, of another
 * device or driver, of format version 1) is never overwritten: the tool stops with a message before
 * timing anything, unless --fresh, which starts an empty database. The file is replaced atomically
 * (temporary file + rename). Exit status: 0; 1 when the existing file is refused (nothing written),
 * a layer had no variant that ran, or the file could not be written; 2 for bad arguments.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "src/tuning.h"
#include "tools/bench-epilogue.h"
#include "tools/layerspec.h"
#include "tools/tool-util.h"

static cl_mem filled(cl_context cl, cl_command_queue q, size_t bytes)
{
    cl_mem b = tool_buffer(cl, bytes, NULL);
    if (b) {
        /* small values: no denormals or infinities to slow a run down */
        const float v = 0.01f;
        clEnqueueFillBuffer(q, b, &v, sizeof v, 0, (bytes ? bytes : 4) / 4 * 4, 0, NULL, NULL);
    }
    return b;
}

#define DECLINED (-1.0) /* the variant does not take the layer (plan creation refused) */
#define FAILED (-2.0)   /* it took the layer but did not build or run: why says why */

/* Median seconds of one run of variant on L, or DECLINED or FAILED. */
static double time_variant(clconv_context *ctx, const layer_spec *L, const char *variant,
                           int repeats, char *why, size_t why_size)
{
    clconv_plan *plan = NULL;
    clconv_status st = clconv_plan_create_variant(ctx, &L->desc, L->input, variant, &plan);
    if (st != CLCONV_SUCCESS)
        return DECLINED;
    if ((st = clconv_plan_bake(plan)) != CLCONV_SUCCESS) {
        snprintf(why, why_size, "bake failed: %s", clconv_last_error());
        clconv_plan_destroy(plan);
        return FAILED;
    }
    size_t in_n, w_n, b_n, out_n;
    clconv_tensor_sizes(&L->desc, L->input, &in_n, &w_n, &b_n, &out_n);
    const size_t elem = clconv_dtype_size(L->desc.dtype);
    cl_context cl = clconv_context_get_cl_context(ctx);
    cl_command_queue q = clconv_context_get_queue(ctx);
    size_t ws = clconv_plan_get_workspace_size(plan);
    cl_mem in = filled(cl, q, in_n * elem), w = filled(cl, q, w_n * elem),
           b = filled(cl, q, b_n * elem), out = filled(cl, q, out_n * elem),
           work = ws ? filled(cl, q, ws) : NULL;
    double *t = calloc((size_t)repeats, sizeof *t);
    double result = FAILED;
    if (!in || !w || !b || !out || (ws && !work) || !t) {
        snprintf(why, why_size, "buffer allocation failed");
        goto done;
    }
    for (int r = -1; r < repeats; r++) { /* r = -1: warm-up */
        double t0 = tool_now_s();
        st = tool_enqueue_layer(ctx, plan, &L->desc, in, w, b, out, work, NULL);
        if (st != CLCONV_SUCCESS || clFinish(q) != CL_SUCCESS) {
            snprintf(why, why_size, "run failed: %s", clconv_last_error());
            goto done;
        }
        if (r >= 0)
            t[r] = tool_now_s() - t0;
    }
    qsort(t, (size_t)repeats, sizeof *t, tool_cmp_double);
    result = t[repeats / 2];
done:
    free(t);
    cl_mem all[] = {in, w, b, out, work};
    tool_release_buffers(all, 5);
    clconv_plan_destroy(plan);
    return result;
}

static int load_layers(const char *arg, layer_spec **layers, size_t *count)
{
    char err[512];
    layer_spec *add = NULL, one;
    size_t nadd = 0;
    if (strstr(arg, "--")) {
        if (layer_spec_parse_string(arg, &one, err, sizeof err)) {
            fprintf(stderr, "clconv-tune: layer spec \"%s\": %s\n", arg, err);
            return -1;
        }
        add = &one;
        nadd = 1;
    } else if (layer_suite_read(arg, &add, &nadd, err, sizeof err)) {
        fprintf(stderr, "clconv-tune: %s\n", err);
        return -1;
    }
    layer_spec *all = realloc(*layers, (*count + nadd + 1) * sizeof *all);
    if (all) {
        memcpy(all + *count, add, nadd * sizeof *add);
        *layers = all;
        *count += nadd;
    }
    if (add != &one)
        free(add);
    return all ? 0 : -1;
}

/* mkdir -p of the folder holding path */
static void make_parent(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return;
    *slash = 0;
    for (char *p = dir + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(dir, 0755) != 0 && errno != EEXIST)
                return;
            *p = '/';
        }
    mkdir(dir, 0755);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: clconv-tune [--device SPEC] [--repeats N] [--output FILE] [--fresh] "
            "SUITE_FILE_OR_LAYER_SPEC...\n"
            "Times every kernel variant that accepts each layer and writes the device's tuning\n"
            "database (format version %d: variant=seconds per layer), which AUTO consults.\n"
            "  --device SPEC   the device (as CLCONV_DEVICE)\n"
            "  --repeats N     timed runs per variant after a warm-up, the median kept "
            "(default 5)\n"
            "  --output FILE   the database (default: the device's file in the cache folder)\n"
            "  --fresh         start an empty database; without it the file's entries are\n"
            "                  kept, and a file that cannot be read or parsed is left alone\n"
            "                  (exit 1)\n"
            "  --help          this text\n"
            "  --version       print the version\n"
            "A layer spec is one quoted argument in clconv-count's syntax, e.g.\n"
            "  \"--input 1x64x56x56 --out-channels 64 --kernel 3 --padding 1\"\n"
            "Exit status: 0 on success, 1 a device, database or write error, 2 a usage error\n"
            "(an unknown option, a suite file that cannot be read, an invalid layer).\n",
            CLCONV_TUNING_VERSION);
}

/* The entries of the database already at path, into db (empty when there is no file).
 * false, with a message, when the file exists but cannot be read or parsed: it must then not
 * be overwritten. */
static bool load_existing(const char *path, const clconv_device_info *info, clconv_tuning *db)
{
    memset(db, 0, sizeof *db);
    struct stat sb;
    if (stat(path, &sb) != 0 && errno == ENOENT)
        return true;
    char err[512];
    char *text = clconv_tuning_read_text(path, err, sizeof err);
    const bool read = text != NULL;
    const bool ok = read && clconv_tuning_parse(text, info, db, err, sizeof err);
    free(text);
    if (!ok)
        fprintf(stderr,
                "clconv-tune: the existing database cannot be used: %s%s%s\n"
                "clconv-tune: %s left unchanged; give --fresh to replace it, or --output "
                "another file\n",
                read ? path : "", read ? ": " : "", err, path);
    return ok;
}

int main(int argc, char **argv)
{
    const char *device = NULL, *output = NULL;
    int repeats = 5;
    bool fresh = false;
    layer_spec *layers = NULL;
    size_t count = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--device") && i + 1 < argc) {
            device = argv[++i];
        } else if (!strcmp(a, "--output") && i + 1 < argc) {
            output = argv[++i];
        } else if (!strcmp(a, "--repeats") && i + 1 < argc) {
            char *end;
            long r = strtol(argv[++i], &end, 10);
            repeats = *end || end == argv[i] || r < 1 || r > 1000 ? 0 : (int)r;
            if (!repeats) {
                fprintf(stderr, "clconv-tune: --repeats %s: 1 to 1000\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(a, "--fresh")) {
            fresh = true;
        } else if (tool_standard_option(a, "clconv-tune", usage)) {
            return tool_exit("clconv-tune", 0);
        } else if (a[0] == '-' && a[1] == '-' && !strchr(a, ' ')) {
            fprintf(stderr, "clconv-tune: unknown option %s\n", a);
            usage(stderr);
            return 2;
        } else if (load_layers(a, &layers, &count)) {
            return 2;
        }
    }
    if (!count) {
        usage(stderr);
        return 2;
    }
    clconv_context *ctx = NULL;
    if (clconv_context_create(device, &ctx) != CLCONV_SUCCESS) {
        fprintf(stderr, "clconv-tune: %s\n", clconv_last_error());
        free(layers);
        return 1;
    }
    clconv_device_info info;
    clconv_context_get_device_info(ctx, &info);
    char path[4096];
    if (output)
        snprintf(path, sizeof path, "%s", output);
    else if (clconv_context_default_tuning_path(ctx, path, sizeof path) != CLCONV_SUCCESS) {
        fprintf(stderr, "clconv-tune: %s; give --output\n", clconv_last_error());
        free(layers);
        clconv_context_destroy(ctx);
        return 1;
    }
    clconv_tuning db;
    memset(&db, 0, sizeof db);
    if (!fresh && !load_existing(path, &info, &db)) {
        free(layers);
        clconv_context_destroy(ctx);
        return 1;
    }
    snprintf(db.device, sizeof db.device, "%s", info.device_name);
    snprintf(db.driver, sizeof db.driver, "%s", info.driver_version);
    printf("tuning %zu layer(s) on %s (driver %s), %d repeats\n", count, info.device_name,
           info.driver_version, repeats);
    /* the database is built on host-clock times, whatever the profiling events are worth:
     * say what the events are worth so that a reader of the times knows what they include */
    tool_timing events;
    tool_timing_check(clconv_context_get_cl_context(ctx), clconv_context_get_queue(ctx), &events);
    printf("timing: host clock around each enqueue and clFinish (launch and wait included); "
           "the queue's profiling events: %s\n",
           events.mode == TOOL_TIMING_EVENTS ? "usable, not needed" : events.why);
    int status = 0;
    for (size_t i = 0; i < count; i++) {
        const layer_spec *L = &layers[i];
        clconv_tuning_entry e;
        memset(&e, 0, sizeof e);
        e.desc = L->desc;
        memcpy(e.in, L->input, sizeof e.in);
        printf("%-28s", L->name[0] ? L->name : "layer");
        for (int v = 0; v < clconv_variant_count() && e.count < CLCONV_TUNING_MAX_TIMES; v++) {
            const char *name = clconv_variant_name(v);
            char why[512];
            double s = time_variant(ctx, L, name, repeats, why, sizeof why);
            if (s == FAILED)
                fprintf(stderr, "clconv-tune: %s, %s: %s\n", L->name[0] ? L->name : "layer", name,
                        why);
            if (s < 0)
                continue;
            printf(" %s=%.3fms", name, s * 1e3);
            snprintf(e.variants[e.count], sizeof e.variants[e.count], "%s", name);
            e.seconds[e.count++] = s;
        }
        fflush(stdout);
        if (!e.count) {
            printf("  no variant ran\n");
            status = 1;
            continue;
        }
        if (!clconv_tuning_add(&db, &e)) {
            fprintf(stderr, "clconv-tune: out of memory\n");
            status = 1;
            break;
        }
        /* report the fastest: the entry just added or replaced */
        for (size_t j = 0; j < db.count; j++)
            if (!memcmp(&db.entries[j].desc, &e.desc, sizeof e.desc) &&
                !memcmp(db.entries[j].in, e.in, sizeof e.in))
                printf("  -> %s\n", db.entries[j].variants[0]);
    }
    char err[512];
    if (!output) /* the default file: its cache folder may not exist yet */
        make_parent(path);
    if (!clconv_tuning_save(&db, path, err, sizeof err)) {
        fprintf(stderr, "clconv-tune: %s\n", err);
        status = 1;
    } else {
        printf("wrote %zu layer(s) to %s\n", db.count, path);
    }
    clconv_tuning_clear(&db);
    free(layers);
    clconv_context_destroy(ctx);
    return tool_exit("clconv-tune", status);
}
