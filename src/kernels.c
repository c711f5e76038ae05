/* Kernel sources and the per-context program cache keyed by (file, build options). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/binary-cache.h"
#include "src/internal.h"
#include "src/kernels.h"
#include "src/launch.h"

struct clconv_program_entry {
    char *file;
    char *options;
    cl_program program;
    char *unsaved_key; /* disk-cache key, until the binary is saved after kernel creation */
    clconv_program_entry *next;
};

static char *dup_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy)
        memcpy(copy, s, n);
    return copy;
}

/* Reads file from $CLCONV_KERNEL_DIR if set, else from the embedded table. *source is
 * malloc'd when *owned is true. */
static clconv_status load_source(clconv_context *ctx, const char *file, const char **source,
                                 bool *owned)
{
    const char *dir = getenv("CLCONV_KERNEL_DIR");
    *owned = false;
    if (!dir || !*dir) {
        for (const clconv_embedded_kernel *k = clconv_embedded_kernels; k->name; k++)
            if (!strcmp(k->name, file)) {
                *source = k->source;
                return CLCONV_SUCCESS;
            }
        return clconv_fail(ctx, CLCONV_ERROR_KERNEL_SOURCE, "kernel file %s is not embedded", file);
    }
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path)
        return clconv_fail(ctx, CLCONV_ERROR_KERNEL_SOURCE, "CLCONV_KERNEL_DIR path too long");
    FILE *f = fopen(path, "rb");
    if (!f)
        return clconv_fail(ctx, CLCONV_ERROR_KERNEL_SOURCE,
                           "cannot open %s (CLCONV_KERNEL_DIR = %s)", path, dir);
    char *buf = NULL;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)size + 1)) != NULL &&
        fread(buf, 1, (size_t)size, f) == (size_t)size) {
        buf[size] = 0;
        fclose(f);
        *source = buf;
        *owned = true;
        return CLCONV_SUCCESS;
    }
    free(buf);
    fclose(f);
    return clconv_fail(ctx, CLCONV_ERROR_KERNEL_SOURCE, "cannot read %s", path);
}

static clconv_status build_log_failure(clconv_context *ctx, cl_program program, const char *file,
                                       const char *options, cl_int err)
{
    size_t log_size = 0;
    clGetProgramBuildInfo(program, ctx->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &log_size);
    char *log = log_size ? malloc(log_size + 1) : NULL;
    if (log) {
        if (clGetProgramBuildInfo(program, ctx->device, CL_PROGRAM_BUILD_LOG, log_size, log,
                                  NULL) != CL_SUCCESS)
            log[0] = 0;
        log[log_size] = 0;
    }
    clconv_status st = clconv_fail(
        ctx, CLCONV_ERROR_BUILD, "building %s with options \"%s\" failed (clBuildProgram: %s):\n%s",
        file, options, clconv_cl_error_name(err), log ? log : "(no build log)");
    free(log);
    return st;
}

/* The program text of file: cl/prelude.cl (the dtype LOAD/STORE macros, CAT, map_coord),
 * then the file itself from its line 1. malloc'd. */
static clconv_status program_text(clconv_context *ctx, const char *file, char **text)
{
    const char *prelude, *source;
    bool prelude_owned, owned;
    clconv_status st = load_source(ctx, file, &source, &owned);
    if (st != CLCONV_SUCCESS)
        return st;
    if ((st = load_source(ctx, "prelude.cl", &prelude, &prelude_owned)) != CLCONV_SUCCESS) {
        if (owned)
            free((void *)source);
        return st;
    }
    static const char line[] = "\n#line 1\n";
    const size_t a = strlen(prelude), b = strlen(source);
    *text = malloc(a + sizeof line + b);
    if (*text) {
        memcpy(*text, prelude, a);
        memcpy(*text + a, line, sizeof line - 1);
        memcpy(*text + a + sizeof line - 1, source, b + 1);
    }
    if (prelude_owned)
        free((void *)prelude);
    if (owned)
        free((void *)source);
    return *text ? CLCONV_SUCCESS
                 : clconv_fail(ctx, CLCONV_ERROR_OUT_OF_HOST_MEMORY, "kernel source of %s", file);
}

/* True when every kernel the source defines ("__kernel void name(") is in the program: a
 * cached binary that lacks one (another program's, or a damaged one) is not used. */
static bool has_source_kernels(cl_program program, const char *source)
{
    size_t size = 0;
    if (clGetProgramInfo(program, CL_PROGRAM_KERNEL_NAMES, 0, NULL, &size) != CL_SUCCESS || !size)
        return false;
    char *names = malloc(size + 2);
    if (!names)
        return false;
    names[0] = ';';
    bool ok =
        clGetProgramInfo(program, CL_PROGRAM_KERNEL_NAMES, size, names + 1, NULL) == CL_SUCCESS;
    names[size] = ';'; /* replaces the NUL: ";a;b;" */
    names[size + 1] = 0;
    for (const char *p = source; ok && (p = strstr(p, "__kernel void ")); p++) {
        const char *name = p + strlen("__kernel void ");
        size_t len = strcspn(name, " (\n");
        char want[140];
        if (len == 0 || len + 3 > sizeof want)
            continue;
        snprintf(want, sizeof want, ";%.*s;", (int)len, name);
        ok = strstr(names, want) != NULL;
    }
    free(names);
    return ok;
}

/* The options a build of (file, given) uses: checked runs keep the argument names. */
static bool build_options(const char *given, char *options, size_t size)
{
    return snprintf(options, size, "%s%s", given,
                    clconv_check_args_enabled() ? " -cl-kernel-arg-info" : "") < (int)size;
}

char *clconv_program_cache_key(clconv_context *ctx, const char *file, const char *given)
{
    char options[1024], *source;
    if (!build_options(given, options, sizeof options) ||
        program_text(ctx, file, &source) != CLCONV_SUCCESS)
        return NULL;
    char *key = clconv_binary_cache_key(ctx, source, options);
    free(source);
    return key;
}

/* Builds (file, options) from the disk cache when it holds the binary, else from source; in
 * that case *unsaved_key is the key to save the binary under once a kernel exists. Checked
 * runs ($CLCONV_CHECK_ARGS) keep the argument names (-cl-kernel-arg-info). */
static clconv_status build_program(clconv_context *ctx, const char *file, const char *given,
                                   cl_program *out, char **unsaved_key)
{
    char options[1024];
    if (snprintf(options, sizeof options, "%s%s", given,
                 clconv_check_args_enabled() ? " -cl-kernel-arg-info" : "") >= (int)sizeof options)
        return clconv_fail(ctx, CLCONV_ERROR_INVALID_ARGUMENT,
                           "internal: build options of %s longer than %zu bytes", file,
                           sizeof options - 1);
    char *source;
    clconv_status st = program_text(ctx, file, &source);
    if (st != CLCONV_SUCCESS)
        return st;
    char *key = clconv_binary_cache_key(ctx, source, options);
    if (key && clconv_binary_cache_load(ctx, key, options, out)) {
        if (has_source_kernels(*out, source)) {
            free(source);
            free(key);
            *unsaved_key = NULL;
            return CLCONV_SUCCESS;
        }
        clReleaseProgram(*out); /* unusable: replaced by a build from source */
        clconv_binary_cache_discard(key);
    }
    cl_int err;
    const char *text = source;
    cl_program program = clCreateProgramWithSource(ctx->cl_ctx, 1, &text, NULL, &err);
    free(source);
    if (!program) {
        free(key);
        return clconv_fail_cl(ctx, err, "clCreateProgramWithSource");
    }
    err = clBuildProgram(program, 1, &ctx->device, options, NULL, NULL);
    if (err != CL_SUCCESS) {
        st = build_log_failure(ctx, program, file, options, err);
        clReleaseProgram(program);
        free(key);
        return st;
    }
    *out = program;
    *unsaved_key = key;
    return CLCONV_SUCCESS;
}

static clconv_program_entry *find_entry(clconv_context *ctx, const char *file, const char *options)
{
    clconv_program_entry *e = ctx->programs;
    while (e && (strcmp(e->file, file) || strcmp(e->options, options)))
        e = e->next;
    return e;
}

static void free_entry(clconv_program_entry *e)
{
    if (!e)
        return;
    if (e->program)
        clReleaseProgram(e->program);
    free(e->file);
    free(e->options);
    free(e->unsaved_key);
    free(e);
}

/* The cache entry of (file, options), built on first use. */
static clconv_status get_entry(clconv_context *ctx, const char *file, const char *options,
                               clconv_program_entry **out)
{
    pthread_mutex_lock(&ctx->lock);
    clconv_program_entry *e = find_entry(ctx, file, options);
    pthread_mutex_unlock(&ctx->lock);
    if (e) {
        *out = e;
        return CLCONV_SUCCESS;
    }
    /* Build outside the lock: builds can take seconds and other threads keep working. Two
     * threads may build the same program; the first to insert wins. */
    clconv_program_entry *fresh = calloc(1, sizeof *fresh);
    if (!fresh)
        return clconv_fail(ctx, CLCONV_ERROR_OUT_OF_HOST_MEMORY, "program cache entry");
    clconv_status st = build_program(ctx, file, options, &fresh->program, &fresh->unsaved_key);
    if (st != CLCONV_SUCCESS) {
        free(fresh);
        return st;
    }
    fresh->file = dup_string(file);
    fresh->options = dup_string(options);
    if (!fresh->file || !fresh->options) {
        free_entry(fresh);
        return clconv_fail(ctx, CLCONV_ERROR_OUT_OF_HOST_MEMORY, "program cache entry");
    }
    pthread_mutex_lock(&ctx->lock);
    e = find_entry(ctx, file, options);
    if (!e) {
        fresh->next = ctx->programs;
        ctx->programs = fresh;
        e = fresh;
        fresh = NULL;
    }
    pthread_mutex_unlock(&ctx->lock);
    free_entry(fresh);
    *out = e;
    return CLCONV_SUCCESS;
}

clconv_status clconv_get_program(clconv_context *ctx, const char *file, const char *options,
                                 cl_program *program)
{
    clconv_program_entry *e;
    clconv_status st = get_entry(ctx, file, options, &e);
    if (st == CLCONV_SUCCESS)
        *program = e->program;
    return st;
}

clconv_status clconv_create_kernel(clconv_context *ctx, const char *file, const char *options,
                                   const char *kernel_name, cl_kernel *kernel)
{
    clconv_program_entry *e;
    clconv_status st = get_entry(ctx, file, options, &e);
    if (st != CLCONV_SUCCESS)
        return st;
    cl_int err;
    *kernel = clCreateKernel(e->program, kernel_name, &err);
    if (!*kernel)
        return clconv_fail(
            ctx,
            err == CL_OUT_OF_HOST_MEMORY ? CLCONV_ERROR_OUT_OF_HOST_MEMORY : CLCONV_ERROR_OPENCL,
            "clCreateKernel(%s) from %s failed: %s", kernel_name, file, clconv_cl_error_name(err));
    /* Save the binary now that a kernel exists: some drivers finish compiling lazily. */
    pthread_mutex_lock(&ctx->lock);
    char *key = e->unsaved_key;
    e->unsaved_key = NULL;
    pthread_mutex_unlock(&ctx->lock);
    if (key) {
        clconv_binary_cache_store(ctx, key, e->program);
        free(key);
    }
    return CLCONV_SUCCESS;
}

size_t clconv_program_cache_size(clconv_context *ctx)
{
    size_t n = 0;
    pthread_mutex_lock(&ctx->lock);
    for (const clconv_program_entry *e = ctx->programs; e; e = e->next)
        n++;
    pthread_mutex_unlock(&ctx->lock);
    return n;
}

void clconv_program_cache_clear(clconv_context *ctx)
{
    clconv_program_entry *e = ctx->programs;
    while (e) {
        clconv_program_entry *next = e->next;
        free_entry(e);
        e = next;
    }
    ctx->programs = NULL;
}
