/* clconv-latency: first-call latency of a new process, the figure the disk cache of program
 * binaries is for.
 *
 *   clconv-latency [--device SPEC] [--algo NAME] [--bake] SUITE_FILE_OR_LAYER_SPEC [LAYER_NAME]
 *
 * Times, on the host clock: context creation, the first clconv_plan_create, (with --bake,
 * clconv_plan_bake), the first enqueue up to clFinish (which builds the programs when the plan
 * is not baked), and a second enqueue for comparison. Run it twice with the same
 * CLCONV_CACHE_DIR (and, for a really cold first run, an empty POCL_CACHE_DIR on PoCL) to see
 * cold and warm figures; docs/performance.md, "First-call latency", has them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clconv.h>

#include "tools/bench-epilogue.h"
#include "tools/layerspec.h"
#include "tools/tool-util.h"

static double now_ms(void)
{
    return 1e3 * tool_now_s();
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: clconv-latency [--device SPEC] [--algo NAME] [--bake] "
            "SUITE_FILE_OR_LAYER_SPEC [LAYER_NAME]\n"
            "Times a new process's first call on the host clock: context creation, the first\n"
            "plan_create, (--bake) plan_bake, the first enqueue to completion and a second one.\n"
            "The layer is LAYER_NAME of the suite file (default its first layer), or a quoted\n"
            "layer spec in clconv-count's syntax.\n"
            "  --device SPEC  the device (as CLCONV_DEVICE)\n"
            "  --algo NAME    force an algorithm (default auto)\n"
            "  --bake         build the programs with clconv_plan_bake before the first enqueue\n"
            "  --help         this text\n"
            "  --version      print the version\n"
            "Output: one \"key value\" line per figure (context_create_ms, plan_create_ms,\n"
            "bake_ms, first_enqueue_ms, second_enqueue_ms, first_call_ms).\n"
            "Exit status: 0 on success, 1 a device or write error, 2 a usage error.\n");
}

int main(int argc, char **argv)
{
    const char *device = NULL, *source = NULL, *name = NULL;
    clconv_algo algo = CLCONV_ALGO_AUTO;
    int bake = 0;
    for (int i = 1; i < argc; i++) {
        if (tool_standard_option(argv[i], "clconv-latency", usage))
            return tool_exit("clconv-latency", 0);
        else if (!strcmp(argv[i], "--device") && i + 1 < argc)
            device = argv[++i];
        else if (!strcmp(argv[i], "--algo") && i + 1 < argc) {
            if (clconv_algo_from_name(argv[++i], &algo) != CLCONV_SUCCESS) {
                fprintf(stderr, "clconv-latency: %s\n", clconv_last_error());
                return TOOL_EXIT_USAGE;
            }
        } else if (!strcmp(argv[i], "--bake"))
            bake = 1;
        else if (argv[i][0] == '-' && argv[i][1] == '-' && !strchr(argv[i], ' ')) {
            fprintf(stderr, "clconv-latency: unknown option or missing value: %s\n", argv[i]);
            usage(stderr);
            return TOOL_EXIT_USAGE;
        } else if (!source)
            source = argv[i];
        else if (!name)
            name = argv[i];
        else {
            fprintf(stderr, "clconv-latency: unexpected argument %s\n", argv[i]);
            return TOOL_EXIT_USAGE;
        }
    }
    if (!source) {
        usage(stderr);
        return TOOL_EXIT_USAGE;
    }
    char err[512];
    layer_spec one, *layers = NULL, *L = NULL;
    size_t count = 0;
    if (strstr(source, "--")) {
        if (layer_spec_parse_string(source, &one, err, sizeof err)) {
            fprintf(stderr, "clconv-latency: %s\n", err);
            return TOOL_EXIT_USAGE;
        }
        L = &one;
    } else {
        if (layer_suite_read(source, &layers, &count, err, sizeof err)) {
            fprintf(stderr, "clconv-latency: %s\n", err);
            return TOOL_EXIT_USAGE;
        }
        for (size_t i = 0; i < count && !L; i++)
            if (!name || !strcmp(layers[i].name, name))
                L = &layers[i];
        if (!L) {
            fprintf(stderr, "clconv-latency: no layer %s in %s\n", name ? name : "at all", source);
            return TOOL_EXIT_USAGE;
        }
    }
    const double t0 = now_ms();
    clconv_context *ctx = NULL;
    if (clconv_context_create(device, &ctx) != CLCONV_SUCCESS) {
        fprintf(stderr, "clconv-latency: %s\n", clconv_last_error());
        return 1;
    }
    const double t1 = now_ms();
    clconv_plan *plan = NULL;
    if (clconv_plan_create(ctx, &L->desc, L->input, algo, &plan) != CLCONV_SUCCESS) {
        fprintf(stderr, "clconv-latency: plan: %s\n", clconv_last_error());
        return 1;
    }
    const double t2 = now_ms();
    if (bake && clconv_plan_bake(plan) != CLCONV_SUCCESS) {
        fprintf(stderr, "clconv-latency: bake: %s\n", clconv_last_error());
        return 1;
    }
    const double t3 = now_ms();
    /* buffers are the application's, allocated before it calls clconv: not timed */
    size_t in_n, w_n, b_n, out_n;
    clconv_tensor_sizes(&L->desc, L->input, &in_n, &w_n, &b_n, &out_n);
    const size_t e = clconv_dtype_size(L->desc.dtype);
    cl_context cl = clconv_context_get_cl_context(ctx);
    const size_t ws = clconv_plan_get_workspace_size(plan);
    cl_mem in = tool_buffer(cl, in_n * e, NULL), w = tool_buffer(cl, w_n * e, NULL),
           b = tool_buffer(cl, b_n * e, NULL), out = tool_buffer(cl, out_n * e, NULL),
           work = ws ? tool_buffer(cl, ws, NULL) : NULL;
    cl_command_queue q = clconv_context_get_queue(ctx);
    clFinish(q);
    double runs[2];
    for (int r = 0; r < 2; r++) {
        const double s = now_ms();
        if (tool_enqueue_layer(ctx, plan, &L->desc, in, w, b, out, work, NULL) != CLCONV_SUCCESS) {
            fprintf(stderr, "clconv-latency: enqueue: %s\n", clconv_last_error());
            return 1;
        }
        clFinish(q);
        runs[r] = now_ms() - s;
    }
    printf("layer %s algo %s\n", L->name[0] ? L->name : "(spec)",
           clconv_algo_name(clconv_plan_get_algo(plan)));
    printf("context_create_ms %.2f\nplan_create_ms %.3f\n", t1 - t0, t2 - t1);
    if (bake)
        printf("bake_ms %.2f\n", t3 - t2);
    printf("first_enqueue_ms %.2f\nsecond_enqueue_ms %.2f\n", runs[0], runs[1]);
    printf("first_call_ms %.2f (plan_create%s + first enqueue to completion)\n",
           (t3 - t1) + runs[0], bake ? " + bake" : "");
    cl_mem all[] = {in, w, b, out, work};
    tool_release_buffers(all, 5);
    tool_epilogue_release();
    clconv_plan_destroy(plan);
    clconv_context_destroy(ctx);
    free(layers);
    return tool_exit("clconv-latency", 0);
}
