/* Helpers shared by the tools (see tool-util.h). */
#include "tools/tool-util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clconv_version.h"

double tool_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int tool_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

cl_mem tool_buffer(cl_context cl, size_t bytes, const void *host)
{
    cl_int err;
    return clCreateBuffer(cl, CL_MEM_READ_WRITE | (host ? CL_MEM_COPY_HOST_PTR : 0),
                          bytes ? bytes : 4, (void *)host, &err);
}

void tool_release_buffers(cl_mem *bufs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (bufs[i])
            clReleaseMemObject(bufs[i]);
}

cl_int tool_event_seconds(cl_event ev, double *sec)
{
    cl_ulong t0 = 0, t1 = 0;
    cl_int err = clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL);
    if (err == CL_SUCCESS)
        err = clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL);
    *sec = (double)(t1 - t0) * 1e-9;
    return err;
}

double tool_span_seconds(cl_event marker, cl_event done)
{
    cl_ulong t0 = 0, t1 = 0, s1 = 0;
    clGetEventProfilingInfo(marker, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL);
    clGetEventProfilingInfo(done, CL_PROFILING_COMMAND_START, sizeof s1, &s1, NULL);
    clGetEventProfilingInfo(done, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL);
    if (t0 == 0 || t0 > s1)
        t0 = s1;
    return t1 > t0 ? (double)(t1 - t0) * 1e-9 : 0;
}

const char *tool_timing_name(const tool_timing *t)
{
    return t->mode == TOOL_TIMING_EVENTS ? "events" : "host";
}

#define PROBE_COMMANDS 4
#define PROBE_BYTES ((size_t)4 << 20) /* long enough to take measurable time everywhere */

/* The finding on ev[0..n) against the host time around them, or NULL when usable. */
static const char *probe_verdict(cl_event *ev, int n, double host_s)
{
    cl_ulong start[PROBE_COMMANDS], end[PROBE_COMMANDS];
    for (int i = 0; i < n; i++) {
        if (clGetEventProfilingInfo(ev[i], CL_PROFILING_COMMAND_START, sizeof start[i], &start[i],
                                    NULL) != CL_SUCCESS ||
            clGetEventProfilingInfo(ev[i], CL_PROFILING_COMMAND_END, sizeof end[i], &end[i],
                                    NULL) != CL_SUCCESS)
            return "the profiling queries failed";
        if (start[i] == 0 || end[i] == 0)
            return "zero timestamps";
        if (end[i] < start[i])
            return "a command ends before it starts";
        if (i > 0 && start[i] < end[i - 1])
            return "timestamps not monotonic across in-order commands";
    }
    const double span = (double)(end[n - 1] - start[0]) * 1e-9;
    if (!(span > 0))
        return "zero-length commands";
    if (span > host_s * 1.1 + 1e-4)
        return "the commands last longer than the host clock saw";
    return NULL;
}

void tool_timing_check(cl_context cl, cl_command_queue q, tool_timing *t)
{
    t->mode = TOOL_TIMING_HOST;
    cl_command_queue_properties props = 0;
    if (clGetCommandQueueInfo(q, CL_QUEUE_PROPERTIES, sizeof props, &props, NULL) != CL_SUCCESS ||
        !(props & CL_QUEUE_PROFILING_ENABLE)) {
        snprintf(t->why, sizeof t->why, "the queue has no profiling: host clock around clFinish");
        return;
    }
    cl_mem buf = tool_buffer(cl, PROBE_BYTES, NULL);
    cl_event ev[PROBE_COMMANDS] = {0};
    int n = 0;
    const float value = 1.0f;
    const char *verdict = "the probe commands could not be enqueued";
    if (buf && clFinish(q) == CL_SUCCESS) {
        const double t0 = tool_now_s();
        for (; n < PROBE_COMMANDS; n++)
            if (clEnqueueFillBuffer(q, buf, &value, sizeof value, 0, PROBE_BYTES, 0, NULL,
                                    &ev[n]) != CL_SUCCESS)
                break;
        if (clFinish(q) == CL_SUCCESS && n == PROBE_COMMANDS)
            verdict = probe_verdict(ev, n, tool_now_s() - t0);
    }
    for (int i = 0; i < n; i++)
        clReleaseEvent(ev[i]);
    if (buf)
        clReleaseMemObject(buf);
    if (!verdict) {
        t->mode = TOOL_TIMING_EVENTS;
        snprintf(t->why, sizeof t->why,
                 "profiling events (timestamps checked: non-zero, monotonic, within the host "
                 "clock)");
    } else
        snprintf(t->why, sizeof t->why,
                 "host clock around clFinish (profiling timestamps unusable: %s)", verdict);
}

int tool_standard_option(const char *arg, const char *tool, void (*usage)(FILE *))
{
    if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
        usage(stdout);
        return 1;
    }
    if (!strcmp(arg, "--version")) {
        printf("%s %s\n", tool, CLCONV_VERSION_STRING);
        return 1;
    }
    return 0;
}

int tool_exit(const char *tool, int status)
{
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "%s: cannot write the output: %s\n", tool,
                errno ? strerror(errno) : "write error");
        return status ? status : 1;
    }
    return status;
}
