/* Golden data from PyTorch (the .bin files of tests/golden, written by generate.py there): pins
 * clconv_reference and the device path to torch's results for Conv2d and ConvTranspose2d, the
 * fused epilogue (every activation, residual) included. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/common.h"

#define GOLDEN_MAX_CASES 128
#define GOLDEN_NPARAMS 27     /* version 1 */
#define GOLDEN_NPARAMS_EPI 31 /* version 2: the epilogue's four more */

/* Tolerances relative to sum |x*w| + |b| per output. torch's expected output is the float64
 * result rounded to float32, and the reference accumulates in double, so they differ by at
 * most an ulp: 1e-6 leaves room without hiding a wrong tap. The device accumulates in float. */
#define REF_REL 1e-6
#define DEV_REL 1e-5
#define ABS_FLOOR 1e-12
#define ERR_SIZE 2048

typedef struct golden {
    char name[256];
    clconv_desc desc;
    int same; /* torch ran padding='same'; desc's pads are the ones torch applied */
    int in[4], out[4];
    float *input, *weight, *bias, *residual, *output; /* residual: NULL without */
    size_t input_count, weight_count, bias_count, output_count;
} golden;

static char golden_dir[1024];
static char case_files[GOLDEN_MAX_CASES][256];
static int case_count;

/* The folder comes from meson (CLCONV_GOLDEN_DIR); run by hand from the build folder, the
 * source path the compiler saw works too. */
static void find_golden_dir(void)
{
    const char *env = getenv("CLCONV_GOLDEN_DIR");
    if (env && *env) {
        snprintf(golden_dir, sizeof golden_dir, "%s", env);
        return;
    }
    snprintf(golden_dir, sizeof golden_dir, "%s", __FILE__);
    char *slash = strrchr(golden_dir, '/');
    if (slash)
        snprintf(slash + 1, sizeof golden_dir - (size_t)(slash + 1 - golden_dir), "golden");
    else
        snprintf(golden_dir, sizeof golden_dir, "golden");
}

/* Reads index.txt; returns the number of names read (0 if the file is missing). */
static int read_index(void)
{
    char path[1300];
    snprintf(path, sizeof path, "%s/index.txt", golden_dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[256];
    int n = 0;
    while (n < GOLDEN_MAX_CASES && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0])
            snprintf(case_files[n++], sizeof case_files[0], "%s", line);
    }
    fclose(f);
    return n;
}

static int32_t le32(const unsigned char *p)
{
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24);
}

static void le_floats(const unsigned char *p, float *dst, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        uint32_t bits = (uint32_t)le32(p + 4 * i);
        memcpy(&dst[i], &bits, 4);
    }
}

static void golden_free(golden *g)
{
    free(g->input);
    free(g->weight);
    free(g->bias);
    free(g->output);
    free(g->residual);
    memset(g, 0, sizeof *g);
}

/* Loads one case; on failure returns false with the reason in err. */
static bool golden_load(const char *file, golden *g, char *err, size_t err_size)
{
    memset(g, 0, sizeof *g);
    snprintf(g->name, sizeof g->name, "%s", file);
    char path[1300];
    snprintf(path, sizeof path, "%s/%s", golden_dir, file);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_size, "%s: cannot open", path);
        return false;
    }
    unsigned char *data = NULL;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    if (size > 0 && fseek(f, 0, SEEK_SET) == 0 && (data = malloc((size_t)size)) &&
        fread(data, 1, (size_t)size, f) != (size_t)size) {
        free(data);
        data = NULL;
    }
    fclose(f);
    bool ok = false;
    if (!data || (size_t)size < 16) {
        snprintf(err, err_size, "%s: unreadable or shorter than the header", file);
        goto done;
    }
    const int version = le32(data + 8);
    const int nparams = version == 2 ? GOLDEN_NPARAMS_EPI : GOLDEN_NPARAMS;
    const size_t header = 8 + 4 * (2 + (size_t)nparams);
    if (memcmp(data, "CLCVGOLD", 8) || (version != 1 && version != 2) ||
        le32(data + 12) != nparams || (size_t)size < header) {
        snprintf(err, err_size, "%s: bad magic, version or parameter count", file);
        goto done;
    }
    int32_t p[GOLDEN_NPARAMS_EPI] = {0};
    for (int i = 0; i < nparams; i++)
        p[i] = le32(data + 16 + 4 * i);
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
    g->same = p[18];
    memcpy(g->in, &p[19], sizeof g->in);
    memcpy(g->out, &p[23], sizeof g->out);
    d->activation = (clconv_activation)p[27];
    memcpy(&d->activation_alpha, &p[28], sizeof(float));
    memcpy(&d->activation_beta, &p[29], sizeof(float));
    d->residual = p[30];
    if (clconv_tensor_sizes(d, g->in, &g->input_count, &g->weight_count, &g->bias_count,
                            &g->output_count) != CLCONV_SUCCESS) {
        snprintf(err, err_size, "%s: descriptor rejected: %s", file, clconv_last_error());
        goto done;
    }
    const size_t residual_count = d->residual ? g->output_count : 0;
    size_t floats =
        g->input_count + g->weight_count + g->bias_count + residual_count + g->output_count;
    if ((size_t)size != header + 4 * floats) {
        snprintf(err, err_size, "%s: %ld bytes, expected %zu", file, size, header + 4 * floats);
        goto done;
    }
    g->input = malloc(g->input_count * sizeof(float));
    g->weight = malloc(g->weight_count * sizeof(float));
    g->bias = malloc((g->bias_count ? g->bias_count : 1) * sizeof(float));
    g->output = malloc(g->output_count * sizeof(float));
    g->residual = d->residual ? malloc(g->output_count * sizeof(float)) : NULL;
    if (!g->input || !g->weight || !g->bias || !g->output || (d->residual && !g->residual)) {
        snprintf(err, err_size, "%s: out of memory", file);
        goto done;
    }
    const unsigned char *q = data + header;
    le_floats(q, g->input, g->input_count);
    q += 4 * g->input_count;
    le_floats(q, g->weight, g->weight_count);
    q += 4 * g->weight_count;
    le_floats(q, g->bias, g->bias_count);
    q += 4 * g->bias_count;
    if (g->residual)
        le_floats(q, g->residual, residual_count);
    q += 4 * residual_count;
    le_floats(q, g->output, g->output_count);
    ok = true;
done:
    free(data);
    if (!ok)
        golden_free(g);
    return ok;
}

/* Per-output tolerance scale: the reference run on |x|, |w|, |b| gives sum |x*w| + |b|. */
static float *tolerance_scale(const golden *g)
{
    float *ax = malloc(g->input_count * sizeof(float));
    float *aw = malloc(g->weight_count * sizeof(float));
    float *ab = malloc((g->bias_count ? g->bias_count : 1) * sizeof(float));
    float *scale = malloc(g->output_count * sizeof(float));
    bool ok = ax && aw && ab && scale;
    if (ok) {
        for (size_t i = 0; i < g->input_count; i++)
            ax[i] = fabsf(g->input[i]);
        for (size_t i = 0; i < g->weight_count; i++)
            aw[i] = fabsf(g->weight[i]);
        for (size_t i = 0; i < g->bias_count; i++)
            ab[i] = fabsf(g->bias[i]);
        clconv_desc plain = g->desc; /* the convolution's magnitudes, before the epilogue */
        plain.activation = CLCONV_ACTIVATION_NONE;
        plain.residual = 0;
        ok = clconv_reference(&plain, g->in, ax, aw, ab, scale) == CLCONV_SUCCESS;
        for (size_t i = 0; ok && g->residual && i < g->output_count; i++)
            scale[i] += fabsf(g->residual[i]);
    }
    free(ax);
    free(aw);
    free(ab);
    if (!ok) {
        free(scale);
        return NULL;
    }
    return scale;
}

/* Worst |got - torch| / tolerance over the outputs, the tolerance rel * scale + floor (times
 * 1.5, the activations' largest slope, plus 4 float ulps of the result for exp, erf and tanh
 * with an activation); NaN counts as infinite. */
static double worst_ratio(const golden *g, const float *got, const float *scale, double rel,
                          size_t *where)
{
    double worst = 0;
    *where = 0;
    for (size_t i = 0; i < g->output_count; i++) {
        double err = fabs((double)got[i] - (double)g->output[i]);
        double tol = rel * scale[i] + ABS_FLOOR;
        if (g->desc.activation != CLCONV_ACTIVATION_NONE)
            tol = 1.5 * tol + 4 * 0x1p-23 * fabs((double)g->output[i]);
        double ratio = isnan(got[i]) ? INFINITY : err / tol;
        if (ratio > worst) {
            worst = ratio;
            *where = i;
        }
    }
    return worst;
}

static cl_mem upload(cl_context cl, const float *data, size_t count)
{
    cl_int err;
    return clCreateBuffer(cl, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
                          (count ? count : 1) * sizeof(float), (void *)data, &err);
}

/* Runs the case on the shared context with algo; writes the output into got. Returns the
 * status; *ran is the algorithm the plan chose. */
static clconv_status device_run(const golden *g, clconv_algo algo, float *got, clconv_algo *ran,
                                char *err, size_t err_size)
{
    clconv_context *ctx = test_context();
    if (!ctx) {
        snprintf(err, err_size, "no context: %s", clconv_last_error());
        return CLCONV_ERROR_DEVICE_NOT_FOUND;
    }
    clconv_plan *plan = NULL;
    cl_mem in = NULL, w = NULL, b = NULL, res = NULL, out = NULL, ws = NULL;
    clconv_status st = clconv_plan_create(ctx, &g->desc, g->in, algo, &plan);
    if (st != CLCONV_SUCCESS) {
        snprintf(err, err_size, "plan_create(%s): %s: %s", clconv_algo_name(algo),
                 clconv_status_name(st), clconv_context_last_error(ctx));
        return st;
    }
    *ran = clconv_plan_get_algo(plan);
    cl_context cl = clconv_context_get_cl_context(ctx);
    for (size_t i = 0; i < g->output_count; i++)
        got[i] = NAN; /* an output the kernel misses stays NaN */
    in = upload(cl, g->input, g->input_count);
    w = upload(cl, g->weight, g->weight_count);
    b = g->desc.bias ? upload(cl, g->bias, g->bias_count) : NULL;
    out = upload(cl, got, g->output_count);
    res = g->residual ? upload(cl, g->residual, g->output_count) : NULL;
    size_t ws_size = clconv_plan_get_workspace_size(plan);
    if (ws_size) {
        cl_int e;
        ws = clCreateBuffer(cl, CL_MEM_READ_WRITE, ws_size, NULL, &e);
    }
    if (!in || !w || !out || (g->desc.bias && !b) || (ws_size && !ws) || (g->residual && !res)) {
        snprintf(err, err_size, "device allocation failed");
        st = CLCONV_ERROR_OPENCL;
        goto done;
    }
    cl_event ev = NULL;
    const clconv_buffers bufs = {in, w, b, res, out, ws};
    st = clconv_plan_enqueue_buffers(plan, NULL, &bufs, 0, NULL, &ev);
    if (st != CLCONV_SUCCESS) {
        snprintf(err, err_size, "enqueue(%s): %s: %s", clconv_algo_name(*ran),
                 clconv_status_name(st), clconv_context_last_error(ctx));
        goto done;
    }
    clWaitForEvents(1, &ev);
    clReleaseEvent(ev);
    if (clEnqueueReadBuffer(clconv_context_get_queue(ctx), out, CL_TRUE, 0,
                            g->output_count * sizeof(float), got, 0, NULL, NULL) != CL_SUCCESS) {
        snprintf(err, err_size, "read back failed");
        st = CLCONV_ERROR_OPENCL;
    }
done:
    clconv_plan_destroy(plan);
    cl_mem all[] = {in, w, b, res, out, ws};
    for (int i = 0; i < 6; i++)
        if (all[i])
            clReleaseMemObject(all[i]);
    return st;
}

/* Loads case i; for padding='same' cases the descriptor's pads are rebuilt through
 * clconv_desc_set_padding_same, which must reproduce the pads torch applied. */
static void load_case(int i, golden *g)
{
    char err[ERR_SIZE];
    ck_assert_msg(i < case_count, "case %d: %s/index.txt lists %d cases", i, golden_dir,
                  case_count);
    ck_assert_msg(golden_load(case_files[i], g, err, sizeof err), "%s", err);
    if (g->same) {
        clconv_desc d = g->desc;
        d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 0;
        clconv_status st = clconv_desc_set_padding_same(&d);
        ck_assert_msg(st == CLCONV_SUCCESS, "%s: set_padding_same: %s", g->name,
                      clconv_last_error());
        ck_assert_msg(d.pad_top == g->desc.pad_top && d.pad_bottom == g->desc.pad_bottom &&
                          d.pad_left == g->desc.pad_left && d.pad_right == g->desc.pad_right,
                      "%s: set_padding_same gave t%d b%d l%d r%d, torch padded t%d b%d l%d r%d",
                      g->name, d.pad_top, d.pad_bottom, d.pad_left, d.pad_right, g->desc.pad_top,
                      g->desc.pad_bottom, g->desc.pad_left, g->desc.pad_right);
        g->desc = d;
    }
    int out[4];
    ck_assert_msg(clconv_output_shape(&g->desc, g->in, out) == CLCONV_SUCCESS, "%s: %s", g->name,
                  clconv_last_error());
    ck_assert_msg(!memcmp(out, g->out, sizeof out),
                  "%s: output shape %dx%dx%dx%d, torch %dx%dx%dx%d", g->name, out[0], out[1],
                  out[2], out[3], g->out[0], g->out[1], g->out[2], g->out[3]);
}

START_TEST(test_index_covers_every_case)
{
    ck_assert_msg(case_count >= 20, "%s/index.txt lists %d cases (regenerate?)", golden_dir,
                  case_count);
    int kinds[2] = {0}, modes[4] = {0}, same_even = 0, no_bias[2] = {0}, batch = 0, groups[2] = {0};
    int depthwise_mult = 0, asym = 0, dilation[2] = {0}, stride[2] = {0}, out_pad = 0;
    int activations[CLCONV_ACTIVATION_COUNT_] = {0}, residual[2] = {0};
    for (int i = 0; i < case_count; i++) {
        golden g;
        char err[ERR_SIZE];
        ck_assert_msg(golden_load(case_files[i], &g, err, sizeof err), "%s", err);
        const clconv_desc *d = &g.desc;
        int k = d->kind == CLCONV_CONV_TRANSPOSE2D;
        kinds[k]++;
        modes[d->padding_mode]++;
        same_even += g.same && (d->kernel_h % 2 == 0 || d->kernel_w % 2 == 0);
        no_bias[k] += !d->bias;
        batch += g.in[0] > 1;
        groups[k] += d->groups > 1;
        depthwise_mult += !k && d->groups == d->in_channels && d->out_channels > d->in_channels;
        asym += !k && !g.same && (d->pad_top != d->pad_bottom || d->pad_left != d->pad_right);
        dilation[k] += d->dilation_h > 1 || d->dilation_w > 1;
        stride[k] += d->stride_h > 1 || d->stride_w > 1;
        out_pad += d->output_padding_h > 0 || d->output_padding_w > 0;
        if (d->activation != CLCONV_ACTIVATION_NONE || d->residual)
            activations[d->activation]++;
        residual[k] += d->residual != 0;
        golden_free(&g);
    }
    for (int a = 0; a < CLCONV_ACTIVATION_COUNT_; a++)
        ck_assert_msg(activations[a] > 0, "no epilogue case with activation %s",
                      clconv_activation_name((clconv_activation)a));
    ck_assert_msg(residual[0] && residual[1], "residual cases: Conv2d %d, ConvTranspose2d %d",
                  residual[0], residual[1]);
    ck_assert_msg(kinds[0] && kinds[1], "Conv2d %d, ConvTranspose2d %d cases", kinds[0], kinds[1]);
    for (int m = 0; m < 4; m++)
        ck_assert_msg(modes[m] > 0, "no case with padding mode %d", m);
    ck_assert_msg(same_even && batch && depthwise_mult && asym && out_pad,
                  "missing: same-even %d batch %d depthwise-mult %d asymmetric %d "
                  "output_padding %d",
                  same_even, batch, depthwise_mult, asym, out_pad);
    for (int k = 0; k < 2; k++)
        ck_assert_msg(no_bias[k] && groups[k] && dilation[k] && stride[k],
                      "kind %d: no-bias %d groups %d dilation %d stride %d", k, no_bias[k],
                      groups[k], dilation[k], stride[k]);
}
END_TEST

/* clconv_reference against torch. */
START_TEST(test_reference_matches_torch)
{
    golden g;
    load_case(_i, &g);
    float *got = malloc(g.output_count * sizeof(float));
    float *scale = tolerance_scale(&g);
    ck_assert(got && scale);
    ck_assert_msg(clconv_reference_residual(&g.desc, g.in, g.input, g.weight, g.bias, g.residual,
                                            got) == CLCONV_SUCCESS,
                  "%s: %s", g.name, clconv_last_error());
    size_t at;
    double r = worst_ratio(&g, got, scale, REF_REL, &at);
    printf("golden %-32s reference   worst %.3g x tolerance (rel %g)\n", g.name, r, REF_REL);
    ck_assert_msg(r <= 1.0, "%s: reference output[%zu] = %.9g, torch %.9g (%.3g x tolerance)",
                  g.name, at, got[at], g.output[at], r);
    free(got);
    free(scale);
    golden_free(&g);
}
END_TEST

/* The device path against torch: AUTO and DIRECT must run every case; every other algorithm
 * runs the cases it supports and declines the others with CLCONV_ERROR_UNSUPPORTED and a
 * reason. */
START_TEST(test_device_matches_torch)
{
    golden g;
    load_case(_i, &g);
    float *got = malloc(g.output_count * sizeof(float));
    float *scale = tolerance_scale(&g);
    ck_assert(got && scale);
    for (int a = 0; a < CLCONV_ALGO_COUNT_; a++) {
        const clconv_algo algo = (clconv_algo)a;
        const bool required = algo == CLCONV_ALGO_AUTO || algo == CLCONV_ALGO_DIRECT;
        char err[ERR_SIZE] = "";
        clconv_algo ran = CLCONV_ALGO_AUTO;
        clconv_status st = device_run(&g, algo, got, &ran, err, sizeof err);
        if (st == CLCONV_ERROR_UNSUPPORTED && !required) {
            ck_assert_msg(strlen(err) > 40, "%s: %s declined without a reason: %s", g.name,
                          clconv_algo_name(algo), err);
            printf("golden %-32s %-9s declined\n", g.name, clconv_algo_name(algo));
            continue;
        }
        ck_assert_msg(st == CLCONV_SUCCESS, "%s: %s", g.name, err);
        size_t at;
        double r = worst_ratio(&g, got, scale, DEV_REL, &at);
        printf("golden %-32s %-9s (%s) worst %.3g x tolerance (rel %g)\n", g.name,
               clconv_algo_name(algo), clconv_algo_name(ran), r, DEV_REL);
        ck_assert_msg(r <= 1.0, "%s: %s (%s) output[%zu] = %.9g, torch %.9g (%.3g x tolerance)",
                      g.name, clconv_algo_name(algo), clconv_algo_name(ran), at, got[at],
                      g.output[at], r);
    }
    free(got);
    free(scale);
    golden_free(&g);
}
END_TEST

/* The comparison can fail: a perturbation far below what a wrong tap would cause, but above
 * float rounding, is caught at the reference tolerance. */
START_TEST(test_comparison_detects_small_error)
{
    golden g;
    load_case(0, &g);
    float *got = malloc(g.output_count * sizeof(float));
    float *scale = tolerance_scale(&g);
    ck_assert(got && scale);
    ck_assert(clconv_reference(&g.desc, g.in, g.input, g.weight, g.bias, got) == CLCONV_SUCCESS);
    size_t at, mid = g.output_count / 2;
    got[mid] += (float)(1e-5 * scale[mid]);
    double r = worst_ratio(&g, got, scale, REF_REL, &at);
    ck_assert_msg(r > 1.0 && at == mid, "perturbed output[%zu] gave ratio %.3g at %zu", mid, r, at);
    got[mid] = NAN;
    ck_assert(isinf(worst_ratio(&g, got, scale, REF_REL, &at)) && at == mid);
    free(got);
    free(scale);
    golden_free(&g);
}
END_TEST

static Suite *golden_suite(void)
{
    Suite *s = suite_create("golden");
    TCase *tc = tcase_create("torch");
    tcase_add_test(tc, test_index_covers_every_case);
    tcase_add_test(tc, test_comparison_detects_small_error);
    /* One iteration per case, so a failure names its file; an empty index fails above. */
    int n = case_count > 0 ? case_count : 1;
    tcase_add_loop_test(tc, test_reference_matches_torch, 0, n);
    tcase_add_loop_test(tc, test_device_matches_torch, 0, n);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    find_golden_dir();
    case_count = read_index();
    SRunner *sr = srunner_create(golden_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    test_context_release();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
