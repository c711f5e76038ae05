/* What the depthwise family's three variants share (src/algo-depthwise.c): the kernels'
 * private-buffer caps, the family's conditions, the cost model's terms, and the plan state,
 * prepare steps, enqueue and release of their one-kernel launches. */
#ifndef CLCONV_DEPTHWISE_COMMON_H
#define CLCONV_DEPTHWISE_COMMON_H

#include "src/launch.h"
#include "src/variant.h"

/* The flat kernel's private buffers, in floats (-D FLAT_CAP, -D FLAT_TAPS); FLAT_TAPS also
 * caps the stride-2 kernel's taps (-D S2_TAPS). */
#define DEPTHWISE_FLAT_CAP 1024
#define DEPTHWISE_FLAT_TAPS 64

/* The stride-2 kernel's phase planes and row copy, in floats, and the copy's margin for the
 * left padding, in columns (-D S2_CAP, -D S2_TCAP, -D S2_MARGIN). */
#define DEPTHWISE_S2_CAP 2048
#define DEPTHWISE_S2_TCAP 2048
#define DEPTHWISE_S2_MARGIN 16

/* The launch applies() chose: global extent and preferred local shape (2-D). */
typedef struct depthwise_launch {
    size_t global[2];
    size_t local[2];
    unsigned grow_mask; /* the dimensions the kernel guards, which a GPU may widen */
} depthwise_launch;

/* The family's conditions (Conv2d, groups == in_channels); false with a reason naming the
 * field and the variant. */
bool depthwise_family_applies(const clconv_variant *v, const clconv_problem *p, char *reason,
                              size_t reason_size);

/* "zeros", "reflect", "replicate", "circular". */
const char *depthwise_mode_name(clconv_padding_mode mode);

/* Work-items the chunking aims at: several for every compute unit (load balance). */
long depthwise_items_wanted(const clconv_device_info *dev);

/* The family's cost: its taps' FLOPs plus items x cal->item_flops at cal->efficiency (one
 * work-item's chain: item_chain_flops), the bytes of input, weights and output, one launch. */
double depthwise_seconds(const clconv_problem *p, const clconv_device_info *dev,
                         const clconv_calibration *cal, double items, double item_chain_flops);

/* A plan's state: the kernel, its launch and the slots of the enqueue's buffers. */
typedef struct depthwise_state {
    cl_kernel kernel;
    clconv_launch launch;
    cl_uint in_slot, weight_slot, bias_slot, out_slot;
    cl_uint residual_slot; /* the epilogue's (its kernels' last argument) */
} depthwise_state;

/* Prepare, first step: builds kernel_name of file with options (plus the dtype's and the
 * epilogue's), makes
 * the state and names the four buffer arguments in *a. On failure nothing is left. */
clconv_status depthwise_prepare_begin(clconv_plan *plan, const char *file, const char *kernel_name,
                                      const char *options, depthwise_state **state,
                                      clconv_kernel_args *a);

/* Prepare, last step: declares the residual argument, checks the arguments, sets the launch
 * shape from launch and hands the state to the plan; frees it on failure. */
clconv_status depthwise_prepare_end(clconv_plan *plan, depthwise_state *s, clconv_kernel_args *a,
                                    const depthwise_launch *launch);

clconv_status depthwise_enqueue(clconv_plan *plan, const clconv_enqueue_args *args);
void depthwise_release(clconv_plan *plan);

#endif
