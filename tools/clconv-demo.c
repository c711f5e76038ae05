/* clconv-demo: one Conv2d and one ConvTranspose2d on the default device, each checked against
 * the CPU reference under the harness's tolerance; prints device, algorithm, time and error.
 * Exit status 0 when both match, 1 on a mismatch or a device error, 2 on a usage error. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clconv.h>

#include "harness/harness.h"
#include "tools/tool-util.h"

static int run_layer(clconv_context *ctx, const char *title, const clconv_desc *desc,
                     const int in_shape[4], clconv_algo algo)
{
    test_tensors t;
    if (!test_tensors_alloc(&t, desc, in_shape, 42)) {
        fprintf(stderr, "%s: %s\n", title, clconv_last_error());
        return 1;
    }
    const size_t nin = t.input_count, nw = t.weight_count, nb = t.bias_count, nout = t.output_count;
    float *in = t.input, *w = t.weight, *b = t.bias, *out = t.output;
    int rc = 1;
    cl_mem bin = NULL, bw = NULL, bb = NULL, bout = NULL, bws = NULL;
    clconv_plan *plan = NULL;
    cl_context cl = clconv_context_get_cl_context(ctx);
    bin = tool_buffer(cl, nin * sizeof(float), in);
    bw = tool_buffer(cl, nw * sizeof(float), w);
    bb = tool_buffer(cl, nb * sizeof(float), b);
    bout = tool_buffer(cl, nout * sizeof(float), NULL);
    if (!bin || !bw || !bb || !bout) {
        fprintf(stderr, "%s: buffer allocation failed\n", title);
        goto done;
    }
    if (clconv_plan_create(ctx, desc, in_shape, algo, &plan) != CLCONV_SUCCESS) {
        fprintf(stderr, "%s: %s\n", title, clconv_context_last_error(ctx));
        goto done;
    }
    size_t ws = clconv_plan_get_workspace_size(plan);
    if (ws) {
        bws = tool_buffer(cl, ws, NULL);
        if (!bws) {
            fprintf(stderr, "%s: workspace allocation of %zu bytes failed\n", title, ws);
            goto done;
        }
    }
    double best = 1e30;
    for (int rep = 0; rep < 5; rep++) {
        /* a marker before the run: plans of several kernels are timed whole */
        cl_event marker, ev;
        if (clEnqueueMarkerWithWaitList(clconv_context_get_queue(ctx), 0, NULL, &marker) !=
            CL_SUCCESS) {
            fprintf(stderr, "%s: clEnqueueMarkerWithWaitList failed\n", title);
            goto done;
        }
        if (clconv_plan_enqueue(plan, bin, bw, bb, bout, bws, 0, NULL, &ev) != CLCONV_SUCCESS) {
            fprintf(stderr, "%s: %s\n", title, clconv_context_last_error(ctx));
            clReleaseEvent(marker);
            goto done;
        }
        clWaitForEvents(1, &ev);
        double s = tool_span_seconds(marker, ev);
        clReleaseEvent(marker);
        clReleaseEvent(ev);
        if (rep > 0 && s < best) /* the first run includes one-time work */
            best = s;
    }
    clEnqueueReadBuffer(clconv_context_get_queue(ctx), bout, CL_TRUE, 0, nout * sizeof(float), out,
                        0, NULL, NULL);
    test_outcome check;
    bool ok = test_check_output(desc, in_shape, in, w, b, out, &check);
    int out_shape[4];
    clconv_plan_get_output_shape(plan, out_shape);
    printf("%-18s %dx%dx%dx%d -> %dx%dx%dx%d  algo %-6s  %8.3f ms  error %.3f x tolerance  %s\n",
           title, in_shape[0], in_shape[1], in_shape[2], in_shape[3], out_shape[0], out_shape[1],
           out_shape[2], out_shape[3], clconv_algo_name(clconv_plan_get_algo(plan)), best * 1e3,
           check.worst_ratio, ok ? "OK" : "MISMATCH");
    if (!ok)
        fprintf(stderr, "%s: %s\n", title, check.message);
    rc = ok ? 0 : 1;
done:
    clconv_plan_destroy(plan);
    cl_mem bufs[] = {bin, bw, bb, bout, bws};
    tool_release_buffers(bufs, 5);
    test_tensors_free(&t);
    return rc;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: clconv-demo [--device SPEC] [--algo auto|direct|gemm|tiled|depthwise]\n"
               "Runs one Conv2d (64->64, 3x3, 1x64x56x56) and one ConvTranspose2d (128->64, 4x4,\n"
               "stride 2) on the device, each checked against the CPU reference.\n"
               "  --device SPEC  P:D, a name fragment, gpu or cpu (default: $CLCONV_DEVICE, else\n"
               "                 the first GPU, else the first device)\n"
               "  --algo NAME    force an algorithm (default auto)\n"
               "  --help         this text\n"
               "  --version      print the version\n"
               "Exit status: 0 both match, 1 a mismatch or device error, 2 a usage error.\n");
}

int main(int argc, char **argv)
{
    const char *device = NULL;
    clconv_algo algo = CLCONV_ALGO_AUTO;
    for (int i = 1; i < argc; i++) {
        if (tool_standard_option(argv[i], "clconv-demo", usage)) {
            return tool_exit("clconv-demo", 0);
        } else if (!strcmp(argv[i], "--device") && i + 1 < argc) {
            device = argv[++i];
        } else if (!strcmp(argv[i], "--algo") && i + 1 < argc) {
            if (clconv_algo_from_name(argv[++i], &algo) != CLCONV_SUCCESS) {
                fprintf(stderr, "clconv-demo: %s\n", clconv_last_error());
                return TOOL_EXIT_USAGE;
            }
        } else {
            fprintf(stderr, "clconv-demo: unknown option or missing value: '%s'\n", argv[i]);
            usage(stderr);
            return TOOL_EXIT_USAGE;
        }
    }
    clconv_context *ctx;
    if (clconv_context_create(device, &ctx) != CLCONV_SUCCESS) {
        fprintf(stderr, "clconv-demo: %s\n", clconv_last_error());
        return 1;
    }
    clconv_device_info info;
    clconv_context_get_device_info(ctx, &info);
    printf("clconv %s on %s (%s, %s), %u compute units\n", CLCONV_VERSION_STRING, info.device_name,
           info.platform_name, info.driver_version, info.compute_units);

    clconv_desc conv;
    clconv_desc_init(&conv, CLCONV_CONV2D, 64, 64, 3, 3);
    conv.pad_top = conv.pad_bottom = conv.pad_left = conv.pad_right = 1;
    const int conv_in[4] = {1, 64, 56, 56};
    clconv_desc tconv;
    clconv_desc_init(&tconv, CLCONV_CONV_TRANSPOSE2D, 128, 64, 4, 4);
    tconv.stride_h = tconv.stride_w = 2;
    tconv.pad_top = tconv.pad_bottom = tconv.pad_left = tconv.pad_right = 1;
    const int tconv_in[4] = {1, 128, 16, 16};

    int rc = run_layer(ctx, "conv2d 3x3", &conv, conv_in, algo);
    rc |= run_layer(ctx, "conv_transpose2d", &tconv, tconv_in, algo);
    clconv_context_destroy(ctx);
    return tool_exit("clconv-demo", rc);
}
