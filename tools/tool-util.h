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

/* How the tools time a run: by the queue's profiling events, or, where those are missing or
 * unusable (Mesa rusticl on llvmpipe reports zero-length commands), by the host clock around
 * an enqueue and clFinish, which includes the launch and wait overhead. */
typedef enum tool_timing_mode { TOOL_TIMING_EVENTS, TOOL_TIMING_HOST } tool_timing_mode;

typedef struct tool_timing {
    tool_timing_mode mode;
    char why[192]; /* what the check found: why the events are usable or not */
} tool_timing;

/* Checks the profiling timestamps of queue q on a few buffer fills: every timestamp non-zero,
 * start <= end, monotonic across the in-order commands, a span above zero and no longer than
 * the host clock saw around them. Returns the mode to use and the finding in t->why. */
void tool_timing_check(cl_context cl, cl_command_queue q, tool_timing *t);

/* A short description of the mode for rows and reports: "events" or "host". */
const char *tool_timing_name(const tool_timing *t);

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
