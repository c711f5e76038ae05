/* OpenCL fault-injection shim (see shim.h). Compiled into the test executable, whose
 * definitions of the cl* functions take precedence over the ICD loader's for every caller. */
#define _GNU_SOURCE
#include "shim.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long fail_at, calls;
static bool injecting;
static const char *fired;
static cl_int fired_code;
static long work, work_before_fault; /* successful enqueues while injecting, any caller */

static bool ours(void *ra);

/* References held on each object seen created or retained by our code. A release of an
 * object we never saw (an event CLBlast created and clconv releases) is not counted. */
enum { K_context, K_queue, K_mem, K_program, K_kernel, K_event };
typedef struct tracked {
    const void *handle;
    int kind;
    long refs;
} tracked;
static tracked objects[4096];
static size_t nobjects;

static void track(void *ra, int kind, const void *handle, long delta)
{
    if (!handle || !ours(ra))
        return;
    for (size_t i = 0; i < nobjects; i++)
        if (objects[i].handle == handle && objects[i].refs > 0) {
            objects[i].refs += delta;
            return;
        }
    if (delta < 0)
        return;
    for (size_t i = 0; i < nobjects; i++) /* reuse a slot of a released object */
        if (objects[i].refs == 0) {
            objects[i] = (tracked){handle, kind, delta};
            return;
        }
    if (nobjects == sizeof objects / sizeof objects[0]) {
        fprintf(stderr, "fault shim: too many live objects\n");
        abort();
    }
    objects[nobjects++] = (tracked){handle, kind, delta};
}

void fault_inject(long n)
{
    fail_at = n;
    calls = 0;
    fired = NULL;
    fired_code = CL_SUCCESS;
    work = work_before_fault = 0;
    injecting = true;
}

void fault_stop(void)
{
    injecting = false;
}

void fault_resume(void)
{
    injecting = true;
}

cl_int fault_fired_code(void)
{
    return fired_code;
}

long fault_work_before(void)
{
    return work_before_fault;
}

long fault_calls(void)
{
    return calls;
}

const char *fault_fired(void)
{
    return fired;
}

void fault_reset_live(void)
{
    nobjects = 0;
}

fault_live fault_get_live(void)
{
    fault_live l = {0};
    long *by_kind[] = {&l.context, &l.queue, &l.mem, &l.program, &l.kernel, &l.event};
    for (size_t i = 0; i < nobjects; i++)
        *by_kind[objects[i].kind] += objects[i].refs;
    return l;
}

bool fault_live_zero(const fault_live *l)
{
    return !l->context && !l->queue && !l->mem && !l->program && !l->kernel && !l->event;
}

void fault_live_describe(const fault_live *l, char *buf, size_t size)
{
    snprintf(buf, size, "context %ld, queue %ld, mem %ld, program %ld, kernel %ld, event %ld",
             l->context, l->queue, l->mem, l->program, l->kernel, l->event);
}

/* true when the caller at ra lies in the test executable (clconv or the test), not in
 * CLBlast, the ICD loader or the driver */
static bool ours(void *ra)
{
    static void *self_base;
    Dl_info info;
    if (!self_base) {
        if (!dladdr((void *)&ours, &info))
            abort();
        self_base = info.dli_fbase;
    }
    return dladdr(ra, &info) && info.dli_fbase == self_base;
}

/* One injectable call: true when it must fail now. */
static bool should_fail(void *ra, const char *name, cl_int code)
{
    if (!injecting || !ours(ra))
        return false;
    calls++;
    if (calls != fail_at)
        return false;
    fired = name;
    fired_code = code;
    work_before_fault = work;
    return true;
}

static void *real(const char *name)
{
    void *f = dlsym(RTLD_NEXT, name);
    if (!f) {
        fprintf(stderr, "fault shim: no real %s\n", name);
        abort();
    }
    return f;
}

#define REAL(name)                                                                                 \
    static __typeof__(&name) real_##name;                                                          \
    if (!real_##name)                                                                              \
    real_##name = (__typeof__(&name))real(#name)
#define RA __builtin_return_address(0)

/* ---- creation: the object comes back through the return value ------------------------- */

#define CREATE(ret, name, counter, failcode, params, args)                                         \
    CL_API_ENTRY ret CL_API_CALL name params                                                       \
    {                                                                                              \
        REAL(name);                                                                                \
        void *ra = RA;                                                                             \
        if (should_fail(ra, #name, failcode)) {                                                    \
            if (errcode_ret)                                                                       \
                *errcode_ret = failcode;                                                           \
            return NULL;                                                                           \
        }                                                                                          \
        ret obj = real_##name args;                                                                \
        if (obj)                                                                                   \
            track(ra, K_##counter, obj, 1);                                                        \
        return obj;                                                                                \
    }

CREATE(cl_context, clCreateContext, context, CL_OUT_OF_HOST_MEMORY,
       (const cl_context_properties *properties, cl_uint num_devices, const cl_device_id *devices,
        void(CL_CALLBACK *pfn_notify)(const char *, const void *, size_t, void *), void *user_data,
        cl_int *errcode_ret),
       (properties, num_devices, devices, pfn_notify, user_data, errcode_ret))
CREATE(cl_command_queue, clCreateCommandQueue, queue, CL_OUT_OF_RESOURCES,
       (cl_context context, cl_device_id device, cl_command_queue_properties properties,
        cl_int *errcode_ret),
       (context, device, properties, errcode_ret))
CREATE(cl_mem, clCreateBuffer, mem, CL_MEM_OBJECT_ALLOCATION_FAILURE,
       (cl_context context, cl_mem_flags flags, size_t size, void *host_ptr, cl_int *errcode_ret),
       (context, flags, size, host_ptr, errcode_ret))
CREATE(cl_mem, clCreateSubBuffer, mem, CL_OUT_OF_RESOURCES,
       (cl_mem buffer, cl_mem_flags flags, cl_buffer_create_type type, const void *info,
        cl_int *errcode_ret),
       (buffer, flags, type, info, errcode_ret))
CREATE(cl_program, clCreateProgramWithSource, program, CL_OUT_OF_HOST_MEMORY,
       (cl_context context, cl_uint count, const char **strings, const size_t *lengths,
        cl_int *errcode_ret),
       (context, count, strings, lengths, errcode_ret))
CREATE(cl_program, clCreateProgramWithBinary, program, CL_OUT_OF_RESOURCES,
       (cl_context context, cl_uint num_devices, const cl_device_id *device_list,
        const size_t *lengths, const unsigned char **binaries, cl_int *binary_status,
        cl_int *errcode_ret),
       (context, num_devices, device_list, lengths, binaries, binary_status, errcode_ret))
CREATE(cl_kernel, clCreateKernel, kernel, CL_OUT_OF_RESOURCES,
       (cl_program program, const char *kernel_name, cl_int *errcode_ret),
       (program, kernel_name, errcode_ret))
CREATE(cl_event, clCreateUserEvent, event, CL_OUT_OF_RESOURCES,
       (cl_context context, cl_int *errcode_ret), (context, errcode_ret))

/* ---- retain / release ------------------------------------------------------------------ */

#define RETAIN(type, name, counter)                                                                \
    CL_API_ENTRY cl_int CL_API_CALL name(type obj)                                                 \
    {                                                                                              \
        REAL(name);                                                                                \
        void *ra = RA;                                                                             \
        if (should_fail(ra, #name, CL_OUT_OF_HOST_MEMORY))                                         \
            return CL_OUT_OF_HOST_MEMORY;                                                          \
        cl_int err = real_##name(obj);                                                             \
        if (err == CL_SUCCESS)                                                                     \
            track(ra, K_##counter, obj, 1);                                                        \
        return err;                                                                                \
    }
#define RELEASE(type, name, counter)                                                               \
    CL_API_ENTRY cl_int CL_API_CALL name(type obj)                                                 \
    {                                                                                              \
        REAL(name);                                                                                \
        void *ra = RA;                                                                             \
        cl_int err = real_##name(obj);                                                             \
        if (err == CL_SUCCESS)                                                                     \
            track(ra, K_##counter, obj, -1);                                                       \
        return err;                                                                                \
    }

RETAIN(cl_context, clRetainContext, context)
RETAIN(cl_command_queue, clRetainCommandQueue, queue)
RETAIN(cl_mem, clRetainMemObject, mem)
RETAIN(cl_program, clRetainProgram, program)
RETAIN(cl_kernel, clRetainKernel, kernel)
RETAIN(cl_event, clRetainEvent, event)
RELEASE(cl_context, clReleaseContext, context)
RELEASE(cl_command_queue, clReleaseCommandQueue, queue)
RELEASE(cl_mem, clReleaseMemObject, mem)
RELEASE(cl_program, clReleaseProgram, program)
RELEASE(cl_kernel, clReleaseKernel, kernel)
RELEASE(cl_event, clReleaseEvent, event)

/* ---- calls that return a status -------------------------------------------------------- */

#define STATUS(name, failcode, params, args)                                                       \
    CL_API_ENTRY cl_int CL_API_CALL name params                                                    \
    {                                                                                              \
        REAL(name);                                                                                \
        if (should_fail(RA, #name, failcode))                                                      \
            return failcode;                                                                       \
        return real_##name args;                                                                   \
    }

STATUS(clBuildProgram, CL_BUILD_PROGRAM_FAILURE,
       (cl_program program, cl_uint num_devices, const cl_device_id *device_list,
        const char *options, void(CL_CALLBACK *pfn_notify)(cl_program, void *), void *user_data),
       (program, num_devices, device_list, options, pfn_notify, user_data))
STATUS(clSetKernelArg, CL_OUT_OF_RESOURCES,
       (cl_kernel kernel, cl_uint arg_index, size_t arg_size, const void *arg_value),
       (kernel, arg_index, arg_size, arg_value))
STATUS(clWaitForEvents, CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST,
       (cl_uint num_events, const cl_event *event_list), (num_events, event_list))
STATUS(clFinish, CL_OUT_OF_RESOURCES, (cl_command_queue queue), (queue))
STATUS(clFlush, CL_OUT_OF_RESOURCES, (cl_command_queue queue), (queue))

/* ---- enqueues: an event may come back through the last argument ------------------------ */

#define ENQUEUE(name, failcode, params, args)                                                      \
    CL_API_ENTRY cl_int CL_API_CALL name params                                                    \
    {                                                                                              \
        REAL(name);                                                                                \
        void *ra = RA;                                                                             \
        if (should_fail(ra, #name, failcode))                                                      \
            return failcode;                                                                       \
        cl_int err = real_##name args;                                                             \
        if (err == CL_SUCCESS && injecting && strncmp(#name, "clEnqueueMarker", 15) &&             \
            strncmp(#name, "clEnqueueBarrier", 16))                                                \
            work++; /* markers and barriers write nothing */                                       \
        if (err == CL_SUCCESS && event)                                                            \
            track(ra, K_event, *event, 1);                                                         \
        return err;                                                                                \
    }

ENQUEUE(clEnqueueNDRangeKernel, CL_OUT_OF_RESOURCES,
        (cl_command_queue queue, cl_kernel kernel, cl_uint work_dim,
         const size_t *global_work_offset, const size_t *global_work_size,
         const size_t *local_work_size, cl_uint num_events, const cl_event *wait_list,
         cl_event *event),
        (queue, kernel, work_dim, global_work_offset, global_work_size, local_work_size, num_events,
         wait_list, event))
ENQUEUE(clEnqueueMarkerWithWaitList, CL_OUT_OF_HOST_MEMORY,
        (cl_command_queue queue, cl_uint num_events, const cl_event *wait_list, cl_event *event),
        (queue, num_events, wait_list, event))
ENQUEUE(clEnqueueBarrierWithWaitList, CL_OUT_OF_HOST_MEMORY,
        (cl_command_queue queue, cl_uint num_events, const cl_event *wait_list, cl_event *event),
        (queue, num_events, wait_list, event))
ENQUEUE(clEnqueueCopyBuffer, CL_MEM_OBJECT_ALLOCATION_FAILURE,
        (cl_command_queue queue, cl_mem src, cl_mem dst, size_t src_offset, size_t dst_offset,
         size_t size, cl_uint num_events, const cl_event *wait_list, cl_event *event),
        (queue, src, dst, src_offset, dst_offset, size, num_events, wait_list, event))
ENQUEUE(clEnqueueFillBuffer, CL_OUT_OF_RESOURCES,
        (cl_command_queue queue, cl_mem buffer, const void *pattern, size_t pattern_size,
         size_t offset, size_t size, cl_uint num_events, const cl_event *wait_list,
         cl_event *event),
        (queue, buffer, pattern, pattern_size, offset, size, num_events, wait_list, event))
ENQUEUE(clEnqueueWriteBuffer, CL_OUT_OF_RESOURCES,
        (cl_command_queue queue, cl_mem buffer, cl_bool blocking, size_t offset, size_t size,
         const void *ptr, cl_uint num_events, const cl_event *wait_list, cl_event *event),
        (queue, buffer, blocking, offset, size, ptr, num_events, wait_list, event))
ENQUEUE(clEnqueueReadBuffer, CL_OUT_OF_RESOURCES,
        (cl_command_queue queue, cl_mem buffer, cl_bool blocking, size_t offset, size_t size,
         void *ptr, cl_uint num_events, const cl_event *wait_list, cl_event *event),
        (queue, buffer, blocking, offset, size, ptr, num_events, wait_list, event))
