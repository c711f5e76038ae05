/* Algorithm registry and the choice between algorithms: forced, else cheapest estimate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "src/cost-model.h"
#include "src/internal.h"
#include "src/tuning.h"

static const clconv_algo_impl *const registry[] = {
    &clconv_algo_direct,
    &clconv_algo_tiled,
    &clconv_algo_depthwise,
/* more algorithms register here, one line each */
#ifdef CLCONV_HAVE_CLBLAST
    &clconv_algo_gemm,
#endif
};
#define REGISTRY_SIZE (sizeof registry / sizeof registry[0])

static const char *const algo_names[CLCONV_ALGO_COUNT_] = {"auto", "direct", "gemm", "tiled",
                                                           "depthwise"};

const char *clconv_algo_name(clconv_algo algo)
{
    return (unsigned)algo < CLCONV_ALGO_COUNT_ ? algo_names[algo] : "unknown";
}

clconv_status clconv_algo_from_name(const char *name, clconv_algo *algo)
{
    if (!name || !algo)
        return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT, "%s is NULL",
                           !name ? "name" : "algo");
    for (int i = 0; i < CLCONV_ALGO_COUNT_; i++)
        if (!strcasecmp(name, algo_names[i])) {
            *algo = (clconv_algo)i;
            return CLCONV_SUCCESS;
        }
    return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT,
                       "algorithm \"%s\": unknown (auto, direct, gemm, tiled, depthwise)", name);
}

const clconv_algo_impl *clconv_algo_lookup(clconv_algo id)
{
    for (size_t i = 0; i < REGISTRY_SIZE; i++)
        if (registry[i]->id == id)
            return registry[i];
    return NULL;
}

int clconv_algo_available(clconv_algo algo)
{
    return algo != CLCONV_ALGO_AUTO && clconv_algo_lookup(algo) != NULL;
}

size_t clconv_workspace_limit(const clconv_context *ctx)
{
    size_t limit = ctx->workspace_limit ? ctx->workspace_limit : CLCONV_DEFAULT_WORKSPACE_LIMIT;
    if ((cl_ulong)limit > ctx->info.max_alloc_size)
        limit = (size_t)ctx->info.max_alloc_size;
    return limit;
}

clconv_status clconv_context_set_workspace_limit(clconv_context *ctx, size_t bytes)
{
    if (!ctx)
        return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT, "ctx is NULL");
    ctx->workspace_limit = bytes;
    return CLCONV_SUCCESS;
}

size_t clconv_context_get_workspace_limit(const clconv_context *ctx)
{
    return ctx ? clconv_workspace_limit(ctx) : 0;
}

/* ---- cost model (src/cost-model.h) ---- */

/* CPU: one FMA of the preferred vector width per unit and cycle (PoCL on 2 EPYC cores, width
 * 16 at 2.6 GHz: 166 GFLOP/s; clconv-peak measured 137-194); memory 10 GB/s per unit up to
 * 100 GB/s (measured 19.9-29.8 GB/s on 2 units); 10 us per launch (a 1x8x8x8 depthwise
 * layer's event time). */
#define CPU_BYTES_PER_UNIT 10e9
#define CPU_BANDWIDTH_MAX 100e9
#define CPU_LAUNCH_SECONDS 10e-6
/* GPUs: FP32 lanes per compute unit from the vendors' documentation (NVIDIA SM 128, AMD CU
 * 64, Intel EU 16, others 32). Discrete cards (NVIDIA, AMD): bandwidth in proportion to the
 * peak, 0.043 bytes per FLOP (an H100 through NVIDIA's OpenCL: clconv-peak measured 2.8 TB/s
 * next to 65 TFLOP/s, model peak 66.9); integrated GPUs a round 40 GB/s. Launch: the marginal
 * cost of one more kernel in a plan, ~1 us on the H100 (the tiled algorithm's 32 launches of
 * FCN's k16 s8 layer took 41 us in all); the fixed cost of any enqueue (~19 us there, marker
 * to end) is the same for every algorithm and left out. */
#define GPU_LAUNCH_SECONDS 1e-6
#define GPU_DISCRETE_BYTES_PER_FLOP 0.043
#define GPU_INTEGRATED_BANDWIDTH 40e9

void clconv_device_model_get(const clconv_device_info *dev, clconv_device_model *m)
{
    const double units = dev->compute_units ? dev->compute_units : 1;
    const double hz = (dev->max_clock_mhz ? dev->max_clock_mhz : 1000) * 1e6;
    if (dev->type & CL_DEVICE_TYPE_CPU) {
        const double lanes =
            dev->preferred_vector_width_float >= 4 ? dev->preferred_vector_width_float : 4;
        m->peak_flops = units * hz * lanes * 2;
        const double bw = units * CPU_BYTES_PER_UNIT;
        m->bandwidth = bw < CPU_BANDWIDTH_MAX ? bw : CPU_BANDWIDTH_MAX;
        m->launch_seconds = CPU_LAUNCH_SECONDS;
        m->lane_flops = hz * 2;
        return;
    }
    const bool nvidia = dev->vendor_id == 0x10de, amd = dev->vendor_id == 0x1002;
    const double lanes = nvidia ? 128 : amd ? 64 : dev->vendor_id == 0x8086 ? 16 : 32;
    m->peak_flops = units * hz * lanes * 2;
    m->bandwidth =
        nvidia || amd ? m->peak_flops * GPU_DISCRETE_BYTES_PER_FLOP : GPU_INTEGRATED_BANDWIDTH;
    m->launch_seconds = GPU_LAUNCH_SECONDS;
    m->lane_flops = hz * 2;
}

bool clconv_model_is_gpu(const clconv_device_info *dev)
{
    return !(dev->type & CL_DEVICE_TYPE_CPU);
}

double clconv_model_gpu_seconds(const clconv_device_info *dev, double flops, double efficiency,
                                double chain_flops, double chain_efficiency, double bytes,
                                double launches)
{
    clconv_device_model m;
    clconv_device_model_get(dev, &m);
    const double chain =
        chain_flops / (m.lane_flops * (chain_efficiency > 1e-6 ? chain_efficiency : 1e-6));
    const double rest = clconv_model_seconds(dev, flops, efficiency, bytes, 0);
    return (chain > rest ? chain : rest) + launches * m.launch_seconds;
}

double clconv_model_seconds(const clconv_device_info *dev, double flops, double efficiency,
                            double bytes, double launches)
{
    clconv_device_model m;
    clconv_device_model_get(dev, &m);
    const double compute = flops / (m.peak_flops * (efficiency > 1e-6 ? efficiency : 1e-6));
    const double memory = bytes / m.bandwidth;
    return (compute > memory ? compute : memory) + launches * m.launch_seconds;
}

static bool verbose(void)
{
    const char *v = getenv("CLCONV_VERBOSE");
    return v && *v && strcmp(v, "0") != 0;
}

static const char *const mode_names[] = {"zeros", "reflect", "replicate", "circular"};

static void describe(const clconv_problem *p, char *buf, size_t size)
{
    const clconv_desc *d = &p->desc;
    snprintf(buf, size,
             "%s in %dx%dx%dx%d out %dx%dx%dx%d k %dx%d s %dx%d pad %d,%d,%d,%d dil %dx%d g %d "
             "%s %s",
             d->kind == CLCONV_CONV2D ? "conv2d" : "conv_transpose2d", p->in[0], p->in[1], p->in[2],
             p->in[3], p->out[0], p->out[1], p->out[2], p->out[3], d->kernel_h, d->kernel_w,
             d->stride_h, d->stride_w, d->pad_top, d->pad_bottom, d->pad_left, d->pad_right,
             d->dilation_h, d->dilation_w, d->groups,
             (unsigned)d->padding_mode < 4 ? mode_names[d->padding_mode] : "?",
             d->dtype == CLCONV_FLOAT16 ? "f16" : "f32");
}

/* supports() plus the context's workspace limit for algorithms that chunk their work. */
static bool can_run(const clconv_context *ctx, const clconv_algo_impl *impl,
                    const clconv_problem *p, char *reason, size_t reason_size)
{
    reason[0] = 0;
    if (!impl->supports(p, &ctx->info, reason, reason_size))
        return false;
    if (impl->min_workspace) {
        size_t least = impl->min_workspace(p, &ctx->info), limit = clconv_workspace_limit(ctx);
        if (least > limit) {
            snprintf(reason, reason_size,
                     "workspace limit = %zu bytes: the smallest chunk needs %zu "
                     "(clconv_context_set_workspace_limit)",
                     limit, least);
            return false;
        }
    }
    return true;
}

clconv_status clconv_select_algo(clconv_context *ctx, const clconv_problem *p,
                                 clconv_algo requested, const clconv_algo_impl **chosen)
{
    const char *source = "argument";
    if (requested == CLCONV_ALGO_AUTO) {
        const char *env = getenv("CLCONV_ALGO");
        if (env && *env) {
            if (clconv_algo_from_name(env, &requested) != CLCONV_SUCCESS)
                return clconv_fail(ctx, CLCONV_ERROR_INVALID_ARGUMENT,
                                   "CLCONV_ALGO = \"%s\": unknown algorithm (auto, direct, "
                                   "gemm, tiled, depthwise)",
                                   env);
            source = "CLCONV_ALGO";
        }
    } else if ((unsigned)requested >= CLCONV_ALGO_COUNT_) {
        return clconv_fail(ctx, CLCONV_ERROR_INVALID_ARGUMENT, "algo = %d: unknown algorithm",
                           (int)requested);
    }
    const bool log = verbose();
    char shape[512];
    describe(p, shape, sizeof shape);
    char reason[512];
    if (requested != CLCONV_ALGO_AUTO) {
        const clconv_algo_impl *impl = clconv_algo_lookup(requested);
        if (!impl)
            return clconv_fail(ctx, CLCONV_ERROR_UNSUPPORTED,
                               "algorithm %s (from %s) is not available in this build%s",
                               clconv_algo_name(requested), source,
                               requested == CLCONV_ALGO_GEMM ? " (built without CLBlast)" : "");
        if (!can_run(ctx, impl, p, reason, sizeof reason))
            return clconv_fail(ctx, CLCONV_ERROR_UNSUPPORTED,
                               "algorithm %s (from %s) cannot run %s: %s", impl->name, source,
                               shape, reason);
        if (log)
            fprintf(stderr, "clconv: %s on %s: %s forced by %s\n", shape, ctx->info.device_name,
                    impl->name, source);
        *chosen = impl;
        return CLCONV_SUCCESS;
    }
    /* a tuning database measured on this device decides first (tuning.c) */
    const clconv_algo_impl *tuned = clconv_tuning_choose(ctx, p, can_run, log);
    if (tuned) {
        *chosen = tuned;
        return CLCONV_SUCCESS;
    }
    if (log)
        fprintf(stderr,
                "clconv: choosing for %s on %s (%u compute units, float vector width %u, "
                "workspace limit %zu bytes)\n",
                shape, ctx->info.device_name, ctx->info.compute_units,
                ctx->info.preferred_vector_width_float, clconv_workspace_limit(ctx));
    const clconv_algo_impl *best = NULL;
    double best_cost = 0;
    for (size_t i = 0; i < REGISTRY_SIZE; i++) {
        const clconv_algo_impl *impl = registry[i];
        if (!can_run(ctx, impl, p, reason, sizeof reason)) {
            if (log)
                fprintf(stderr, "clconv:   candidate %-9s unsupported: %s\n", impl->name, reason);
            continue;
        }
        /* registry order breaks ties: earlier entries are the simpler algorithms */
        double cost = impl->estimate(p, &ctx->info);
        if (log)
            fprintf(stderr, "clconv:   candidate %-9s estimate %.3g s, workspace %zu bytes\n",
                    impl->name, cost, impl->workspace(p, &ctx->info));
        if (!best || cost < best_cost) {
            best = impl;
            best_cost = cost;
        }
    }
    if (!best)
        return clconv_fail(ctx, CLCONV_ERROR_UNSUPPORTED, "no algorithm supports %s", shape);
    if (log)
        fprintf(stderr, "clconv: auto chose %s (lowest estimate, %.3g s)\n", best->name, best_cost);
    *chosen = best;
    return CLCONV_SUCCESS;
}
