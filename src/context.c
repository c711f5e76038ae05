/* Context: device choice, OpenCL objects, recorded device capabilities. */
#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifdef CLCONV_HAVE_CLBLAST
#include <clblast_c.h>
#endif

#include "src/internal.h"
#include "src/kernels.h"
#include "src/tuning.h"

#define MAX_PLATFORMS 16
#define MAX_DEVICES 64

static bool contains_nocase(const char *haystack, const char *needle)
{
    size_t n = strlen(needle);
    for (; *haystack; haystack++) {
        size_t i = 0;
        while (i < n && haystack[i] &&
               tolower((unsigned char)haystack[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return true;
    }
    return n == 0;
}

static void platform_string(cl_platform_id platform, cl_platform_info what, char *buf, size_t size)
{
    buf[0] = 0;
    if (clGetPlatformInfo(platform, what, size, buf, NULL) != CL_SUCCESS)
        buf[0] = 0;
    buf[size - 1] = 0;
}

static void device_string(cl_device_id device, cl_device_info what, char *buf, size_t size)
{
    buf[0] = 0;
    size_t needed = 0;
    if (clGetDeviceInfo(device, what, 0, NULL, &needed) != CL_SUCCESS || needed == 0)
        return;
    if (needed <= size) {
        if (clGetDeviceInfo(device, what, size, buf, NULL) != CL_SUCCESS)
            buf[0] = 0;
        return;
    }
    char *tmp = malloc(needed); /* longer than the record: keep the beginning */
    if (tmp && clGetDeviceInfo(device, what, needed, tmp, NULL) == CL_SUCCESS)
        snprintf(buf, size, "%s", tmp);
    free(tmp);
}

static void record_device_info(cl_platform_id platform, cl_device_id device,
                               cl_command_queue_properties props, clconv_device_info *info)
{
    memset(info, 0, sizeof *info);
    platform_string(platform, CL_PLATFORM_NAME, info->platform_name, sizeof info->platform_name);
    platform_string(platform, CL_PLATFORM_VERSION, info->platform_version,
                    sizeof info->platform_version);
    device_string(device, CL_DEVICE_NAME, info->device_name, sizeof info->device_name);
    device_string(device, CL_DEVICE_VENDOR, info->vendor, sizeof info->vendor);
    device_string(device, CL_DRIVER_VERSION, info->driver_version, sizeof info->driver_version);
    device_string(device, CL_DEVICE_VERSION, info->device_version, sizeof info->device_version);
    device_string(device, CL_DEVICE_EXTENSIONS, info->extensions, sizeof info->extensions);
    clGetDeviceInfo(device, CL_DEVICE_TYPE, sizeof info->type, &info->type, NULL);
    clGetDeviceInfo(device, CL_DEVICE_VENDOR_ID, sizeof info->vendor_id, &info->vendor_id, NULL);
    clGetDeviceInfo(device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof info->compute_units,
                    &info->compute_units, NULL);
    clGetDeviceInfo(device, CL_DEVICE_MAX_CLOCK_FREQUENCY, sizeof info->max_clock_mhz,
                    &info->max_clock_mhz, NULL);
    clGetDeviceInfo(device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof info->max_work_group_size,
                    &info->max_work_group_size, NULL);
    clGetDeviceInfo(device, CL_DEVICE_MAX_WORK_ITEM_SIZES, sizeof info->max_work_item_sizes,
                    info->max_work_item_sizes, NULL);
    clGetDeviceInfo(device, CL_DEVICE_LOCAL_MEM_SIZE, sizeof info->local_mem_size,
                    &info->local_mem_size, NULL);
    cl_device_local_mem_type local_type = CL_GLOBAL;
    clGetDeviceInfo(device, CL_DEVICE_LOCAL_MEM_TYPE, sizeof local_type, &local_type, NULL);
    info->local_mem_dedicated = local_type == CL_LOCAL;
    clGetDeviceInfo(device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof info->global_mem_size,
                    &info->global_mem_size, NULL);
    clGetDeviceInfo(device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof info->max_alloc_size,
                    &info->max_alloc_size, NULL);
    clGetDeviceInfo(device, CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT,
                    sizeof info->preferred_vector_width_float, &info->preferred_vector_width_float,
                    NULL);
    if (info->max_work_group_size == 0)
        info->max_work_group_size = 1;
    for (int i = 0; i < 3; i++)
        if (info->max_work_item_sizes[i] == 0)
            info->max_work_item_sizes[i] = 1;
    info->has_fp16 = strstr(info->extensions, "cl_khr_fp16") != NULL;
    info->has_fp64 = strstr(info->extensions, "cl_khr_fp64") != NULL;
    info->queue_profiling = (props & CL_QUEUE_PROFILING_ENABLE) != 0;
}

typedef struct device_choice {
    cl_platform_id platform;
    cl_device_id device;
} device_choice;

/* Parses "P:D" into indices; false if spec is not of that form. */
static bool parse_indices(const char *spec, int *p, int *d)
{
    char *end;
    long pl = strtol(spec, &end, 10);
    if (end == spec || *end != ':')
        return false;
    const char *rest = end + 1;
    long dl = strtol(rest, &end, 10);
    if (end == rest || *end != 0 || pl < 0 || dl < 0 || pl > 1000 || dl > 1000)
        return false;
    *p = (int)pl;
    *d = (int)dl;
    return true;
}

static clconv_status choose_device(const char *spec, device_choice *out)
{
    cl_platform_id platforms[MAX_PLATFORMS];
    cl_uint nplat = 0;
    cl_int err = clGetPlatformIDs(MAX_PLATFORMS, platforms, &nplat);
    if (err == -1001 /* CL_PLATFORM_NOT_FOUND_KHR: the ICD loader found no platform */ ||
        (err == CL_SUCCESS && nplat == 0))
        return clconv_fail(NULL, CLCONV_ERROR_DEVICE_NOT_FOUND,
                           "no OpenCL platform found (is an ICD such as pocl-opencl-icd "
                           "installed?)");
    if (err != CL_SUCCESS)
        return clconv_fail_cl(NULL, err, "clGetPlatformIDs");
    if (nplat > MAX_PLATFORMS)
        nplat = MAX_PLATFORMS;

    int want_p = -1, want_d = -1;
    bool by_index = spec && parse_indices(spec, &want_p, &want_d);
    /* "0:", ":0", "-1:0", "1:x": meant as indices, but not two of them */
    if (spec && !by_index && strchr(spec, ':') &&
        (isdigit((unsigned char)spec[0]) || spec[0] == '-' || spec[0] == ':' || spec[0] == '+'))
        return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT,
                           "device spec \"%s\": malformed; \"P:D\" takes two indices from 0 "
                           "to 1000 (platform, device) as clinfo -l lists them",
                           spec);
    cl_device_type want_type = 0;
    if (spec && !by_index) {
        if (!strcasecmp(spec, "gpu"))
            want_type = CL_DEVICE_TYPE_GPU;
        else if (!strcasecmp(spec, "cpu"))
            want_type = CL_DEVICE_TYPE_CPU;
        else if (!strcasecmp(spec, "accelerator"))
            want_type = CL_DEVICE_TYPE_ACCELERATOR;
    }
    device_choice first = {0}, first_gpu = {0};
    for (cl_uint p = 0; p < nplat; p++) {
        cl_device_id devices[MAX_DEVICES];
        cl_uint ndev = 0;
        if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, MAX_DEVICES, devices, &ndev) !=
            CL_SUCCESS)
            continue;
        if (ndev > MAX_DEVICES)
            ndev = MAX_DEVICES;
        char pname[256];
        platform_string(platforms[p], CL_PLATFORM_NAME, pname, sizeof pname);
        for (cl_uint d = 0; d < ndev; d++) {
            device_choice here = {platforms[p], devices[d]};
            cl_device_type type = 0;
            clGetDeviceInfo(devices[d], CL_DEVICE_TYPE, sizeof type, &type, NULL);
            char dname[256];
            device_string(devices[d], CL_DEVICE_NAME, dname, sizeof dname);
            if (!first.device)
                first = here;
            if (!first_gpu.device && (type & CL_DEVICE_TYPE_GPU))
                first_gpu = here;
            bool match = false;
            if (by_index)
                match = (int)p == want_p && (int)d == want_d;
            else if (want_type)
                match = (type & want_type) != 0;
            else if (spec)
                match = contains_nocase(pname, spec) || contains_nocase(dname, spec);
            if (match) {
                *out = here;
                return CLCONV_SUCCESS;
            }
        }
    }
    if (spec)
        return clconv_fail(NULL, CLCONV_ERROR_DEVICE_NOT_FOUND,
                           "device spec \"%s\": no device matches (try \"P:D\" as clinfo -l "
                           "numbers them, a name fragment, or gpu/cpu)",
                           spec);
    *out = first_gpu.device ? first_gpu : first;
    if (!out->device)
        return clconv_fail(NULL, CLCONV_ERROR_DEVICE_NOT_FOUND,
                           "no OpenCL device found on %u platform(s)", nplat);
    return CLCONV_SUCCESS;
}

/* Contexts alive in the process: the last one to go empties CLBlast's program cache, which
 * would otherwise release its programs from a static destructor after the OpenCL runtime
 * itself may be gone (Oclgrind aborts at exit then). */
static atomic_int live_contexts;

static clconv_status context_alloc(clconv_context **out)
{
    clconv_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return clconv_fail(NULL, CLCONV_ERROR_OUT_OF_HOST_MEMORY, "context allocation failed");
    if (pthread_mutex_init(&ctx->lock, NULL) != 0) {
        free(ctx);
        return clconv_fail(NULL, CLCONV_ERROR_OUT_OF_HOST_MEMORY, "mutex creation failed");
    }
    atomic_fetch_add(&live_contexts, 1);
    *out = ctx;
    return CLCONV_SUCCESS;
}

/* Loads the tuning database; a file that is ignored leaves no error behind on the thread,
 * since context creation succeeds (clconv_context_tuning_info says why it was ignored). */
static void autoload_tuning(clconv_context *ctx)
{
    char saved[CLCONV_ERROR_TEXT_MAX];
    snprintf(saved, sizeof saved, "%s", clconv_last_error());
    clconv_tuning_autoload(ctx);
    clconv_error_restore(saved);
}

clconv_status clconv_context_create(const char *device_spec, clconv_context **out)
{
    if (!out)
        return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT, "ctx is NULL");
    if (!device_spec || !*device_spec) {
        const char *env = getenv("CLCONV_DEVICE");
        device_spec = env && *env ? env : NULL;
    }
    device_choice choice;
    clconv_status st = choose_device(device_spec, &choice);
    if (st != CLCONV_SUCCESS)
        return st;
    clconv_context *ctx = NULL;
    if ((st = context_alloc(&ctx)) != CLCONV_SUCCESS)
        return st;
    cl_int err;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)choice.platform,
                                     0};
    ctx->platform = choice.platform;
    ctx->device = choice.device;
    ctx->cl_ctx = clCreateContext(props, 1, &choice.device, NULL, NULL, &err);
    if (!ctx->cl_ctx) {
        st = clconv_fail_cl(NULL, err, "clCreateContext");
        clconv_context_destroy(ctx);
        return st;
    }
    ctx->queue = clCreateCommandQueue(ctx->cl_ctx, choice.device, CL_QUEUE_PROFILING_ENABLE, &err);
    if (!ctx->queue) {
        st = clconv_fail_cl(NULL, err, "clCreateCommandQueue");
        clconv_context_destroy(ctx);
        return st;
    }
    record_device_info(choice.platform, choice.device, CL_QUEUE_PROFILING_ENABLE, &ctx->info);
    autoload_tuning(ctx);
    *out = ctx;
    return CLCONV_SUCCESS;
}

clconv_status clconv_context_create_from_queue(cl_command_queue queue, clconv_context **out)
{
    if (!out)
        return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT, "ctx is NULL");
    if (!queue)
        return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT, "queue is NULL");
    cl_context cl_ctx;
    cl_device_id device;
    cl_command_queue_properties props = 0;
    cl_platform_id platform;
    cl_int err = clGetCommandQueueInfo(queue, CL_QUEUE_CONTEXT, sizeof cl_ctx, &cl_ctx, NULL);
    if (err == CL_SUCCESS)
        err = clGetCommandQueueInfo(queue, CL_QUEUE_DEVICE, sizeof device, &device, NULL);
    if (err == CL_SUCCESS)
        err = clGetCommandQueueInfo(queue, CL_QUEUE_PROPERTIES, sizeof props, &props, NULL);
    if (err == CL_SUCCESS)
        err = clGetDeviceInfo(device, CL_DEVICE_PLATFORM, sizeof platform, &platform, NULL);
    if (err != CL_SUCCESS)
        return clconv_fail_cl(NULL, err, "querying the application's queue");
    clconv_context *ctx = NULL;
    clconv_status st = context_alloc(&ctx);
    if (st != CLCONV_SUCCESS)
        return st;
    /* destroy releases only what was retained: a failed retain must not become a release */
    if ((err = clRetainContext(cl_ctx)) != CL_SUCCESS) {
        clconv_context_destroy(ctx);
        return clconv_fail_cl(NULL, err, "clRetainContext");
    }
    ctx->cl_ctx = cl_ctx;
    if ((err = clRetainCommandQueue(queue)) != CL_SUCCESS) {
        clconv_context_destroy(ctx);
        return clconv_fail_cl(NULL, err, "clRetainCommandQueue");
    }
    ctx->queue = queue;
    ctx->platform = platform;
    ctx->device = device;
    record_device_info(platform, device, props, &ctx->info);
    autoload_tuning(ctx);
    *out = ctx;
    return CLCONV_SUCCESS;
}

void clconv_context_destroy(clconv_context *ctx)
{
    if (!ctx)
        return;
    clconv_program_cache_clear(ctx);
    if (ctx->tuning) {
        clconv_tuning_clear(ctx->tuning);
        free(ctx->tuning);
    }
    if (atomic_fetch_sub(&live_contexts, 1) == 1) {
#ifdef CLCONV_HAVE_CLBLAST
        CLBlastClearCache();
#endif
    }
    if (ctx->queue)
        clReleaseCommandQueue(ctx->queue);
    if (ctx->cl_ctx)
        clReleaseContext(ctx->cl_ctx);
    pthread_mutex_destroy(&ctx->lock);
    free(ctx);
}

cl_context clconv_context_get_cl_context(const clconv_context *ctx)
{
    return ctx ? ctx->cl_ctx : NULL;
}

cl_command_queue clconv_context_get_queue(const clconv_context *ctx)
{
    return ctx ? ctx->queue : NULL;
}

cl_device_id clconv_context_get_device(const clconv_context *ctx)
{
    return ctx ? ctx->device : NULL;
}

const char *clconv_context_last_error(const clconv_context *ctx)
{
    return ctx ? ctx->last_error : "ctx is NULL";
}

clconv_status clconv_context_get_device_info(const clconv_context *ctx, clconv_device_info *info)
{
    if (!ctx || !info)
        return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT, "%s is NULL",
                           !ctx ? "ctx" : "info");
    *info = ctx->info;
    return CLCONV_SUCCESS;
}
