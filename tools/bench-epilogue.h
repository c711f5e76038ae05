/* The tools' side of the fused epilogue (tools/bench-epilogue.c): enqueues that supply the
 * residual a layer spec asks for (--residual), and clconv-bench's epilogue comparisons:
 *   --fused        each layer with an epilogue (activation or residual) fused against the
 *                  same convolution without it followed by a separate elementwise pass
 *                  (act(out + residual), a kernel of this file), in paired interleaved runs;
 *   --set-weights  each layer with clconv_plan_set_weights (its AUTO plan made with
 *                  clconv_context_set_constant_weights) against without (a plan made without
 *                  it), paired and interleaved; both variants are printed.
 * Both print one line per layer (medians and their ratio) and the geometric mean. */
#ifndef CLCONV_TOOLS_BENCH_EPILOGUE_H
#define CLCONV_TOOLS_BENCH_EPILOGUE_H

#include <stdbool.h>
#include <stddef.h>

#include <clconv.h>

#include "tools/layerspec.h"

/* clconv_plan_enqueue_buffers on ctx's queue with the residual desc (the plan's) asks for:
 * a buffer of the output's size this file keeps (grown on demand, filled with zeros), or none.
 * Returns the status; the message is the context's. */
clconv_status tool_enqueue_layer(clconv_context *ctx, clconv_plan *plan, const clconv_desc *desc,
                                 cl_mem input, cl_mem weight, cl_mem bias, cl_mem output,
                                 cl_mem workspace, cl_event *event);

/* Releases the residual buffer tool_enqueue_layer kept (none: nothing). */
void tool_epilogue_release(void);

typedef struct bench_epilogue_options {
    bool fused, set_weights;
} bench_epilogue_options;

/* Takes --fused and --set-weights into o; true when word was one of them. */
bool bench_epilogue_option(const char *word, bench_epilogue_options *o);

/* Runs the comparisons o asks for over the layers, repeats paired runs each, printing to
 * stdout. Returns 0, or 1 when a run failed (reported on stderr). */
int bench_epilogue_run(clconv_context *ctx, const bench_epilogue_options *o,
                       const layer_spec *layers, size_t count, int repeats);

#endif
