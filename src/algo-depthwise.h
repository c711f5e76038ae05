/* The depthwise family's variant operations, for the registry (src/variants.c): depthwise
 * Conv2d (groups == in_channels, any depth multiplier) by three kernels.
 *   rows  (src/depthwise-rows.c, cl/depthwise_rows.cl): any depthwise layer; param[0] is XT,
 *         the output columns of one vector tile.
 *   flat  (src/depthwise-flat.c, cl/depthwise_flat.cl): stride 1, output as wide as the input,
 *         zeros padding.
 *   s2    (src/depthwise-s2.c, cl/depthwise_s2.cl): stride 2 in both dimensions.
 * flat and s2 keep private buffers a GPU would spill: they have CPU calibration rows only. */
#ifndef CLCONV_ALGO_DEPTHWISE_H
#define CLCONV_ALGO_DEPTHWISE_H

#include "src/variant.h"

extern const clconv_variant_ops clconv_depthwise_rows_ops;
extern const clconv_variant_ops clconv_depthwise_flat_ops;
extern const clconv_variant_ops clconv_depthwise_s2_ops;

#endif
