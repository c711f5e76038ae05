/* Library-internal types and helpers shared by the src/ files. */
#ifndef CLCONV_INTERNAL_H
#define CLCONV_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clconv.h"

#define CLCONV_ERROR_TEXT_MAX 8192

typedef struct clconv_program_entry clconv_program_entry;
typedef struct clconv_tuning clconv_tuning;

struct clconv_context {
    cl_platform_id platform;
    cl_device_id device;
    cl_context cl_ctx;
    cl_command_queue queue;
    clconv_device_info info;
    pthread_mutex_t lock; /* guards programs and last_error */
    clconv_program_entry *programs;
    char last_error[CLCONV_ERROR_TEXT_MAX];
    size_t workspace_limit; /* bytes; 0: CLCONV_DEFAULT_WORKSPACE_LIMIT (select.c) */
    bool exact_summation;   /* AUTO keeps off transform-based variants (select.c) */
    bool constant_weights;  /* AUTO costs plans with their weights set once (select.c) */
    clconv_tuning *tuning;  /* tuning.c; NULL: none; read-only while plans are created */
    char tuning_info[1024]; /* which database is loaded, or why none */
};

/* ---- errors (error.c) ---------------------------------------------------------------- */

/* Records a failure: formats the message into the calling thread's last error and, when ctx
 * is non-NULL, the context's; returns status so callers can `return clconv_fail(...)`. */
clconv_status clconv_fail(clconv_context *ctx, clconv_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Records an OpenCL error code from `what` (e.g. "clEnqueueNDRangeKernel"). */
clconv_status clconv_fail_cl(clconv_context *ctx, cl_int err, const char *what);

/* Name of an OpenCL error code ("CL_OUT_OF_RESOURCES"). */
const char *clconv_cl_error_name(cl_int err);

/* Sets the calling thread's last error text back to text (a call that succeeds after an
 * internal failure it recovered from restores what the caller saw before). */
void clconv_error_restore(const char *text);

/* Copies the thread's last error into ctx's (used when a context-less helper failed). */
void clconv_error_to_context(clconv_context *ctx);

/* ---- checked sizes (desc.c) ----------------------------------------------------------- */

/* *out = a * b; false on overflow. */
static inline bool clconv_mul_size(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a)
        return false;
    *out = a * b;
    return true;
}

/* A validated layer: the descriptor, both shapes and the derived per-group sizes. */
typedef struct clconv_problem {
    clconv_desc desc;
    int in[4];  /* N, Cin, H, W */
    int out[4]; /* N, Cout, Hout, Wout */
    int cin_per_group, cout_per_group;
    size_t input_count, weight_count, bias_count, output_count; /* elements */
    /* the estimates leave out per-enqueue weight preparation (clconv_constant_weights; set by
     * plan creation, false from clconv_problem_init) */
    bool weights_constant;
} clconv_problem;

/* Validates desc and input shape (torch's rules) and fills *p. Messages name the field. */
clconv_status clconv_problem_init(const clconv_desc *desc, const int input_nchw[4],
                                  clconv_problem *p);

/* Maps a padded-input coordinate to the input extent with torch's meaning of mode; -1 for a
 * zero (padding) tap. Every coordinate lies in [-pad_lo, n - 1 + pad_hi], and validation
 * bounds the padding, so one reflection or wrap suffices (reference.c). */
int clconv_map_padded_coord(int i, int n, clconv_padding_mode mode);

/* ---- plans and algorithms (src/variant.h) ---------------------------------------------- */

/* The plan (struct clconv_plan) and the variants are declared in src/variant.h.
 *
 * The plan/variant contract:
 * - applies() decides at plan creation, once, whether the variant can run the problem on the
 *   device under the workspace limit, and fills the plan's config (tiles, launch shape,
 *   workspace bytes). It is pure: no OpenCL calls, no allocation. estimate, prepare and
 *   enqueue read that config and never recompute it.
 * - auto_domain() (optional) narrows where AUTO considers the variant to where it was
 *   measured to pay; forcing the variant ignores it. A variant without a calibration row for
 *   the device's class (nor an "uncalibrated" row) is never an AUTO candidate either.
 * - prepare() runs once per plan (bake or first enqueue): programs, kernels, every scalar
 *   argument, buffers the plan owns; it sets plan->state. When it fails it releases what it
 *   made and leaves plan->state NULL, so a later call can retry.
 * - enqueue() sets only the arguments that change per enqueue (the caller's cl_mem objects,
 *   the GEMM path's chunk coordinates), then enqueues.
 *   Every argument of the command that writes the output is set before anything is enqueued,
 *   and that command is the last one: a failure anywhere leaves the output untouched.
 *   enqueue does not change plan state other than kernel arguments (a plan is not enqueued
 *   from two threads at once, clconv.h).
 * - release() frees plan->state; it is called only after a successful prepare.
 */

/* Buffers of one enqueue, already checked against the plan's sizes. */
typedef struct clconv_enqueue_args {
    cl_command_queue queue; /* the context's or the caller's (same context and device) */
    cl_mem input, weight, bias, output, workspace;
    cl_mem residual;     /* the epilogue's, when desc.residual (may be output itself) */
    bool weights_packed; /* weight/bias are the plan's set weights, packed by the variant */
    cl_uint num_wait_events;
    const cl_event *wait_events;
    cl_event *event; /* may be NULL */
} clconv_enqueue_args;

/* The context's workspace cap in bytes (its setting, else the default), never above the
 * device's max allocation. */
size_t clconv_workspace_limit(const clconv_context *ctx);

/* True when $CLCONV_VERBOSE asks for the selection log. */
bool clconv_verbose(void);

/* True when AUTO (and the tuning database) must keep to direct summation: the context's
 * setting, or $CLCONV_EXACT set to a nonzero number. */
bool clconv_exact_summation(const clconv_context *ctx);

/* True when AUTO costs new plans with their weights set once: the context's setting, or
 * $CLCONV_CONSTANT_WEIGHTS set to a nonzero number. */
bool clconv_constant_weights(const clconv_context *ctx);

/* Integer helpers */
static inline size_t clconv_div_up(size_t a, size_t b)
{
    return (a + b - 1) / b;
}
static inline size_t clconv_round_up(size_t a, size_t b)
{
    return clconv_div_up(a, b) * b;
}

#endif
