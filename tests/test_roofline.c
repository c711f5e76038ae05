/* The roofline tools' model: memory levels found in a bandwidth sweep (tools/peak-levels.c),
 * the executed-operations hook of the variant ops (src/variant.h), and the timing check on
 * the test device (tools/tool-util.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clconv.h>

#include "src/variant.h"
#include "tools/peak.h"
#include "tools/tool-util.h"

/* A sweep from 16 KiB by factors of 2 with the bandwidths given. */
static int sweep_of(const double *gbps, int n, peak_sweep_point *sweep)
{
    for (int i = 0; i < n; i++) {
        sweep[i].bytes = (double)(16 << 10) * (double)(1u << i);
        sweep[i].gbps = gbps[i];
        sweep[i].passes = 1;
    }
    return n;
}

START_TEST(test_levels_three_plateaus)
{
    /* L1 ~400 GB/s to 64 KiB, a transition, L2 ~150 to 1 MiB, DRAM ~40 beyond */
    const double gbps[] = {390, 410, 400, 260, 150, 160, 155, 148, 90, 41, 40, 39, 40};
    peak_sweep_point sweep[PEAK_SWEEP_MAX];
    peak_level levels[PEAK_LEVELS_MAX];
    int n = sweep_of(gbps, 13, sweep);
    int k = peak_find_levels(sweep, n, levels, PEAK_LEVELS_MAX);
    ck_assert_int_eq(k, 3);
    ck_assert_str_eq(levels[0].name, "L1");
    ck_assert_str_eq(levels[1].name, "L2");
    ck_assert_str_eq(levels[2].name, "DRAM");
    /* each level: the best bandwidth of its plateau, the largest set that still got it */
    ck_assert_double_eq(levels[0].gbps, 410);
    ck_assert_double_eq(levels[0].bytes, sweep[2].bytes);
    ck_assert_double_eq(levels[1].gbps, 160);
    ck_assert_double_eq(levels[1].bytes, sweep[7].bytes);
    ck_assert_double_eq(levels[2].gbps, 41);
    ck_assert_double_eq(levels[2].bytes, sweep[12].bytes);
}
END_TEST

START_TEST(test_levels_dominated_and_flat)
{
    peak_sweep_point sweep[PEAK_SWEEP_MAX];
    peak_level levels[PEAK_LEVELS_MAX];
    /* small sets slower than the next level (loop overhead, not a cache): no level of its own */
    const double slow_start[] = {10, 11, 30, 31, 30, 12, 12};
    int k = peak_find_levels(sweep, sweep_of(slow_start, 7, sweep), levels, PEAK_LEVELS_MAX);
    ck_assert_int_eq(k, 2);
    ck_assert_double_eq(levels[0].gbps, 31);
    ck_assert_str_eq(levels[1].name, "DRAM");
    ck_assert_double_eq(levels[1].gbps, 12);
    /* a coarse, noisy sweep (PoCL, --quick): no transition to drop, every step a level */
    const double coarse[] = {16, 23, 32, 21, 30, 20.5, 9.6, 5.4};
    k = peak_find_levels(sweep, sweep_of(coarse, 8, sweep), levels, PEAK_LEVELS_MAX);
    ck_assert_int_eq(k, 4);
    ck_assert_double_eq(levels[0].gbps, 32);
    ck_assert_double_eq(levels[0].bytes, sweep[4].bytes);
    ck_assert_double_eq(levels[1].gbps, 20.5);
    ck_assert_double_eq(levels[2].gbps, 9.6);
    ck_assert_str_eq(levels[3].name, "DRAM");
    ck_assert_double_eq(levels[3].gbps, 5.4);
    /* a flat sweep is one level, DRAM */
    const double flat[] = {20, 21, 19, 20, 20};
    k = peak_find_levels(sweep, sweep_of(flat, 5, sweep), levels, PEAK_LEVELS_MAX);
    ck_assert_int_eq(k, 1);
    ck_assert_str_eq(levels[0].name, "DRAM");
    ck_assert_double_eq(levels[0].gbps, 21);
    /* max bounds the output */
    const double steps[] = {800, 800, 400, 400, 200, 200, 100, 100};
    k = peak_find_levels(sweep, sweep_of(steps, 8, sweep), levels, 2);
    ck_assert_int_eq(k, 2);
    ck_assert_int_eq(peak_find_levels(sweep, 0, levels, PEAK_LEVELS_MAX), 0);
}
END_TEST

/* A variant that reports executing half the counted multiply-accumulates' FLOPs. */
static double half_flops(const clconv_variant *v, const clconv_problem *p, const clconv_config *cfg)
{
    (void)v;
    (void)cfg;
    return (double)p->out[0] * p->out[1] * p->out[2] * p->out[3];
}

START_TEST(test_executed_flops_hook)
{
    clconv_desc desc;
    clconv_desc_init(&desc, CLCONV_CONV2D, 4, 8, 3, 3);
    const int input[4] = {1, 4, 10, 12};
    clconv_plan plan;
    memset(&plan, 0, sizeof plan);
    ck_assert_int_eq(clconv_problem_init(&desc, input, &plan.problem), CLCONV_SUCCESS);
    clconv_variant_ops ops = {0};
    clconv_variant v = {.name = "test.half", .algo = CLCONV_ALGO_DIRECT, .ops = &ops};
    plan.variant = &v;
    uint64_t flops = 77;
    /* without the op: not reported, *flops untouched */
    ck_assert(!clconv_plan_executed_flops(&plan, &flops));
    ck_assert_uint_eq(flops, 77);
    ops.executed_flops = half_flops;
    ck_assert(clconv_plan_executed_flops(&plan, &flops));
    ck_assert_uint_eq(flops, 1u * 8 * 8 * 10);
    ck_assert(!clconv_plan_executed_flops(NULL, &flops));
    /* every variant of this build that runs the layer: the op, where present, reports a
     * positive count */
    clconv_context *ctx = NULL;
    ck_assert_int_eq(clconv_context_create(getenv("CLCONV_DEVICE"), &ctx), CLCONV_SUCCESS);
    clconv_device_info dev;
    ck_assert_int_eq(clconv_context_get_device_info(ctx, &dev), CLCONV_SUCCESS);
    int reported = 0;
    for (size_t i = 0; i < clconv_variant_registry_size(); i++) {
        const clconv_variant *reg = clconv_variant_at(i);
        clconv_config cfg = {0};
        char reason[256];
        if (!reg->ops->executed_flops ||
            !reg->ops->applies(reg, &plan.problem, &dev, (size_t)1 << 30, &cfg, reason,
                               sizeof reason))
            continue;
        ck_assert_msg(reg->ops->executed_flops(reg, &plan.problem, &cfg) > 0, "%s", reg->name);
        reported++;
    }
    ck_assert_int_gt(reported, 0); /* the Winograd variants run this 3x3 stride-1 layer */
    clconv_context_destroy(ctx);
}
END_TEST

START_TEST(test_timing_check)
{
    clconv_context *ctx = NULL;
    ck_assert_int_eq(clconv_context_create(getenv("CLCONV_DEVICE"), &ctx), CLCONV_SUCCESS);
    tool_timing t;
    memset(&t, 0, sizeof t);
    tool_timing_check(clconv_context_get_cl_context(ctx), clconv_context_get_queue(ctx), &t);
    /* either verdict names itself; host timing always says why the events were refused */
    if (t.mode == TOOL_TIMING_EVENTS)
        ck_assert_ptr_nonnull(strstr(t.why, "profiling events"));
    else
        ck_assert_ptr_nonnull(strstr(t.why, "host clock"));
    ck_assert_str_eq(tool_timing_name(&t), t.mode == TOOL_TIMING_EVENTS ? "events" : "host");
    clconv_context_destroy(ctx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("roofline");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_levels_three_plateaus);
    tcase_add_test(tc, test_levels_dominated_and_flat);
    tcase_add_test(tc, test_executed_flops_hook);
    tcase_add_test(tc, test_timing_check);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
