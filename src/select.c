/* The choice of a variant: forced variant, forced algorithm, tuning database, else the lowest
 * estimate of the cost model. Also the algorithm names and the workspace limit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "src/cost-model.h"
#include "src/internal.h"
#include "src/tuning.h"
#include "src/variant.h"

static const char *const algo_names[CLCONV_ALGO_COUNT_] = {"auto",  "direct",    "gemm",
                                                           "tiled", "depthwise", "winograd"};

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
                       "algorithm \"%s\": unknown (auto, direct, gemm, tiled, depthwise, winograd)",
                       name);
}

int clconv_algo_available(clconv_algo algo)
{
    if (algo == CLCONV_ALGO_AUTO)
        return 0;
    for (size_t i = 0; i < clconv_variant_registry_size(); i++)
        if (clconv_variant_at(i)->algo == algo)
            return 1;
    return 0;
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

clconv_status clconv_context_set_exact_summation(clconv_context *ctx, int exact)
{
    if (!ctx)
        return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT, "ctx is NULL");
    ctx->exact_summation = exact != 0;
    return CLCONV_SUCCESS;
}

int clconv_context_get_exact_summation(const clconv_context *ctx)
{
    return ctx ? clconv_exact_summation(ctx) : 0;
}

/* A context setting that the environment variable name, set to a nonzero number, turns on
 * for every context. */
static bool setting_or_env(bool setting, const char *name)
{
    const char *env = getenv(name);
    return setting || (env && strtol(env, NULL, 10) != 0);
}

bool clconv_exact_summation(const clconv_context *ctx)
{
    return setting_or_env(ctx->exact_summation, "CLCONV_EXACT");
}

clconv_status clconv_context_set_constant_weights(clconv_context *ctx, int constant)
{
    if (!ctx)
        return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT, "ctx is NULL");
    ctx->constant_weights = constant != 0;
    return CLCONV_SUCCESS;
}

int clconv_context_get_constant_weights(const clconv_context *ctx)
{
    return ctx ? clconv_constant_weights(ctx) : 0;
}

bool clconv_constant_weights(const clconv_context *ctx)
{
    return setting_or_env(ctx->constant_weights, "CLCONV_CONSTANT_WEIGHTS");
}

size_t clconv_context_get_workspace_limit(const clconv_context *ctx)
{
    return ctx ? clconv_workspace_limit(ctx) : 0;
}

bool clconv_verbose(void)
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

bool clconv_variant_can_run(const clconv_context *ctx, const clconv_variant *v,
                            const clconv_problem *p, clconv_config *cfg, char *reason,
                            size_t reason_size)
{
    reason[0] = 0;
    memset(cfg, 0, sizeof *cfg);
    const size_t limit = clconv_workspace_limit(ctx);
    if (!v->ops->applies(v, p, &ctx->info, limit, cfg, reason, reason_size))
        return false;
    if (cfg->workspace > limit) {
        snprintf(reason, reason_size,
                 "workspace limit = %zu bytes: the variant needs %zu "
                 "(clconv_context_set_workspace_limit)",
                 limit, cfg->workspace);
        return false;
    }
    return true;
}

/* Whether AUTO considers v, which can run p: its measured domain holds, and the device's
 * class has a calibration row (or the variant an uncalibrated one). */
static bool auto_candidate(const clconv_context *ctx, const clconv_variant *v,
                           const clconv_problem *p, const clconv_config *cfg,
                           const clconv_calibration **cal, char *reason, size_t reason_size)
{
    const clconv_device_class cls = clconv_device_class_of(&ctx->info);
    *cal = clconv_calibration_lookup(v->name, cls);
    if (!*cal) {
        snprintf(reason, reason_size, "not calibrated for %s devices (forcing it still works)",
                 clconv_device_class_name(cls));
        return false;
    }
    if (v->ops->transform_based && clconv_exact_summation(ctx)) {
        snprintf(reason, reason_size,
                 "exact summation asked for (clconv_context_set_exact_summation or "
                 "CLCONV_EXACT): AUTO keeps to direct summation");
        return false;
    }
    if (v->ops->auto_domain && !v->ops->auto_domain(v, p, &ctx->info, cfg, reason, reason_size))
        return false;
    return true;
}

/* The calibration a forced variant's estimate uses. */
static const clconv_calibration *forced_calibration(const clconv_context *ctx,
                                                    const clconv_variant *v)
{
    const clconv_calibration *cal =
        clconv_calibration_lookup(v->name, clconv_device_class_of(&ctx->info));
    return cal ? cal : &clconv_calibration_default;
}

/* The requested variant, from the argument or $CLCONV_VARIANT. */
static clconv_status forced_variant(clconv_context *ctx, const clconv_problem *p, const char *name,
                                    const char *source, const char *shape, bool log,
                                    const clconv_variant **chosen, clconv_config *cfg)
{
    const clconv_variant *v = clconv_variant_lookup(name);
    clconv_algo algo;
    if (!v && clconv_variant_known_elsewhere(name, &algo))
        return clconv_fail(ctx, CLCONV_ERROR_UNSUPPORTED,
                           "variant %s (from %s) is not available in this build%s", name, source,
                           algo == CLCONV_ALGO_GEMM ? " (built without CLBlast)" : "");
    if (!v)
        return clconv_fail(ctx, CLCONV_ERROR_INVALID_ARGUMENT,
                           "variant \"%s\" (from %s): unknown (clconv-verify --list-variants "
                           "lists them)",
                           name, source);
    char reason[512];
    if (!clconv_variant_can_run(ctx, v, p, cfg, reason, sizeof reason))
        return clconv_fail(ctx, CLCONV_ERROR_UNSUPPORTED, "variant %s (from %s) cannot run %s: %s",
                           v->name, source, shape, reason);
    if (log)
        fprintf(stderr, "clconv: %s on %s: %s forced by %s (estimate %.3g s)\n", shape,
                ctx->info.device_name, v->name, source,
                v->ops->estimate(v, p, &ctx->info, cfg, forced_calibration(ctx, v)));
    *chosen = v;
    return CLCONV_SUCCESS;
}

/* The cheapest variant of algo (AUTO: of all) that AUTO considers; without such a candidate,
 * the cheapest one that can run. why collects the refusals. */
static const clconv_variant *cheapest(clconv_context *ctx, const clconv_problem *p,
                                      clconv_algo algo, bool log, clconv_config *cfg, double *cost,
                                      char *why, size_t why_size)
{
    const clconv_variant *best = NULL, *fallback = NULL;
    double fallback_cost = 0;
    clconv_config trial, fallback_cfg;
    char reason[512];
    size_t used = 0;
    why[0] = 0;
    for (size_t i = 0; i < clconv_variant_registry_size(); i++) {
        const clconv_variant *v = clconv_variant_at(i);
        if (algo != CLCONV_ALGO_AUTO && v->algo != algo)
            continue;
        const clconv_calibration *cal = NULL;
        const bool runs = clconv_variant_can_run(ctx, v, p, &trial, reason, sizeof reason);
        if (!runs && used < why_size) {
            int n = snprintf(why + used, why_size - used, "%s%s: %s", used ? "; " : "", v->name,
                             reason);
            used = n > 0 && used + (size_t)n < why_size ? used + (size_t)n : why_size;
        }
        if (!runs || !auto_candidate(ctx, v, p, &trial, &cal, reason, sizeof reason)) {
            if (log)
                fprintf(stderr, "clconv:   candidate %-26s refused: %s\n", v->name, reason);
            /* under exact summation AUTO falls back to direct summation only */
            const bool excluded =
                algo == CLCONV_ALGO_AUTO && v->ops->transform_based && clconv_exact_summation(ctx);
            if (runs && !excluded) {
                const double e =
                    v->ops->estimate(v, p, &ctx->info, &trial, forced_calibration(ctx, v));
                if (!fallback || e < fallback_cost) {
                    fallback = v;
                    fallback_cost = e;
                    fallback_cfg = trial;
                }
            }
            continue;
        }
        /* registry order breaks ties: earlier entries are the simpler variants */
        const double e = v->ops->estimate(v, p, &ctx->info, &trial, cal);
        if (log)
            fprintf(stderr, "clconv:   candidate %-26s estimate %.3g s, workspace %zu bytes\n",
                    v->name, e, trial.workspace);
        if (!best || e < *cost) {
            best = v;
            *cost = e;
            *cfg = trial;
        }
    }
    if (!best && fallback) {
        *cfg = fallback_cfg;
        *cost = fallback_cost;
        return fallback;
    }
    return best;
}

clconv_status clconv_select_variant(clconv_context *ctx, const clconv_problem *p,
                                    clconv_algo requested, const char *requested_variant,
                                    const clconv_variant **chosen, clconv_config *cfg)
{
    const bool log = clconv_verbose();
    char shape[512];
    describe(p, shape, sizeof shape);
    if (requested_variant)
        return forced_variant(ctx, p, requested_variant, "argument", shape, log, chosen, cfg);
    const char *source = "argument";
    if (requested == CLCONV_ALGO_AUTO) {
        const char *env_variant = getenv("CLCONV_VARIANT");
        if (env_variant && *env_variant)
            return forced_variant(ctx, p, env_variant, "CLCONV_VARIANT", shape, log, chosen, cfg);
        const char *env = getenv("CLCONV_ALGO");
        if (env && *env) {
            if (clconv_algo_from_name(env, &requested) != CLCONV_SUCCESS)
                return clconv_fail(ctx, CLCONV_ERROR_INVALID_ARGUMENT,
                                   "CLCONV_ALGO = \"%s\": unknown algorithm (auto, direct, "
                                   "gemm, tiled, depthwise, winograd)",
                                   env);
            source = "CLCONV_ALGO";
        }
    } else if ((unsigned)requested >= CLCONV_ALGO_COUNT_) {
        return clconv_fail(ctx, CLCONV_ERROR_INVALID_ARGUMENT, "algo = %d: unknown algorithm",
                           (int)requested);
    }
    if (requested != CLCONV_ALGO_AUTO && !clconv_algo_available(requested))
        return clconv_fail(ctx, CLCONV_ERROR_UNSUPPORTED,
                           "algorithm %s (from %s) is not available in this build%s",
                           clconv_algo_name(requested), source,
                           requested == CLCONV_ALGO_GEMM ? " (built without CLBlast)" : "");
    if (requested == CLCONV_ALGO_AUTO) {
        /* a tuning database measured on this device decides first (tuning.c) */
        const clconv_variant *tuned = clconv_tuning_choose(ctx, p, cfg, log);
        if (tuned) {
            *chosen = tuned;
            return CLCONV_SUCCESS;
        }
    }
    if (log)
        fprintf(stderr,
                "clconv: choosing %s for %s on %s (%s class, %u compute units, float vector "
                "width %u, workspace limit %zu bytes)\n",
                requested == CLCONV_ALGO_AUTO ? "among all variants" : clconv_algo_name(requested),
                shape, ctx->info.device_name,
                clconv_device_class_name(clconv_device_class_of(&ctx->info)),
                ctx->info.compute_units, ctx->info.preferred_vector_width_float,
                clconv_workspace_limit(ctx));
    double cost = 0;
    char why[2048];
    const clconv_variant *best = cheapest(ctx, p, requested, log, cfg, &cost, why, sizeof why);
    if (!best) {
        if (requested != CLCONV_ALGO_AUTO)
            return clconv_fail(ctx, CLCONV_ERROR_UNSUPPORTED,
                               "algorithm %s (from %s) cannot run %s: %s",
                               clconv_algo_name(requested), source, shape, why);
        return clconv_fail(ctx, CLCONV_ERROR_UNSUPPORTED, "no variant supports %s: %s", shape, why);
    }
    if (log && requested == CLCONV_ALGO_AUTO)
        fprintf(stderr, "clconv: auto chose %s (lowest estimate, %.3g s)\n", best->name, cost);
    else if (log)
        fprintf(stderr, "clconv: %s forced by %s: chose %s (lowest estimate, %.3g s)\n",
                clconv_algo_name(requested), source, best->name, cost);
    *chosen = best;
    return CLCONV_SUCCESS;
}
