/* Plans: validation against the device, variant choice, buffer checks and enqueue. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include "src/internal.h"
#include "src/variant.h"

/* Device limits the generic validation cannot know: allocation size, int indexing. */
static clconv_status check_device_limits(clconv_context *ctx, const clconv_problem *p)
{
    const size_t elem = clconv_dtype_size(p->desc.dtype);
    const struct {
        const char *name;
        size_t count;
    } tensors[] = {
        {"input", p->input_count}, {"weight", p->weight_count}, {"output", p->output_count}};
    for (size_t i = 0; i < sizeof tensors / sizeof tensors[0]; i++) {
        if (tensors[i].count > (size_t)INT_MAX)
            return clconv_fail(ctx, CLCONV_ERROR_TOO_LARGE,
                               "%s has %zu elements: more than %d, the most clconv's kernels "
                               "index",
                               tensors[i].name, tensors[i].count, INT_MAX);
        if ((cl_ulong)(tensors[i].count * elem) > ctx->info.max_alloc_size)
            return clconv_fail(ctx, CLCONV_ERROR_TOO_LARGE,
                               "%s needs %zu bytes: more than the device's max allocation %llu",
                               tensors[i].name, tensors[i].count * elem,
                               (unsigned long long)ctx->info.max_alloc_size);
    }
    return CLCONV_SUCCESS;
}

static clconv_status create_plan(clconv_context *ctx, const clconv_desc *desc,
                                 const int input_nchw[4], clconv_algo algo, const char *variant,
                                 clconv_plan **out)
{
    if (!ctx)
        return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT, "ctx is NULL");
    if (!out)
        return clconv_fail(ctx, CLCONV_ERROR_INVALID_ARGUMENT, "plan is NULL");
    clconv_problem p;
    clconv_status st = clconv_problem_init(desc, input_nchw, &p);
    if (st != CLCONV_SUCCESS) {
        clconv_error_to_context(ctx);
        return st;
    }
    if ((st = check_device_limits(ctx, &p)) != CLCONV_SUCCESS)
        return st;
    p.weights_constant = clconv_constant_weights(ctx);
    clconv_plan *plan = calloc(1, sizeof *plan);
    if (!plan)
        return clconv_fail(ctx, CLCONV_ERROR_OUT_OF_HOST_MEMORY, "plan allocation failed");
    const clconv_variant *chosen;
    if ((st = clconv_select_variant(ctx, &p, algo, variant, &chosen, &plan->config)) !=
        CLCONV_SUCCESS) {
        free(plan);
        return st;
    }
    plan->ctx = ctx;
    plan->problem = p;
    plan->variant = chosen;
    plan->workspace_limit = clconv_workspace_limit(ctx);
    plan->workspace_size = plan->config.workspace;
    /* Programs are built by clconv_plan_bake or the first enqueue: creation stays cheap. */
    *out = plan;
    return CLCONV_SUCCESS;
}

clconv_status clconv_plan_create(clconv_context *ctx, const clconv_desc *desc,
                                 const int input_nchw[4], clconv_algo algo, clconv_plan **out)
{
    return create_plan(ctx, desc, input_nchw, algo, NULL, out);
}

clconv_status clconv_plan_create_variant(clconv_context *ctx, const clconv_desc *desc,
                                         const int input_nchw[4], const char *variant,
                                         clconv_plan **out)
{
    if (!variant)
        return clconv_fail(ctx, CLCONV_ERROR_INVALID_ARGUMENT, "variant is NULL");
    return create_plan(ctx, desc, input_nchw, CLCONV_ALGO_AUTO, variant, out);
}

clconv_status clconv_plan_ensure_prepared(clconv_plan *plan)
{
    if (plan->prepared)
        return CLCONV_SUCCESS;
    const size_t promised = plan->workspace_size;
    clconv_status st = plan->variant->ops->prepare(plan);
    if (st != CLCONV_SUCCESS)
        return st;
    plan->prepared = true;
    if (plan->workspace_size != promised) {
        /* an algorithm whose prepare disagrees with what creation reported: a library bug */
        size_t got = plan->workspace_size;
        plan->workspace_size = promised;
        return clconv_fail(plan->ctx, CLCONV_ERROR_OPENCL,
                           "internal: %s prepared %zu bytes of workspace, %zu were reported",
                           plan->variant->name, got, promised);
    }
    return CLCONV_SUCCESS;
}

clconv_status clconv_plan_bake(clconv_plan *plan)
{
    if (!plan)
        return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT, "plan is NULL");
    return clconv_plan_ensure_prepared(plan);
}

int clconv_plan_is_baked(const clconv_plan *plan)
{
    return plan && plan->prepared;
}

clconv_algo clconv_plan_get_algo(const clconv_plan *plan)
{
    return plan ? plan->variant->algo : CLCONV_ALGO_AUTO;
}

bool clconv_plan_executed_flops(const clconv_plan *plan, uint64_t *flops)
{
    if (!plan || !plan->variant->ops->executed_flops)
        return false;
    const double executed =
        plan->variant->ops->executed_flops(plan->variant, &plan->problem, &plan->config);
    *flops = (uint64_t)(executed + 0.5);
    return true;
}

const char *clconv_plan_get_variant_name(const clconv_plan *plan)
{
    return plan ? plan->variant->name : NULL;
}

clconv_status clconv_plan_get_output_shape(const clconv_plan *plan, int output_nchw[4])
{
    if (!plan || !output_nchw)
        return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT, "%s is NULL",
                           !plan ? "plan" : "output_nchw");
    for (int i = 0; i < 4; i++)
        output_nchw[i] = plan->problem.out[i];
    return CLCONV_SUCCESS;
}

size_t clconv_plan_get_workspace_size(const clconv_plan *plan)
{
    return plan ? plan->workspace_size : 0;
}

clconv_status clconv_check_buffer(clconv_context *ctx, const char *name, cl_mem buf, size_t needed,
                                  int use)
{
    if (!buf)
        return clconv_fail(ctx, CLCONV_ERROR_INVALID_BUFFER, "%s buffer is NULL", name);
    size_t size = 0;
    cl_context owner = NULL;
    cl_mem_object_type type = 0;
    cl_mem_flags flags = 0;
    cl_int err = clGetMemObjectInfo(buf, CL_MEM_SIZE, sizeof size, &size, NULL);
    if (err == CL_SUCCESS)
        err = clGetMemObjectInfo(buf, CL_MEM_CONTEXT, sizeof owner, &owner, NULL);
    if (err == CL_SUCCESS)
        err = clGetMemObjectInfo(buf, CL_MEM_TYPE, sizeof type, &type, NULL);
    if (err == CL_SUCCESS)
        err = clGetMemObjectInfo(buf, CL_MEM_FLAGS, sizeof flags, &flags, NULL);
    if (err != CL_SUCCESS)
        return clconv_fail(ctx, CLCONV_ERROR_INVALID_BUFFER,
                           "%s buffer is not a valid memory object (%s)", name,
                           clconv_cl_error_name(err));
    if (type != CL_MEM_OBJECT_BUFFER)
        return clconv_fail(ctx, CLCONV_ERROR_INVALID_BUFFER,
                           "%s buffer is an image or pipe object (type 0x%x): clconv takes "
                           "buffers",
                           name, (unsigned)type);
    if (owner != ctx->cl_ctx)
        return clconv_fail(ctx, CLCONV_ERROR_INVALID_BUFFER,
                           "%s buffer belongs to another OpenCL context", name);
    if ((use & CLCONV_USE_WRITE) && (flags & CL_MEM_READ_ONLY))
        return clconv_fail(ctx, CLCONV_ERROR_INVALID_BUFFER,
                           "%s buffer was created CL_MEM_READ_ONLY: the plan writes it", name);
    if ((use & CLCONV_USE_READ) && (flags & CL_MEM_WRITE_ONLY))
        return clconv_fail(ctx, CLCONV_ERROR_INVALID_BUFFER,
                           "%s buffer was created CL_MEM_WRITE_ONLY: the plan reads it", name);
    if (size < needed)
        return clconv_fail(ctx, CLCONV_ERROR_INVALID_BUFFER,
                           "%s buffer holds %zu bytes: the plan needs %zu", name, size, needed);
    return CLCONV_SUCCESS;
}

/* The caller's queue must be of the plan's OpenCL context and device. */
static clconv_status check_queue(clconv_context *ctx, cl_command_queue queue)
{
    if (!queue)
        return clconv_fail(ctx, CLCONV_ERROR_INVALID_ARGUMENT, "queue is NULL");
    if (queue == ctx->queue)
        return CLCONV_SUCCESS;
    cl_context owner = NULL;
    cl_device_id device = NULL;
    cl_int err = clGetCommandQueueInfo(queue, CL_QUEUE_CONTEXT, sizeof owner, &owner, NULL);
    if (err == CL_SUCCESS)
        err = clGetCommandQueueInfo(queue, CL_QUEUE_DEVICE, sizeof device, &device, NULL);
    if (err != CL_SUCCESS)
        return clconv_fail(ctx, CLCONV_ERROR_INVALID_ARGUMENT,
                           "queue is not a valid command queue (%s)", clconv_cl_error_name(err));
    if (owner != ctx->cl_ctx)
        return clconv_fail(ctx, CLCONV_ERROR_INVALID_ARGUMENT,
                           "queue belongs to another OpenCL context than the plan's");
    if (device != ctx->device)
        return clconv_fail(ctx, CLCONV_ERROR_INVALID_ARGUMENT,
                           "queue is for another device than the plan's (%s)",
                           ctx->info.device_name);
    return CLCONV_SUCCESS;
}

/* The bytes a buffer argument covers, as (root buffer, offset, size): sub-buffers resolve to
 * their parent, so overlapping views of one allocation are caught, not only equal handles;
 * buffers made with CL_MEM_USE_HOST_PTR also record the host memory they alias. */
typedef struct buffer_range {
    cl_mem root;
    size_t offset, size;
    uintptr_t host; /* 0 unless CL_MEM_USE_HOST_PTR */
} buffer_range;

static buffer_range range_of(cl_mem buf, size_t used)
{
    buffer_range r = {buf, 0, used, 0};
    cl_mem_flags flags = 0;
    void *host = NULL;
    if (buf && clGetMemObjectInfo(buf, CL_MEM_FLAGS, sizeof flags, &flags, NULL) == CL_SUCCESS &&
        (flags & CL_MEM_USE_HOST_PTR) &&
        clGetMemObjectInfo(buf, CL_MEM_HOST_PTR, sizeof host, &host, NULL) == CL_SUCCESS)
        r.host = (uintptr_t)host;
    cl_mem parent = NULL;
    if (buf &&
        clGetMemObjectInfo(buf, CL_MEM_ASSOCIATED_MEMOBJECT, sizeof parent, &parent, NULL) ==
            CL_SUCCESS &&
        parent) {
        size_t offset = 0;
        if (clGetMemObjectInfo(buf, CL_MEM_OFFSET, sizeof offset, &offset, NULL) == CL_SUCCESS) {
            r.root = parent;
            r.offset = offset;
        }
    }
    return r;
}

static bool same_range(const buffer_range *a, const buffer_range *b)
{
    return a->root == b->root && a->offset == b->offset && a->size == b->size && a->host == b->host;
}

static bool ranges_overlap(const buffer_range *a, const buffer_range *b)
{
    if (!a->root || !b->root)
        return false;
    if (a->root != b->root) /* distinct objects alias only through the host memory they use */
        return a->host && b->host && a->host < b->host + b->size && b->host < a->host + a->size;
    if (a->offset == b->offset) /* the same view, even when a size is 0 */
        return true;
    return a->offset < b->offset + b->size && b->offset < a->offset + a->size;
}

static clconv_status enqueue_checked(clconv_plan *plan, cl_command_queue queue,
                                     const clconv_buffers *b, cl_uint num_wait_events,
                                     const cl_event *wait_events, cl_event *event);

clconv_status clconv_plan_enqueue(clconv_plan *plan, cl_mem input, cl_mem weight, cl_mem bias,
                                  cl_mem output, cl_mem workspace, cl_uint num_wait_events,
                                  const cl_event *wait_events, cl_event *event)
{
    if (!plan)
        return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT, "plan is NULL");
    const clconv_buffers b = {input, weight, bias, NULL, output, workspace};
    return enqueue_checked(plan, plan->ctx->queue, &b, num_wait_events, wait_events, event);
}

clconv_status clconv_plan_enqueue_on_queue(clconv_plan *plan, cl_command_queue queue, cl_mem input,
                                           cl_mem weight, cl_mem bias, cl_mem output,
                                           cl_mem workspace, cl_uint num_wait_events,
                                           const cl_event *wait_events, cl_event *event)
{
    if (!plan)
        return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT, "plan is NULL");
    clconv_status st = check_queue(plan->ctx, queue);
    if (st != CLCONV_SUCCESS)
        return st;
    const clconv_buffers b = {input, weight, bias, NULL, output, workspace};
    return enqueue_checked(plan, queue, &b, num_wait_events, wait_events, event);
}

clconv_status clconv_plan_enqueue_buffers(clconv_plan *plan, cl_command_queue queue,
                                          const clconv_buffers *buffers, cl_uint num_wait_events,
                                          const cl_event *wait_events, cl_event *event)
{
    if (!plan)
        return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT, "plan is NULL");
    if (!buffers)
        return clconv_fail(plan->ctx, CLCONV_ERROR_INVALID_ARGUMENT, "buffers is NULL");
    if (!queue)
        queue = plan->ctx->queue;
    clconv_status st = check_queue(plan->ctx, queue);
    if (st != CLCONV_SUCCESS)
        return st;
    return enqueue_checked(plan, queue, buffers, num_wait_events, wait_events, event);
}

/* The weight and bias an enqueue uses: the caller's, else the plan's set weights. */
static clconv_status resolve_weights(clconv_plan *plan, const clconv_buffers *b,
                                     clconv_enqueue_args *args)
{
    clconv_context *ctx = plan->ctx;
    const clconv_problem *p = &plan->problem;
    const size_t elem = clconv_dtype_size(p->desc.dtype);
    args->weights_packed = false;
    clconv_status st;
    if (!b->weight && plan->weights.weight) {
        args->weight = plan->weights.weight;
        args->weights_packed = plan->weights.packed;
    } else if ((st = clconv_check_buffer(ctx, "weight", b->weight, p->weight_count * elem,
                                         CLCONV_USE_READ))) {
        return st;
    } else {
        args->weight = b->weight;
    }
    args->bias = NULL;
    if (!p->desc.bias)
        return CLCONV_SUCCESS;
    if (!b->bias && plan->weights.bias) {
        args->bias = plan->weights.bias;
        return CLCONV_SUCCESS;
    }
    /* the caller's bias with the plan's weights: a variant may have packed the bias with
     * them, so the weights are used unpacked */
    args->weights_packed = false;
    args->bias = b->bias;
    return clconv_check_buffer(ctx, "bias", b->bias, p->bias_count * elem, CLCONV_USE_READ);
}

static clconv_status enqueue_checked(clconv_plan *plan, cl_command_queue queue,
                                     const clconv_buffers *b, cl_uint num_wait_events,
                                     const cl_event *wait_events, cl_event *event)
{
    clconv_context *ctx = plan->ctx;
    const clconv_problem *p = &plan->problem;
    if ((num_wait_events == 0) != (wait_events == NULL))
        return clconv_fail(ctx, CLCONV_ERROR_INVALID_ARGUMENT,
                           "num_wait_events = %u with wait_events %s", num_wait_events,
                           wait_events ? "non-NULL" : "NULL");
    const size_t elem = clconv_dtype_size(p->desc.dtype);
    const size_t out_bytes = p->output_count * elem;
    clconv_enqueue_args args = {.queue = queue,
                                .input = b->input,
                                .output = b->output,
                                .num_wait_events = num_wait_events,
                                .wait_events = wait_events,
                                .event = event};
    const int out_use = CLCONV_USE_WRITE | (p->desc.residual ? CLCONV_USE_READ : 0);
    clconv_status st;
    if ((st =
             clconv_check_buffer(ctx, "input", b->input, p->input_count * elem, CLCONV_USE_READ)) ||
        (st = resolve_weights(plan, b, &args)) ||
        (st = clconv_check_buffer(ctx, "output", b->output, out_bytes, out_use)))
        return st;
    if (p->desc.residual) {
        if (!b->residual)
            return clconv_fail(ctx, CLCONV_ERROR_INVALID_BUFFER,
                               "residual buffer is NULL: the plan's desc has residual set");
        if ((st = clconv_check_buffer(ctx, "residual", b->residual, out_bytes, CLCONV_USE_READ)))
            return st;
        args.residual = b->residual;
    } else if (b->residual) {
        return clconv_fail(ctx, CLCONV_ERROR_INVALID_BUFFER,
                           "residual buffer given to a plan without residual (desc.residual = 0)");
    }
    if (plan->workspace_size) {
        if ((st = clconv_check_buffer(ctx, "workspace", b->workspace, plan->workspace_size,
                                      CLCONV_USE_READ | CLCONV_USE_WRITE)))
            return st;
        args.workspace = b->workspace;
    }
    const buffer_range out_range = range_of(args.output, out_bytes);
    const buffer_range reads[] = {
        range_of(args.input, p->input_count * elem), range_of(args.weight, p->weight_count * elem),
        range_of(args.bias, p->bias_count * elem), range_of(args.workspace, plan->workspace_size),
        range_of(args.residual, out_bytes)};
    static const char *const read_names[] = {"input", "weight", "bias", "workspace", "residual"};
    enum { WORKSPACE = 3, RESIDUAL = 4, READS = 5 };
    for (size_t i = 0; i < READS; i++) {
        if (!ranges_overlap(&out_range, &reads[i]))
            continue;
        if (i == RESIDUAL && same_range(&out_range, &reads[i]))
            continue; /* in-place accumulate: out = act(out + conv) */
        return clconv_fail(ctx, CLCONV_ERROR_INVALID_BUFFER, "output buffer overlaps the %s %s",
                           read_names[i],
                           i == WORKSPACE  ? "buffer: the workspace is scratch memory of its own"
                           : i == RESIDUAL ? "buffer other than exactly: a residual is the "
                                             "output itself or disjoint from it"
                                           : "buffer: in-place convolution is not supported");
    }
    for (size_t i = 0; i < READS; i++)
        if (i != WORKSPACE && ranges_overlap(&reads[WORKSPACE], &reads[i]))
            return clconv_fail(ctx, CLCONV_ERROR_INVALID_BUFFER,
                               "workspace buffer overlaps the %s buffer", read_names[i]);
    /* built here when the plan was not baked: a build failure surfaces at this call */
    if ((st = clconv_plan_ensure_prepared(plan)) != CLCONV_SUCCESS)
        return st;
    return plan->variant->ops->enqueue(plan, &args);
}

void clconv_plan_destroy(clconv_plan *plan)
{
    if (!plan)
        return;
    if (plan->prepared)
        plan->variant->ops->release(plan);
    clconv_plan_release_weights(plan);
    free(plan);
}
