/* Small helpers the command-line tools share: host clock, sorting of timings, device buffers,
 * profiling-event durations. */
#ifndef CLCONV_TOOLS_TOOL_UTIL_H
#define CLCONV_TOOLS_TOOL_UTIL_H

#include <stddef.h>
#include <stdio.h>

#include <CL/cl.h>

/* Seconds on the monotonic host clock (an arbitrary origin: use differences). */
double tool_now_s(void);

/* qsort comparator of doubles, ascending. */
int tool_cmp_double(const void *a, const void *b);

/* A read-write buffer of bytes (at least 4, so that empty tensors still get a valid object),
 * initialised from host when host is not NULL. The caller releases it; NULL on failure. */
cl_mem tool_buffer(cl_context cl, size_t bytes, const void *host);

/* Releases the non-NULL buffers of bufs[0..n). */
void tool_release_buffers(cl_mem *bufs, size_t n);

/* Device time of a finished command, start to end, from its profiling event into *sec.
 * Returns the OpenCL error of the queries (*sec is meaningless unless CL_SUCCESS). */
cl_int tool_event_seconds(cl_event ev, double *sec);

/* Device time of a whole plan run: from the start of a marker enqueued just before it to the
 * end of the run's returned event, so runs of several commands are timed whole. Falls back to
 * the last event alone on drivers whose markers carry no timestamps. */
double tool_span_seconds(cl_event marker, cl_event done);

/* The options every tool takes: "--help" (or "-h") prints usage(stdout), "--version" prints
 * "TOOL VERSION"; either returns 1 (the tool then exits 0 through tool_exit). Any other arg
 * returns 0. */
int tool_standard_option(const char *arg, const char *tool, void (*usage)(FILE *));

/* The exit status of a tool: status, unless stdout could not be written (a full disk, a
 * closed pipe), which is reported on stderr and gives 1. Every tool returns through it. */
int tool_exit(const char *tool, int status);

/* Exit status of a usage error (an unknown option, a missing argument, a file that cannot be
 * opened), the same in every tool. */
#define TOOL_EXIT_USAGE 2

#endif
