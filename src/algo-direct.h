/* The direct family's variant operations, for the registry (src/variants.c).
 *
 * Variants: direct.conv2d (cl/conv2d_direct.cl) and direct.tconv2d
 * (cl/conv_transpose2d_direct.cl), each running every case of its kind, float32 and float16
 * storage. Tile parameters: param[0] the kind (clconv_kind), param[1] X_TILE (output columns
 * per work-item). The output-channel tile (4, 2 or 1, by divisibility of out_channels / groups)
 * is configuration, chosen by applies(). */
#ifndef CLCONV_ALGO_DIRECT_H
#define CLCONV_ALGO_DIRECT_H

#include "src/variant.h"

extern const clconv_variant_ops clconv_direct_ops;

#endif
