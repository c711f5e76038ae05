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
} clconv_problem;

/* Validates desc and input shape (torch's rules) and fills *p. Messages name the field. */
clconv_status clconv_problem_init(const clconv_desc *desc, const int input_nchw[4],
                                  clconv_problem *p);

/* Maps a padded-input coordinate to the input extent with torch's meaning of mode; -1 for a
 * zero (padding) tap. Every coordinate lies in [-pad_lo, n - 1 + pad_hi], and validation
 * bounds the padding, so one reflection or wrap suffices (reference.c). */
int clconv_map_padded_coord(int i, int n, clconv_padding_mode mode);

/* ---- plans and algorithms (src/variant.h) ---------------------------------------------- */

/* The plan (struct clconv_plan), the variants and the plan/variant contract: src/variant.h. */

/* Buffers of one enqueue, already checked against the plan's sizes. */
typedef struct clconv_enqueue_args {
    cl_command_queue queue; /* the context's or the caller's (same context and device) */
    cl_mem input, weight, bias, output, workspace;
    cl_uint num_wait_events;
    const cl_event *wait_events;
    cl_event *event; /* may be NULL */
} clconv_enqueue_args;

/* TRANSITIONAL: an algorithm not yet split into variants, wrapped as one variant
 * (src/variants.c). */
typedef struct clconv_algo_impl clconv_algo_impl;
struct clconv_algo_impl {
    clconv_algo id;
    const char *name;
    bool (*supports)(const clconv_problem *p, const clconv_device_info *dev, char *reason,
                     size_t reason_size);
    size_t (*workspace)(const clconv_problem *p, const clconv_device_info *dev);
    double (*estimate)(const clconv_problem *p, const clconv_device_info *dev);
    clconv_status (*prepare)(clconv_plan *plan);
    clconv_status (*enqueue)(clconv_plan *plan, const clconv_enqueue_args *args);
    void (*release)(clconv_plan *plan);
    size_t (*min_workspace)(const clconv_problem *p, const clconv_device_info *dev);
    size_t (*workspace_for_limit)(const clconv_problem *p, const clconv_device_info *dev,
                                  size_t limit);
};
extern const clconv_algo_impl clconv_algo_direct;
extern const clconv_algo_impl clconv_algo_gemm;
extern const clconv_algo_impl clconv_algo_depthwise;

/* The context's workspace cap in bytes (its setting, else the default), never above the
 * device's max allocation. */
size_t clconv_workspace_limit(const clconv_context *ctx);

/* True when $CLCONV_VERBOSE asks for the selection log. */
bool clconv_verbose(void);

/* ---- older launch helpers (src/launch.c; src/launch.h has the kernel-aware ones) ------- */

/* Enqueues a kernel with an event chain: waits on the given list, returns its event in
 * *event if non-NULL. Sizes are rounded up to multiples of local (when local is non-NULL). */
clconv_status clconv_enqueue_kernel(clconv_context *ctx, cl_command_queue queue, cl_kernel kernel,
                                    cl_uint dims, const size_t *global, const size_t *local,
                                    cl_uint num_wait_events, const cl_event *wait_events,
                                    cl_event *event);

/* Sets count int arguments of kernel from index first on. */
clconv_status clconv_set_int_args(clconv_context *ctx, cl_kernel kernel, cl_uint first,
                                  const int *values, size_t count);

/* Picks a local size for a 3-D launch within the device's limits (product <= max work-group
 * size, each dimension <= its max); writes local[3]. */
void clconv_pick_local_size(const clconv_device_info *dev, const size_t global[3], size_t local[3]);

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
