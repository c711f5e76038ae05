/* The Winograd variants: forced on randomized grids of the 3x3 stride-1 layers they take
 * (Conv2d in every padding mode and ConvTranspose2d, groups, batch, float16 storage), their
 * error bound against the float64-accumulated reference next to the direct kernels', the
 * filter transform packed by clconv_plan_set_weights with the fused epilogue, the reasons
 * of a declined layer, and exact summation keeping AUTO off them; and the zero-tap-skipping
 * variant on ASPP-shaped layers. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clconv.h>

#include "tests/common.h"

#define COUNT_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const char *const winograd_variants[] = {"winograd.f2x2_3x3", "winograd.f4x4_3x3"};

/* The bound docs/winograd.md states: every float32 output within WINOGRAD_REL x sum |x*w|
 * (+ |bias|) of the reference; test_run_variant's worst_ratio is in units of 1e-5 of it. */
#define WINOGRAD_REL 1e-4
#define STANDARD_REL 1e-5

/* A random 3x3 stride-1 layer: N 1-3, groups 1, 2 or 4, 1-8 channels per group, H and W 2-13,
 * padding 0-2 per side, any padding mode where valid (else zeros), bias on or off. */
static void random_layer(test_rng *rng, clconv_kind kind, clconv_dtype dtype, clconv_desc *d,
                         int in[4])
{
    static const int group_choices[] = {1, 1, 2, 4};
    const int groups = group_choices[test_rng_range(rng, 0, 3)];
    const int cin = groups * test_rng_range(rng, 1, 8), cout = groups * test_rng_range(rng, 1, 8);
    clconv_desc_init(d, kind, cin, cout, 3, 3);
    d->groups = groups;
    d->dtype = dtype;
    d->bias = test_rng_range(rng, 0, 1);
    in[0] = test_rng_range(rng, 1, 3);
    in[1] = cin;
    in[2] = test_rng_range(rng, 2, 13);
    in[3] = test_rng_range(rng, 2, 13);
    d->pad_top = test_rng_range(rng, 0, 2);
    d->pad_left = test_rng_range(rng, 0, 2);
    if (kind == CLCONV_CONV2D) {
        d->pad_bottom = test_rng_range(rng, 0, 2);
        d->pad_right = test_rng_range(rng, 0, 2);
        d->padding_mode = (clconv_padding_mode)test_rng_range(rng, 0, 3);
    } else { /* ConvTranspose2d pads symmetrically */
        d->pad_bottom = d->pad_top;
        d->pad_right = d->pad_left;
    }
    int out[4];
    if (clconv_output_shape(d, in, out) != CLCONV_SUCCESS)
        d->padding_mode = CLCONV_PADDING_ZEROS;
    if (clconv_output_shape(d, in, out) != CLCONV_SUCCESS) { /* too small for its padding */
        in[2] = in[3] = 8;
        d->pad_top = d->pad_bottom = d->pad_left = d->pad_right = 1;
    }
}

/* Runs count random layers of kind and dtype with variant forced; returns the worst error as
 * a multiple of STANDARD_REL x sum |x*w|, and fails on a decline or a miss of the bound. */
static double run_grid(const char *variant, clconv_kind kind, clconv_dtype dtype, int count,
                       uint64_t seed)
{
    double worst = 0;
    for (int i = 0; i < count; i++) {
        test_rng rng;
        test_rng_seed(&rng, seed + (uint64_t)i);
        clconv_desc d;
        int in[4];
        random_layer(&rng, kind, dtype, &d, in);
        test_outcome r;
        test_run_variant(&d, in, variant, seed + 1000 + (uint64_t)i, &r);
        char what[512];
        test_describe(&d, in, what, sizeof what);
        ck_assert_msg(r.status == CLCONV_SUCCESS, "%s on %s: %s", variant, what, r.message);
        const double bound = dtype == CLCONV_FLOAT16 ? 1.0 : WINOGRAD_REL / STANDARD_REL;
        ck_assert_msg(r.worst_ratio <= bound, "%s on %s: error %.3g x 1e-5 of sum |x*w| (bound %g)",
                      variant, what, r.worst_ratio, bound);
        if (r.worst_ratio > worst)
            worst = r.worst_ratio;
    }
    return worst;
}

START_TEST(test_conv2d_grid)
{
    const char *v = winograd_variants[_i];
    const double f32 = run_grid(v, CLCONV_CONV2D, CLCONV_FLOAT32, 24, 91000);
    const double f16 = run_grid(v, CLCONV_CONV2D, CLCONV_FLOAT16, 8, 92000);
    const double direct = run_grid("direct.conv2d", CLCONV_CONV2D, CLCONV_FLOAT32, 24, 91000);
    printf("%s conv2d: worst error %.3g x 1e-5 of sum|x*w| (float32; direct.conv2d %.3g), "
           "%.3g of the float16 tolerance\n",
           v, f32, direct, f16);
}
END_TEST

START_TEST(test_conv_transpose2d_grid)
{
    const char *v = winograd_variants[_i];
    const double f32 = run_grid(v, CLCONV_CONV_TRANSPOSE2D, CLCONV_FLOAT32, 16, 93000);
    const double f16 = run_grid(v, CLCONV_CONV_TRANSPOSE2D, CLCONV_FLOAT16, 6, 94000);
    const double direct =
        run_grid("direct.tconv2d", CLCONV_CONV_TRANSPOSE2D, CLCONV_FLOAT32, 16, 93000);
    printf("%s conv_transpose2d: worst error %.3g x 1e-5 of sum|x*w| (float32; direct.tconv2d "
           "%.3g), %.3g of the float16 tolerance\n",
           v, f32, direct, f16);
}
END_TEST

/* Wide layers: the error grows with the taps summed (cinpg x 9); 256 channels x 9 taps. */
START_TEST(test_wide_layer)
{
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 256, 16, 3, 3);
    d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
    const int in[4] = {2, 256, 9, 11};
    test_outcome r;
    test_run_variant(&d, in, winograd_variants[_i], 77, &r);
    ck_assert_msg(r.status == CLCONV_SUCCESS, "%s", r.message);
    ck_assert_msg(r.worst_ratio <= WINOGRAD_REL / STANDARD_REL, "error %.3g x 1e-5", r.worst_ratio);
    printf("%s 256 channels: worst error %.3g x 1e-5 of sum|x*w|\n", winograd_variants[_i],
           r.worst_ratio);
}
END_TEST

static cl_mem upload(cl_context cl, const float *data, size_t count)
{
    cl_int err;
    cl_mem b = clCreateBuffer(cl, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, count * sizeof(float),
                              (void *)data, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    return b;
}

/* clconv_plan_set_weights packs the filter transform (the zero-skip variant: its weight
 * re-layout) once; enqueues with the plan's weights (weight NULL) then skip it. Relu and a residual
 * in place (residual = output) on top. */
START_TEST(test_set_weights_epilogue)
{
    /* the Winograd variants with reflect padding, the zero-skipping one with zeros padding */
    const char *variant =
        _i < COUNT_OF(winograd_variants) ? winograd_variants[_i] : "tiled.skipzeros_c16p8";
    clconv_context *ctx = test_context();
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 6, 8, 3, 3);
    d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
    d.padding_mode =
        _i < COUNT_OF(winograd_variants) ? CLCONV_PADDING_REFLECT : CLCONV_PADDING_ZEROS;
    if (_i == COUNT_OF(winograd_variants))
        d.dilation_h = d.dilation_w = d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 3;
    d.activation = CLCONV_ACTIVATION_RELU;
    d.residual = 1;
    const int in[4] = {2, 6, 7, 10};
    test_tensors t;
    ck_assert(test_tensors_alloc(&t, &d, in, 5));
    float *res = malloc(t.output_count * sizeof(float)), *ref = malloc(t.output_count * 4);
    float *got = malloc(t.output_count * sizeof(float));
    ck_assert(res && ref && got);
    test_rng rng;
    test_rng_seed(&rng, 9);
    test_fill(&rng, res, t.output_count);
    ck_assert_int_eq(clconv_reference_residual(&d, in, t.input, t.weight, t.bias, res, ref),
                     CLCONV_SUCCESS);
    clconv_plan *plan = NULL;
    ck_assert_int_eq(clconv_plan_create_variant(ctx, &d, in, variant, &plan), CLCONV_SUCCESS);
    cl_context cl = clconv_context_get_cl_context(ctx);
    cl_mem bin = upload(cl, t.input, t.input_count), bw = upload(cl, t.weight, t.weight_count);
    cl_mem bb = upload(cl, t.bias, t.bias_count);
    cl_int err;
    const size_t ws = clconv_plan_get_workspace_size(plan);
    cl_mem bws = clCreateBuffer(cl, CL_MEM_READ_WRITE, ws, NULL, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    ck_assert_int_eq(clconv_plan_set_weights(plan, bw, bb), CLCONV_SUCCESS);
    /* the caller's weights change afterwards: the plan keeps its packed copy */
    float *zeros = calloc(t.weight_count, sizeof(float));
    ck_assert(zeros);
    cl_command_queue q = clconv_context_get_queue(ctx);
    ck_assert_int_eq(clEnqueueWriteBuffer(q, bw, CL_TRUE, 0, t.weight_count * sizeof(float), zeros,
                                          0, NULL, NULL),
                     CL_SUCCESS);
    for (int round = 0; round < 2; round++) { /* twice: the packed transform is reused */
        cl_mem bout = upload(cl, res, t.output_count);
        const clconv_buffers b = {bin, NULL, NULL, bout, bout, bws};
        cl_event ev = NULL;
        ck_assert_int_eq(clconv_plan_enqueue_buffers(plan, q, &b, 0, NULL, &ev), CLCONV_SUCCESS);
        clWaitForEvents(1, &ev);
        clReleaseEvent(ev);
        ck_assert_int_eq(clEnqueueReadBuffer(q, bout, CL_TRUE, 0, t.output_count * sizeof(float),
                                             got, 0, NULL, NULL),
                         CL_SUCCESS);
        for (size_t i = 0; i < t.output_count; i++)
            ck_assert_msg(fabsf(got[i] - ref[i]) <= 1e-4f * (1 + fabsf(ref[i])),
                          "round %d output[%zu] = %g, reference %g", round, i, got[i], ref[i]);
        clReleaseMemObject(bout);
    }
    clconv_plan_destroy(plan);
    cl_mem bufs[] = {bin, bw, bb, bws};
    for (int i = 0; i < 4; i++)
        clReleaseMemObject(bufs[i]);
    free(zeros);
    free(res);
    free(ref);
    free(got);
    test_tensors_free(&t);
}
END_TEST

/* A forced Winograd variant names what it cannot run. */
START_TEST(test_declines_with_reason)
{
    clconv_context *ctx = test_context();
    static const struct {
        int k, stride, dilation, oph;
        clconv_kind kind;
        const char *word;
    } cases[] = {
        {5, 1, 1, 0, CLCONV_CONV2D, "kernel 5x5"},
        {3, 2, 1, 0, CLCONV_CONV2D, "stride 2x2"},
        {3, 1, 2, 0, CLCONV_CONV2D, "dilation 2x2"},
        {3, 2, 1, 1, CLCONV_CONV_TRANSPOSE2D, "stride 2x2"},
    };
    for (int i = 0; i < COUNT_OF(cases); i++) {
        clconv_desc d;
        clconv_desc_init(&d, cases[i].kind, 4, 4, cases[i].k, cases[i].k);
        d.stride_h = d.stride_w = cases[i].stride;
        d.dilation_h = d.dilation_w = cases[i].dilation;
        d.output_padding_h = d.output_padding_w = cases[i].oph;
        const int in[4] = {1, 4, 12, 12};
        clconv_plan *plan = NULL;
        ck_assert_int_eq(clconv_plan_create_variant(ctx, &d, in, winograd_variants[_i], &plan),
                         CLCONV_ERROR_UNSUPPORTED);
        const char *msg = clconv_context_last_error(ctx);
        ck_assert_msg(strstr(msg, cases[i].word) && strstr(msg, winograd_variants[_i]),
                      "case %d: \"%s\"", i, msg);
        ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_WINOGRAD, &plan),
                         CLCONV_ERROR_UNSUPPORTED);
        ck_assert_ptr_nonnull(strstr(clconv_context_last_error(ctx), "winograd"));
    }
}
END_TEST

/* A layer AUTO runs with Winograd (docs/winograd.md's measured domain) stays off it under
 * exact summation, by the setting or by CLCONV_EXACT; forcing still works. */
START_TEST(test_exact_summation)
{
    clconv_context *ctx = NULL;
    ck_assert_int_eq(clconv_context_create(NULL, &ctx), CLCONV_SUCCESS);
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 128, 128, 3, 3);
    d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
    const int in[4] = {1, 128, 28, 28};
    unsetenv("CLCONV_EXACT");
    ck_assert_int_eq(clconv_context_get_exact_summation(ctx), 0);
    ck_assert_int_eq(clconv_context_set_exact_summation(NULL, 1), CLCONV_ERROR_INVALID_ARGUMENT);
    clconv_plan *plan = NULL;
    for (int mode = 0; mode < 3; mode++) { /* off, the setting, the environment */
        ck_assert_int_eq(clconv_context_set_exact_summation(ctx, mode == 1), CLCONV_SUCCESS);
        if (mode == 2)
            setenv("CLCONV_EXACT", "1", 1);
        ck_assert_int_eq(clconv_context_get_exact_summation(ctx), mode != 0);
        ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_AUTO, &plan), CLCONV_SUCCESS);
        const clconv_algo algo = clconv_plan_get_algo(plan);
        clconv_plan_destroy(plan);
        if (mode == 0)
            ck_assert_msg(algo == CLCONV_ALGO_WINOGRAD, "AUTO chose %s", clconv_algo_name(algo));
        else
            ck_assert_msg(algo != CLCONV_ALGO_WINOGRAD, "exact (mode %d): AUTO chose winograd",
                          mode);
        ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_WINOGRAD, &plan),
                         CLCONV_SUCCESS);
        clconv_plan_destroy(plan);
    }
    unsetenv("CLCONV_EXACT");
    clconv_context_destroy(ctx);
}
END_TEST

/* The constant-weights setting and CLCONV_CONSTANT_WEIGHTS (the choices they make are pinned on
 * fixed device profiles in test_select): getters, NULL, and AUTO's plan on a layer whose
 * choice they move on the CPU profile, weights passed per enqueue, against the reference. */
START_TEST(test_constant_weights)
{
    clconv_context *ctx = NULL;
    ck_assert_int_eq(clconv_context_create(NULL, &ctx), CLCONV_SUCCESS);
    unsetenv("CLCONV_CONSTANT_WEIGHTS");
    ck_assert_int_eq(clconv_context_get_constant_weights(ctx), 0);
    ck_assert_int_eq(clconv_context_get_constant_weights(NULL), 0);
    ck_assert_int_eq(clconv_context_set_constant_weights(NULL, 1), CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(clconv_context_set_constant_weights(ctx, 1), CLCONV_SUCCESS);
    ck_assert_int_eq(clconv_context_get_constant_weights(ctx), 1);
    ck_assert_int_eq(clconv_context_set_constant_weights(ctx, 0), CLCONV_SUCCESS);
    ck_assert_int_eq(clconv_context_get_constant_weights(ctx), 0);
    setenv("CLCONV_CONSTANT_WEIGHTS", "1", 1);
    ck_assert_int_eq(clconv_context_get_constant_weights(ctx), 1);
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 256, 256, 3, 3);
    d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
    const int in[4] = {1, 256, 14, 14};
    test_outcome r; /* the shared context sees the environment */
    ck_assert_msg(test_run_case(&d, in, CLCONV_ALGO_AUTO, 77, &r) && r.worst_ratio <= 1, "%s",
                  r.message);
    unsetenv("CLCONV_CONSTANT_WEIGHTS");
    ck_assert_int_eq(clconv_context_get_constant_weights(ctx), 0);
    clconv_context_destroy(ctx);
}
END_TEST

/* tiled.skipzeros_c16p8 on ASPP-shaped layers (dilation = padding, most taps in the padding),
 * batch 2; its non-finite cases run in the nonfinite suite. */
START_TEST(test_skipzeros_aspp)
{
    static const int dilations[] = {2, 6, 9};
    for (int i = 0; i < COUNT_OF(dilations); i++) {
        clconv_desc d;
        clconv_desc_init(&d, CLCONV_CONV2D, 12, 20, 3, 3);
        d.dilation_h = d.dilation_w = dilations[i];
        d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = dilations[i];
        const int in[4] = {2, 12, 9, 11};
        test_outcome r;
        test_run_variant(&d, in, "tiled.skipzeros_c16p8", 300 + (uint64_t)i, &r);
        ck_assert_msg(r.status == CLCONV_SUCCESS && r.worst_ratio <= 1, "dilation %d: %s",
                      dilations[i], r.message);
    }
}
END_TEST

static Suite *winograd_suite(void)
{
    Suite *s = suite_create("winograd");
    TCase *tc = tcase_create("winograd");
    tcase_set_timeout(tc, 600);
    const int nv = COUNT_OF(winograd_variants);
    tcase_add_loop_test(tc, test_conv2d_grid, 0, nv);
    tcase_add_loop_test(tc, test_conv_transpose2d_grid, 0, nv);
    tcase_add_loop_test(tc, test_wide_layer, 0, nv);
    tcase_add_loop_test(tc, test_set_weights_epilogue, 0, nv + 1);
    tcase_add_loop_test(tc, test_declines_with_reason, 0, nv);
    tcase_add_test(tc, test_exact_summation);
    tcase_add_test(tc, test_constant_weights);
    tcase_add_test(tc, test_skipzeros_aspp);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(winograd_suite, CK_NOFORK)
