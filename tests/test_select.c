/* Algorithm selection: AUTO's choice pinned for representative layers, forcing by argument and
 * CLCONV_ALGO, refusals with reasons, and the CLCONV_VERBOSE log. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <clconv.h>

#include "src/cost-model.h"
#include "src/internal.h"
#include "tests/common.h"

#ifndef CLCONV_TEST_HAVE_CLBLAST
#error "CLCONV_TEST_HAVE_CLBLAST must be defined by the build"
#endif

/* AUTO's choice depends on the device: the pins use one fixed profile, the CI machine's PoCL
 * CPU device (2 compute units, float vector width 16, local memory emulated in global). */
static void reference_profile(clconv_context *ctx)
{
    clconv_device_info *i = &ctx->info;
    i->type = CL_DEVICE_TYPE_CPU;
    i->compute_units = 2;
    i->max_clock_mhz = 2000;
    i->preferred_vector_width_float = 16;
    i->max_work_group_size = 4096;
    i->max_work_item_sizes[0] = i->max_work_item_sizes[1] = i->max_work_item_sizes[2] = 4096;
    i->local_mem_size = 512 * 1024;
    i->local_mem_dedicated = 0;
    i->global_mem_size = (cl_ulong)8 << 30;
    i->max_alloc_size = (cl_ulong)2 << 30;
    i->has_fp16 = 0;
}

typedef struct pin {
    const char *name;
    clconv_kind kind;
    int n, c, h, w, oc, k, s, pad, groups;
    clconv_algo with_clblast, without_clblast;
    clconv_algo direct_or_gemm; /* the GEMM path's own rule: which of the two is estimated faster */
    const char *why;
} pin;

/* Pinned choices; a change in any estimate that moves one is a visible test change. */
static const pin pins[] = {
    {"resnet50 1x1 256->64 56x56", CLCONV_CONV2D, 1, 256, 56, 56, 64, 1, 1, 0, 1, CLCONV_ALGO_TILED,
     CLCONV_ALGO_TILED, CLCONV_ALGO_GEMM,
     "register-blocked tiles beat untuned CLBlast (measured 1.0 vs 7.3 ms)"},
    {"resnet50 3x3 64 56x56", CLCONV_CONV2D, 1, 64, 56, 56, 64, 3, 1, 1, 1, CLCONV_ALGO_TILED,
     CLCONV_ALGO_TILED, CLCONV_ALGO_DIRECT, "tiled 2.0-2.4 ms, direct 27-46 ms, gemm 50-84 ms"},
    {"resnet50 3x3 512 7x7", CLCONV_CONV2D, 1, 512, 7, 7, 512, 3, 1, 1, 1, CLCONV_ALGO_TILED,
     CLCONV_ALGO_TILED, CLCONV_ALGO_DIRECT, "tiled 3.6 ms, direct 36-46 ms, gemm 46-66 ms"},
    {"mobilenetv2 depthwise 144 56x56", CLCONV_CONV2D, 1, 144, 56, 56, 144, 3, 1, 1, 144,
     CLCONV_ALGO_DEPTHWISE, CLCONV_ALGO_DEPTHWISE, CLCONV_ALGO_DIRECT,
     "sliding window, memory-bound; GEMM's per-group 1-row matrices waste its tiles"},
    {"mobilenetv2 depthwise 576 14x14 s2", CLCONV_CONV2D, 1, 576, 14, 14, 576, 3, 2, 1, 576,
     CLCONV_ALGO_DEPTHWISE, CLCONV_ALGO_DEPTHWISE, CLCONV_ALGO_DIRECT,
     "depthwise 0.12-0.23 ms, direct 0.32, tiled 0.43 (was direct's before row copies)"},
    {"mobilenetv2 depthwise 960 7x7", CLCONV_CONV2D, 1, 960, 7, 7, 960, 3, 1, 1, 960,
     CLCONV_ALGO_DEPTHWISE, CLCONV_ALGO_DEPTHWISE, CLCONV_ALGO_DIRECT,
     "depthwise 0.12-0.18 ms, direct 0.19-0.20, tiled 0.44"},
    {"resnext50 grouped 32x4 56x56", CLCONV_CONV2D, 1, 128, 56, 56, 128, 3, 1, 1, 32,
     CLCONV_ALGO_TILED, CLCONV_ALGO_TILED, CLCONV_ALGO_DIRECT,
     "gemm 31 ms with 4-row per-group matrices"},
    {"unet transposed k2 s2 512->256", CLCONV_CONV_TRANSPOSE2D, 1, 512, 32, 32, 256, 2, 2, 0, 1,
     CLCONV_ALGO_TILED, CLCONV_ALGO_TILED, CLCONV_ALGO_GEMM,
     "stride phases: tiled 8.7 ms, gemm 74, direct 138"},
    {"dcgan transposed k4 s2 p1 512->256", CLCONV_CONV_TRANSPOSE2D, 16, 512, 4, 4, 256, 4, 2, 1, 1,
     CLCONV_ALGO_TILED, CLCONV_ALGO_TILED, CLCONV_ALGO_GEMM, "tiled 8.5 ms, gemm 69, direct 97"},
    {"dcgan transposed k4 from 1x1, batch 16", CLCONV_CONV_TRANSPOSE2D, 16, 100, 1, 1, 512, 4, 1, 0,
     1, CLCONV_ALGO_TILED, CLCONV_ALGO_TILED, CLCONV_ALGO_DIRECT,
     "tiled 6 ms, direct 34, gemm 70-74 (products with n = 1 pixel)"},
};

static void pin_desc(const pin *p, clconv_desc *d, int in[4])
{
    clconv_desc_init(d, p->kind, p->c, p->oc, p->k, p->k);
    d->stride_h = d->stride_w = p->s;
    d->pad_top = d->pad_bottom = d->pad_left = d->pad_right = p->pad;
    d->groups = p->groups;
    in[0] = p->n;
    in[1] = p->c;
    in[2] = p->h;
    in[3] = p->w;
}

static clconv_context *profile_context(void)
{
    clconv_context *ctx = NULL;
    ck_assert_int_eq(clconv_context_create(NULL, &ctx), CLCONV_SUCCESS);
    reference_profile(ctx);
    return ctx;
}

START_TEST(test_select_pins)
{
    clconv_context *ctx = profile_context();
    char failures[4096] = "";
    int failed = 0;
    for (size_t i = 0; i < sizeof pins / sizeof pins[0]; i++) {
        clconv_desc d;
        int in[4];
        pin_desc(&pins[i], &d, in);
        clconv_problem p;
        ck_assert_int_eq(clconv_problem_init(&d, in, &p), CLCONV_SUCCESS);
        const clconv_algo_impl *impl = NULL;
        ck_assert_int_eq(clconv_select_algo(ctx, &p, CLCONV_ALGO_AUTO, &impl), CLCONV_SUCCESS);
        clconv_algo want =
            CLCONV_TEST_HAVE_CLBLAST ? pins[i].with_clblast : pins[i].without_clblast;
        if (!clconv_algo_available(want))
            want = CLCONV_ALGO_DIRECT; /* pinned algorithm not in this build yet */
        if (impl->id != want) {
            failed++;
            size_t used = strlen(failures);
            snprintf(failures + used, sizeof failures - used, "\n  %s: chose %s, pinned %s (%s)",
                     pins[i].name, impl->name, clconv_algo_name(want), pins[i].why);
        }
    }
    ck_assert_msg(failed == 0, "%d pinned choices moved:%s", failed, failures);
    clconv_context_destroy(ctx);
}
END_TEST

/* GEMM's estimate against direct's, pinned on its own so that it stays visible while other
 * algorithms win the layers. Measured on PoCL, 2026-11-22, a shared machine (ms, direct vs
 * gemm): 1x1 16-21 vs 13-17, 3x3 64 27-46 vs 50-84, 3x3 512 7x7 36-46 vs 46-66 (an earlier
 * run: 19.8 vs 20.4), depthwise 1.5-2.0 vs 36, grouped 1.8 vs 29, k2s2 138-480 vs 74-395,
 * k4s2p1 97-212 vs 69-167. */
START_TEST(test_select_pins_direct_or_gemm)
{
    const clconv_algo_impl *direct = clconv_algo_lookup(CLCONV_ALGO_DIRECT);
    const clconv_algo_impl *gemm = clconv_algo_lookup(CLCONV_ALGO_GEMM);
    ck_assert_ptr_nonnull(direct);
    if (!CLCONV_TEST_HAVE_CLBLAST) {
        ck_assert_ptr_null(gemm);
        return;
    }
    ck_assert_ptr_nonnull(gemm);
    clconv_context *ctx = profile_context();
    char failures[4096] = "";
    int failed = 0;
    for (size_t i = 0; i < sizeof pins / sizeof pins[0]; i++) {
        clconv_desc d;
        int in[4];
        pin_desc(&pins[i], &d, in);
        clconv_problem p;
        ck_assert_int_eq(clconv_problem_init(&d, in, &p), CLCONV_SUCCESS);
        double ed = direct->estimate(&p, &ctx->info), eg = gemm->estimate(&p, &ctx->info);
        clconv_algo got = eg < ed ? CLCONV_ALGO_GEMM : CLCONV_ALGO_DIRECT;
        if (got != pins[i].direct_or_gemm) {
            failed++;
            size_t used = strlen(failures);
            snprintf(failures + used, sizeof failures - used,
                     "\n  %s: direct %.3g s, gemm %.3g s: %s, pinned %s", pins[i].name, ed, eg,
                     clconv_algo_name(got), clconv_algo_name(pins[i].direct_or_gemm));
        }
    }
    ck_assert_msg(failed == 0, "%d pinned direct/gemm choices moved:%s", failed, failures);
    clconv_context_destroy(ctx);
}
END_TEST

/* The depthwise algorithm's estimate against direct's on MobileNetV2's depthwise layers, the
 * small-map ones included that direct used to win (measured on PoCL, ms, depthwise vs
 * direct: dw32_112 0.28-0.67 vs 1.1-2.0, dw144_56 0.43-0.99 vs 1.5-2.2, dw576_s2 0.12-0.23
 * vs 0.32, dw960_7 0.12-0.18 vs 0.19-0.20). */
START_TEST(test_select_pins_depthwise_or_direct)
{
    static const int layers[][5] = {/* c, h, stride: 3x3, pad 1, groups == c */
                                    {32, 112, 1},
                                    {144, 56, 1},
                                    {576, 14, 2},
                                    {960, 7, 1}};
    const clconv_algo_impl *direct = clconv_algo_lookup(CLCONV_ALGO_DIRECT);
    const clconv_algo_impl *dw = clconv_algo_lookup(CLCONV_ALGO_DEPTHWISE);
    ck_assert_ptr_nonnull(dw);
    clconv_context *ctx = profile_context();
    for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) {
        pin pn = {"",
                  CLCONV_CONV2D,
                  1,
                  layers[i][0],
                  layers[i][1],
                  layers[i][1],
                  layers[i][0],
                  3,
                  layers[i][2],
                  1,
                  layers[i][0],
                  CLCONV_ALGO_DEPTHWISE,
                  CLCONV_ALGO_DEPTHWISE,
                  CLCONV_ALGO_DIRECT,
                  ""};
        clconv_desc d;
        int in[4];
        pin_desc(&pn, &d, in);
        clconv_problem p;
        ck_assert_int_eq(clconv_problem_init(&d, in, &p), CLCONV_SUCCESS);
        double ed = direct->estimate(&p, &ctx->info), ew = dw->estimate(&p, &ctx->info);
        ck_assert_msg(ew < ed, "depthwise %d x %dx%d s%d: depthwise %.3g s, direct %.3g s",
                      layers[i][0], layers[i][1], layers[i][1], layers[i][2], ew, ed);
    }
    clconv_context_destroy(ctx);
}
END_TEST

/* The cost model's device terms: the CPU profile's peak is units x clock x vector width x 2,
 * a GPU's uses its vendor's lanes per compute unit, and every algorithm's estimate stays
 * positive and finite on both, far lower on the big GPU for a dense layer. */
START_TEST(test_select_model_device_classes)
{
    clconv_context *ctx = profile_context();
    clconv_device_model m;
    clconv_device_model_get(&ctx->info, &m);
    ck_assert_double_eq_tol(m.peak_flops, 2 * 2000e6 * 16 * 2, 1);
    ck_assert_double_eq_tol(m.bandwidth, 20e9, 1);
    ck_assert(m.launch_seconds > 0 && m.launch_seconds < 1e-3);

    clconv_device_info gpu = ctx->info;
    gpu.type = CL_DEVICE_TYPE_GPU;
    gpu.vendor_id = 0x10de;
    gpu.compute_units = 132;
    gpu.max_clock_mhz = 1980;
    gpu.preferred_vector_width_float = 1;
    clconv_device_model_get(&gpu, &m);
    ck_assert_double_eq_tol(m.peak_flops, 132 * 1980e6 * 128 * 2, 1e3);
    ck_assert(m.bandwidth > 100e9);

    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 64, 64, 3, 3);
    d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
    const int in[4] = {1, 64, 56, 56};
    clconv_problem p;
    ck_assert_int_eq(clconv_problem_init(&d, in, &p), CLCONV_SUCCESS);
    for (int a = CLCONV_ALGO_DIRECT; a < CLCONV_ALGO_COUNT_; a++) {
        const clconv_algo_impl *impl = clconv_algo_lookup((clconv_algo)a);
        char reason[512];
        if (!impl || !impl->supports(&p, &gpu, reason, sizeof reason))
            continue;
        const double ec = impl->estimate(&p, &ctx->info), eg = impl->estimate(&p, &gpu);
        ck_assert_msg(isfinite(ec) && ec > 0 && isfinite(eg) && eg > 0, "%s: %g %g", impl->name, ec,
                      eg);
        if (a == CLCONV_ALGO_DIRECT || a == CLCONV_ALGO_GEMM)
            ck_assert_msg(eg < ec / 10, "%s: cpu %g s, gpu %g s", impl->name, ec, eg);
    }
    clconv_context_destroy(ctx);
}
END_TEST

/* Pinned choices for an H100 profile (NVIDIA OpenCL, 132 units at 1980 MHz), from a
 * clconv-bench run there (medians of 5, ms). Over that run's 49 layers the GPU model picks an
 * algorithm within 10% of the fastest on 41 (AUTO had 17 before the GPU calibration). */
static const pin gpu_pins[] = {
    {"resnet50 3x3 256 14x14", CLCONV_CONV2D, 1, 256, 14, 14, 256, 3, 1, 1, 1, CLCONV_ALGO_GEMM,
     CLCONV_ALGO_DIRECT, CLCONV_ALGO_GEMM, "gemm 0.113, direct 0.619, tiled 0.823"},
    {"resnet50 1x1 1024->256 14x14", CLCONV_CONV2D, 1, 1024, 14, 14, 256, 1, 1, 0, 1,
     CLCONV_ALGO_GEMM, CLCONV_ALGO_DIRECT, CLCONV_ALGO_GEMM,
     "gemm 0.062, tiled 0.428, direct 0.506"},
    {"mobilenetv2 depthwise 144 56x56", CLCONV_CONV2D, 1, 144, 56, 56, 144, 3, 1, 1, 144,
     CLCONV_ALGO_DIRECT, CLCONV_ALGO_DIRECT, CLCONV_ALGO_DIRECT,
     "direct 0.023, depthwise 0.043, tiled 0.052, gemm 0.102"},
    {"resnext50 grouped 32x4 56x56", CLCONV_CONV2D, 1, 128, 56, 56, 128, 3, 1, 1, 32,
     CLCONV_ALGO_DIRECT, CLCONV_ALGO_DIRECT, CLCONV_ALGO_DIRECT,
     "direct 0.029, tiled 0.051, gemm 0.064"},
    {"unet transposed k2 s2 512->256", CLCONV_CONV_TRANSPOSE2D, 1, 512, 32, 32, 256, 2, 2, 0, 1,
     CLCONV_ALGO_GEMM, CLCONV_ALGO_TILED, CLCONV_ALGO_GEMM, "gemm 0.111, tiled 0.208, direct 1.06"},
    /* tiled measured 0.698 when each of the 4 stride phases was a launch of its own (~0.17
     * each, chain-bound); the phases now share one launch and run side by side: the model
     * puts tiled at ~0.19, level with gemm (not yet re-measured on the H100) */
    {"dcgan transposed k4 s2 p1 512->256", CLCONV_CONV_TRANSPOSE2D, 16, 512, 4, 4, 256, 4, 2, 1, 1,
     CLCONV_ALGO_TILED, CLCONV_ALGO_TILED, CLCONV_ALGO_GEMM, "gemm 0.201, direct 3.42"},
    /* a known miss: tiled measured 0.041, gemm 0.312, direct 1.54; the model puts tiled's 16
     * stride phases at 0.6 ms */
    {"fcn8s transposed k16 s8 p4 21->21", CLCONV_CONV_TRANSPOSE2D, 1, 21, 32, 32, 21, 16, 8, 4, 1,
     CLCONV_ALGO_GEMM, CLCONV_ALGO_TILED, CLCONV_ALGO_GEMM, "gemm 0.312, direct 1.54"},
};

START_TEST(test_select_pins_gpu)
{
    clconv_context *ctx = profile_context();
    clconv_device_info *i = &ctx->info;
    i->type = CL_DEVICE_TYPE_GPU;
    i->vendor_id = 0x10de;
    i->compute_units = 132;
    i->max_clock_mhz = 1980;
    i->preferred_vector_width_float = 1;
    i->max_work_group_size = 1024;
    i->max_work_item_sizes[0] = i->max_work_item_sizes[1] = 1024;
    i->max_work_item_sizes[2] = 64;
    i->local_mem_size = 48 * 1024;
    i->local_mem_dedicated = 1;
    i->global_mem_size = (cl_ulong)80 << 30;
    i->max_alloc_size = (cl_ulong)20 << 30;
    char failures[4096] = "";
    int failed = 0;
    for (size_t k = 0; k < sizeof gpu_pins / sizeof gpu_pins[0]; k++) {
        clconv_desc d;
        int in[4];
        pin_desc(&gpu_pins[k], &d, in);
        clconv_problem p;
        ck_assert_int_eq(clconv_problem_init(&d, in, &p), CLCONV_SUCCESS);
        const clconv_algo_impl *impl = NULL;
        ck_assert_int_eq(clconv_select_algo(ctx, &p, CLCONV_ALGO_AUTO, &impl), CLCONV_SUCCESS);
        const clconv_algo want =
            CLCONV_TEST_HAVE_CLBLAST ? gpu_pins[k].with_clblast : gpu_pins[k].without_clblast;
        if (impl->id != want) {
            failed++;
            size_t used = strlen(failures);
            snprintf(failures + used, sizeof failures - used, "\n  %s: chose %s, pinned %s (%s)",
                     gpu_pins[k].name, impl->name, clconv_algo_name(want), gpu_pins[k].why);
        }
    }
    ck_assert_msg(failed == 0, "%d pinned GPU choices moved:%s", failed, failures);
    clconv_context_destroy(ctx);
}
END_TEST

/* AUTO picks the lowest estimate among the algorithms that support the case, on the real
 * device, and the plan reports that choice. */
START_TEST(test_select_auto_is_cheapest)
{
    clconv_context *ctx = test_context();
    for (int i = 0; i < 60; i++) {
        test_rng rng;
        test_rng_seed(&rng, 1000 + (uint64_t)i);
        clconv_desc d;
        int in[4];
        if (i % 2)
            test_random_conv2d(&rng, i % 3 ? CLCONV_FLOAT32 : CLCONV_FLOAT16, &d, in);
        else
            test_random_conv_transpose2d(&rng, CLCONV_FLOAT32, &d, in);
        clconv_problem p;
        ck_assert_int_eq(clconv_problem_init(&d, in, &p), CLCONV_SUCCESS);
        double best = INFINITY;
        clconv_algo best_id = CLCONV_ALGO_AUTO;
        for (int a = CLCONV_ALGO_DIRECT; a < CLCONV_ALGO_COUNT_; a++) {
            const clconv_algo_impl *impl = clconv_algo_lookup((clconv_algo)a);
            char reason[512] = "";
            if (!impl)
                continue;
            if (!impl->supports(&p, &ctx->info, reason, sizeof reason)) {
                ck_assert_msg(strlen(reason) > 10, "%s refused without a reason", impl->name);
                continue;
            }
            double e = impl->estimate(&p, &ctx->info);
            ck_assert_msg(isfinite(e) && e > 0, "%s estimate %g", impl->name, e);
            if (e < best) {
                best = e;
                best_id = (clconv_algo)a;
            }
        }
        clconv_plan *plan = NULL;
        ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_AUTO, &plan), CLCONV_SUCCESS);
        ck_assert_int_eq(clconv_plan_get_algo(plan), best_id);
        ck_assert_int_ne(clconv_plan_get_algo(plan), CLCONV_ALGO_AUTO);
        clconv_plan_destroy(plan);
    }
}
END_TEST

START_TEST(test_select_forced)
{
    clconv_context *ctx = test_context();
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 8, 8, 3, 3);
    const int in[4] = {1, 8, 6, 6};
    clconv_plan *plan = NULL;
    /* by argument */
    for (int a = CLCONV_ALGO_DIRECT; a < CLCONV_ALGO_COUNT_; a++) {
        clconv_status st = clconv_plan_create(ctx, &d, in, (clconv_algo)a, &plan);
        if (st == CLCONV_SUCCESS) {
            ck_assert_int_eq(clconv_plan_get_algo(plan), a);
            clconv_plan_destroy(plan);
        } else {
            /* only an algorithm that cannot run this dense layer may refuse, with why */
            ck_assert_int_eq(st, CLCONV_ERROR_UNSUPPORTED);
            const char *msg = clconv_context_last_error(ctx);
            ck_assert_msg(strstr(msg, clconv_algo_name((clconv_algo)a)), "message: %s", msg);
            ck_assert_msg(a == CLCONV_ALGO_DEPTHWISE || !clconv_algo_available((clconv_algo)a),
                          "%s refused a dense 3x3: %s", clconv_algo_name((clconv_algo)a), msg);
        }
    }
    /* depthwise forced on a dense layer: the reason names the field */
    if (clconv_algo_available(CLCONV_ALGO_DEPTHWISE)) {
        ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_DEPTHWISE, &plan),
                         CLCONV_ERROR_UNSUPPORTED);
        ck_assert_ptr_nonnull(strstr(clconv_context_last_error(ctx), "groups"));
    }
    /* gemm: present with CLBlast, else refused naming the build */
    clconv_status st = clconv_plan_create(ctx, &d, in, CLCONV_ALGO_GEMM, &plan);
    if (CLCONV_TEST_HAVE_CLBLAST) {
        ck_assert_int_eq(st, CLCONV_SUCCESS);
        clconv_plan_destroy(plan);
    } else {
        ck_assert_int_eq(st, CLCONV_ERROR_UNSUPPORTED);
        ck_assert_ptr_nonnull(strstr(clconv_context_last_error(ctx), "built without CLBlast"));
    }
    ck_assert_int_eq(clconv_algo_available(CLCONV_ALGO_GEMM), CLCONV_TEST_HAVE_CLBLAST);
    /* an unknown value */
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, (clconv_algo)99, &plan),
                     CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_context_last_error(ctx), "algo = 99"));
}
END_TEST

START_TEST(test_select_env)
{
    clconv_context *ctx = test_context();
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 8, 8, 3, 3);
    const int in[4] = {1, 8, 6, 6};
    clconv_plan *plan = NULL;
    /* CLCONV_ALGO overrides AUTO, not an explicit argument */
    setenv("CLCONV_ALGO", "direct", 1);
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_AUTO, &plan), CLCONV_SUCCESS);
    ck_assert_int_eq(clconv_plan_get_algo(plan), CLCONV_ALGO_DIRECT);
    clconv_plan_destroy(plan);
    if (CLCONV_TEST_HAVE_CLBLAST) {
        setenv("CLCONV_ALGO", "GEMM", 1); /* case-insensitive */
        ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_AUTO, &plan), CLCONV_SUCCESS);
        ck_assert_int_eq(clconv_plan_get_algo(plan), CLCONV_ALGO_GEMM);
        clconv_plan_destroy(plan);
        ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_DIRECT, &plan),
                         CLCONV_SUCCESS);
        ck_assert_int_eq(clconv_plan_get_algo(plan), CLCONV_ALGO_DIRECT);
        clconv_plan_destroy(plan);
        /* forced by the environment and unable: the message says where it came from */
        d.dtype = CLCONV_FLOAT16;
        ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_AUTO, &plan),
                         CLCONV_ERROR_UNSUPPORTED);
        const char *msg = clconv_context_last_error(ctx);
        ck_assert_msg(strstr(msg, "from CLCONV_ALGO") && strstr(msg, "float16"), "%s", msg);
        d.dtype = CLCONV_FLOAT32;
    }
    setenv("CLCONV_ALGO", "fastest", 1);
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_AUTO, &plan),
                     CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_context_last_error(ctx), "CLCONV_ALGO = \"fastest\""));
    setenv("CLCONV_ALGO", "auto", 1);
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_AUTO, &plan), CLCONV_SUCCESS);
    clconv_plan_destroy(plan);
    unsetenv("CLCONV_ALGO");
}
END_TEST

/* Runs plan creation with stderr sent to a file; returns what was written (malloc'd). */
static char *capture_plan_log(clconv_context *ctx, const clconv_desc *d, const int in[4],
                              clconv_algo algo, clconv_algo *chosen)
{
    char path[] = "/tmp/clconv-select-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    setenv("CLCONV_VERBOSE", "1", 1);
    clconv_plan *plan = NULL;
    clconv_status st = clconv_plan_create(ctx, d, in, algo, &plan);
    unsetenv("CLCONV_VERBOSE");
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    ck_assert_int_eq(st, CLCONV_SUCCESS);
    *chosen = clconv_plan_get_algo(plan);
    clconv_plan_destroy(plan);
    FILE *f = fdopen(fd, "r");
    rewind(f);
    char *text = calloc(1, 65536);
    size_t n = fread(text, 1, 65535, f);
    text[n] = 0;
    fclose(f);
    unlink(path);
    return text;
}

START_TEST(test_select_verbose)
{
    clconv_context *ctx = test_context();
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 16, 16, 3, 3);
    d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
    d.padding_mode = CLCONV_PADDING_REFLECT;
    const int in[4] = {2, 16, 9, 9};
    clconv_algo chosen;
    char *log = capture_plan_log(ctx, &d, in, CLCONV_ALGO_AUTO, &chosen);
    /* shape, device, every registered candidate with an estimate or a reason, the choice */
    ck_assert_msg(strstr(log, "conv2d in 2x16x9x9 out 2x16x9x9 k 3x3") && strstr(log, "reflect"),
                  "log: %s", log);
    clconv_device_info info;
    clconv_context_get_device_info(ctx, &info);
    ck_assert_msg(strstr(log, info.device_name), "log: %s", log);
    for (int a = CLCONV_ALGO_DIRECT; a < CLCONV_ALGO_COUNT_; a++) {
        char line[64];
        snprintf(line, sizeof line, "candidate %s", clconv_algo_name((clconv_algo)a));
        ck_assert_msg(!strstr(log, line) == !clconv_algo_available((clconv_algo)a), "%s: %s", line,
                      log);
    }
    ck_assert_msg(strstr(log, "candidate direct    estimate"), "log: %s", log);
    char chose[64];
    snprintf(chose, sizeof chose, "auto chose %s", clconv_algo_name(chosen));
    ck_assert_msg(strstr(log, chose), "log: %s", log);
    free(log);

    log = capture_plan_log(ctx, &d, in, CLCONV_ALGO_DIRECT, &chosen);
    ck_assert_msg(strstr(log, "direct forced by argument"), "log: %s", log);
    free(log);

    /* quiet without CLCONV_VERBOSE */
    char path[] = "/tmp/clconv-select-XXXXXX";
    int fd = mkstemp(path);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    clconv_plan *plan;
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_AUTO, &plan), CLCONV_SUCCESS);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    ck_assert_int_eq(lseek(fd, 0, SEEK_END), 0);
    close(fd);
    unlink(path);
    clconv_plan_destroy(plan);
}
END_TEST

static Suite *select_suite(void)
{
    Suite *s = suite_create("select");
    TCase *tc = tcase_create("select");
    tcase_set_timeout(tc, 0);
    tcase_add_test(tc, test_select_pins);
    tcase_add_test(tc, test_select_pins_direct_or_gemm);
    tcase_add_test(tc, test_select_pins_depthwise_or_direct);
    tcase_add_test(tc, test_select_model_device_classes);
    tcase_add_test(tc, test_select_pins_gpu);
    tcase_add_test(tc, test_select_forced);
    tcase_add_test(tc, test_select_env);
    tcase_add_test(tc, test_select_verbose);
    tcase_add_test(tc, test_select_auto_is_cheapest);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    unsetenv("CLCONV_ALGO");
    unsetenv("CLCONV_VERBOSE");
    SRunner *sr = srunner_create(select_suite());
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    test_context_release();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
