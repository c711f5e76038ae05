/* Launch helpers for the variants: kernel arguments by running index, launch shapes from the
 * kernel's own limits, and enqueues with event chains (src/launch.c). */
#ifndef CLCONV_LAUNCH_H
#define CLCONV_LAUNCH_H

#include "src/internal.h"

/* Sets a kernel's arguments in order, each by its name in the .cl file: no literal indices.
 * The first failure is kept and later calls do nothing. When $CLCONV_CHECK_ARGS is set (the
 * test suites set it), programs are built with -cl-kernel-arg-info and every name is checked
 * with clGetKernelArgInfo, and clconv_args_end checks that every argument was set. */
typedef struct clconv_kernel_args {
    clconv_context *ctx;
    cl_kernel kernel;
    cl_uint next;         /* index of the next argument */
    clconv_status status; /* first failure, else CLCONV_SUCCESS */
} clconv_kernel_args;

void clconv_args_begin(clconv_kernel_args *a, clconv_context *ctx, cl_kernel kernel);
/* Each returns the argument's index (for buffers set again at enqueue). */
cl_uint clconv_arg_mem(clconv_kernel_args *a, const char *name, cl_mem value);
cl_uint clconv_arg_int(clconv_kernel_args *a, const char *name, int value);
cl_uint clconv_arg_uint(clconv_kernel_args *a, const char *name, cl_uint value);
cl_uint clconv_arg_long(clconv_kernel_args *a, const char *name, cl_long value);
/* An argument set later (a buffer of the enqueue): only its name is checked. */
cl_uint clconv_arg_slot(clconv_kernel_args *a, const char *name);
/* count int arguments named by the comma-separated list names ("C, H, W"). */
void clconv_arg_ints(clconv_kernel_args *a, const char *names, const int *values, size_t count);
/* The first failure, or an argument left unset (checked builds). */
clconv_status clconv_args_end(clconv_kernel_args *a);

/* Sets a buffer argument at a slot recorded by clconv_arg_slot or clconv_arg_mem. */
clconv_status clconv_set_mem_arg(clconv_context *ctx, cl_kernel kernel, cl_uint slot, cl_mem buf);

/* True when $CLCONV_CHECK_ARGS asks for argument-name checks (kernels.c adds the build
 * option that keeps the names). */
bool clconv_check_args_enabled(void);

/* One launch: global extent, local shape. */
typedef struct clconv_launch {
    cl_uint dims;
    size_t global[3];
    size_t local[3];
} clconv_launch;

/* Fills launch->local for kernel: the preferred shape, clamped to the device's per-dimension
 * limits and to the kernel's CL_KERNEL_WORK_GROUP_SIZE. On GPUs the dimensions in grow_mask
 * (bit i: dimension i) then double, dimension 0 first and never past their global extent
 * rounded up, until the group holds a multiple of the kernel's
 * CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE (a SIMD group), so no launch leaves most of
 * one idle. Global extents round up to the local shape at enqueue: the kernel must ignore
 * work-items past its extent in every dimension that can be rounded (local > 1). */
clconv_status clconv_launch_shape(clconv_context *ctx, cl_kernel kernel, clconv_launch *launch,
                                  const size_t preferred[3], unsigned grow_mask);

/* The generic shape for element-wise kernels: 16 x 4 x 1 preferred, dimensions 0 and 1
 * growable. */
clconv_status clconv_launch_elementwise(clconv_context *ctx, cl_kernel kernel,
                                        clconv_launch *launch);

/* Enqueues a launch (global rounded up to local) waiting on the given list; its event in
 * *event if non-NULL. */
clconv_status clconv_enqueue_launch(clconv_context *ctx, cl_command_queue queue, cl_kernel kernel,
                                    const clconv_launch *launch, cl_uint num_wait_events,
                                    const cl_event *wait_events, cl_event *event);

#endif
