/* The depthwise family's shared parts (src/depthwise-common.h): the conditions every variant
 * has, the cost model's terms, and the prepare steps, enqueue and release of its one-kernel
 * plans. The variants are in src/depthwise-rows.c, -flat.c and -s2.c. */
#include <stdio.h>
#include <stdlib.h>

#include "src/cost-model.h"
#include "src/depthwise-common.h"
#include "src/epilogue.h"
#include "src/kernels.h"

bool depthwise_family_applies(const clconv_variant *v, const clconv_problem *p, char *reason,
                              size_t reason_size)
{
    const clconv_desc *d = &p->desc;
    if (d->kind != CLCONV_CONV2D) {
        snprintf(reason, reason_size, "kind = ConvTranspose2d: %s runs Conv2d only", v->name);
        return false;
    }
    if (d->groups != d->in_channels) {
        snprintf(reason, reason_size,
                 "groups = %d with in_channels = %d: %s needs groups == in_channels", d->groups,
                 d->in_channels, v->name);
        return false;
    }
    return true;
}

const char *depthwise_mode_name(clconv_padding_mode mode)
{
    static const char *const names[] = {"zeros", "reflect", "replicate", "circular"};
    return (unsigned)mode < 4 ? names[mode] : "unknown";
}

long depthwise_items_wanted(const clconv_device_info *dev)
{
    return 16L * (long)(dev->compute_units ? dev->compute_units : 1);
}

double depthwise_seconds(const clconv_problem *p, const clconv_device_info *dev,
                         const clconv_calibration *cal, double items, double item_chain_flops)
{
    const clconv_desc *d = &p->desc;
    const double flops = 2.0 * (double)p->output_count * d->kernel_h * d->kernel_w;
    const double bytes =
        (double)(p->input_count + p->weight_count + p->output_count) * clconv_dtype_size(d->dtype);
    return clconv_model_variant_seconds(dev, cal, flops + items * cal->item_flops, cal->efficiency,
                                        item_chain_flops, cal->chain_efficiency, bytes, 1);
}

clconv_status depthwise_prepare_begin(clconv_plan *plan, const char *file, const char *kernel_name,
                                      const char *options, depthwise_state **state,
                                      clconv_kernel_args *a)
{
    char all[512], epilogue[256];
    const bool fits = clconv_epilogue_options(&plan->problem, epilogue, sizeof epilogue);
    const int n =
        snprintf(all, sizeof all, "%s%s%s", options,
                 plan->problem.desc.dtype == CLCONV_FLOAT16 ? " -D CLCONV_HALF" : "", epilogue);
    if (!fits || n < 0 || (size_t)n >= sizeof all)
        return clconv_fail(plan->ctx, CLCONV_ERROR_BUILD, "%s: build options too long",
                           plan->variant->name);
    depthwise_state *s = calloc(1, sizeof *s);
    if (!s)
        return clconv_fail(plan->ctx, CLCONV_ERROR_OUT_OF_HOST_MEMORY, "depthwise plan state");
    clconv_status st = clconv_create_kernel(plan->ctx, file, all, kernel_name, &s->kernel);
    if (st != CLCONV_SUCCESS) {
        free(s);
        return st;
    }
    clconv_args_begin(a, plan->ctx, s->kernel);
    s->in_slot = clconv_arg_slot(a, "in");
    s->weight_slot = clconv_arg_slot(a, "weight");
    s->bias_slot = clconv_arg_slot(a, "bias");
    s->out_slot = clconv_arg_slot(a, "out");
    *state = s;
    return CLCONV_SUCCESS;
}

clconv_status depthwise_prepare_end(clconv_plan *plan, depthwise_state *s, clconv_kernel_args *a,
                                    const depthwise_launch *launch)
{
    s->residual_slot = clconv_arg_residual(a, &plan->problem);
    clconv_status st = clconv_args_end(a);
    if (st == CLCONV_SUCCESS) {
        s->launch.dims = 2;
        s->launch.global[0] = launch->global[0];
        s->launch.global[1] = launch->global[1];
        st = clconv_launch_shape(plan->ctx, s->kernel, &s->launch,
                                 (const size_t[3]){launch->local[0], launch->local[1], 1},
                                 launch->grow_mask);
    }
    if (st != CLCONV_SUCCESS) {
        clReleaseKernel(s->kernel);
        free(s);
        return st;
    }
    plan->state = s;
    return CLCONV_SUCCESS;
}

clconv_status depthwise_enqueue(clconv_plan *plan, const clconv_enqueue_args *a)
{
    depthwise_state *s = plan->state;
    cl_mem bias = a->bias ? a->bias : a->weight; /* never read when has_bias is 0 */
    clconv_status st = clconv_set_mem_arg(plan->ctx, s->kernel, s->in_slot, a->input);
    if (st == CLCONV_SUCCESS)
        st = clconv_set_mem_arg(plan->ctx, s->kernel, s->weight_slot, a->weight);
    if (st == CLCONV_SUCCESS)
        st = clconv_set_mem_arg(plan->ctx, s->kernel, s->bias_slot, bias);
    if (st == CLCONV_SUCCESS)
        st = clconv_set_mem_arg(plan->ctx, s->kernel, s->out_slot, a->output);
    if (st == CLCONV_SUCCESS)
        st = clconv_set_residual_arg(plan->ctx, s->kernel, s->residual_slot, a);
    if (st != CLCONV_SUCCESS)
        return st;
    return clconv_enqueue_launch(plan->ctx, a->queue, s->kernel, &s->launch, a->num_wait_events,
                                 a->wait_events, a->event);
}

void depthwise_release(clconv_plan *plan)
{
    depthwise_state *s = plan->state;
    if (!s)
        return;
    clReleaseKernel(s->kernel);
    free(s);
    plan->state = NULL;
}
