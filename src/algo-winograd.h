/* The Winograd family's variant operations (src/algo-winograd.c), for the registry
 * (src/variants.c). param: {output tile M, GEMM vector of KB output channels, GEMM tiles PB}. */
#ifndef CLCONV_ALGO_WINOGRAD_H
#define CLCONV_ALGO_WINOGRAD_H

#include "src/variant.h"

extern const clconv_variant_ops clconv_winograd_ops;

#endif
