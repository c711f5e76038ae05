/* Kernel arguments by running index, launch shapes from kernel queries, enqueues. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/cost-model.h"
#include "src/launch.h"

bool clconv_check_args_enabled(void)
{
    const char *v = getenv("CLCONV_CHECK_ARGS");
    return v && *v && strcmp(v, "0") != 0;
}

void clconv_args_begin(clconv_kernel_args *a, clconv_context *ctx, cl_kernel kernel)
{
    a->ctx = ctx;
    a->kernel = kernel;
    a->next = 0;
    a->status = CLCONV_SUCCESS;
}

static const char *kernel_name(cl_kernel kernel, char *buf, size_t size)
{
    buf[0] = 0;
    if (clGetKernelInfo(kernel, CL_KERNEL_FUNCTION_NAME, size, buf, NULL) != CL_SUCCESS)
        snprintf(buf, size, "?");
    return buf;
}

/* The checked builds' name test of argument index against name (length len). */
static void check_name(clconv_kernel_args *a, const char *name, size_t len)
{
    if (a->status != CLCONV_SUCCESS || !clconv_check_args_enabled())
        return;
    char actual[128] = "", kname[128];
    cl_int err =
        clGetKernelArgInfo(a->kernel, a->next, CL_KERNEL_ARG_NAME, sizeof actual, actual, NULL);
    if (err == CL_KERNEL_ARG_INFO_NOT_AVAILABLE)
        return; /* the driver keeps no names */
    if (err != CL_SUCCESS) {
        a->status = clconv_fail(a->ctx, CLCONV_ERROR_OPENCL,
                                "internal: kernel %s has no argument %u (host sets \"%.*s\"): %s",
                                kernel_name(a->kernel, kname, sizeof kname), a->next, (int)len,
                                name, clconv_cl_error_name(err));
        return;
    }
    if (strlen(actual) != len || strncmp(actual, name, len))
        a->status = clconv_fail(a->ctx, CLCONV_ERROR_OPENCL,
                                "internal: kernel %s argument %u is \"%s\", the host sets \"%.*s\"",
                                kernel_name(a->kernel, kname, sizeof kname), a->next, actual,
                                (int)len, name);
}

static cl_uint set_arg(clconv_kernel_args *a, const char *name, size_t len, size_t size,
                       const void *value)
{
    const cl_uint index = a->next;
    check_name(a, name, len);
    if (a->status == CLCONV_SUCCESS && value) {
        cl_int err = clSetKernelArg(a->kernel, index, size, value);
        if (err != CL_SUCCESS) {
            char kname[128];
            a->status =
                clconv_fail(a->ctx, CLCONV_ERROR_OPENCL, "clSetKernelArg(%s, %u = %.*s) failed: %s",
                            kernel_name(a->kernel, kname, sizeof kname), index, (int)len, name,
                            clconv_cl_error_name(err));
        }
    }
    a->next++;
    return index;
}

cl_uint clconv_arg_mem(clconv_kernel_args *a, const char *name, cl_mem value)
{
    return set_arg(a, name, strlen(name), sizeof value, &value);
}

cl_uint clconv_arg_int(clconv_kernel_args *a, const char *name, int value)
{
    return set_arg(a, name, strlen(name), sizeof value, &value);
}

cl_uint clconv_arg_uint(clconv_kernel_args *a, const char *name, cl_uint value)
{
    return set_arg(a, name, strlen(name), sizeof value, &value);
}

cl_uint clconv_arg_long(clconv_kernel_args *a, const char *name, cl_long value)
{
    return set_arg(a, name, strlen(name), sizeof value, &value);
}

cl_uint clconv_arg_slot(clconv_kernel_args *a, const char *name)
{
    return set_arg(a, name, strlen(name), 0, NULL);
}

void clconv_arg_ints(clconv_kernel_args *a, const char *names, const int *values, size_t count)
{
    const char *p = names;
    for (size_t i = 0; i < count; i++) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, ", ");
        set_arg(a, p, len, sizeof values[i], &values[i]);
        p += len;
    }
}

clconv_status clconv_args_end(clconv_kernel_args *a)
{
    if (a->status != CLCONV_SUCCESS || !clconv_check_args_enabled())
        return a->status;
    cl_uint n = 0;
    if (clGetKernelInfo(a->kernel, CL_KERNEL_NUM_ARGS, sizeof n, &n, NULL) == CL_SUCCESS &&
        n != a->next) {
        char kname[128];
        a->status = clconv_fail(a->ctx, CLCONV_ERROR_OPENCL,
                                "internal: kernel %s has %u arguments, the host named %u",
                                kernel_name(a->kernel, kname, sizeof kname), n, a->next);
    }
    return a->status;
}

clconv_status clconv_set_mem_arg(clconv_context *ctx, cl_kernel kernel, cl_uint slot, cl_mem buf)
{
    cl_int err = clSetKernelArg(kernel, slot, sizeof buf, &buf);
    return err == CL_SUCCESS ? CLCONV_SUCCESS : clconv_fail_cl(ctx, err, "clSetKernelArg");
}

clconv_status clconv_launch_shape(clconv_context *ctx, cl_kernel kernel, clconv_launch *launch,
                                  const size_t preferred[3], unsigned grow_mask)
{
    size_t kmax = 0, multiple = 1;
    cl_int err = clGetKernelWorkGroupInfo(kernel, ctx->device, CL_KERNEL_WORK_GROUP_SIZE,
                                          sizeof kmax, &kmax, NULL);
    if (err == CL_SUCCESS)
        err = clGetKernelWorkGroupInfo(kernel, ctx->device,
                                       CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE,
                                       sizeof multiple, &multiple, NULL);
    if (err != CL_SUCCESS)
        return clconv_fail_cl(ctx, err, "clGetKernelWorkGroupInfo");
    size_t cap = kmax < ctx->info.max_work_group_size ? kmax : ctx->info.max_work_group_size;
    if (cap < 1)
        cap = 1;
    size_t total = 1;
    for (cl_uint i = 0; i < 3; i++) {
        size_t l = i < launch->dims && preferred[i] ? preferred[i] : 1;
        if (l > ctx->info.max_work_item_sizes[i] && ctx->info.max_work_item_sizes[i])
            l = ctx->info.max_work_item_sizes[i];
        while (l > 1 && total * l > cap)
            l /= 2;
        launch->local[i] = l;
        total *= l;
    }
    if (clconv_model_is_gpu(&ctx->info) && multiple > 1) {
        bool grew = true;
        while (total % multiple != 0 && grew) {
            grew = false;
            for (cl_uint i = 0; i < launch->dims && total % multiple != 0; i++) {
                const size_t l = launch->local[i];
                if (!(grow_mask & (1u << i)) || total * 2 > cap ||
                    l * 2 > ctx->info.max_work_item_sizes[i] ||
                    l >= clconv_round_up(launch->global[i] ? launch->global[i] : 1, l))
                    continue;
                launch->local[i] = l * 2;
                total *= 2;
                grew = true;
                break;
            }
        }
    }
    return CLCONV_SUCCESS;
}

clconv_status clconv_launch_elementwise(clconv_context *ctx, cl_kernel kernel,
                                        clconv_launch *launch)
{
    static const size_t preferred[3] = {16, 4, 1};
    size_t shape[3];
    for (int i = 0; i < 3; i++) { /* no larger than the extent, in powers of two */
        size_t l = 1;
        while (l * 2 <= preferred[i] && l < launch->global[i])
            l *= 2;
        shape[i] = l;
    }
    return clconv_launch_shape(ctx, kernel, launch, shape, 3u);
}

/* Enqueues with global rounded up to multiples of local. */
static clconv_status enqueue_kernel(clconv_context *ctx, cl_command_queue queue, cl_kernel kernel,
                                    cl_uint dims, const size_t *global, const size_t *local,
                                    cl_uint num_wait_events, const cl_event *wait_events,
                                    cl_event *event)
{
    size_t rounded[3];
    for (cl_uint i = 0; i < dims; i++)
        rounded[i] = local ? clconv_round_up(global[i], local[i]) : global[i];
    cl_int err = clEnqueueNDRangeKernel(queue, kernel, dims, NULL, rounded, local, num_wait_events,
                                        num_wait_events ? wait_events : NULL, event);
    if (err != CL_SUCCESS)
        return clconv_fail_cl(ctx, err, "clEnqueueNDRangeKernel");
    return CLCONV_SUCCESS;
}

clconv_status clconv_enqueue_launch(clconv_context *ctx, cl_command_queue queue, cl_kernel kernel,
                                    const clconv_launch *launch, cl_uint num_wait_events,
                                    const cl_event *wait_events, cl_event *event)
{
    return enqueue_kernel(ctx, queue, kernel, launch->dims, launch->global, launch->local,
                          num_wait_events, wait_events, event);
}
