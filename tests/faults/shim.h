/* Fault-injection shim for the OpenCL API (test-only). The test executable defines the OpenCL
 * entry points clconv calls; each counts and forwards to the real one (dlsym RTLD_NEXT), or
 * fails on request. Only calls made from code in the test executable (clconv, statically
 * linked, and the test itself) are seen: CLBlast's and the driver's own calls pass through
 * untouched. */
#ifndef CLCONV_TESTS_FAULTS_SHIM_H
#define CLCONV_TESTS_FAULTS_SHIM_H

#include <CL/cl.h>
#include <stdbool.h>

/* Starts injecting: the fail_at-th injectable call from now on (1-based) fails with that
 * function's error code; fail_at 0 only counts. Injectable: the create, retain, build,
 * set-argument, enqueue, wait, flush and finish functions. */
void fault_inject(long fail_at);

/* Stops injecting (calls are still counted for the live-object balance). */
void fault_stop(void);

/* Resumes injecting after fault_stop, keeping the call count (the test's own calls between
 * the two are neither counted nor failed). */
void fault_resume(void);

/* Injectable calls seen since fault_inject. */
long fault_calls(void);

/* Name of the function that was made to fail since fault_inject, or NULL. */
const char *fault_fired(void);
/* The error code it returned (CL_SUCCESS if none fired). */
cl_int fault_fired_code(void);

/* Enqueues (kernels, copies, fills, markers; CLBlast's too) that had succeeded while
 * injecting when the fault fired: 0 means no device work had been queued before it. */
long fault_work_before(void);

/* OpenCL objects created or retained minus released since fault_reset_live(), per kind:
 * contexts, queues, buffers, programs, kernels, events. */
typedef struct fault_live {
    long context, queue, mem, program, kernel, event;
} fault_live;
void fault_reset_live(void);
fault_live fault_get_live(void);
/* "context 0, queue 0, mem 1, ..." */
void fault_live_describe(const fault_live *live, char *buf, size_t size);
bool fault_live_zero(const fault_live *live);

#endif
