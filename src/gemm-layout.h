/* The GEMM family's workspace layout (src/gemm-layout.c): how a plan's column matrices are
 * chunked under a workspace limit, and whether its results are staged. Pure arithmetic on the
 * problem: applies() computes the layout once, prepare and enqueue read it from the config. */
#ifndef CLCONV_GEMM_LAYOUT_H
#define CLCONV_GEMM_LAYOUT_H

#include "src/internal.h"

/* bytes: the staging area's alignment in the workspace */
#define CLCONV_GEMM_STAGE_ALIGN 256

/* Where a plan's chunks and results go. */
typedef struct clconv_gemm_layout {
    int nb;           /* images per chunk */
    int rows;         /* output rows per chunk */
    bool staged;      /* results go to the workspace at stage_off, then one copy to the output */
    size_t stage_off; /* floats from the workspace start (below 2^32: a uint kernel argument) */
    size_t bytes;     /* the workspace */
} clconv_gemm_layout;

/* 1x1, stride 1, no padding, no output padding: the input already is the GEMM's matrix. When
 * false, *field names the first field that differs (for reasons) and *value its value. */
bool clconv_gemm_is_1x1(const clconv_problem *p, const char **field, int *value);

/* Rows of the column matrix per group: the GEMM's reduction (Conv2d) or result (transposed). */
size_t clconv_gemm_col_rows(const clconv_problem *p);

/* Bytes of column matrix per image and per row of the chunk's row unit (output rows for
 * Conv2d, input rows for transposed). */
double clconv_gemm_row_bytes(const clconv_problem *p);

/* Transposed: the input rows an output band [oy0, oy0 + orows) reads, [*lo, *lo + count);
 * returns count (0: none). */
int clconv_gemm_input_band(const clconv_problem *p, int oy0, int orows, int *lo);

/* The layout under limit bytes, lowered: through column matrices (im2col / col2im), else the
 * 1x1 path (no columns, never chunked). False if even the smallest chunk, with its staging
 * area, does not fit. */
bool clconv_gemm_plan_layout(const clconv_problem *p, bool lowered, size_t limit,
                             clconv_gemm_layout *l);

/* The smallest limit clconv_gemm_plan_layout accepts (for messages); SIZE_MAX past size_t. */
size_t clconv_gemm_least_limit(const clconv_problem *p, bool lowered);

#endif
