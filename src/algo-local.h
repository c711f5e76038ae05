/* The local-memory families, for GPUs with dedicated local memory: tiled.local_* (an implicit
 * GEMM for every Conv2d and ConvTranspose2d, src/algo-local-gemm.c, cl/local_gemm.cl) and
 * depthwise.local_* (depthwise Conv2d with the input tile staged, src/algo-local-depthwise.c,
 * cl/local_depthwise.cl). Forcing them runs them on any device whose local memory and
 * work-group limits fit; AUTO considers them only on classes with dedicated local memory and
 * a calibration row (src/calibration.c).
 *
 * Tile parameters: tiled.local_*: param {MWG, NWG, KWG} (the work-group tile along output
 * channels, output pixels and the reduction); depthwise.local_*: param {tile columns, tile
 * rows}. The launch parameters per device class (work-items per group, vector width, the
 * most accumulators a work-item keeps) are the table in src/local-params.c. */
#ifndef CLCONV_ALGO_LOCAL_H
#define CLCONV_ALGO_LOCAL_H

#include "src/variant.h"

extern const clconv_variant_ops clconv_local_gemm_ops;
extern const clconv_variant_ops clconv_local_depthwise_ops;

/* Launch parameters of the local families on one device class. */
typedef struct clconv_local_params {
    clconv_device_class cls;
    int gemm_threads;      /* preferred work-items per GEMM work-group (a power of two) */
    int vector_width;      /* VW of the GEMM's local reads and accumulators: 1, 2, 4 or 8 */
    int max_accumulators;  /* most outputs one GEMM work-item keeps (fewer threads: more) */
    int depthwise_threads; /* preferred work-items per depthwise work-group */
    const char *source;
} clconv_local_params;

/* The row of dev's class (every class has one: unmeasured ones have conservative defaults). */
const clconv_local_params *clconv_local_params_of(const clconv_device_info *dev);

/* The GEMM work-group shape for an mwg x nwg tile with at most threads work-items: the work per
 * work-item (wptm x wptn, wptn a multiple of *vw, which may shrink to fit nwg). False when the
 * tile needs more than max_accumulators outputs per work-item. */
typedef struct clconv_local_shape {
    int wptm, wptn, vw;
    int tx, ty; /* work-group: (nwg / wptn, mwg / wptm) */
} clconv_local_shape;
bool clconv_local_gemm_shape(int mwg, int nwg, int threads, int vw, int max_accumulators,
                             clconv_local_shape *shape);

/* The largest power of two not above n (n >= 1), else 1. */
int clconv_local_pow2_floor(size_t n);

#endif
