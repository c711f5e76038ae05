/* The GEMM family's plan configuration and state, shared by its variant operations
 * (src/algo-gemm.c) and its enqueue (src/gemm-enqueue.c). */
#ifndef CLCONV_GEMM_PLAN_H
#define CLCONV_GEMM_PLAN_H

#include "src/algo-gemm.h"
#include "src/gemm-layout.h"
#include "src/launch.h"

/* What applies() fixed for a plan: the path (a clconv_gemm_path) and the layout; the layout's
 * bytes are the config's workspace. */
typedef struct clconv_gemm_config {
    int path;
    clconv_gemm_layout layout;
} clconv_gemm_config;
CLCONV_CONFIG_FITS(clconv_gemm_config);

/* What prepare made: the kernels, their launch shapes (the lowering's global extent is the
 * largest chunk's; each chunk sets its own), and the argument slots enqueue sets. */
typedef struct clconv_gemm_state {
    cl_kernel lower;  /* im2col or col2im; NULL on the 1x1 path */
    cl_kernel finish; /* stage_finish when staged; else NULL */
    clconv_launch lower_launch, finish_launch;
    cl_uint lower_buffer_slot[3];  /* im2col: in, col; col2im: col, bias, out */
    cl_uint lower_chunk_slot;      /* the first of the chunk's int arguments (the last ones) */
    cl_uint finish_buffer_slot[3]; /* staged, bias, out */
    cl_uint lower_residual_slot;   /* col2im writing the output: the epilogue's residual */
    cl_uint finish_residual_slot;  /* stage_finish: the epilogue's residual */
} clconv_gemm_state;

/* The variant's enqueue (src/variant.h's contract). */
clconv_status clconv_gemm_enqueue(clconv_plan *plan, const clconv_enqueue_args *args);

#endif
