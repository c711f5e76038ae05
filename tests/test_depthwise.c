/* The depthwise variants (groups == in_channels, any depth multiplier) against the CPU
 * reference: the randomized depthwise grid through the algorithm's own choice; each variant
 * forced by name (depthwise.rows_x8 on any layer, depthwise.flat_v16 on stride-1 zeros-padded
 * layers as wide as their input, depthwise.s2_phases on stride 2) over randomized shapes in
 * float32 and float16, the row kernel also on the layers the other two take; the refusals, with
 * reasons; AUTO's choices; and the suite, with the edge cases of test_depthwise_edges.c. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/calibration.h"
#include "tests/common.h"
#include "tests/test_depthwise.h"

/* Through the algorithm's own choice of variant. */
static void run_case(const clconv_desc *d, const int in[4], uint64_t seed)
{
    ck_assert_case_runs(d, in, CLCONV_ALGO_DEPTHWISE, seed);
}

/* count floats in dtype into a new buffer; NULL on failure. */
static cl_mem upload(cl_context cl, const float *data, size_t count, clconv_dtype dtype)
{
    const size_t elem = clconv_dtype_size(dtype), bytes = (count ? count : 1) * elem;
    void *host = malloc(bytes);
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
    return buf;
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

/* Runs d with variant forced (clconv_plan_create_variant), asserts that the plan runs it, and
 * compares with the reference at test_run_case's tolerance: rel x (the sum of |x * w| over an
 * output's taps, plus |bias|) + 1e-7, rel 1e-5 for float32 and 2e-3 for float16. */
static void run_variant(const clconv_desc *d, const int in[4], const char *variant, uint64_t seed)
{
    clconv_context *ctx = test_context();
    ck_assert_ptr_nonnull(ctx);
    char what[512];
    test_describe(d, in, what, sizeof what);
    test_tensors t;
    ck_assert_msg(test_tensors_alloc(&t, d, in, seed), "%s: tensors: %s", what,
                  clconv_last_error());
    if (d->dtype == CLCONV_FLOAT16) {
        test_round_to_half(t.input, t.input_count);
        test_round_to_half(t.weight, t.weight_count);
        test_round_to_half(t.bias, t.bias_count);
    }
    float *ref = malloc(t.output_count * sizeof *ref),
          *scale = malloc(t.output_count * sizeof *ref);
    float *ain = malloc(t.input_count * sizeof *ain), *aw = malloc(t.weight_count * sizeof *aw);
    float *ab = malloc((t.bias_count ? t.bias_count : 1) * sizeof *ab);
    ck_assert(ref && scale && ain && aw && ab);
    clconv_reference(d, in, t.input, t.weight, t.bias, ref);
    for (size_t i = 0; i < t.input_count; i++)
        ain[i] = fabsf(t.input[i]);
    for (size_t i = 0; i < t.weight_count; i++)
        aw[i] = fabsf(t.weight[i]);
    for (size_t i = 0; i < t.bias_count; i++)
        ab[i] = fabsf(t.bias[i]);
    clconv_reference(d, in, ain, aw, ab, scale);

    clconv_plan *plan = NULL;
    clconv_status st = clconv_plan_create_variant(ctx, d, in, variant, &plan);
    ck_assert_msg(st == CLCONV_SUCCESS, "%s on %s (seed %llu): %s: %s", variant, what,
                  (unsigned long long)seed, clconv_status_name(st), clconv_context_last_error(ctx));
    ck_assert_str_eq(clconv_plan_get_variant_name(plan), variant);
    ck_assert_int_eq(clconv_plan_get_algo(plan), CLCONV_ALGO_DEPTHWISE);
    ck_assert_uint_eq(clconv_plan_get_workspace_size(plan), 0);
    cl_context cl = clconv_context_get_cl_context(ctx);
    for (size_t i = 0; i < t.output_count; i++)
        t.output[i] = NAN; /* a missed output shows as NaN */
    cl_mem bin = upload(cl, t.input, t.input_count, d->dtype);
    cl_mem bw = upload(cl, t.weight, t.weight_count, d->dtype);
    cl_mem bb = d->bias ? upload(cl, t.bias, t.bias_count, d->dtype) : NULL;
    cl_mem bout = upload(cl, t.output, t.output_count, d->dtype);
    ck_assert(bin && bw && bout && (bb || !d->bias));
    st = clconv_plan_enqueue(plan, bin, bw, bb, bout, NULL, 0, NULL, NULL);
    ck_assert_msg(st == CLCONV_SUCCESS, "%s on %s: enqueue: %s", variant, what,
                  clconv_context_last_error(ctx));
    ck_assert(download(clconv_context_get_queue(ctx), bout, t.output, t.output_count, d->dtype));
    const double rel = d->dtype == CLCONV_FLOAT16 ? 2e-3 : 1e-5;
    for (size_t i = 0; i < t.output_count; i++) {
        const double err = fabs((double)t.output[i] - (double)ref[i]);
        ck_assert_msg(!isnan(t.output[i]) && err <= rel * scale[i] + 1e-7,
                      "%s on %s (seed %llu): output %zu is %g, the reference %g", variant, what,
                      (unsigned long long)seed, i, (double)t.output[i], (double)ref[i]);
    }
    clconv_plan_destroy(plan);
    clReleaseMemObject(bin);
    clReleaseMemObject(bw);
    if (bb)
        clReleaseMemObject(bb);
    clReleaseMemObject(bout);
    free(ref);
    free(scale);
    free(ain);
    free(aw);
    free(ab);
    test_tensors_free(&t);
}

/* The algorithm's choice, and the row kernel forced (it runs every depthwise layer). */
void run_with_rows(const clconv_desc *d, const int in[4], uint64_t seed)
{
    run_case(d, in, seed);
    run_variant(d, in, ROWS, seed);
}

/* variant forced, and the row kernel on the same layer. */
void run_forced(const clconv_desc *d, const int in[4], const char *variant, uint64_t seed)
{
    run_variant(d, in, variant, seed);
    run_variant(d, in, ROWS, seed);
}

/* variant refuses d with CLCONV_ERROR_UNSUPPORTED, naming what in its message. */
void expect_refusal(const clconv_desc *d, const int in[4], const char *variant, const char *what)
{
    clconv_context *ctx = test_context();
    ck_assert_ptr_nonnull(ctx);
    clconv_plan *plan = NULL;
    ck_assert_int_eq(clconv_plan_create_variant(ctx, d, in, variant, &plan),
                     CLCONV_ERROR_UNSUPPORTED);
    ck_assert_ptr_null(plan);
    const char *msg = clconv_context_last_error(ctx);
    ck_assert_msg(strstr(msg, what) && strstr(msg, variant), "%s: expected \"%s\" in: %s", variant,
                  what, msg);
}

#define GRID_BATCH 50

/* Draws from the shared random Conv2d generator until a depthwise case comes up, then
 * sometimes widens the map so rows span several interior tiles. */
static void run_grid(clconv_dtype dtype, uint64_t base_seed, int batch)
{
    test_rng rng;
    test_rng_seed(&rng, base_seed + (uint64_t)batch);
    for (int i = 0; i < GRID_BATCH; i++) {
        clconv_desc d;
        int in[4];
        do
            test_random_conv2d(&rng, dtype, &d, in);
        while (d.groups != d.in_channels);
        if (test_rng_range(&rng, 0, 2) == 0)
            in[3] += test_rng_range(&rng, 8, 40); /* wider: padding limits only grow */
        run_case(&d, in, base_seed * 1000 + (uint64_t)(batch * GRID_BATCH + i));
    }
}

START_TEST(random_grid_f32)
{
    run_grid(CLCONV_FLOAT32, 71, _i);
}
END_TEST

START_TEST(random_grid_f16)
{
    run_grid(CLCONV_FLOAT16, 72, _i);
}
END_TEST

void dw(clconv_desc *d, int c, int mult, int k, int stride, int pad)
{
    clconv_desc_init(d, CLCONV_CONV2D, c, c * mult, k, k);
    d->groups = c;
    d->stride_h = d->stride_w = stride;
    d->pad_top = d->pad_bottom = d->pad_left = d->pad_right = pad;
}

/* Forced variants over randomized shapes: depthwise cases of the shared generator (rows
 * widened at times), made to fit the variant (flat: stride 1, zeros padding, the output as
 * wide as the input with the horizontal padding split at random, planes taller at times so
 * they take several chunks; s2: stride 2), in the variant and in the row kernel. */
#define FORCED_CASES 40

static void random_depthwise(test_rng *rng, clconv_dtype dtype, clconv_desc *d, int in[4])
{
    do
        test_random_conv2d(rng, dtype, d, in);
    while (d->groups != d->in_channels);
    if (test_rng_range(rng, 0, 2) == 0)
        in[3] += test_rng_range(rng, 8, 40); /* wider: padding limits only grow */
}

static void run_forced_random(const char *variant, clconv_dtype dtype, uint64_t base_seed)
{
    test_rng rng;
    test_rng_seed(&rng, base_seed);
    for (int i = 0; i < FORCED_CASES; i++) {
        clconv_desc d;
        int in[4];
        random_depthwise(&rng, dtype, &d, in);
        const uint64_t seed = base_seed * 1000 + (uint64_t)i;
        if (!strcmp(variant, ROWS)) {
            run_variant(&d, in, ROWS, seed);
            continue;
        }
        if (!strcmp(variant, FLAT)) {
            const int span = (d.kernel_w - 1) * d.dilation_w;
            d.stride_h = d.stride_w = 1;
            d.padding_mode = CLCONV_PADDING_ZEROS;
            d.pad_left = test_rng_range(&rng, 0, span);
            d.pad_right = span - d.pad_left;
            if (test_rng_range(&rng, 0, 2) == 0)
                in[2] += test_rng_range(&rng, 10, 40);
        } else {
            d.stride_h = d.stride_w = 2;
        }
        run_forced(&d, in, variant, seed);
    }
}

START_TEST(forced_random)
{
    static const char *const variants[] = {ROWS, FLAT, S2};
    run_forced_random(variants[_i / 2], _i % 2 ? CLCONV_FLOAT16 : CLCONV_FLOAT32,
                      90 + (uint64_t)_i);
}
END_TEST

/* Each variant refuses what it cannot run, with CLCONV_ERROR_UNSUPPORTED and a reason that
 * names the field. */
START_TEST(forced_refusals)
{
    static const char *const all[] = {ROWS, FLAT, S2};
    clconv_desc d;
    int in[4] = {1, 8, 6, 6};
    clconv_desc_init(&d, CLCONV_CONV2D, 8, 8, 3, 3);
    d.groups = 4;
    for (int v = 0; v < 3; v++)
        expect_refusal(&d, in, all[v], "groups = 4 with in_channels = 8");
    clconv_desc_init(&d, CLCONV_CONV_TRANSPOSE2D, 8, 8, 3, 3);
    d.groups = 8;
    for (int v = 0; v < 3; v++)
        expect_refusal(&d, in, all[v], "kind = ConvTranspose2d");

    dw(&d, 8, 1, 3, 2, 1);
    expect_refusal(&d, in, FLAT, "stride_h = 2");
    d.stride_h = 1;
    expect_refusal(&d, in, FLAT, "stride_w = 2");
    expect_refusal(&d, in, S2, "stride_h = 1");
    d.stride_h = 2;
    d.stride_w = 1;
    expect_refusal(&d, in, S2, "stride_w = 1");
    dw(&d, 8, 1, 3, 1, 1);
    expect_refusal(&d, in, S2, "stride_h = 1");
    d.padding_mode = CLCONV_PADDING_REFLECT;
    expect_refusal(&d, in, FLAT, "padding_mode = reflect");
    d.padding_mode = CLCONV_PADDING_ZEROS;
    d.pad_right = 0;
    expect_refusal(&d, in, FLAT, "output width = 5 with input width = 6");
    dw(&d, 8, 1, 9, 1, 4); /* 81 taps */
    in[2] = in[3] = 12;
    expect_refusal(&d, in, FLAT, "kernel_h x kernel_w = 9x9");
    d.stride_h = d.stride_w = 2;
    expect_refusal(&d, in, S2, "kernel_h x kernel_w = 9x9");
    dw(&d, 8, 1, 3, 1, 1); /* two rows of 600 columns past the buffer of one chunk */
    in[3] = 600;
    expect_refusal(&d, in, FLAT, "input width = 600");
    d.dilation_h = 2;
    d.pad_top = d.pad_bottom = 2;
    in[3] = 300;
    expect_refusal(&d, in, FLAT, "dilation_h = 2");
    /* the row kernel runs them all */
    run_variant(&d, in, ROWS, 1200);
}
END_TEST

/* AUTO among the depthwise variants takes the flat and stride-2 kernels where the device's
 * class has their calibration rows (CPUs), else the row kernel (GPUs spill their buffers). */
START_TEST(auto_takes_calibrated_variants)
{
    clconv_context *ctx = test_context();
    ck_assert_ptr_nonnull(ctx);
    clconv_device_info info;
    ck_assert_int_eq(clconv_context_get_device_info(ctx, &info), CLCONV_SUCCESS);
    const clconv_device_class cls = clconv_device_class_of(&info);
    for (int stride = 1; stride <= 2; stride++) {
        const char *fast = stride == 1 ? FLAT : S2;
        clconv_desc d;
        dw(&d, 144, 1, 3, stride, 1);
        const int in[4] = {1, 144, 56, 56};
        clconv_plan *plan = NULL;
        ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_DEPTHWISE, &plan),
                         CLCONV_SUCCESS);
        ck_assert_str_eq(clconv_plan_get_variant_name(plan),
                         clconv_calibration_lookup(fast, cls) ? fast : ROWS);
        clconv_plan_destroy(plan);
    }
}
END_TEST

START_TEST(declines_other_cases_with_reason)
{
    clconv_context *ctx = test_context();
    ck_assert_ptr_nonnull(ctx);
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 8, 8, 3, 3);
    d.groups = 4;
    int in[4] = {1, 8, 6, 6};
    clconv_plan *plan = NULL;
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_DEPTHWISE, &plan),
                     CLCONV_ERROR_UNSUPPORTED);
    ck_assert_ptr_null(plan);
    ck_assert_msg(strstr(clconv_context_last_error(ctx), "groups = 4 with in_channels = 8"),
                  "message: %s", clconv_context_last_error(ctx));
    clconv_desc_init(&d, CLCONV_CONV_TRANSPOSE2D, 8, 8, 3, 3);
    d.groups = 8;
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_DEPTHWISE, &plan),
                     CLCONV_ERROR_UNSUPPORTED);
    ck_assert_msg(strstr(clconv_context_last_error(ctx), "kind = ConvTranspose2d"), "message: %s",
                  clconv_context_last_error(ctx));
}
END_TEST

START_TEST(auto_picks_depthwise_for_mobilenet_layer)
{
    /* Which algorithm wins depends on the device (depthwise on the CPU profile, direct on an
     * H100): those choices are pinned for fixed profiles in test_select. On the device that
     * runs this, AUTO's choice must be an available algorithm that computes the layer right. */
    clconv_desc d;
    dw(&d, 64, 1, 3, 1, 1);
    int in[4] = {1, 64, 56, 56};
    test_outcome r;
    bool ok = test_run_case(&d, in, CLCONV_ALGO_AUTO, 801, &r);
    ck_assert_msg(ok, "%s", r.message);
    ck_assert_msg(r.algo != CLCONV_ALGO_AUTO && clconv_algo_available(r.algo), "AUTO chose %d",
                  (int)r.algo);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("depthwise");
    TCase *grid = tcase_create("grid");
    tcase_set_timeout(grid, 300);
    tcase_add_loop_test(grid, random_grid_f32, 0, 6); /* 300 cases */
    tcase_add_loop_test(grid, random_grid_f16, 0, 2); /* 100 cases */
    tcase_add_loop_test(grid, forced_random, 0, 6);   /* each variant, float32 and float16 */
    suite_add_tcase(s, grid);
    TCase *edge = tcase_create("edges");
    tcase_set_timeout(edge, 300);
    depthwise_edges_add_tests(edge);
    tcase_add_test(edge, declines_other_cases_with_reason);
    tcase_add_test(edge, forced_refusals);
    tcase_add_test(edge, auto_takes_calibrated_variants);
    tcase_add_test(edge, auto_picks_depthwise_for_mobilenet_layer);
    suite_add_tcase(s, edge);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK); /* one context, one program cache */
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    test_context_release();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
