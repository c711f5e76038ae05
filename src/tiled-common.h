/* What the tiled variants share (src/algo-tiled-common.c): the configuration their applies()
 * computes, the index and allocation limits of their kernels, the input copies of
 * cl/tiled_copy.cl, the one-kernel plans (pixel vectors, flat) and the cost-model terms. */
#ifndef CLCONV_TILED_COMMON_H
#define CLCONV_TILED_COMMON_H

#include "src/cost-model.h"
#include "src/launch.h"
#include "src/variant.h"

#define TILED_COPY_FILE "tiled_copy.cl"

/* A tiled plan's configuration, filled by applies() (CLCONV_CONFIG(tiled_config, cfg)). */
typedef struct tiled_config {
    int oc_tile, px_tile; /* the variant's param[0], param[1]: its register tile */
    int ocb;              /* channel tiles per group (channel vectors, phases) */
    int pad_top, pad_left;
    int hp, wp;           /* the plane the convolution reads: padded, sampled or the input */
    bool padded;          /* the convolution reads a copy of the input in the workspace */
    bool sampled;         /* that copy samples a strided 1x1 layer (tiled_subsample) */
    size_t weight_bytes;  /* re-laid-out weights (float) at the workspace start; 0: in place */
    size_t padded_offset; /* bytes from the workspace start to the copy */
    size_t padded_count;  /* elements of the copy */
    /* ConvTranspose2d stride phases: */
    int nphases;        /* phases with outputs */
    size_t max_pixels;  /* outputs of the largest phase */
    double tile_pixels; /* sum over the phases of their outputs rounded up to the tile */
    double tap_pixels;  /* sum over the phases of those times their taps times cinpg */
    double max_taps;    /* cinpg times the taps of the phase with most */
} tiled_config;
CLCONV_CONFIG_FITS(tiled_config);

/* The channel width of AUTO's rule: 16 when cout_per_group >= 16, 8 for 8..15, else 4. */
int tiled_auto_width(int cout_per_group);

/* Fills c's pads, plane and copy from the layer's own padding (Conv2d). */
void tiled_config_conv_plane(const clconv_problem *p, tiled_config *c);

/* Completes c (copy offset and size) and cfg->workspace, or false with a reason when the
 * copy or the re-laid-out weights exceed what the kernels index or the device allocates. */
bool tiled_config_finish(const clconv_variant *v, const clconv_problem *p,
                         const clconv_device_info *dev, tiled_config *c, clconv_config *cfg,
                         char *reason, size_t reason_size);

/* True when the variant named name would be an AUTO candidate for p on dev: calibrated for
 * dev's class, applicable and within its domain. The wider tiled kernels leave such layers
 * to the flat ones where those are calibrated (the old precedence on CPUs). */
bool tiled_taken_by(const char *name, const clconv_problem *p, const clconv_device_info *dev);

/* " -D CLCONV_HALF" for float16 storage, else "". */
const char *tiled_dtype_option(const clconv_desc *d);

/* options followed by p's epilogue options (src/epilogue.h) into buf; false when too long. */
bool tiled_epilogue_options(const clconv_problem *p, const char *options, char *buf, size_t size);

/* Element offset of the convolution's input in its buffer (the copy's place in the
 * workspace, or 0 for the input itself). */
cl_uint tiled_input_offset(const clconv_problem *p, const tiled_config *c);

/* The arguments "C, Hp, Wp, K, OH, OW" of the Conv2d kernels: channels and the plane they
 * read, output channels and map. */
void tiled_args_plane(clconv_kernel_args *a, const clconv_problem *p, const tiled_config *c);

/* The work-group shape the tiled kernels prefer: min(extent, x0) work-items along
 * dimension 0 (they share weights), 1 elsewhere; GPUs grow dimensions 0 and 1. */
clconv_status tiled_launch(clconv_context *ctx, cl_kernel kernel, clconv_launch *launch, size_t x0);

/* ---- the input copy (cl/tiled_copy.cl) ---- */

typedef struct tiled_copy {
    cl_kernel kernel; /* NULL: the layer reads its input in place */
    clconv_launch launch;
    cl_uint in_slot, ws_slot;
} tiled_copy;

/* Builds the padded or sampled copy when c has one. */
clconv_status tiled_copy_prepare(clconv_context *ctx, const clconv_problem *p,
                                 const tiled_config *c, tiled_copy *copy);
/* Sets its buffers (nothing without a copy). */
clconv_status tiled_copy_set_buffers(clconv_context *ctx, const tiled_copy *copy,
                                     const clconv_enqueue_args *a);
void tiled_copy_release(tiled_copy *copy);

/* ---- one-kernel plans: the copy when there is one, then the convolution ---- */

typedef struct tiled_single {
    tiled_copy copy;
    cl_kernel kernel;
    clconv_launch launch;
    cl_uint in_slot, w_slot, bias_slot, out_slot;
    cl_uint residual_slot; /* the epilogue's residual, set by the family's prepare */
} tiled_single;

/* Allocates plan->state as a tiled_single and builds kernel_name of file with options and
 * the epilogue's, and the copy; *s is the state. The family declares the residual argument
 * last (s->residual_slot = clconv_arg_residual(...)). */
clconv_status tiled_single_begin(clconv_plan *plan, const char *file, const char *options,
                                 const char *kernel_name, tiled_single **s);
/* The leading arguments of conv2d_tiled_px and the flat kernels: in, in_off, w, bias, out. */
void tiled_single_io_args(clconv_kernel_args *a, tiled_single *s, const clconv_problem *p,
                          const tiled_config *c);
clconv_status tiled_single_enqueue(clconv_plan *plan, const clconv_enqueue_args *a);
void tiled_single_release(clconv_plan *plan);

/* ---- ConvTranspose2d stride phases (src/tiled-phases.c) ---- */

/* One axis of a ConvTranspose2d stride phase r: the outputs r + s*m (m < count) receive
 * input m + c0 + j*step through tap k0 - j*kstep, j < taps. */
typedef struct phase_axis {
    int count, taps, k0, kstep, c0, step;
} phase_axis;

/* Phase r of the output rows (tiled_phase_y) and columns (tiled_phase_x) of p. */
phase_axis tiled_phase_y(const clconv_problem *p, int r);
phase_axis tiled_phase_x(const clconv_problem *p, int r);

/* Zero padding the phases read outside the input on one axis (y: rows): before and after. */
void tiled_axis_padding(const clconv_problem *p, bool y, int *lo, int *hi);

/* ---- cost-model terms ---- */

/* Seconds to stream bytes at the row's share of the model bandwidth. */
double tiled_stream_seconds(const clconv_device_info *dev, const clconv_calibration *cal,
                            double bytes);

/* The register-tile estimate (channel vectors, phases, pixel vectors): macs at the row's
 * efficiency (chain-bounded by chain_flops where the row has a chain efficiency), a
 * finishing cost of output_flops per tile output, the copy and weights streamed. */
double tiled_tile_seconds(const clconv_problem *p, const clconv_device_info *dev,
                          const clconv_calibration *cal, const tiled_config *c, double tile_outputs,
                          double macs, double chain_flops, double launches);

#endif
