/* A program outside the tree: built only from the installed <clconv.h> and
 * `pkg-config --cflags --libs clconv`, it runs golden cases (the .bin files of tests/golden,
 * format in tests/golden/generate.py) through the public API and checks them against torch's
 * output.
 *
 * usage: consumer CASE.bin...   exit status 0 when every case matches */
#include <clconv.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NPARAMS 27
#define REL_TOL 1e-5 /* of sum |x*w| + |b| per output: float accumulation on the device */

typedef struct golden {
    clconv_desc desc;
    int in[4], out[4];
    size_t counts[4]; /* input, weight, bias, output */
    float *data[4];
} golden;

static int32_t le32(const unsigned char *p)
{
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24);
}

static void golden_free(golden *g)
{
    for (int i = 0; i < 4; i++)
        free(g->data[i]);
}

static int golden_load(const char *path, golden *g)
{
    memset(g, 0, sizeof *g);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open\n", path);
        return 0;
    }
    unsigned char head[16 + 4 * NPARAMS];
    if (fread(head, 1, sizeof head, f) != sizeof head || memcmp(head, "CLCVGOLD", 8) ||
        le32(head + 8) != 1 || le32(head + 12) != NPARAMS) {
        fprintf(stderr, "%s: not a version 1 golden file\n", path);
        fclose(f);
        return 0;
    }
    int32_t p[NPARAMS];
    for (int i = 0; i < NPARAMS; i++)
        p[i] = le32(head + 16 + 4 * i);
    clconv_desc *d = &g->desc;
    clconv_desc_init(d, (clconv_kind)p[0], p[1], p[2], p[4], p[5]);
    d->groups = p[3];
    d->stride_h = p[6];
    d->stride_w = p[7];
    d->pad_top = p[8];
    d->pad_bottom = p[9];
    d->pad_left = p[10];
    d->pad_right = p[11];
    d->dilation_h = p[12];
    d->dilation_w = p[13];
    d->output_padding_h = p[14];
    d->output_padding_w = p[15];
    d->bias = p[16];
    d->padding_mode = (clconv_padding_mode)p[17];
    memcpy(g->in, &p[19], sizeof g->in);
    memcpy(g->out, &p[23], sizeof g->out);
    int ok = clconv_tensor_sizes(d, g->in, &g->counts[0], &g->counts[1], &g->counts[2],
                                 &g->counts[3]) == CLCONV_SUCCESS;
    if (!ok)
        fprintf(stderr, "%s: %s\n", path, clconv_last_error());
    for (int t = 0; ok && t < 4; t++) {
        unsigned char *raw = malloc(g->counts[t] * 4 + 1);
        g->data[t] = malloc(g->counts[t] * sizeof(float) + 1);
        ok = raw && g->data[t] && fread(raw, 4, g->counts[t], f) == g->counts[t];
        for (size_t i = 0; ok && i < g->counts[t]; i++) {
            uint32_t bits = (uint32_t)le32(raw + 4 * i);
            memcpy(&g->data[t][i], &bits, 4);
        }
        free(raw);
    }
    ok = ok && fgetc(f) == EOF;
    fclose(f);
    if (!ok) {
        fprintf(stderr, "%s: truncated or inconsistent\n", path);
        golden_free(g);
    }
    return ok;
}

static cl_mem upload(cl_context cl, const float *data, size_t count)
{
    cl_int err;
    return clCreateBuffer(cl, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
                          (count ? count : 1) * sizeof(float), (void *)data, &err);
}

/* Runs one case through context, plan and enqueue; returns 0 when it matches torch. */
static int run_case(clconv_context *ctx, const char *path)
{
    golden g;
    if (!golden_load(path, &g))
        return 1;
    int failed = 1;
    float *got = malloc(g.counts[3] * sizeof(float));
    float *scale = malloc(g.counts[3] * sizeof(float));
    float *abs_data[3] = {NULL, NULL, NULL};
    clconv_plan *plan = NULL;
    cl_mem bufs[5] = {NULL, NULL, NULL, NULL, NULL}; /* input, weight, bias, output, ws */
    if (!got || !scale)
        goto done;
    /* Tolerance scale sum |x*w| + |b|: the public reference run on absolute values. */
    for (int t = 0; t < 3; t++) {
        abs_data[t] = malloc(g.counts[t] * sizeof(float) + 1);
        if (!abs_data[t])
            goto done;
        for (size_t i = 0; i < g.counts[t]; i++)
            abs_data[t][i] = fabsf(g.data[t][i]);
    }
    if (clconv_reference(&g.desc, g.in, abs_data[0], abs_data[1], abs_data[2], scale) !=
        CLCONV_SUCCESS) {
        fprintf(stderr, "%s: reference: %s\n", path, clconv_last_error());
        goto done;
    }
    int out[4];
    clconv_status st = clconv_output_shape(&g.desc, g.in, out);
    if (st != CLCONV_SUCCESS || memcmp(out, g.out, sizeof out)) {
        fprintf(stderr, "%s: output shape disagrees with torch (%s)\n", path,
                clconv_status_string(st));
        goto done;
    }
    st = clconv_plan_create(ctx, &g.desc, g.in, CLCONV_ALGO_AUTO, &plan);
    if (st != CLCONV_SUCCESS) {
        fprintf(stderr, "%s: plan_create: %s: %s\n", path, clconv_status_string(st),
                clconv_context_last_error(ctx));
        goto done;
    }
    cl_context cl = clconv_context_get_cl_context(ctx);
    for (size_t i = 0; i < g.counts[3]; i++)
        got[i] = NAN;
    bufs[0] = upload(cl, g.data[0], g.counts[0]);
    bufs[1] = upload(cl, g.data[1], g.counts[1]);
    bufs[2] = g.desc.bias ? upload(cl, g.data[2], g.counts[2]) : NULL;
    bufs[3] = upload(cl, got, g.counts[3]);
    size_t ws = clconv_plan_get_workspace_size(plan);
    if (ws) {
        cl_int err;
        bufs[4] = clCreateBuffer(cl, CL_MEM_READ_WRITE, ws, NULL, &err);
    }
    if (!bufs[0] || !bufs[1] || !bufs[3] || (g.desc.bias && !bufs[2]) || (ws && !bufs[4])) {
        fprintf(stderr, "%s: buffer allocation failed\n", path);
        goto done;
    }
    cl_event done_ev;
    st = clconv_plan_enqueue(plan, bufs[0], bufs[1], bufs[2], bufs[3], bufs[4], 0, NULL, &done_ev);
    if (st != CLCONV_SUCCESS) {
        fprintf(stderr, "%s: enqueue: %s: %s\n", path, clconv_status_string(st),
                clconv_context_last_error(ctx));
        goto done;
    }
    clWaitForEvents(1, &done_ev);
    clReleaseEvent(done_ev);
    if (clEnqueueReadBuffer(clconv_context_get_queue(ctx), bufs[3], CL_TRUE, 0,
                            g.counts[3] * sizeof(float), got, 0, NULL, NULL) != CL_SUCCESS) {
        fprintf(stderr, "%s: read back failed\n", path);
        goto done;
    }
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < g.counts[3]; i++) {
        double err = fabs((double)got[i] - (double)g.data[3][i]);
        double ratio = isnan(got[i]) ? INFINITY : err / (REL_TOL * scale[i] + 1e-12);
        if (ratio > worst) {
            worst = ratio;
            at = i;
        }
    }
    failed = !(worst <= 1.0);
    printf("%s %s: %s, algo %s, %zu outputs, worst error %.3g x tolerance\n",
           failed ? "FAIL" : "ok", path,
           g.desc.kind == CLCONV_CONV2D ? "Conv2d" : "ConvTranspose2d",
           clconv_algo_name(clconv_plan_get_algo(plan)), g.counts[3], worst);
    if (failed)
        printf("  output[%zu] = %.9g, torch %.9g\n", at, got[at], g.data[3][at]);
done:
    for (int i = 0; i < 5; i++)
        if (bufs[i])
            clReleaseMemObject(bufs[i]);
    clconv_plan_destroy(plan);
    for (int t = 0; t < 3; t++)
        free(abs_data[t]);
    free(got);
    free(scale);
    golden_free(&g);
    return failed;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CASE.bin...\n", argv[0]);
        return 2;
    }
    clconv_context *ctx = NULL;
    clconv_status st = clconv_context_create(NULL, &ctx);
    if (st != CLCONV_SUCCESS) {
        fprintf(stderr, "context: %s: %s\n", clconv_status_string(st), clconv_last_error());
        return 1;
    }
    clconv_device_info info;
    if (clconv_context_get_device_info(ctx, &info) == CLCONV_SUCCESS)
        printf("clconv %s on %s (%s)\n", CLCONV_VERSION_STRING, info.device_name,
               info.platform_name);
    int failures = 0;
    for (int i = 1; i < argc; i++)
        failures += run_case(ctx, argv[i]);
    clconv_context_destroy(ctx);
    return failures ? 1 : 0;
}
