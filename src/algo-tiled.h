/* The tiled family's variant operations, for the registry (src/variants.c). Each variant's
 * param[] holds its register tile: {output channels, pixels} per work-item (chanvec and
 * phases: pixels; pixvec: rows of 8 columns; flat: vectors of 16 pixels). */
#ifndef CLCONV_ALGO_TILED_H
#define CLCONV_ALGO_TILED_H

#include "src/variant.h"

extern const clconv_variant_ops tiled_chanvec_ops; /* src/algo-tiled-chanvec.c */
extern const clconv_variant_ops tiled_phases_ops;
extern const clconv_variant_ops tiled_pixvec_ops; /* src/algo-tiled-pixvec.c */
extern const clconv_variant_ops tiled_flat_ops;   /* src/algo-tiled-flat.c */
extern const clconv_variant_ops tiled_flat_sampled_ops;
extern const clconv_variant_ops tiled_scatter_ops;
extern const clconv_variant_ops tiled_skipzeros_ops; /* src/algo-tiled-skipzeros.c */

#endif
