/* Non-finite values (inf, NaN) in weights and inputs: every variant agrees with the reference,
 * and the reference with PyTorch.
 *
 * The semantics (docs/reliability.md, "Non-finite values"): Conv2d is the correlation of the
 * explicitly padded input, so every tap multiplies, zero-padding taps included (0 * inf = NaN), for
 * every groups value; ConvTranspose2d forms only the products x[i] * w[k] that exist. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clconv.h>

#include "tests/common.h"

/* ---- the reference against PyTorch 1.13 ------------------------------------------------ */

/* Outputs equal, NaN to NaN and inf to inf exactly, finite ones within 1e-6. */
static void ck_assert_same(const float *got, const float *want, int count, const char *what)
{
    for (int i = 0; i < count; i++) {
        const bool same = isnan(want[i])   ? isnan(got[i])
                          : isinf(want[i]) ? got[i] == want[i]
                                           : fabsf(got[i] - want[i]) <= 1e-6f;
        ck_assert_msg(same, "%s: output[%d] = %g, expected %g", what, i, got[i], want[i]);
    }
}

/* x = arange(9) - 4 as 1x1x3x3; w (2, 1, 3, 3): w[0] all 0.5 but w[0,0,0,0] = inf, w[1] =
 * arange(9) * 0.25 - 1; bias (0.5, -0.25). */
static void hand_conv2d(clconv_padding_mode mode, float out[18])
{
    float x[9], w[18], b[2] = {0.5f, -0.25f};
    for (int i = 0; i < 9; i++) {
        x[i] = (float)i - 4;
        w[i] = 0.5f;
        w[9 + i] = (float)i * 0.25f - 1;
    }
    w[0] = INFINITY;
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 1, 2, 3, 3);
    d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
    d.padding_mode = mode;
    d.bias = 1;
    const int in[4] = {1, 1, 3, 3};
    ck_assert_int_eq(clconv_reference(&d, in, x, w, b, out), CLCONV_SUCCESS);
}

/* torch.nn.functional.conv2d(x, w, b, padding=1) */
START_TEST(test_reference_zeros_padding)
{
    const float want[18] = {NAN,   NAN,  NAN,  NAN,  -INFINITY, -INFINITY, NAN,  -INFINITY, NAN,
                            -1.75, 0.75, 1.25, 8.75, 14.75,     8.75,      1.25, 0.75,      -1.75};
    float out[18];
    hand_conv2d(CLCONV_PADDING_ZEROS, out);
    ck_assert_same(out, want, 18, "zeros padding, inf corner tap");
}
END_TEST

/* torch.nn.Conv2d(1, 2, 3, padding=1, padding_mode='reflect') with weight w and bias b */
START_TEST(test_reference_reflect_padding)
{
    const float want[18] = {NAN,   -INFINITY, NAN,   -INFINITY, -INFINITY, -INFINITY,
                            NAN,   -INFINITY, NAN,   -0.25,     1.25,      -0.25,
                            13.25, 14.75,     13.25, -0.25,     1.25,      -0.25};
    float out[18];
    hand_conv2d(CLCONV_PADDING_REFLECT, out);
    ck_assert_same(out, want, 18, "reflect padding, inf corner tap");
}
END_TEST

/* torch.nn.functional.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1) with
 * x = arange(9) + 1 as 1x1x3x3 and w = 0.5 everywhere but w[0,0,0,0] = inf: the inf tap's
 * products that land in the cropped padding are not formed, so no NaN. */
START_TEST(test_reference_transposed)
{
    const float I = INFINITY;
    const float want[36] = {0.5, 1.5, 1.0, 2.5, 1.5, 1.5, 2.5, I,   3.5, I,   4.5, 4.5,
                            2.0, 4.5, 2.5, 5.5, 3.0, 3.0, 5.5, I,   6.5, I,   7.5, 7.5,
                            3.5, 7.5, 4.0, 8.5, 4.5, 4.5, 3.5, 7.5, 4.0, 8.5, 4.5, 4.5};
    float x[9], w[9], out[36];
    for (int i = 0; i < 9; i++) {
        x[i] = (float)i + 1;
        w[i] = 0.5f;
    }
    w[0] = INFINITY;
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV_TRANSPOSE2D, 1, 1, 3, 3);
    d.stride_h = d.stride_w = 2;
    d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
    d.output_padding_h = d.output_padding_w = 1;
    d.bias = 0;
    const int in[4] = {1, 1, 3, 3};
    ck_assert_int_eq(clconv_reference(&d, in, x, w, NULL, out), CLCONV_SUCCESS);
    ck_assert_same(out, want, 36, "transposed, padding 1, inf corner tap");
}
END_TEST

/* ---- every variant against the reference ----------------------------------------------- */

/* Cases that reach every variant (1x1 and kernel == stride layers, depthwise at strides 1
 * and 2, output width == input width), with zero padding where a kernel could skip it. */
/* name                n cin h w cout kh kw sh sw pt pb pl pr dh dw groups bias mode oph opw */
static const test_spec conv_cases[] = {
    {"dense 3x3 pad 1", 1, 3, 5, 6, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0},
    {"dense 3x3 s2 pad 2", 1, 2, 7, 7, 4, 3, 3, 2, 2, 2, 1, 2, 1, 1, 1, 1, 0, 0, 0, 0},
    {"dense 3x3 dil 2 pad 2", 1, 2, 6, 6, 16, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1, 1, 0, 0, 0},
    {"grouped 3x3 pad 1", 2, 4, 5, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, 0, 0, 0, 0},
    {"reflect 3x3 pad 1", 1, 2, 5, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0},
    {"1x1", 1, 4, 4, 5, 4, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0},
    {"1x1 s2", 1, 4, 6, 6, 4, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0},
    {"depthwise 3x3 pad 1", 1, 3, 6, 20, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3, 1, 0, 0, 0},
    {"depthwise x2 5x5 pad 2", 1, 2, 5, 7, 4, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 2, 0, 0, 0, 0},
    {"depthwise 3x3 s2 pad 1", 1, 2, 8, 8, 2, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 2, 1, 0, 0, 0},
    {"depthwise wide pad 1", 1, 2, 3, 70, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, 0, 0, 0, 0},
    {"depthwise replicate", 1, 2, 5, 5, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, 0, 2, 0, 0},
};
static const test_spec tconv_cases[] = {
    {"3x3 s2 pad 1 op 1", 1, 3, 4, 5, 4, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1},
    {"3x3 s1 pad 1", 1, 2, 5, 5, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},
    {"4x4 s2 pad 1", 2, 2, 3, 4, 16, 4, 4, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0},
    {"3x3 s2 dil 2 pad 2", 1, 2, 4, 4, 4, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0},
    {"2x2 s2", 1, 4, 3, 3, 4, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0},
    {"1x1", 1, 4, 4, 4, 4, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0},
};

/* What is made non-finite: the first weight (output channel 0's corner tap, which lands on the
 * padding at the border), a weight in the middle of the tensor, or an input value. */
enum poison { INF_WEIGHT, NAN_WEIGHT, INF_INPUT, POISONS };
static const char *const poison_names[POISONS] = {"inf weight", "NaN weight", "inf input"};

static void poison(test_tensors *t, enum poison what)
{
    switch (what) {
    case INF_WEIGHT:
        t->weight[0] = INFINITY;
        break;
    case NAN_WEIGHT:
        t->weight[t->weight_count / 2] = NAN;
        break;
    default:
        t->input[t->input_count / 3] = -INFINITY;
        t->input[0] = INFINITY;
        break;
    }
}

static cl_mem upload(cl_context cl, const float *data, size_t count, clconv_dtype dtype)
{
    const size_t elem = clconv_dtype_size(dtype), bytes = (count ? count : 1) * elem;
    void *host = calloc(1, bytes);
    if (!host)
        return NULL;
    for (size_t i = 0; i < count; i++)
        if (dtype == CLCONV_FLOAT16)
            ((uint16_t *)host)[i] = test_float_to_half(data[i]);
        else
            ((float *)host)[i] = data[i];
    cl_int err;
    cl_mem buf = clCreateBuffer(cl, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, bytes, host, &err);
    free(host);
    return err == CL_SUCCESS ? buf : NULL;
}

static bool download(cl_command_queue q, cl_mem buf, float *data, size_t count, clconv_dtype dtype)
{
    const size_t elem = clconv_dtype_size(dtype);
    void *host = malloc(count * elem);
    bool ok = host && clEnqueueReadBuffer(q, buf, CL_TRUE, 0, count * elem, host, 0, NULL, NULL) ==
                          CL_SUCCESS;
    for (size_t i = 0; ok && i < count; i++)
        data[i] = dtype == CLCONV_FLOAT16 ? test_half_to_float(((uint16_t *)host)[i])
                                          : ((float *)host)[i];
    free(host);
    return ok;
}

/* Runs the case with variant forced: 1 when it matched the reference, 0 when the variant does
 * not apply, -1 (with msg) on a mismatch or failure. */
static int run_variant(const char *variant, const clconv_desc *d, const int in[4], enum poison what,
                       char *msg, size_t msg_size)
{
    clconv_context *ctx = test_context();
    clconv_plan *plan = NULL;
    clconv_status st = clconv_plan_create_variant(ctx, d, in, variant, &plan);
    if (st == CLCONV_ERROR_UNSUPPORTED)
        return 0;
    if (st != CLCONV_SUCCESS) {
        snprintf(msg, msg_size, "plan: %s", clconv_context_last_error(ctx));
        return -1;
    }
    test_tensors t;
    if (!test_tensors_alloc(&t, d, in, 7 + (uint64_t)what)) {
        clconv_plan_destroy(plan);
        snprintf(msg, msg_size, "tensors");
        return -1;
    }
    poison(&t, what);
    const bool half = d->dtype == CLCONV_FLOAT16;
    if (half) {
        test_round_to_half(t.input, t.input_count);
        test_round_to_half(t.weight, t.weight_count);
        test_round_to_half(t.bias, t.bias_count);
    }
    /* tolerance of a finite output: rel * sum |x * w| over its taps (no non-finite one) */
    float *ref = malloc(t.output_count * sizeof(float));
    float *scale = malloc(t.output_count * sizeof(float));
    float *ain = malloc(t.input_count * sizeof(float));
    float *aw = malloc(t.weight_count * sizeof(float));
    float *ab = malloc((t.bias_count + 1) * sizeof(float));
    int result = -1;
    cl_mem bin = NULL, bw = NULL, bb = NULL, bout = NULL, bws = NULL;
    if (!ref || !scale || !ain || !aw || !ab) {
        snprintf(msg, msg_size, "host allocation");
        goto done;
    }
    for (size_t i = 0; i < t.input_count; i++)
        ain[i] = fabsf(t.input[i]);
    for (size_t i = 0; i < t.weight_count; i++)
        aw[i] = fabsf(t.weight[i]);
    for (size_t i = 0; i < t.bias_count; i++)
        ab[i] = fabsf(t.bias[i]);
    clconv_reference(d, in, t.input, t.weight, t.bias, ref);
    clconv_reference(d, in, ain, aw, ab, scale);

    cl_context cl = clconv_context_get_cl_context(ctx);
    for (size_t i = 0; i < t.output_count; i++)
        t.output[i] = 12345.0f; /* a missed output shows */
    bin = upload(cl, t.input, t.input_count, d->dtype);
    bw = upload(cl, t.weight, t.weight_count, d->dtype);
    bb = d->bias ? upload(cl, t.bias, t.bias_count, d->dtype) : NULL;
    bout = upload(cl, t.output, t.output_count, d->dtype);
    const size_t ws = clconv_plan_get_workspace_size(plan);
    if (ws) {
        cl_int err;
        bws = clCreateBuffer(cl, CL_MEM_READ_WRITE, ws, NULL, &err);
    }
    if (!bin || !bw || !bout || (d->bias && !bb) || (ws && !bws)) {
        snprintf(msg, msg_size, "device allocation");
        goto done;
    }
    cl_event ev = NULL;
    st = clconv_plan_enqueue(plan, bin, bw, bb, bout, bws, 0, NULL, &ev);
    if (st != CLCONV_SUCCESS) {
        snprintf(msg, msg_size, "enqueue: %s", clconv_context_last_error(ctx));
        goto done;
    }
    clWaitForEvents(1, &ev);
    clReleaseEvent(ev);
    if (!download(clconv_context_get_queue(ctx), bout, t.output, t.output_count, d->dtype)) {
        snprintf(msg, msg_size, "read back");
        goto done;
    }
    const double rel = half ? 2e-3 : 1e-5;
    result = 1;
    for (size_t i = 0; i < t.output_count && result == 1; i++) {
        const float got = t.output[i], want = ref[i];
        const bool same = isnan(want) ? isnan(got)
                          : isinf(want)
                              ? got == want
                              : isfinite(got) && fabs((double)got - want) <= rel * scale[i] + 1e-7;
        if (!same) {
            snprintf(msg, msg_size, "output[%zu] = %g, reference %g", i, got, want);
            result = -1;
        }
    }
done:
    clconv_plan_destroy(plan);
    cl_mem bufs[] = {bin, bw, bb, bout, bws};
    for (int i = 0; i < 5; i++)
        if (bufs[i])
            clReleaseMemObject(bufs[i]);
    free(ref);
    free(scale);
    free(ain);
    free(aw);
    free(ab);
    test_tensors_free(&t);
    return result;
}

/* Every variant on every case, poison and dtype it applies to; each variant must run at least
 * one case, and every run must match. */
START_TEST(test_every_variant)
{
    const int nv = clconv_variant_count();
    ck_assert_int_gt(nv, 0);
    char failures[8192] = "";
    int failed = 0, total = 0;
    for (int v = 0; v < nv; v++) {
        const char *name = clconv_variant_name(v);
        int ran = 0, bad = 0;
        char first[512] = "";
        for (int kind = 0; kind < 2; kind++) {
            const test_spec *specs = kind ? tconv_cases : conv_cases;
            const int ns = kind ? (int)(sizeof tconv_cases / sizeof *tconv_cases)
                                : (int)(sizeof conv_cases / sizeof *conv_cases);
            for (int s = 0; s < ns; s++)
                for (int dt = 0; dt < 2; dt++)
                    for (int what = 0; what < POISONS; what++) {
                        clconv_desc d;
                        int in[4];
                        test_spec_desc(&specs[s], kind ? CLCONV_CONV_TRANSPOSE2D : CLCONV_CONV2D,
                                       dt ? CLCONV_FLOAT16 : CLCONV_FLOAT32, &d, in);
                        char msg[256] = "";
                        const int r = run_variant(name, &d, in, (enum poison)what, msg, sizeof msg);
                        if (r == 0)
                            continue;
                        ran++;
                        total++;
                        if (r < 0 && bad++ == 0)
                            snprintf(first, sizeof first, "%s %s %s, %s: %s",
                                     kind ? "tconv" : "conv", specs[s].name, dt ? "f16" : "f32",
                                     poison_names[what], msg);
                    }
        }
        printf("%s: %d runs, %d failed\n", name, ran, bad);
        failed += bad + !ran;
        size_t len = strlen(failures);
        if (!ran)
            snprintf(failures + len, sizeof failures - len, "\n  %s: ran no case", name);
        else if (bad)
            snprintf(failures + len, sizeof failures - len, "\n  %s: %d of %d failed, first: %s",
                     name, bad, ran, first);
    }
    ck_assert_msg(failed == 0, "%d failures of %d runs:%s", failed, total, failures);
}
END_TEST

static Suite *nonfinite_suite(void)
{
    Suite *s = suite_create("nonfinite");
    TCase *ref = tcase_create("reference");
    tcase_add_test(ref, test_reference_zeros_padding);
    tcase_add_test(ref, test_reference_reflect_padding);
    tcase_add_test(ref, test_reference_transposed);
    suite_add_tcase(s, ref);
    TCase *dev = tcase_create("variants");
    tcase_add_test(dev, test_every_variant);
    suite_add_tcase(s, dev);
    return s;
}

TEST_MAIN(nonfinite_suite, CK_FORK_GETENV)
