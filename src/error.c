/* Last-error text: per thread for every call, and per context for calls that have one. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "src/internal.h"

static _Thread_local char thread_error[CLCONV_ERROR_TEXT_MAX];

void clconv_error_restore(const char *text)
{
    snprintf(thread_error, sizeof thread_error, "%s", text);
}

const char *clconv_last_error(void)
{
    return thread_error;
}

static void store_in_context(clconv_context *ctx)
{
    if (!ctx)
        return;
    pthread_mutex_lock(&ctx->lock);
    snprintf(ctx->last_error, sizeof ctx->last_error, "%s", thread_error);
    pthread_mutex_unlock(&ctx->lock);
}

clconv_status clconv_fail(clconv_context *ctx, clconv_status status, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(thread_error, sizeof thread_error, fmt, args);
    va_end(args);
    store_in_context(ctx);
    return status;
}

void clconv_error_to_context(clconv_context *ctx)
{
    store_in_context(ctx);
}

const char *clconv_cl_error_name(cl_int err)
{
    switch (err) {
#define CASE(code)                                                                                 \
    case code:                                                                                     \
        return #code;
        CASE(CL_SUCCESS)
        CASE(CL_DEVICE_NOT_FOUND)
        CASE(CL_DEVICE_NOT_AVAILABLE)
        CASE(CL_COMPILER_NOT_AVAILABLE)
        CASE(CL_MEM_OBJECT_ALLOCATION_FAILURE)
        CASE(CL_OUT_OF_RESOURCES)
        CASE(CL_OUT_OF_HOST_MEMORY)
        CASE(CL_PROFILING_INFO_NOT_AVAILABLE)
        CASE(CL_MEM_COPY_OVERLAP)
        CASE(CL_BUILD_PROGRAM_FAILURE)
        CASE(CL_MAP_FAILURE)
        CASE(CL_MISALIGNED_SUB_BUFFER_OFFSET)
        CASE(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
        CASE(CL_COMPILE_PROGRAM_FAILURE)
        CASE(CL_LINK_PROGRAM_FAILURE)
        CASE(CL_INVALID_VALUE)
        CASE(CL_INVALID_DEVICE_TYPE)
        CASE(CL_INVALID_PLATFORM)
        CASE(CL_INVALID_DEVICE)
        CASE(CL_INVALID_CONTEXT)
        CASE(CL_INVALID_QUEUE_PROPERTIES)
        CASE(CL_INVALID_COMMAND_QUEUE)
        CASE(CL_INVALID_HOST_PTR)
        CASE(CL_INVALID_MEM_OBJECT)
        CASE(CL_INVALID_BINARY)
        CASE(CL_INVALID_BUILD_OPTIONS)
        CASE(CL_INVALID_PROGRAM)
        CASE(CL_INVALID_PROGRAM_EXECUTABLE)
        CASE(CL_INVALID_KERNEL_NAME)
        CASE(CL_INVALID_KERNEL_DEFINITION)
        CASE(CL_INVALID_KERNEL)
        CASE(CL_INVALID_ARG_INDEX)
        CASE(CL_INVALID_ARG_VALUE)
        CASE(CL_INVALID_ARG_SIZE)
        CASE(CL_INVALID_KERNEL_ARGS)
        CASE(CL_INVALID_WORK_DIMENSION)
        CASE(CL_INVALID_WORK_GROUP_SIZE)
        CASE(CL_INVALID_WORK_ITEM_SIZE)
        CASE(CL_INVALID_GLOBAL_OFFSET)
        CASE(CL_INVALID_EVENT_WAIT_LIST)
        CASE(CL_INVALID_EVENT)
        CASE(CL_INVALID_OPERATION)
        CASE(CL_INVALID_BUFFER_SIZE)
        CASE(CL_INVALID_GLOBAL_WORK_SIZE)
#undef CASE
    default:
        return "unknown OpenCL error";
    }
}

clconv_status clconv_fail_cl(clconv_context *ctx, cl_int err, const char *what)
{
    clconv_status status = CLCONV_ERROR_OPENCL;
    if (err == CL_OUT_OF_HOST_MEMORY)
        status = CLCONV_ERROR_OUT_OF_HOST_MEMORY;
    return clconv_fail(ctx, status, "%s failed: %s (%d)", what, clconv_cl_error_name(err),
                       (int)err);
}
