/* Constant weights (clconv_plan_set_weights): the plan copies the weights and bias once into
 * buffers of its own, and its variant may re-lay them out once (pack_weights). */
#include "src/variant.h"

/* A plan-owned copy of count bytes of src, finished before return. */
static clconv_status copy_buffer(clconv_context *ctx, cl_mem src, size_t bytes, cl_mem *out)
{
    cl_int err;
    cl_mem dst = clCreateBuffer(ctx->cl_ctx, CL_MEM_READ_ONLY, bytes, NULL, &err);
    if (err != CL_SUCCESS)
        return clconv_fail_cl(ctx, err, "clCreateBuffer (set weights)");
    err = clEnqueueCopyBuffer(ctx->queue, src, dst, 0, 0, bytes, 0, NULL, NULL);
    if (err == CL_SUCCESS)
        err = clFinish(ctx->queue);
    if (err != CL_SUCCESS) {
        clReleaseMemObject(dst);
        return clconv_fail_cl(ctx, err, "clEnqueueCopyBuffer (set weights)");
    }
    *out = dst;
    return CLCONV_SUCCESS;
}

void clconv_plan_release_weights(clconv_plan *plan)
{
    if (plan->weights.weight)
        clReleaseMemObject(plan->weights.weight);
    if (plan->weights.bias)
        clReleaseMemObject(plan->weights.bias);
    plan->weights.weight = plan->weights.bias = NULL;
    plan->weights.packed = false;
}

clconv_status clconv_plan_set_weights(clconv_plan *plan, cl_mem weight, cl_mem bias)
{
    if (!plan)
        return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT, "plan is NULL");
    clconv_context *ctx = plan->ctx;
    const clconv_problem *p = &plan->problem;
    const size_t elem = clconv_dtype_size(p->desc.dtype);
    const size_t weight_bytes = p->weight_count * elem, bias_bytes = p->bias_count * elem;
    clconv_status st = clconv_check_buffer(ctx, "weight", weight, weight_bytes, CLCONV_USE_READ);
    if (st == CLCONV_SUCCESS && p->desc.bias)
        st = clconv_check_buffer(ctx, "bias", bias, bias_bytes, CLCONV_USE_READ);
    if (st == CLCONV_SUCCESS)
        st = clconv_plan_ensure_prepared(plan);
    if (st != CLCONV_SUCCESS)
        return st;
    /* the new copies are made before the old ones go, so a failure keeps the old ones */
    cl_mem new_weight = NULL, new_bias = NULL;
    st = copy_buffer(ctx, weight, weight_bytes, &new_weight);
    if (st == CLCONV_SUCCESS && p->desc.bias)
        st = copy_buffer(ctx, bias, bias_bytes, &new_bias);
    if (st != CLCONV_SUCCESS) {
        if (new_weight)
            clReleaseMemObject(new_weight);
        return st;
    }
    const struct {
        cl_mem weight, bias;
        bool packed;
    } old = {plan->weights.weight, plan->weights.bias, plan->weights.packed};
    plan->weights.weight = new_weight;
    plan->weights.bias = new_bias;
    plan->weights.packed = false;
    if (plan->variant->ops->pack_weights) {
        st = plan->variant->ops->pack_weights(plan);
        if (st != CLCONV_SUCCESS) {
            clconv_plan_release_weights(plan);
            plan->weights.weight = old.weight;
            plan->weights.bias = old.bias;
            plan->weights.packed = old.packed;
            return st;
        }
        plan->weights.packed = true;
    }
    if (old.weight)
        clReleaseMemObject(old.weight);
    if (old.bias)
        clReleaseMemObject(old.bias);
    return CLCONV_SUCCESS;
}

int clconv_plan_has_weights(const clconv_plan *plan)
{
    return plan && plan->weights.weight;
}
