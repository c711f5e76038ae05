/*
 * The gemm family's enqueue: per chunk of the plan's layout, the lowering kernel and the
 * CLBlast GEMMs, then stage_finish when the layout is staged.
 *
 * The GEMMs go through CLBlastSgemmStridedBatched: all groups of an image in one call (and
 * all images of a chunk in one call when groups == 1, the weight's batch stride being 0).
 * Not CLBlastSgemmBatched: it uploads its offset arrays with blocking writes, which deadlock
 * behind a barrier on the caller's not-yet-complete wait events.
 *
 * CLBlast takes no wait list: a barrier holds everything after it behind the caller's events,
 * and on an out-of-order queue a barrier orders each step after the previous one. The last
 * command's event then stands for the whole chain.
 */
#include <clblast_c.h>

#include "src/epilogue.h"
#include "src/gemm-plan.h"

/* One enqueue in progress: the plan, and the queue it runs on (which may differ between
 * enqueues: clconv_plan_enqueue_on_queue). */
typedef struct gemm_run {
    clconv_plan *plan;
    const clconv_gemm_config *c;
    const clconv_gemm_state *s;
    const clconv_enqueue_args *x;
    cl_command_queue queue;
    bool out_of_order; /* the queue needs barriers between dependent steps */
} gemm_run;

/* Orders dependent steps on an out-of-order queue (an in-order queue orders them already). */
static clconv_status step_barrier(gemm_run *r)
{
    if (!r->out_of_order)
        return CLCONV_SUCCESS;
    cl_int err = clEnqueueBarrierWithWaitList(r->queue, 0, NULL, NULL);
    return err == CL_SUCCESS ? CLCONV_SUCCESS
                             : clconv_fail_cl(r->plan->ctx, err, "clEnqueueBarrierWithWaitList");
}

static clconv_status run_kernel(gemm_run *r, cl_kernel k, const clconv_launch *launch,
                                cl_event *event)
{
    clconv_status st = step_barrier(r);
    if (st != CLCONV_SUCCESS)
        return st;
    return clconv_enqueue_launch(r->plan->ctx, r->queue, k, launch, 0, NULL, event);
}

/* Sets buffer arguments at the slots prepare recorded. */
static clconv_status set_buffers(clconv_context *ctx, cl_kernel k, const cl_uint *slots,
                                 const cl_mem *bufs, int n)
{
    clconv_status st = CLCONV_SUCCESS;
    for (int i = 0; i < n && st == CLCONV_SUCCESS; i++)
        st = clconv_set_mem_arg(ctx, k, slots[i], bufs[i]);
    return st;
}

/* The chunk's int arguments, the lowering kernel's last ones but the residual, from the slot
 * prepare recorded for the first (checked by name in checked builds). */
static clconv_status set_chunk_args(gemm_run *r, const char *names, const int *values, size_t count)
{
    clconv_kernel_args a;
    clconv_args_begin(&a, r->plan->ctx, r->s->lower);
    a.next = r->s->lower_chunk_slot;
    clconv_arg_ints(&a, names, values, count);
    if (r->s->lower_residual_slot != CLCONV_NO_SLOT) /* the epilogue's, after the chunk's */
        clconv_arg_slot(&a, "residual");
    return clconv_args_end(&a);
}

/* One operand's place in the GEMMs of a chunk: offset of image 0 group 0, strides. */
typedef struct operand {
    cl_mem buf;
    size_t off, image_stride, group_stride, ld;
} operand;

/* C[n, g] = op(A[n, g]) x B[n, g] for nb images and G groups, with beta = 0 (CLBlast does
 * not read C then: stale output is harmless). One strided-batched call per image covers its
 * groups; with one group, one call covers the images. event, if non-NULL, receives the last
 * call's. */
static clconv_status run_gemms(gemm_run *r, bool trans_a, size_t m, size_t n, size_t k,
                               const operand *a, const operand *b, const operand *c, int nb, int G,
                               cl_event *event)
{
    clconv_status st = step_barrier(r);
    const bool by_image = G == 1;
    const int calls = by_image ? 1 : nb;
    const size_t batch = (size_t)(by_image ? nb : G);
    for (int i = 0; i < calls && st == CLCONV_SUCCESS; i++) {
        const size_t sa = by_image ? a->image_stride : a->group_stride;
        const size_t sb = by_image ? b->image_stride : b->group_stride;
        const size_t sc = by_image ? c->image_stride : c->group_stride;
        CLBlastStatusCode code = CLBlastSgemmStridedBatched(
            CLBlastLayoutRowMajor, trans_a ? CLBlastTransposeYes : CLBlastTransposeNo,
            CLBlastTransposeNo, m, n, k, 1.0f, a->buf, a->off + i * a->image_stride, a->ld, sa,
            b->buf, b->off + i * b->image_stride, b->ld, sb, 0.0f, c->buf,
            c->off + i * c->image_stride, c->ld, sc, batch, &r->queue,
            i == calls - 1 ? event : NULL);
        if (code != CLBlastSuccess)
            st = clconv_fail(r->plan->ctx, CLCONV_ERROR_OPENCL,
                             "CLBlastSgemmStridedBatched (m %zu n %zu k %zu, batch %zu) failed: "
                             "CLBlast status %d%s%s",
                             m, n, k, batch, (int)code, code > -1000 ? " = " : "",
                             code > -1000 ? clconv_cl_error_name(code) : "");
    }
    return st;
}

/* Where the products go: the staging area, or the output itself. */
static operand result_operand(const gemm_run *r, size_t off, size_t image_stride,
                              size_t group_stride, size_t ld)
{
    const clconv_gemm_layout *l = &r->c->layout;
    const operand c = {l->staged ? r->x->workspace : r->x->output,
                       (l->staged ? l->stage_off : 0) + off, image_stride, group_stride, ld};
    return c;
}

static clconv_status enqueue_1x1(gemm_run *r, cl_event *event)
{
    const clconv_problem *p = &r->plan->problem;
    const bool transposed = p->desc.kind == CLCONV_CONV_TRANSPOSE2D;
    const size_t HW = (size_t)p->in[2] * p->in[3];
    const size_t cin = (size_t)p->cin_per_group, cout = (size_t)p->cout_per_group;
    /* Conv2d: W[g] (cout x cin) x in; transposed: W[g] stored (cin x cout), used transposed */
    const operand a = {r->x->weight, 0, 0, cin * cout, transposed ? cout : cin};
    const operand b = {r->x->input, 0, (size_t)p->in[1] * HW, cin * HW, HW};
    const operand c = result_operand(r, 0, (size_t)p->out[1] * HW, cout * HW, HW);
    return run_gemms(r, transposed, cout, HW, cin, &a, &b, &c, p->in[0], p->desc.groups, event);
}

static clconv_status enqueue_im2col(gemm_run *r, cl_event *event)
{
    const clconv_gemm_layout *l = &r->c->layout;
    const clconv_problem *p = &r->plan->problem;
    const int N = p->in[0], OH = p->out[2], OW = p->out[3], G = p->desc.groups;
    const size_t R = clconv_gemm_col_rows(p), P = (size_t)OH * OW;
    const size_t cout = (size_t)p->cout_per_group;
    const cl_mem bufs[2] = {r->x->input, r->x->workspace};
    clconv_status st = set_buffers(r->plan->ctx, r->s->lower, r->s->lower_buffer_slot, bufs, 2);
    clconv_launch launch = r->s->lower_launch;
    for (int n0 = 0; n0 < N && st == CLCONV_SUCCESS; n0 += l->nb) {
        const int nb = l->nb < N - n0 ? l->nb : N - n0;
        for (int y0 = 0; y0 < OH && st == CLCONV_SUCCESS; y0 += l->rows) {
            const int rows = l->rows < OH - y0 ? l->rows : OH - y0;
            const size_t Q = (size_t)rows * OW;
            const int chunk[] = {n0, y0, rows, nb * G};
            if ((st = set_chunk_args(r, "n0, y0, rows, nbg", chunk, 4)) != CLCONV_SUCCESS)
                break;
            launch.global[0] = Q;
            launch.global[2] = (size_t)nb * G;
            if ((st = run_kernel(r, r->s->lower, &launch, NULL)) != CLCONV_SUCCESS)
                break;
            const operand a = {r->x->weight, 0, 0, cout * R, R};
            const operand b = {r->x->workspace, 0, G * R * Q, R * Q, Q};
            const operand c = result_operand(r, (size_t)n0 * p->out[1] * P + (size_t)y0 * OW,
                                             (size_t)p->out[1] * P, cout * P, P);
            /* unstaged, this is the plan's one GEMM call */
            st = run_gemms(r, false, cout, Q, R, &a, &b, &c, nb, G, l->staged ? NULL : event);
        }
    }
    return st;
}

static clconv_status enqueue_col2im(gemm_run *r, cl_event *event)
{
    const clconv_gemm_layout *l = &r->c->layout;
    const clconv_problem *p = &r->plan->problem;
    const int N = p->in[0], OH = p->out[2], G = p->desc.groups;
    const size_t M = clconv_gemm_col_rows(p), W = (size_t)p->in[3], HW = (size_t)p->in[2] * W;
    const size_t cin = (size_t)p->cin_per_group;
    const cl_mem bias = r->x->bias ? r->x->bias : r->x->weight; /* not read without bias */
    const cl_mem bufs[3] = {r->x->workspace, bias, l->staged ? r->x->workspace : r->x->output};
    clconv_status st = set_buffers(r->plan->ctx, r->s->lower, r->s->lower_buffer_slot, bufs, 3);
    if (st == CLCONV_SUCCESS)
        st = clconv_set_residual_arg(r->plan->ctx, r->s->lower, r->s->lower_residual_slot, r->x);
    clconv_launch launch = r->s->lower_launch;
    for (int n0 = 0; n0 < N && st == CLCONV_SUCCESS; n0 += l->nb) {
        const int nb = l->nb < N - n0 ? l->nb : N - n0;
        for (int oy0 = 0; oy0 < OH && st == CLCONV_SUCCESS; oy0 += l->rows) {
            const int orows = l->rows < OH - oy0 ? l->rows : OH - oy0;
            int iy0;
            const int irows = clconv_gemm_input_band(p, oy0, orows, &iy0);
            const size_t IQ = (size_t)irows * W;
            if (irows > 0) {
                const operand a = {r->x->weight, 0, 0, cin * M, M};
                const operand b = {r->x->input, (size_t)n0 * p->in[1] * HW + (size_t)iy0 * W,
                                   (size_t)p->in[1] * HW, cin * HW, HW};
                const operand c = {r->x->workspace, 0, G * M * IQ, M * IQ, IQ};
                st = run_gemms(r, true, M, IQ, cin, &a, &b, &c, nb, G, NULL);
                if (st != CLCONV_SUCCESS)
                    break;
            }
            const int chunk[] = {n0, oy0, orows, irows > 0 ? iy0 : 0, irows, nb * p->out[1]};
            if ((st = set_chunk_args(r, "n0, oy0, orows, iy0, irows, nbk", chunk, 6)) !=
                CLCONV_SUCCESS)
                break;
            launch.global[1] = (size_t)orows;
            launch.global[2] = (size_t)nb * p->out[1];
            /* unstaged, this is the plan's one col2im pass */
            st = run_kernel(r, r->s->lower, &launch, l->staged ? NULL : event);
        }
    }
    return st;
}

clconv_status clconv_gemm_enqueue(clconv_plan *plan, const clconv_enqueue_args *a)
{
    gemm_run r = {plan,        CLCONV_CONFIG_CONST(clconv_gemm_config, &plan->config),
                  plan->state, a,
                  a->queue,    false};
    clconv_context *ctx = plan->ctx;
    cl_command_queue_properties props = 0;
    clGetCommandQueueInfo(a->queue, CL_QUEUE_PROPERTIES, sizeof props, &props, NULL);
    r.out_of_order = (props & CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE) != 0;
    const bool staged = r.c->layout.staged;
    clconv_status st = CLCONV_SUCCESS;
    if (staged) {
        /* set before anything is enqueued: the finishing copy is the one output writer */
        const cl_mem bias = a->bias ? a->bias : a->workspace; /* not read without bias */
        const cl_mem bufs[3] = {a->workspace, bias, a->output};
        st = set_buffers(ctx, r.s->finish, r.s->finish_buffer_slot, bufs, 3);
        if (st == CLCONV_SUCCESS)
            st = clconv_set_residual_arg(ctx, r.s->finish, r.s->finish_residual_slot, a);
        if (st != CLCONV_SUCCESS)
            return st;
    }
    if (a->num_wait_events) {
        /* CLBlast takes no wait list: a barrier holds everything after it */
        cl_int err =
            clEnqueueBarrierWithWaitList(a->queue, a->num_wait_events, a->wait_events, NULL);
        if (err != CL_SUCCESS)
            return clconv_fail_cl(ctx, err, "clEnqueueBarrierWithWaitList");
    }
    cl_event *last = staged ? NULL : a->event;
    if (r.c->path == CLCONV_GEMM_1X1)
        st = enqueue_1x1(&r, last);
    else if (r.c->path == CLCONV_GEMM_COL2IM)
        st = enqueue_col2im(&r, last);
    else
        st = enqueue_im2col(&r, last);
    if (st == CLCONV_SUCCESS && staged)
        st = run_kernel(&r, r.s->finish, &r.s->finish_launch, a->event);
    return st;
}
