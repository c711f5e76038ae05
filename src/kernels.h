/* Kernel sources (embedded or from $CLCONV_KERNEL_DIR) and the per-context program cache. */
#ifndef CLCONV_KERNELS_H
#define CLCONV_KERNELS_H

#include "clconv.h"

typedef struct clconv_embedded_kernel {
    const char *name;   /* file name in cl/, e.g. "conv2d_direct.cl" */
    const char *source; /* NUL-terminated */
    size_t size;        /* bytes, without the NUL */
} clconv_embedded_kernel;

/* Generated at build time; ends with a {NULL, NULL, 0} entry. */
extern const clconv_embedded_kernel clconv_embedded_kernels[];

/* The built program for (file, options) in ctx, building it on first use. The program stays
 * owned by the context's cache: do not release it. On CLCONV_ERROR_BUILD the build log is in
 * the context's last error. Thread-safe. */
clconv_status clconv_get_program(clconv_context *ctx, const char *file, const char *options,
                                 cl_program *program);

/* Creates a kernel from the cached program for (file, options); the caller releases it. */
clconv_status clconv_create_kernel(clconv_context *ctx, const char *file, const char *options,
                                   const char *kernel_name, cl_kernel *kernel);

/* The disk-cache key a build of (file, options) uses (malloc'd), or NULL when the cache is
 * off or the source is missing. */
char *clconv_program_cache_key(clconv_context *ctx, const char *file, const char *options);

/* Number of programs in ctx's cache (tests observe reuse with it). Thread-safe. */
size_t clconv_program_cache_size(clconv_context *ctx);

/* Releases every cached program of ctx (context teardown). */
void clconv_program_cache_clear(clconv_context *ctx);

#endif
