/* The fused epilogue: output = activation(conv + bias + residual), run by the command that
 * writes the output (cl/prelude.cl's EPI_STORE), and its host side: validation, build options,
 * the residual argument, and the same arithmetic for the CPU reference. */
#ifndef CLCONV_EPILOGUE_H
#define CLCONV_EPILOGUE_H

#include "src/launch.h"

/* Slot value of an argument the kernel does not have. */
#define CLCONV_NO_SLOT ((cl_uint)-1)

/* Validates desc's activation, its parameters and residual (messages name the field). */
clconv_status clconv_check_epilogue(const clconv_desc *d);

/* True when p has an epilogue beyond the bias (an activation or a residual). */
bool clconv_has_epilogue(const clconv_problem *p);

/* Writes the build options of p's epilogue (" -D CLCONV_ACT=2 ...", or "" without one) into
 * buf; false when buf is too small. Families append it to their own options. */
bool clconv_epilogue_options(const clconv_problem *p, char *buf, size_t size);

/* Declares the kernel's `residual` argument (its last, from EPILOGUE_PARAMS) when p has a
 * residual; returns its slot, or CLCONV_NO_SLOT. */
cl_uint clconv_arg_residual(clconv_kernel_args *a, const clconv_problem *p);

/* Sets the residual buffer of an enqueue at slot; nothing when slot is CLCONV_NO_SLOT. */
clconv_status clconv_set_residual_arg(clconv_context *ctx, cl_kernel kernel, cl_uint slot,
                                      const clconv_enqueue_args *a);

/* The enqueue of a one-kernel family: sets the kernel's input, weight, bias (the weight
 * stands in, unread, without one) and output at slots[0..3] and its residual at
 * residual_slot, then launches it after a's wait list. */
clconv_status clconv_enqueue_one_kernel(clconv_context *ctx, cl_kernel kernel,
                                        const cl_uint slots[4], cl_uint residual_slot,
                                        const clconv_launch *launch, const clconv_enqueue_args *a);

/* The activation of desc applied to v in double (the CPU reference's arithmetic). */
double clconv_activate_double(const clconv_desc *d, double v);

#endif
