/* The variant registry: every kernel variant of this build, one row each, in the order AUTO
 * breaks ties (simpler first). A family's operations and tile parameters are in its file. */
#include <stdio.h>
#include <string.h>

#include "src/algo-depthwise.h"
#include "src/algo-direct.h"
#include "src/algo-local.h"
#include "src/algo-tiled.h"
#include "src/algo-winograd.h"
#include "src/variant.h"
#ifdef CLCONV_HAVE_CLBLAST
#include "src/algo-gemm.h"
#endif

static const clconv_variant registry[] = {
    /* ---- direct (src/algo-direct.c): param kind, X_TILE ---- */
    {"direct.conv2d", CLCONV_ALGO_DIRECT, &clconv_direct_ops, {CLCONV_CONV2D, 4}},
    {"direct.tconv2d", CLCONV_ALGO_DIRECT, &clconv_direct_ops, {CLCONV_CONV_TRANSPOSE2D, 4}},

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
    /* local-memory implicit GEMM (src/algo-local-gemm.c): param {MWG, NWG, KWG} */
    {"tiled.local_m32n32k8", CLCONV_ALGO_TILED, &clconv_local_gemm_ops, {32, 32, 8}},
    {"tiled.local_m32n64k16", CLCONV_ALGO_TILED, &clconv_local_gemm_ops, {32, 64, 16}},
    {"tiled.local_m64n64k16", CLCONV_ALGO_TILED, &clconv_local_gemm_ops, {64, 64, 16}},
    {"tiled.skipzeros_c16p8", CLCONV_ALGO_TILED, &tiled_skipzeros_ops, {16, 8}},

    /* ---- depthwise (src/algo-depthwise*.c) ---- */
    /* flat and s2 first: equal estimates keep their place before the general row kernel */
    {"depthwise.flat_v16", CLCONV_ALGO_DEPTHWISE, &clconv_depthwise_flat_ops, {0}},
    {"depthwise.s2_phases", CLCONV_ALGO_DEPTHWISE, &clconv_depthwise_s2_ops, {0}},
    {"depthwise.rows_x8", CLCONV_ALGO_DEPTHWISE, &clconv_depthwise_rows_ops, {8}}, /* XT */
    /* input tile in local memory (src/algo-local-depthwise.c): param {tile columns, rows} */
    {"depthwise.local_32x8", CLCONV_ALGO_DEPTHWISE, &clconv_local_depthwise_ops, {32, 8}},
    {"depthwise.local_16x16", CLCONV_ALGO_DEPTHWISE, &clconv_local_depthwise_ops, {16, 16}},

    /* ---- winograd (src/algo-winograd.c): param {output tile, GEMM channels, GEMM vectors} */
    {"winograd.f2x2_3x3", CLCONV_ALGO_WINOGRAD, &clconv_winograd_ops, {2, 16, 8}},
    {"winograd.f4x4_3x3", CLCONV_ALGO_WINOGRAD, &clconv_winograd_ops, {4, 16, 8}},

/* ---- gemm (src/algo-gemm.c, src/gemm-*.c), with CLBlast ---- */
#ifdef CLCONV_HAVE_CLBLAST
    {"gemm.1x1", CLCONV_ALGO_GEMM, &clconv_gemm_ops, {CLCONV_GEMM_1X1}},
    {"gemm.im2col", CLCONV_ALGO_GEMM, &clconv_gemm_ops, {CLCONV_GEMM_IM2COL}},
    {"gemm.col2im", CLCONV_ALGO_GEMM, &clconv_gemm_ops, {CLCONV_GEMM_COL2IM}},
#endif
};
#define REGISTRY_SIZE (sizeof registry / sizeof registry[0])

/* The variants of builds with every option, for messages about the ones left out here. */
static const struct {
    const char *name;
    clconv_algo algo;
} full_registry_extras[] = {
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
