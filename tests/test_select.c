/* Variant selection on fixed device profiles: AUTO's choice pinned per device class for
 * representative layers, the estimates behind the GEMM / direct / depthwise rules, the device
 * classes' model terms, and the calibration table's consistency with the registry. The
 * selection API (forcing, environment, log) is in test_select_api.c. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clconv.h>

#include "src/cost-model.h"
#include "src/variant.h"
#include "tests/common.h"

#ifndef CLCONV_TEST_HAVE_CLBLAST
#error "CLCONV_TEST_HAVE_CLBLAST must be defined by the build"
#endif

/* The device profiles the pins use. */
enum { CPU, H100, AMD, INTEL, MALI, NPROFILES };
static const char *const profile_names[NPROFILES] = {"cpu (PoCL, 2 units)", "nvidia (H100)",
                                                     "amd (uncalibrated)", "intel (uncalibrated)",
                                                     "mali (uncalibrated)"};

static void set_profile(clconv_device_info *i, int which)
{
    i->max_work_item_sizes[0] = i->max_work_item_sizes[1] = i->max_work_item_sizes[2] = 1024;
    i->max_work_group_size = 1024;
    i->local_mem_dedicated = 1;
    i->local_mem_size = 64 * 1024;
    i->has_fp16 = 0;
    i->device_name[0] = 0;
    switch (which) {
    case CPU: /* the CI machine's PoCL device */
        i->type = CL_DEVICE_TYPE_CPU;
        i->vendor_id = 0x1022;
        i->compute_units = 2;
        i->max_clock_mhz = 2000;
        i->preferred_vector_width_float = 16;
        i->max_work_group_size = 4096;
        i->max_work_item_sizes[0] = i->max_work_item_sizes[1] = i->max_work_item_sizes[2] = 4096;
        i->local_mem_size = 512 * 1024;
        i->local_mem_dedicated = 0;
        i->global_mem_size = (cl_ulong)8 << 30;
        i->max_alloc_size = (cl_ulong)2 << 30;
        break;
    case H100:
        i->type = CL_DEVICE_TYPE_GPU;
        i->vendor_id = 0x10de;
        i->compute_units = 132;
        i->max_clock_mhz = 1980;
        i->preferred_vector_width_float = 1;
        i->max_work_item_sizes[2] = 64;
        i->local_mem_size = 48 * 1024;
        i->global_mem_size = (cl_ulong)80 << 30;
        i->max_alloc_size = (cl_ulong)20 << 30;
        break;
    case AMD:
        i->type = CL_DEVICE_TYPE_GPU;
        i->vendor_id = 0x1002;
        i->compute_units = 60;
        i->max_clock_mhz = 1800;
        i->preferred_vector_width_float = 1;
        i->max_work_group_size = 256;
        i->global_mem_size = (cl_ulong)16 << 30;
        i->max_alloc_size = (cl_ulong)12 << 30;
        break;
    case INTEL:
        i->type = CL_DEVICE_TYPE_GPU;
        i->vendor_id = 0x8086;
        i->compute_units = 96;
        i->max_clock_mhz = 1300;
        i->preferred_vector_width_float = 1;
        i->max_work_group_size = 512;
        i->global_mem_size = (cl_ulong)8 << 30;
        i->max_alloc_size = (cl_ulong)4 << 30;
        break;
    default: /* an ARM Mali G78 MP20 */
        i->type = CL_DEVICE_TYPE_GPU;
        i->vendor_id = 0x13b5;
        i->compute_units = 20;
        i->max_clock_mhz = 850;
        i->preferred_vector_width_float = 4;
        i->max_work_group_size = 512;
        i->local_mem_dedicated = 0;
        i->local_mem_size = 32 * 1024;
        i->global_mem_size = (cl_ulong)8 << 30;
        i->max_alloc_size = (cl_ulong)2 << 30;
        snprintf(i->device_name, sizeof i->device_name, "Mali-G78");
        break;
    }
}

static const clconv_device_class profile_class[NPROFILES] = {
    CLCONV_CLASS_CPU, CLCONV_CLASS_NVIDIA_GPU, CLCONV_CLASS_AMD_GPU, CLCONV_CLASS_INTEL_GPU,
    CLCONV_CLASS_ARM_MALI};

typedef struct pin {
    const char *name;
    clconv_kind kind;
    int n, c, h, w, oc, k, s, pad, groups;
    /* per profile: the variant with CLBlast, and without it */
    const char *want[NPROFILES][2];
    const char *why;
} pin;

#define SAME(v)                                                                                    \
    {                                                                                              \
        v, v                                                                                       \
    }
/* Pinned choices; a change in any estimate or calibration row that moves one is a visible
 * test change. CPU and H100 pins follow measurements (docs/calibration.md); the other
 * classes have uncalibrated rows (the H100's figures on their own device model), and their
 * pins only record what the model gives them. */
/* clang-format off */
static const pin pins[] = {
    {"resnet50 1x1 256->64 56x56", CLCONV_CONV2D, 1, 256, 56, 56, 64, 1, 1, 0, 1,
     {SAME("tiled.flat_c4v4"), {"gemm.1x1", "direct.conv2d"}, {"gemm.1x1", "direct.conv2d"},
      {"gemm.1x1", "direct.conv2d"}, {"gemm.1x1", "tiled.chanvec_c16p8"}},
     "cpu: flat tiles 1.0 ms, gemm 7.3; h100: gemm 0.062, tiled 0.428, direct 0.506"},
    {"resnet50 3x3 64 56x56", CLCONV_CONV2D, 1, 64, 56, 56, 64, 3, 1, 1, 1,
     {SAME("winograd.f4x4_3x3"), {"gemm.im2col", "direct.conv2d"},
      {"gemm.im2col", "direct.conv2d"}, SAME("tiled.chanvec_c16p8"), SAME("tiled.chanvec_c16p8")},
     "cpu: winograd f4x4 at or below tiled (docs/winograd.md), tiled 2.0-2.4 ms, direct 27-46, "
     "gemm 50-84"},
    {"resnet50 3x3 128 28x28", CLCONV_CONV2D, 1, 128, 28, 28, 128, 3, 1, 1, 1,
     {SAME("winograd.f4x4_3x3"), {"gemm.im2col", "direct.conv2d"},
      {"gemm.im2col", "direct.conv2d"}, {"gemm.im2col", "direct.conv2d"},
      {"gemm.im2col", "tiled.chanvec_c16p8"}},
     "cpu: winograd f4x4 0.6-0.8x tiled's time (docs/winograd.md)"},
    {"resnet50 3x3 256 14x14 batch 8", CLCONV_CONV2D, 8, 256, 14, 14, 256, 3, 1, 1, 1,
     {SAME("winograd.f4x4_3x3"), {"gemm.im2col", "direct.conv2d"},
      {"gemm.im2col", "tiled.chanvec_c16p8"}, {"gemm.im2col", "tiled.chanvec_c16p8"},
      {"gemm.im2col", "tiled.chanvec_c16p8"}},
     "cpu: winograd f4x4 0.4-0.6x tiled's time: the filter transform amortised over 8 images"},
    {"grouped 3x3 g8 of 8 channels 28x28", CLCONV_CONV2D, 1, 64, 28, 28, 64, 3, 1, 1, 8,
     {SAME("tiled.chanvec_c8p8"), SAME("tiled.chanvec_c8p8"), SAME("tiled.chanvec_c8p8"),
      SAME("direct.conv2d"), SAME("direct.conv2d")},
     "cpu: groups of 8 channels stay off winograd (its AUTO rule)"},
    {"resnet50 3x3 256 14x14", CLCONV_CONV2D, 1, 256, 14, 14, 256, 3, 1, 1, 1,
     {SAME("tiled.chanvec_c16p8"), {"gemm.im2col", "direct.conv2d"},
      {"gemm.im2col", "direct.conv2d"}, {"gemm.im2col", "direct.conv2d"},
      {"gemm.im2col", "direct.conv2d"}},
     "h100: gemm 0.113, direct 0.619, tiled 0.823"},
    {"resnet50 3x3 512 7x7", CLCONV_CONV2D, 1, 512, 7, 7, 512, 3, 1, 1, 1,
     {SAME("tiled.flat_c4v4"), {"gemm.im2col", "direct.conv2d"}, {"gemm.im2col", "direct.conv2d"},
      {"gemm.im2col", "direct.conv2d"}, {"gemm.im2col", "direct.conv2d"}},
     "cpu: flat 67% of the ceiling, channel vectors 24%"},
    {"mobilenetv2 depthwise 144 56x56", CLCONV_CONV2D, 1, 144, 56, 56, 144, 3, 1, 1, 144,
     {SAME("depthwise.flat_v16"), SAME("direct.conv2d"), SAME("direct.conv2d"),
      SAME("direct.conv2d"), SAME("direct.conv2d")},
     "cpu: flat plane kernel; h100: direct 0.023, depthwise 0.043, tiled 0.052, gemm 0.102"},
    {"mobilenetv2 depthwise 576 14x14 s2", CLCONV_CONV2D, 1, 576, 14, 14, 576, 3, 2, 1, 576,
     {SAME("depthwise.s2_phases"), SAME("direct.conv2d"), SAME("direct.conv2d"),
      SAME("direct.conv2d"), SAME("direct.conv2d")},
     "cpu: stride-2 phase planes 1.5-1.9x the row kernel"},
    {"resnext50 grouped 32x4 56x56", CLCONV_CONV2D, 1, 128, 56, 56, 128, 3, 1, 1, 32,
     {SAME("tiled.pixvec_c4r4"), SAME("direct.conv2d"), SAME("direct.conv2d"),
      SAME("direct.conv2d"), SAME("direct.conv2d")},
     "cpu: pixel vectors ~2x channel vectors on 4-channel groups; h100: direct 0.029, tiled "
     "0.051, gemm 0.064"},
    {"unet transposed k2 s2 512->256", CLCONV_CONV_TRANSPOSE2D, 1, 512, 32, 32, 256, 2, 2, 0, 1,
     {SAME("tiled.scatter_c4v4"), {"gemm.col2im", "tiled.phases_c16p8"},
      {"gemm.col2im", "tiled.phases_c16p8"}, {"gemm.col2im", "tiled.phases_c16p8"},
      {"gemm.col2im", "tiled.phases_c16p8"}},
     "cpu: kernel == stride as one 1x1 launch, 1.7-1.9x the phases; h100: gemm 0.111, tiled "
     "0.208"},
    {"dcgan transposed k4 s2 p1 512->256", CLCONV_CONV_TRANSPOSE2D, 16, 512, 4, 4, 256, 4, 2, 1, 1,
     {SAME("tiled.phases_c16p8"), SAME("tiled.phases_c16p8"), SAME("tiled.phases_c16p8"),
      SAME("tiled.phases_c16p8"), SAME("tiled.phases_c16p8")},
     "cpu: tiled 8.5 ms, gemm 69, direct 97; h100: one launch for the phases (model)"},
    {"dcgan transposed k4 from 1x1, batch 16", CLCONV_CONV_TRANSPOSE2D, 16, 100, 1, 1, 512, 4, 1,
     0, 1,
     {SAME("tiled.phases_c16p8"), {"gemm.col2im", "tiled.phases_c16p8"},
      SAME("tiled.phases_c16p8"), SAME("tiled.phases_c16p8"), SAME("direct.tconv2d")},
     "cpu: tiled 6 ms, direct 34, gemm 70-74 (products with n = 1 pixel)"},
};
/* clang-format on */

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

/* A context whose recorded device is a profile (the real device runs nothing here). */
static clconv_context *profile_context(int which)
{
    clconv_context *ctx = NULL;
    ck_assert_int_eq(clconv_context_create(NULL, &ctx), CLCONV_SUCCESS);
    set_profile(&ctx->info, which);
    ck_assert_int_eq(clconv_device_class_of(&ctx->info), profile_class[which]);
    return ctx;
}

static const clconv_variant *choose(clconv_context *ctx, const clconv_desc *d, const int in[4],
                                    clconv_config *cfg)
{
    clconv_problem p;
    ck_assert_int_eq(clconv_problem_init(d, in, &p), CLCONV_SUCCESS);
    const clconv_variant *v = NULL;
    ck_assert_int_eq(clconv_select_variant(ctx, &p, CLCONV_ALGO_AUTO, NULL, &v, cfg),
                     CLCONV_SUCCESS);
    return v;
}

/* With the weights set once (clconv_context_set_constant_weights), the CPU profile's cost model
 * leaves out Winograd's per-enqueue filter transform and takes it on ResNet-50's 14x14 layer
 * with 256 channels, where per enqueue it keeps the channel vectors (docs/selection.md); the
 * 7x7 layer with 512 channels stays on the tiled kernels either way. */
START_TEST(test_select_constant_weights)
{
    clconv_context *ctx = profile_context(CPU);
    static const struct {
        int c, hw;
        const char *per_enqueue, *constant;
    } cases[] = {{256, 14, "tiled.chanvec_c16p8", "winograd.f4x4_3x3"},
                 {512, 7, "tiled.flat_c4v4", "tiled.flat_c4v4"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        clconv_desc d;
        clconv_desc_init(&d, CLCONV_CONV2D, cases[i].c, cases[i].c, 3, 3);
        d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
        const int in[4] = {1, cases[i].c, cases[i].hw, cases[i].hw};
        for (int constant = 0; constant < 2; constant++) {
            clconv_problem p;
            ck_assert_int_eq(clconv_problem_init(&d, in, &p), CLCONV_SUCCESS);
            ck_assert(!p.weights_constant); /* only plan creation sets it */
            p.weights_constant = constant;
            const clconv_variant *v = NULL;
            clconv_config cfg;
            ck_assert_int_eq(clconv_select_variant(ctx, &p, CLCONV_ALGO_AUTO, NULL, &v, &cfg),
                             CLCONV_SUCCESS);
            const char *want = constant ? cases[i].constant : cases[i].per_enqueue;
            ck_assert_msg(!strcmp(v->name, want),
                          "%d channels %dx%d, constant weights %d: %s, "
                          "pinned %s",
                          cases[i].c, cases[i].hw, cases[i].hw, constant, v->name, want);
        }
    }
    clconv_context_destroy(ctx);
}
END_TEST

START_TEST(test_select_pins_per_class)
{
    char failures[3000] = "";
    int failed = 0;
    for (int prof = 0; prof < NPROFILES; prof++) {
        clconv_context *ctx = profile_context(prof);
        for (size_t i = 0; i < sizeof pins / sizeof pins[0]; i++) {
            clconv_desc d;
            int in[4];
            pin_desc(&pins[i], &d, in);
            clconv_config cfg;
            const clconv_variant *v = choose(ctx, &d, in, &cfg);
            const char *want = pins[i].want[prof][CLCONV_TEST_HAVE_CLBLAST ? 0 : 1];
            if (strcmp(v->name, want)) {
                failed++;
                size_t used = strlen(failures);
                snprintf(failures + used, sizeof failures - used,
                         "\n  %s on %s: chose %s, pinned %s (%s)", pins[i].name,
                         profile_names[prof], v->name, want, pins[i].why);
            }
        }
        clconv_context_destroy(ctx);
    }
    ck_assert_msg(failed == 0, "%d pinned choices moved:%s", failed, failures);
}
END_TEST

/* DeepLab's ASPP layers (512 -> 256, 32x32, 3x3, padding = dilation): the CPU class skips
 * the zero taps (1.8-3.6x faster than the channel vectors, docs/winograd.md) where at most
 * 80% of the taps land inside the input; no other class has a row for it. */
START_TEST(test_select_pins_zero_skip)
{
    static const struct {
        int dilation;
        const char *cpu;
    } cases[] = {{1, "winograd.f4x4_3x3"},
                 {6, "tiled.skipzeros_c16p8"},
                 {12, "tiled.skipzeros_c16p8"},
                 {18, "tiled.skipzeros_c16p8"}};
    for (int prof = 0; prof < NPROFILES; prof++) {
        clconv_context *ctx = profile_context(prof);
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            clconv_desc d;
            clconv_desc_init(&d, CLCONV_CONV2D, 512, 256, 3, 3);
            d.dilation_h = d.dilation_w = cases[i].dilation;
            d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = cases[i].dilation;
            const int in[4] = {1, 512, 32, 32};
            clconv_config cfg;
            const char *got = choose(ctx, &d, in, &cfg)->name;
            if (prof == CPU)
                ck_assert_msg(!strcmp(got, cases[i].cpu), "dilation %d on %s: chose %s, pinned %s",
                              cases[i].dilation, profile_names[prof], got, cases[i].cpu);
            else
                ck_assert_msg(strncmp(got, "tiled.skipzeros", 15) && strncmp(got, "winograd", 8),
                              "dilation %d on %s: chose %s (no calibration row there)",
                              cases[i].dilation, profile_names[prof], got);
        }
        clconv_context_destroy(ctx);
    }
}
END_TEST

/* The estimate of the named variant for p on ctx's device with its calibration row; < 0 when
 * it cannot run p. */
static double estimate_of(clconv_context *ctx, const char *name, const clconv_problem *p)
{
    const clconv_variant *v = clconv_variant_lookup(name);
    ck_assert_msg(v != NULL, "no variant %s", name);
    clconv_config cfg;
    char reason[512];
    if (!clconv_variant_can_run(ctx, v, p, &cfg, reason, sizeof reason))
        return -1;
    const clconv_calibration *cal =
        clconv_calibration_lookup(name, clconv_device_class_of(&ctx->info));
    ck_assert_msg(cal != NULL, "%s has no row for this class", name);
    return v->ops->estimate(v, p, &ctx->info, &cfg, cal);
}

/* GEMM's estimate against direct's on the CPU profile, pinned on its own so that it stays
 * visible while other variants win the layers (measured on PoCL, ms, direct vs gemm: 1x1
 * 16-21 vs 13-17, 3x3 64 27-46 vs 50-84, 3x3 512 7x7 36-46 vs 46-66, depthwise 1.5-2.0 vs
 * 36, grouped 1.8 vs 29, k2s2 138-480 vs 74-395). */
START_TEST(test_select_pins_direct_or_gemm)
{
    if (!CLCONV_TEST_HAVE_CLBLAST) {
        ck_assert_ptr_null(clconv_variant_lookup("gemm.im2col"));
        return;
    }
    /* per pin: 'g' gemm estimated faster, 'd' direct, '-' not pinned */
    static const char winner[] = "gd----ddddggd";
    ck_assert_uint_eq(sizeof winner - 1, sizeof pins / sizeof pins[0]);
    clconv_context *ctx = profile_context(CPU);
    for (size_t i = 0; i < sizeof pins / sizeof pins[0]; i++) {
        if (winner[i] == '-')
            continue;
        clconv_desc d;
        int in[4];
        pin_desc(&pins[i], &d, in);
        clconv_problem p;
        ck_assert_int_eq(clconv_problem_init(&d, in, &p), CLCONV_SUCCESS);
        const bool conv = d.kind == CLCONV_CONV2D;
        const bool k1 = d.kernel_h == 1 && d.stride_h == 1 && d.pad_top == 0;
        const char *gemm = k1 ? "gemm.1x1" : conv ? "gemm.im2col" : "gemm.col2im";
        const double ed = estimate_of(ctx, conv ? "direct.conv2d" : "direct.tconv2d", &p);
        const double eg = estimate_of(ctx, gemm, &p);
        ck_assert(ed > 0 && eg > 0);
        ck_assert_msg((eg < ed) == (winner[i] == 'g'), "%s: direct %.3g s, %s %.3g s, pinned %s",
                      pins[i].name, ed, gemm, eg, winner[i] == 'g' ? "gemm" : "direct");
    }
    clconv_context_destroy(ctx);
}
END_TEST

/* The depthwise variants' estimates against direct's on MobileNetV2's depthwise layers, the
 * small-map ones included that direct used to win (measured on PoCL, ms, depthwise vs direct:
 * dw32_112 0.28-0.67 vs 1.1-2.0, dw144_56 0.43-0.99 vs 1.5-2.2, dw576_s2 0.12-0.23 vs 0.32,
 * dw960_7 0.12-0.18 vs 0.19-0.20). */
START_TEST(test_select_pins_depthwise_or_direct)
{
    static const struct {
        int c, h, s;
        const char *variant;
    } layers[] = {{32, 112, 1, "depthwise.flat_v16"},
                  {144, 56, 1, "depthwise.flat_v16"},
                  {576, 14, 2, "depthwise.s2_phases"},
                  {960, 7, 1, "depthwise.flat_v16"}};
    clconv_context *ctx = profile_context(CPU);
    for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) {
        clconv_desc d;
        clconv_desc_init(&d, CLCONV_CONV2D, layers[i].c, layers[i].c, 3, 3);
        d.stride_h = d.stride_w = layers[i].s;
        d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
        d.groups = layers[i].c;
        const int in[4] = {1, layers[i].c, layers[i].h, layers[i].h};
        clconv_problem p;
        ck_assert_int_eq(clconv_problem_init(&d, in, &p), CLCONV_SUCCESS);
        const double ed = estimate_of(ctx, "direct.conv2d", &p);
        const double ew = estimate_of(ctx, layers[i].variant, &p);
        const double er = estimate_of(ctx, "depthwise.rows_x8", &p);
        ck_assert_msg(ew > 0 && ew < ed && ew < er,
                      "dw%d %dx%d s%d: %s %.3g s, rows %.3g, direct %.3g", layers[i].c, layers[i].h,
                      layers[i].h, layers[i].s, layers[i].variant, ew, er, ed);
    }
    clconv_context_destroy(ctx);
}
END_TEST

/* The cost model's device terms per class: peak = units x clock x lanes x 2 with the class's
 * lanes (a CPU's: its vector width), bandwidth per class, and every variant's estimate
 * positive and finite on every profile. */
START_TEST(test_select_model_device_classes)
{
    static const double lanes[NPROFILES] = {16, 128, 64, 16, 32};
    for (int prof = 0; prof < NPROFILES; prof++) {
        clconv_context *ctx = profile_context(prof);
        clconv_device_model m;
        clconv_device_model_get(&ctx->info, &m);
        const double units = ctx->info.compute_units, hz = ctx->info.max_clock_mhz * 1e6;
        ck_assert_double_eq_tol(m.peak_flops, units * hz * lanes[prof] * 2, 1e3);
        ck_assert(m.launch_seconds > 0 && m.launch_seconds < 1e-3);
        if (prof == CPU)
            ck_assert_double_eq_tol(m.bandwidth, 20e9, 1);
        else if (prof == H100 || prof == AMD)
            ck_assert_double_eq_tol(m.bandwidth, m.peak_flops * 0.043, 1e3);
        else
            ck_assert_double_eq_tol(m.bandwidth, 40e9, 1);
        clconv_desc d;
        clconv_desc_init(&d, CLCONV_CONV2D, 64, 64, 3, 3);
        d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
        const int in[4] = {1, 64, 56, 56};
        clconv_problem p;
        ck_assert_int_eq(clconv_problem_init(&d, in, &p), CLCONV_SUCCESS);
        for (size_t i = 0; i < clconv_variant_registry_size(); i++) {
            const clconv_variant *v = clconv_variant_at(i);
            clconv_config cfg;
            char reason[512];
            if (!clconv_variant_can_run(ctx, v, &p, &cfg, reason, sizeof reason))
                continue;
            const clconv_calibration *cal = clconv_calibration_lookup(v->name, profile_class[prof]);
            const double e =
                v->ops->estimate(v, &p, &ctx->info, &cfg, cal ? cal : &clconv_calibration_default);
            ck_assert_msg(isfinite(e) && e > 0, "%s on %s: %g", v->name, profile_names[prof], e);
        }
        clconv_context_destroy(ctx);
    }
}
END_TEST

/* Every calibration row names a variant of the full registry and its source; every variant
 * has a CPU row (the class every machine here has) and, unless its kernel is CPU-only, an
 * uncalibrated row; AUTO never picks a variant without a row for the device's class. */
START_TEST(test_select_calibration_table)
{
    size_t count;
    const clconv_calibration *rows = clconv_calibration_table(&count);
    ck_assert(count > 0);
    for (size_t i = 0; i < count; i++) {
        clconv_algo algo;
        ck_assert_msg(clconv_variant_lookup(rows[i].variant) ||
                          clconv_variant_known_elsewhere(rows[i].variant, &algo),
                      "row %zu names no variant: %s", i, rows[i].variant);
        ck_assert_msg(rows[i].source && strlen(rows[i].source) > 20, "%s: no source",
                      rows[i].variant);
        ck_assert_msg(rows[i].efficiency > 0 && rows[i].efficiency <= 1.5, "%s: efficiency %g",
                      rows[i].variant, rows[i].efficiency);
        ck_assert((unsigned)rows[i].cls < CLCONV_CLASS_COUNT_);
        for (size_t j = 0; j < i; j++)
            ck_assert_msg(rows[j].cls != rows[i].cls || strcmp(rows[j].variant, rows[i].variant),
                          "%s: two rows for %s", rows[i].variant,
                          clconv_device_class_name(rows[i].cls));
    }
    for (size_t i = 0; i < clconv_variant_registry_size(); i++) {
        const clconv_variant *v = clconv_variant_at(i);
        ck_assert_msg(clconv_calibration_row(v->name, CLCONV_CLASS_CPU), "%s: no CPU row", v->name);
        ck_assert_msg(
            !strncmp(v->name, clconv_algo_name(v->algo), strlen(clconv_algo_name(v->algo))) &&
                v->name[strlen(clconv_algo_name(v->algo))] == '.',
            "%s: the name does not start with its algorithm", v->name);
    }
    for (int c = 0; c < CLCONV_CLASS_COUNT_; c++) {
        const clconv_device_calibration *row = clconv_device_calibration_of((clconv_device_class)c);
        ck_assert_int_eq(row->cls, c);
        ck_assert(row->launch_seconds > 0 && row->source && *row->source);
    }
    /* a CPU-only kernel has no GPU row: never an AUTO candidate on a GPU class */
    if (clconv_variant_lookup("tiled.flat_c4v4")) {
        ck_assert_ptr_null(clconv_calibration_lookup("tiled.flat_c4v4", CLCONV_CLASS_NVIDIA_GPU));
        ck_assert_ptr_null(clconv_calibration_lookup("depthwise.s2_phases", CLCONV_CLASS_ARM_MALI));
    }
}
END_TEST

/* On every profile, AUTO's choice over random layers is a variant with a calibration row for
 * the class, the lowest estimate among the candidates that pass their domain. */
START_TEST(test_select_auto_is_cheapest_candidate)
{
    for (int prof = 0; prof < NPROFILES; prof++) {
        clconv_context *ctx = profile_context(prof);
        for (int i = 0; i < 40; i++) {
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
            const clconv_variant *best_v = NULL;
            for (size_t k = 0; k < clconv_variant_registry_size(); k++) {
                const clconv_variant *v = clconv_variant_at(k);
                clconv_config cfg;
                char reason[512] = "";
                if (!clconv_variant_can_run(ctx, v, &p, &cfg, reason, sizeof reason)) {
                    ck_assert_msg(strlen(reason) > 10, "%s refused without a reason", v->name);
                    continue;
                }
                const clconv_calibration *cal =
                    clconv_calibration_lookup(v->name, profile_class[prof]);
                if (!cal || (v->ops->auto_domain &&
                             !v->ops->auto_domain(v, &p, &ctx->info, &cfg, reason, sizeof reason)))
                    continue;
                const double e = v->ops->estimate(v, &p, &ctx->info, &cfg, cal);
                ck_assert_msg(isfinite(e) && e > 0, "%s estimate %g", v->name, e);
                if (e < best) {
                    best = e;
                    best_v = v;
                }
            }
            clconv_config cfg;
            const clconv_variant *chosen = choose(ctx, &d, in, &cfg);
            if (best_v)
                ck_assert_msg(chosen == best_v, "%s: chose %s, cheapest %s", profile_names[prof],
                              chosen->name, best_v->name);
            ck_assert_ptr_nonnull(clconv_calibration_lookup(chosen->name, profile_class[prof]));
        }
        clconv_context_destroy(ctx);
    }
}
END_TEST

static Suite *select_suite(void)
{
    Suite *s = suite_create("select");
    TCase *tc = tcase_create("select");
    tcase_set_timeout(tc, 0);
    tcase_add_test(tc, test_select_pins_per_class);
    tcase_add_test(tc, test_select_constant_weights);
    tcase_add_test(tc, test_select_pins_direct_or_gemm);
    tcase_add_test(tc, test_select_pins_zero_skip);
    tcase_add_test(tc, test_select_pins_depthwise_or_direct);
    tcase_add_test(tc, test_select_model_device_classes);
    tcase_add_test(tc, test_select_calibration_table);
    tcase_add_test(tc, test_select_auto_is_cheapest_candidate);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    unsetenv("CLCONV_ALGO");
    unsetenv("CLCONV_VARIANT");
    unsetenv("CLCONV_VERBOSE");
    setenv("CLCONV_TUNING_FILE", "/nonexistent/clconv-select-test", 1); /* the model decides */
    SRunner *sr = srunner_create(select_suite());
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
