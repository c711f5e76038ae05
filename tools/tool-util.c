/* Helpers shared by the tools (see tool-util.h). */
#include "tools/tool-util.h"

#include <errno.h>
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
