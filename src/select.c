/* Algorithm registry and the choice between algorithms: forced, else cheapest estimate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "src/internal.h"

static const clconv_algo_impl *const registry[] = {
    &clconv_algo_direct,
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

static bool verbose(void)
{
    const char *v = getenv("CLCONV_VERBOSE");
    return v && *v && strcmp(v, "0") != 0;
}

static void describe(const clconv_problem *p, char *buf, size_t size)
{
    const clconv_desc *d = &p->desc;
    snprintf(buf, size,
             "%s in %dx%dx%dx%d out %dx%dx%dx%d k %dx%d s %dx%d pad %d,%d,%d,%d dil %dx%d g %d "
             "mode %d dtype %s",
             d->kind == CLCONV_CONV2D ? "conv2d" : "conv_transpose2d", p->in[0], p->in[1], p->in[2],
             p->in[3], p->out[0], p->out[1], p->out[2], p->out[3], d->kernel_h, d->kernel_w,
             d->stride_h, d->stride_w, d->pad_top, d->pad_bottom, d->pad_left, d->pad_right,
             d->dilation_h, d->dilation_w, d->groups, (int)d->padding_mode,
             d->dtype == CLCONV_FLOAT16 ? "f16" : "f32");
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
        reason[0] = 0;
        if (!impl->supports(p, &ctx->info, reason, sizeof reason))
            return clconv_fail(ctx, CLCONV_ERROR_UNSUPPORTED,
                               "algorithm %s (from %s) cannot run %s: %s", impl->name, source,
                               shape, reason);
        if (verbose())
            fprintf(stderr, "clconv: %s on %s: %s forced by %s\n", shape, ctx->info.device_name,
                    impl->name, source);
        *chosen = impl;
        return CLCONV_SUCCESS;
    }
    const clconv_algo_impl *best = NULL;
    double best_cost = 0;
    for (size_t i = 0; i < REGISTRY_SIZE; i++) {
        const clconv_algo_impl *impl = registry[i];
        reason[0] = 0;
        if (!impl->supports(p, &ctx->info, reason, sizeof reason)) {
            if (verbose())
                fprintf(stderr, "clconv:   candidate %s: unsupported (%s)\n", impl->name, reason);
            continue;
        }
        double cost = impl->estimate(p, &ctx->info);
        if (verbose())
            fprintf(stderr, "clconv:   candidate %s: estimate %.3g s\n", impl->name, cost);
        if (!best || cost < best_cost) {
            best = impl;
            best_cost = cost;
        }
    }
    if (!best)
        return clconv_fail(ctx, CLCONV_ERROR_UNSUPPORTED, "no algorithm supports %s", shape);
    if (verbose())
        fprintf(stderr, "clconv: %s on %s: auto chose %s\n", shape, ctx->info.device_name,
                best->name);
    *chosen = best;
    return CLCONV_SUCCESS;
}
