/* The gemm family's variant operations, for the registry (src/variants.c). */
#ifndef CLCONV_ALGO_GEMM_H
#define CLCONV_ALGO_GEMM_H

#include "src/variant.h"

#endif
