/* The gemm family's variant operations, for the registry (src/variants.c); built with
 * CLBlast only.
 *
 * Variants (param[0] is the path):
 *   gemm.1x1     1x1 kernels, stride 1, no padding or output padding, both kinds: the input
 *                is the GEMM's matrix (no lowering)
 *   gemm.im2col  Conv2d: im2col into the workspace, then GEMMs
 *   gemm.col2im  ConvTranspose2d: GEMMs into the workspace, then col2im
 * All float32 only (CLBlast's SGEMM). */
#ifndef CLCONV_ALGO_GEMM_H
#define CLCONV_ALGO_GEMM_H

#include "src/variant.h"

typedef enum clconv_gemm_path {
    CLCONV_GEMM_1X1,
    CLCONV_GEMM_IM2COL,
    CLCONV_GEMM_COL2IM,
} clconv_gemm_path;

extern const clconv_variant_ops clconv_gemm_ops;

#endif
