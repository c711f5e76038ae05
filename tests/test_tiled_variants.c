/* Each tiled variant forced by name against the CPU reference: randomized shapes within what it
 * applies to and the shapes AUTO gives other kernels, both dtypes; the cases a variant declines,
 * with a reason naming the field; and the choice among the tiled variants (the suite is in
 * test_tiled.c). */
#include <check.h>
#include <string.h>

#include "src/calibration.h"
#include "src/internal.h"
#include "src/variant.h"
#include "tests/common.h"
#include "tests/test_tiled.h"

static const char *const variants[] = {
    "tiled.chanvec_c4p8",      "tiled.chanvec_c8p8", "tiled.chanvec_c16p8", "tiled.phases_c4p8",
    "tiled.phases_c8p8",       "tiled.phases_c16p8", "tiled.pixvec_c4r4",   "tiled.flat_c4v4",
    "tiled.flat_sampled_c4v4", "tiled.scatter_c4v4",
};
#define NVARIANTS ((int)(sizeof variants / sizeof variants[0]))

static bool transposed_variant(const char *name)
{
    return strstr(name, "phases") || strstr(name, "scatter");
}

/* A random case of the variant's kind, bent into what the variant applies to. */
static void random_case_for(const char *name, test_rng *rng, clconv_dtype dtype, clconv_desc *d,
                            int in[4])
{
    if (transposed_variant(name))
        test_random_conv_transpose2d(rng, dtype, d, in);
    else
        test_random_conv2d(rng, dtype, d, in);
    if (!strcmp(name, "tiled.flat_c4v4")) {
        d->stride_h = d->stride_w = 1;
    } else if (!strcmp(name, "tiled.flat_sampled_c4v4")) {
        d->kernel_h = d->kernel_w = 1;
        d->pad_top = d->pad_bottom = d->pad_left = d->pad_right = 0;
    } else if (!strcmp(name, "tiled.scatter_c4v4")) {
        d->kernel_h = d->stride_h;
        d->kernel_w = d->stride_w;
        d->dilation_h = d->dilation_w = 1;
        d->pad_top = d->pad_bottom = d->pad_left = d->pad_right = 0;
        d->output_padding_h = d->output_padding_w = 0;
    }
}

#define FORCED_F32 16
#define FORCED_F16 8

START_TEST(forced_random)
{
    /* _i: the variant; its cases must all be ones it applies to */
    const char *name = variants[_i];
    const clconv_variant *v = clconv_variant_lookup(name);
    ck_assert_msg(v != NULL, "%s is not registered", name);
    test_rng rng;
    test_rng_seed(&rng, 2000 + (uint64_t)_i);
    for (int i = 0; i < FORCED_F32 + FORCED_F16; i++) {
        clconv_desc d;
        int in[4];
        random_case_for(name, &rng, i < FORCED_F32 ? CLCONV_FLOAT32 : CLCONV_FLOAT16, &d, in);
        clconv_problem p;
        ck_assert_int_eq(clconv_problem_init(&d, in, &p), CLCONV_SUCCESS);
        clconv_config cfg;
        char reason[512], case_[512];
        test_describe(&d, in, case_, sizeof case_);
        ck_assert_msg(clconv_variant_can_run(test_context(), v, &p, &cfg, reason, sizeof reason),
                      "%s declines %s: %s", name, case_, reason);
        run_variant(name, &d, in, 20000 + (uint64_t)(_i * 100 + i));
    }
}
END_TEST

typedef struct forced_case {
    const char *variant;
    clconv_kind kind;
    test_spec spec;
} forced_case;

#define C CLCONV_CONV2D
#define T CLCONV_CONV_TRANSPOSE2D
/* name, n, cin, h, w, cout, kh, kw, sh, sw, pt, pb, pl, pr, dh, dw, groups, bias, mode, oph, opw */
static const forced_case forced_cases[] = {
    /* channel vectors on the layers AUTO gives the flat kernels and the pixel vectors */
    {"tiled.chanvec_c16p8",
     C,
     {"1x1 in place", 2, 64, 9, 11, 64, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0}},
    {"tiled.chanvec_c16p8", C, {"small map", 1, 20, 7, 7, 20, 3, 3, 1, 1, 1,
                                1,           1, 1,  1, 1, 1,  0, 0, 0, 0}},
    {"tiled.chanvec_c8p8",
     C,
     {"1x1 stride 2", 1, 16, 9, 9, 12, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0}},
    {"tiled.chanvec_c4p8",
     C,
     {"narrow groups",        1, 8, 10, 10, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4, 1,
      CLCONV_PADDING_REFLECT, 0, 0}},
    {"tiled.chanvec_c16p8",
     C,
     {"3 of 16 lanes", 2, 5, 6, 6, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0}},
    {"tiled.chanvec_c8p8",
     C,
     {"dilated strided",        1, 6, 11, 12, 9, 3, 3, 2, 2, 2, 1, 0, 3, 2, 2, 1, 0,
      CLCONV_PADDING_REPLICATE, 0, 0}},
    {"tiled.chanvec_c4p8",
     C,
     {"5x5 circular",          1, 4, 5, 7, 6, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1,
      CLCONV_PADDING_CIRCULAR, 0, 0}},
    {"tiled.chanvec_c4p8", C, {"1x1 map", 3, 7, 1, 1, 5, 1, 1, 1, 1, 0,
                               0,         0, 0, 1, 1, 1, 1, 0, 0, 0}},
    /* pixel vectors on wide groups, 1x1 kernels, small maps */
    {"tiled.pixvec_c4r4", C, {"1x1 wide", 2, 24, 9, 11, 40, 1, 1, 1, 1, 0,
                              0,          0, 0,  1, 1,  1,  1, 0, 0, 0}},
    {"tiled.pixvec_c4r4", C, {"small map", 1, 10, 7, 7, 20, 3, 3, 1, 1, 1,
                              1,           1, 1,  1, 1, 1,  0, 0, 0, 0}},
    {"tiled.pixvec_c4r4",
     C,
     {"wide strided", 1, 6, 12, 12, 17, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0}},
    {"tiled.pixvec_c4r4",
     C,
     {"1x1 stride 2", 1, 8, 9, 9, 8, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0}},
    /* flat on maps over 64 pixels, run-time taps, dilation, groups, padding modes */
    {"tiled.flat_c4v4", C, {"3x3 16x16", 1, 12, 16, 16, 20, 3, 3, 1, 1, 1,
                            1,           1, 1,  1,  1,  1,  1, 0, 0, 0}},
    {"tiled.flat_c4v4",
     C,
     {"5x5 dilated", 1, 5, 12, 13, 6, 5, 5, 1, 1, 4, 4, 4, 4, 2, 2, 1, 1, 0, 0, 0}},
    {"tiled.flat_c4v4",
     C,
     {"grouped reflect",      2, 8, 10, 17, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, 0,
      CLCONV_PADDING_REFLECT, 0, 0}},
    {"tiled.flat_c4v4",
     C,
     {"2x4 asymmetric",         1, 6, 9, 9, 7, 2, 4, 1, 1, 0, 1, 1, 2, 1, 1, 1, 1,
      CLCONV_PADDING_REPLICATE, 0, 0}},
    {"tiled.flat_c4v4",
     C,
     {"1x1 dilated", 1, 9, 7, 7, 5, 1, 1, 1, 1, 0, 0, 0, 0, 3, 3, 1, 1, 0, 0, 0}},
    /* the sampled copy at stride 1, unequal strides, groups, a 1x1 input */
    {"tiled.flat_sampled_c4v4", C, {"stride 1", 1, 12, 6, 9, 10, 1, 1, 1, 1, 0,
                                    0,          0, 0,  1, 1, 1,  1, 0, 0, 0}},
    {"tiled.flat_sampled_c4v4",
     C,
     {"3x2 grouped", 2, 9, 13, 17, 12, 1, 1, 3, 2, 0, 0, 0, 0, 1, 1, 3, 1, 0, 0, 0}},
    {"tiled.flat_sampled_c4v4", C, {"1x1 input", 1, 5, 1, 1, 6, 1, 1, 2, 2, 0,
                                    0,           0, 0, 1, 1, 1, 0, 0, 0, 0}},
    /* kernel == stride: 1x1, rectangular and grouped, few outputs from many channels */
    {"tiled.scatter_c4v4", T, {"k1 s1", 1, 6, 7, 7, 5, 1, 1, 1, 1, 0,
                               0,       0, 0, 1, 1, 1, 1, 0, 0, 0}},
    {"tiled.scatter_c4v4",
     T,
     {"k3x2 grouped", 2, 4, 5, 6, 6, 3, 2, 3, 2, 0, 0, 0, 0, 1, 1, 2, 1, 0, 0, 0}},
    {"tiled.scatter_c4v4",
     T,
     {"k2 40 channels", 1, 40, 14, 14, 3, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0}},
    /* stride phases on the layers AUTO gives the scatter, and widths off their rule */
    {"tiled.phases_c16p8", T, {"k2 s2", 1, 8, 5, 6, 20, 2, 2, 2, 2, 0,
                               0,       0, 0, 1, 1, 1,  1, 0, 0, 0}},
    {"tiled.phases_c8p8",
     T,
     {"k3 s3 grouped", 1, 4, 4, 5, 20, 3, 3, 3, 3, 0, 0, 0, 0, 1, 1, 2, 1, 0, 0, 0}},
    {"tiled.phases_c4p8",
     T,
     {"k4 s2 pad 1", 2, 6, 4, 4, 3, 4, 4, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0}},
    {"tiled.phases_c16p8",
     T,
     {"3 of 16 lanes", 1, 5, 5, 5, 3, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1}},
    {"tiled.phases_c4p8",
     T,
     {"wide on 4 lanes", 1, 6, 3, 4, 20, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0}},
};
#undef C
#undef T

START_TEST(forced_edges)
{
    uint64_t seed = 3000;
    for (size_t i = 0; i < sizeof forced_cases / sizeof forced_cases[0]; i++) {
        const forced_case *f = &forced_cases[i];
        for (int half = 0; half < 2; half++) {
            clconv_desc d;
            int in[4];
            test_spec_desc(&f->spec, f->kind, half ? CLCONV_FLOAT16 : CLCONV_FLOAT32, &d, in);
            run_variant(f->variant, &d, in, seed++);
        }
    }
}
END_TEST

START_TEST(forced_variant_declines_with_field)
{
    /* a variant forced where it does not apply: CLCONV_ERROR_UNSUPPORTED, and the message
     * names the variant and the field */
    static const struct {
        const char *variant;
        clconv_kind kind;
        int k, s, pad, dil, out_pad, kw, sw;
        const char *field;
    } cases[] = {
        {"tiled.flat_c4v4", CLCONV_CONV2D, 3, 2, 1, 1, 0, 3, 2, "stride_h = 2"},
        {"tiled.flat_c4v4", CLCONV_CONV2D, 3, 1, 1, 1, 0, 3, 3, "stride_w = 3"},
        {"tiled.flat_c4v4", CLCONV_CONV_TRANSPOSE2D, 2, 2, 0, 1, 0, 2, 2, "kind"},
        {"tiled.flat_sampled_c4v4", CLCONV_CONV2D, 3, 2, 0, 1, 0, 3, 2, "kernel_h = 3"},
        {"tiled.flat_sampled_c4v4", CLCONV_CONV2D, 1, 2, 1, 1, 0, 1, 2, "padding"},
        {"tiled.scatter_c4v4", CLCONV_CONV_TRANSPOSE2D, 3, 2, 0, 1, 0, 3, 2, "kernel_h = 3"},
        {"tiled.scatter_c4v4", CLCONV_CONV_TRANSPOSE2D, 2, 2, 0, 1, 1, 2, 2,
         "output_padding_h = 1"},
        {"tiled.scatter_c4v4", CLCONV_CONV_TRANSPOSE2D, 2, 2, 1, 1, 0, 2, 2, "pad_top = 1"},
        {"tiled.scatter_c4v4", CLCONV_CONV_TRANSPOSE2D, 2, 2, 0, 2, 0, 2, 2, "dilation_h = 2"},
        {"tiled.scatter_c4v4", CLCONV_CONV2D, 2, 2, 0, 1, 0, 2, 2, "kind"},
        {"tiled.chanvec_c16p8", CLCONV_CONV_TRANSPOSE2D, 3, 2, 1, 1, 0, 3, 2, "kind"},
        {"tiled.phases_c8p8", CLCONV_CONV2D, 3, 1, 1, 1, 0, 3, 1, "kind"},
        {"tiled.pixvec_c4r4", CLCONV_CONV_TRANSPOSE2D, 3, 2, 1, 1, 0, 3, 2, "kind"},
    };
    clconv_context *ctx = test_context();
    ck_assert_ptr_nonnull(ctx);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        clconv_desc d;
        clconv_desc_init(&d, cases[i].kind, 4, 4, cases[i].k, cases[i].kw);
        d.stride_h = cases[i].s;
        d.stride_w = cases[i].sw;
        d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = cases[i].pad;
        d.dilation_h = d.dilation_w = cases[i].dil;
        d.output_padding_h = d.output_padding_w = cases[i].out_pad;
        int in[4] = {1, 4, 8, 8};
        clconv_plan *plan = NULL;
        const clconv_status st = clconv_plan_create_variant(ctx, &d, in, cases[i].variant, &plan);
        const char *msg = clconv_context_last_error(ctx);
        ck_assert_msg(st == CLCONV_ERROR_UNSUPPORTED && !plan, "%s, case %zu: %s (%s)",
                      cases[i].variant, i, clconv_status_name(st), msg);
        ck_assert_msg(strstr(msg, cases[i].field) && strstr(msg, cases[i].variant),
                      "%s, case %zu: \"%s\" does not name %s", cases[i].variant, i, msg,
                      cases[i].field);
    }
}
END_TEST

START_TEST(choice_among_tiled_variants)
{
    /* The tiled algorithm forced, AUTO chooses within it as the old code did: the channel
     * width by cout/groups, pixel vectors for groups of 4 or fewer, and the flat kernels
     * where they are calibrated (1x1 layers, maps of at most 64 pixels, kernel == stride). */
    clconv_context *ctx = test_context();
    ck_assert_ptr_nonnull(ctx);
    clconv_device_info info;
    ck_assert_int_eq(clconv_context_get_device_info(ctx, &info), CLCONV_SUCCESS);
    const clconv_device_class cls = clconv_device_class_of(&info);
    const bool flat = clconv_calibration_lookup("tiled.flat_c4v4", cls) != NULL;
    const bool sampled = clconv_calibration_lookup("tiled.flat_sampled_c4v4", cls) != NULL;
    const bool scatter = clconv_calibration_lookup("tiled.scatter_c4v4", cls) != NULL;
    static const struct {
        clconv_kind kind;
        int cin, cout, groups, k, s, pad, hw;
    } layers[] = {
        {CLCONV_CONV2D, 16, 20, 1, 3, 1, 1, 16},
        {CLCONV_CONV2D, 16, 10, 1, 3, 1, 1, 16},
        {CLCONV_CONV2D, 16, 6, 1, 3, 1, 1, 16},
        {CLCONV_CONV2D, 16, 3, 1, 3, 1, 1, 16},
        {CLCONV_CONV2D, 32, 32, 8, 3, 2, 1, 20},
        {CLCONV_CONV_TRANSPOSE2D, 8, 20, 1, 3, 2, 1, 6},
        {CLCONV_CONV_TRANSPOSE2D, 8, 10, 1, 3, 2, 1, 6},
        {CLCONV_CONV_TRANSPOSE2D, 8, 3, 1, 3, 2, 1, 6},
        {CLCONV_CONV2D, 64, 64, 1, 1, 1, 0, 14},
        {CLCONV_CONV2D, 64, 64, 1, 3, 1, 1, 7},
        {CLCONV_CONV2D, 64, 32, 1, 1, 2, 0, 14},
        {CLCONV_CONV_TRANSPOSE2D, 16, 16, 1, 2, 2, 0, 8},
    };
    const char *expected[] = {
        "tiled.chanvec_c16p8",
        "tiled.chanvec_c8p8",
        "tiled.chanvec_c4p8",
        "tiled.pixvec_c4r4",
        "tiled.pixvec_c4r4",
        "tiled.phases_c16p8",
        "tiled.phases_c8p8",
        "tiled.phases_c4p8",
        flat ? "tiled.flat_c4v4" : "tiled.chanvec_c16p8",
        flat ? "tiled.flat_c4v4" : "tiled.chanvec_c16p8",
        sampled ? "tiled.flat_sampled_c4v4" : "tiled.chanvec_c16p8",
        scatter ? "tiled.scatter_c4v4" : "tiled.phases_c16p8",
    };
    for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) {
        clconv_desc d;
        clconv_desc_init(&d, layers[i].kind, layers[i].cin, layers[i].cout, layers[i].k,
                         layers[i].k);
        d.groups = layers[i].groups;
        d.stride_h = d.stride_w = layers[i].s;
        d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = layers[i].pad;
        int in[4] = {1, layers[i].cin, layers[i].hw, layers[i].hw};
        clconv_plan *plan = NULL;
        ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_TILED, &plan), CLCONV_SUCCESS);
        ck_assert_msg(!strcmp(clconv_plan_get_variant_name(plan), expected[i]),
                      "layer %zu on %s: %s, expected %s", i, clconv_device_class_name(cls),
                      clconv_plan_get_variant_name(plan), expected[i]);
        clconv_plan_destroy(plan);
    }
}
END_TEST
void tiled_variants_add_edge_tests(TCase *tc)
{
    tcase_add_test(tc, forced_variant_declines_with_field);
    tcase_add_test(tc, choice_among_tiled_variants);
}

void tiled_variants_add_forced_tests(TCase *tc)
{
    tcase_add_loop_test(tc, forced_random, 0, NVARIANTS);
    tcase_add_test(tc, forced_edges);
}
