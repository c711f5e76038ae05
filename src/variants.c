/* The variant registry: every kernel variant of this build, one row each, in the order AUTO
 * breaks ties (simpler first). A family's operations and tile parameters are in its file. */
#include <stdio.h>
#include <string.h>

#include "src/algo-depthwise.h"
#include "src/algo-direct.h"
#include "src/algo-tiled.h"
#include "src/variant.h"
#ifdef CLCONV_HAVE_CLBLAST
#include "src/algo-gemm.h"
#endif

/* TRANSITIONAL: algorithms not yet split into variants run as one variant each. */
#define LEGACY_OPS(impl)                                                                           \
    static bool impl##_applies(const clconv_variant *v, const clconv_problem *p,                   \
                               const clconv_device_info *dev, size_t limit, clconv_config *cfg,    \
                               char *reason, size_t reason_size)                                   \
    {                                                                                              \
        (void)v;                                                                                   \
        if (!clconv_algo_##impl.supports(p, dev, reason, reason_size))                             \
            return false;                                                                          \
        if (clconv_algo_##impl.min_workspace) {                                                    \
            size_t least = clconv_algo_##impl.min_workspace(p, dev);                               \
            if (least > limit) {                                                                   \
                snprintf(reason, reason_size,                                                      \
                         "workspace limit = %zu bytes: the smallest chunk needs %zu "              \
                         "(clconv_context_set_workspace_limit)",                                   \
                         limit, least);                                                            \
                return false;                                                                      \
            }                                                                                      \
        }                                                                                          \
        cfg->workspace = clconv_algo_##impl.workspace_for_limit                                    \
                             ? clconv_algo_##impl.workspace_for_limit(p, dev, limit)               \
                             : clconv_algo_##impl.workspace(p, dev);                               \
        return true;                                                                               \
    }                                                                                              \
    static double impl##_estimate(const clconv_variant *v, const clconv_problem *p,                \
                                  const clconv_device_info *dev, const clconv_config *cfg,         \
                                  const clconv_calibration *cal)                                   \
    {                                                                                              \
        (void)v;                                                                                   \
        (void)cfg;                                                                                 \
        (void)cal;                                                                                 \
        return clconv_algo_##impl.estimate(p, dev);                                                \
    }                                                                                              \
    static clconv_status impl##_prepare(clconv_plan *plan)                                         \
    {                                                                                              \
        return clconv_algo_##impl.prepare(plan);                                                   \
    }                                                                                              \
    static clconv_status impl##_enqueue(clconv_plan *plan, const clconv_enqueue_args *a)           \
    {                                                                                              \
        return clconv_algo_##impl.enqueue(plan, a);                                                \
    }                                                                                              \
    static void impl##_release(clconv_plan *plan)                                                  \
    {                                                                                              \
        clconv_algo_##impl.release(plan);                                                          \
    }                                                                                              \
    static const clconv_variant_ops impl##_legacy_ops = {                                          \
        .applies = impl##_applies,                                                                 \
        .estimate = impl##_estimate,                                                               \
        .prepare = impl##_prepare,                                                                 \
        .enqueue = impl##_enqueue,                                                                 \
        .release = impl##_release,                                                                 \
    };

LEGACY_OPS(direct)
LEGACY_OPS(depthwise)
#ifdef CLCONV_HAVE_CLBLAST
LEGACY_OPS(gemm)
#endif

static const clconv_variant registry[] = {
    /* ---- direct (src/algo-direct.c) ---- */
    {"direct", CLCONV_ALGO_DIRECT, &direct_legacy_ops, {0}},

    /* ---- tiled (src/algo-tiled*.c): param {output channels, pixels per work-item} ---- */
    {"tiled.chanvec_c4p8", CLCONV_ALGO_TILED, &tiled_chanvec_ops, {4, 8}},
    {"tiled.chanvec_c8p8", CLCONV_ALGO_TILED, &tiled_chanvec_ops, {8, 8}},
    {"tiled.chanvec_c16p8", CLCONV_ALGO_TILED, &tiled_chanvec_ops, {16, 8}},
    {"tiled.phases_c4p8", CLCONV_ALGO_TILED, &tiled_phases_ops, {4, 8}},
    {"tiled.phases_c8p8", CLCONV_ALGO_TILED, &tiled_phases_ops, {8, 8}},
    {"tiled.phases_c16p8", CLCONV_ALGO_TILED, &tiled_phases_ops, {16, 8}},
    {"tiled.pixvec_c4r4", CLCONV_ALGO_TILED, &tiled_pixvec_ops, {4, 4}},
    {"tiled.flat_c4v4", CLCONV_ALGO_TILED, &tiled_flat_ops, {4, 4}},
    {"tiled.flat_sampled_c4v4", CLCONV_ALGO_TILED, &tiled_flat_sampled_ops, {4, 4}},
    {"tiled.scatter_c4v4", CLCONV_ALGO_TILED, &tiled_scatter_ops, {4, 4}},

    /* ---- depthwise (src/algo-depthwise*.c) ---- */
    {"depthwise", CLCONV_ALGO_DEPTHWISE, &depthwise_legacy_ops, {0}},

/* ---- gemm (src/algo-gemm.c), with CLBlast ---- */
#ifdef CLCONV_HAVE_CLBLAST
    {"gemm", CLCONV_ALGO_GEMM, &gemm_legacy_ops, {0}},
#endif
};
#define REGISTRY_SIZE (sizeof registry / sizeof registry[0])

/* The variants of builds with every option, for messages about the ones left out here. */
static const struct {
    const char *name;
    clconv_algo algo;
} full_registry_extras[] = {
    {"gemm", CLCONV_ALGO_GEMM},
    {"gemm.im2col", CLCONV_ALGO_GEMM},
    {"gemm.1x1", CLCONV_ALGO_GEMM},
    {"gemm.col2im", CLCONV_ALGO_GEMM},
};

size_t clconv_variant_registry_size(void)
{
    return REGISTRY_SIZE;
}

const clconv_variant *clconv_variant_at(size_t i)
{
    return i < REGISTRY_SIZE ? &registry[i] : NULL;
}

const clconv_variant *clconv_variant_lookup(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < REGISTRY_SIZE; i++)
        if (!strcmp(registry[i].name, name))
            return &registry[i];
    return NULL;
}

bool clconv_variant_known_elsewhere(const char *name, clconv_algo *algo)
{
    if (clconv_variant_lookup(name))
        return false;
    for (size_t i = 0; i < sizeof full_registry_extras / sizeof full_registry_extras[0]; i++)
        if (!strcmp(full_registry_extras[i].name, name)) {
            *algo = full_registry_extras[i].algo;
            return true;
        }
    return false;
}

/* ---- public listing (clconv.h) ---- */

int clconv_variant_count(void)
{
    return (int)REGISTRY_SIZE;
}

const char *clconv_variant_name(int index)
{
    return index >= 0 && (size_t)index < REGISTRY_SIZE ? registry[index].name : NULL;
}

clconv_algo clconv_variant_get_algo(const char *name)
{
    const clconv_variant *v = clconv_variant_lookup(name);
    return v ? v->algo : CLCONV_ALGO_AUTO;
}
