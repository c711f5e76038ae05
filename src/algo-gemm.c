/*
 * GEMM algorithm through CLBlast (float32).
 *
 * Conv2d: im2col (cl/im2col.cl: padding modes and dilation in its index arithmetic) into the
 * workspace, then CLBlast GEMMs, per (image, group):
 *   out[n, g] (coutpg x rows*OW) = W[g] (coutpg x cinpg*kh*kw) x col[n, g].
 * 1x1 kernels with stride 1 and no padding read the input as the column matrix directly.
 *
 * ConvTranspose2d: CLBlast GEMMs compute, per (image, group),
 *   col[n, g] (coutpg*kh*kw x rows*W) = W[g]^T x in[n, g]
 * and col2im (cl/col2im.cl) gathers the taps landing on each output pixel, bias included.
 * 1x1 kernels with stride 1 and no padding write the product straight into the output.
 *
 * The GEMMs go through CLBlastSgemmStridedBatched: all groups of an image in one call (and
 * all images of a chunk in one call when groups == 1, the weight's batch stride being 0).
 * Not CLBlastSgemmBatched: it uploads its offset arrays with blocking writes, which deadlock
 * behind a barrier on the caller's not-yet-complete wait events.
 *
 * Workspace: the column matrices of one chunk. When all images do not fit under the context's
 * workspace limit, the batch is split, and when one image does not fit, its output rows are
 * split too (transposed: each band of output rows with the band of input rows it reads, so
 * every output value is still computed in one pass and chunking does not change results).
 *
 * The output is written by one command: when the plan would write it with several (chunks,
 * one GEMM call per image of a grouped layer, or a GEMM then a bias pass), the results go to
 * a staging area after the column matrices, and stage_finish (cl/im2col.cl) copies them to
 * the output, adding the bias, as the last command. A driver that refuses any command of the
 * chain then leaves the caller's output untouched; the cost is the staging area and one pass
 * over the output, which the bias needed anyway.
 */
#include <clblast_c.h>
#include <stdio.h>
#include <stdlib.h>

#include "src/cost-model.h"
#include "src/internal.h"
#include "src/kernels.h"
#include "src/variant.h"

/* Where a plan's chunks and results go. */
typedef struct gemm_layout {
    int nb;           /* images per chunk */
    int rows;         /* output rows per chunk */
    bool staged;      /* results go to the workspace at stage_off, then one copy to the output */
    size_t stage_off; /* floats from the workspace start */
    size_t bytes;     /* workspace */
} gemm_layout;

#define STAGE_ALIGN 256 /* bytes: the staging area's start in the workspace */

typedef struct gemm_state {
    bool transposed, direct_1x1; /* direct_1x1: no im2col/col2im */
    int nb;                      /* images per chunk */
    int rows;                    /* output rows per chunk */
    bool staged;
    size_t stage_off;
    bool out_of_order;      /* the queue needs barriers between dependent steps */
    cl_command_queue queue; /* of the enqueue in progress (a plan is not enqueued twice at once) */
    cl_kernel lower;        /* im2col or col2im; NULL for direct_1x1 */
    cl_kernel finish;       /* stage_finish when staged; else NULL */
} gemm_state;

/* 1x1, stride 1, no padding (and no output padding): the input already is the matrix. */
static bool is_direct_1x1(const clconv_problem *p)
{
    const clconv_desc *d = &p->desc;
    return d->kernel_h == 1 && d->kernel_w == 1 && d->stride_h == 1 && d->stride_w == 1 &&
           d->pad_top == 0 && d->pad_bottom == 0 && d->pad_left == 0 && d->pad_right == 0 &&
           d->output_padding_h == 0 && d->output_padding_w == 0;
}

/* Rows of the GEMM's reduction (Conv2d) or result (transposed) per group. */
static size_t col_rows(const clconv_problem *p)
{
    const clconv_desc *d = &p->desc;
    const size_t per_group =
        (size_t)(d->kind == CLCONV_CONV2D ? p->cin_per_group : p->cout_per_group);
    return per_group * (size_t)d->kernel_h * (size_t)d->kernel_w;
}

/* Bytes of column matrix per image and per row of the chunk's row unit (output rows for
 * Conv2d, input rows for transposed). */
static double row_bytes(const clconv_problem *p)
{
    const int width = p->desc.kind == CLCONV_CONV2D ? p->out[3] : p->in[3];
    return (double)p->desc.groups * (double)col_rows(p) * width * sizeof(float);
}

/* Transposed: the input rows an output band [oy0, oy0 + orows) reads: [*lo, *lo + count). */
static int input_band(const clconv_problem *p, int oy0, int orows, int *lo)
{
    const clconv_desc *d = &p->desc;
    const long first = (long)oy0 + d->pad_top - (long)(d->kernel_h - 1) * d->dilation_h;
    long l = first <= 0 ? 0 : (first + d->stride_h - 1) / d->stride_h;
    long h = ((long)oy0 + orows - 1 + d->pad_top) / d->stride_h;
    if (h > p->in[2] - 1)
        h = p->in[2] - 1;
    *lo = (int)l;
    return h >= l ? (int)(h - l + 1) : 0;
}

/* Most input rows any band of orows output rows reads. */
static int max_band(const clconv_problem *p, int orows)
{
    int most = 0, lo;
    for (int oy0 = 0; oy0 < p->out[2]; oy0 += orows) {
        int n = input_band(p, oy0, orows < p->out[2] - oy0 ? orows : p->out[2] - oy0, &lo);
        if (n > most)
            most = n;
    }
    return most;
}

/* Column matrices of the smallest chunk: one image, one row of output (Conv2d) or the input
 * rows one output row reads (transposed). */
static double min_col_bytes(const clconv_problem *p)
{
    if (is_direct_1x1(p))
        return 0;
    double rows = 1;
    if (p->desc.kind == CLCONV_CONV_TRANSPOSE2D)
        rows = max_band(p, 1);
    return row_bytes(p) * rows;
}

/* Commands that would write the output with these chunks and no staging: the GEMM calls
 * (Conv2d) or col2im passes (transposed), plus the bias pass after Conv2d's GEMMs. */
static double output_writers(const clconv_problem *p, int nb, int rows)
{
    const int N = p->in[0], OH = p->out[2], G = p->desc.groups;
    const double chunks = (double)((N + nb - 1) / nb) * ((OH + rows - 1) / rows);
    const bool transposed = p->desc.kind == CLCONV_CONV_TRANSPOSE2D;
    if (transposed && !is_direct_1x1(p))
        return chunks; /* col2im adds the bias */
    return chunks * (G == 1 ? 1 : nb) + (p->desc.bias ? 1 : 0);
}

/* Smallest workspace the algorithm can run with: the smallest chunk, and the staging area
 * when that chunking writes the output with more than one command. */
static size_t gemm_min_workspace(const clconv_problem *p, const clconv_device_info *dev)
{
    (void)dev;
    double bytes = min_col_bytes(p);
    const bool whole = is_direct_1x1(p); /* never chunked */
    if (output_writers(p, whole ? p->in[0] : 1, whole ? p->out[2] : 1) > 1)
        bytes = (double)clconv_round_up((size_t)bytes, STAGE_ALIGN) +
                (double)p->output_count * sizeof(float);
    return bytes > (double)SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)bytes;
}

/* Chunk sizes under limit bytes; false if even the smallest chunk does not fit. */
static bool plan_chunks(const clconv_problem *p, size_t limit, int *nb, int *rows, size_t *bytes)
{
    const int N = p->in[0], OH = p->out[2];
    if (is_direct_1x1(p)) {
        *nb = N;
        *rows = OH;
        *bytes = 0;
        return true;
    }
    const bool transposed = p->desc.kind == CLCONV_CONV_TRANSPOSE2D;
    const double per_row = row_bytes(p);
    const double per_image = per_row * (transposed ? max_band(p, OH) : OH);
    int n = 1, r = OH;
    if (per_image <= (double)limit) {
        double fit = (double)limit / per_image;
        n = fit >= N ? N : (int)fit;
    } else {
        /* one image at a time, bands of rows: the largest band count that fits */
        const double fit_rows = (double)limit / per_row;
        if (!transposed) {
            r = fit_rows >= OH ? OH : (int)fit_rows;
        } else {
            /* input rows of a band of r output rows <= (r - 1 + (kh-1)*dh) / sh + 1 */
            const clconv_desc *d = &p->desc;
            double rr = fit_rows * d->stride_h - (double)(d->kernel_h - 1) * d->dilation_h;
            r = rr >= OH ? OH : rr < 1 ? 1 : (int)rr;
        }
        if (r < 1 || per_row * (transposed ? max_band(p, r) : r) > (double)limit)
            return false;
    }
    /* even chunks: the same number of them, less waste in the last one */
    int chunks = (N + n - 1) / n;
    n = (N + chunks - 1) / chunks;
    chunks = (OH + r - 1) / r;
    r = (OH + chunks - 1) / chunks;
    *nb = n;
    *rows = r;
    *bytes = (size_t)((double)n * per_row * (transposed ? max_band(p, r) : r));
    return true;
}

/* Chunks, staging and workspace under limit bytes; false if even the smallest chunk (with its
 * staging area) does not fit. */
static bool plan_layout(const clconv_problem *p, size_t limit, gemm_layout *l)
{
    l->staged = false;
    l->stage_off = 0;
    if (!plan_chunks(p, limit, &l->nb, &l->rows, &l->bytes))
        return false;
    if (output_writers(p, l->nb, l->rows) <= 1)
        return true;
    /* the staging area after the column matrices; offsets are 32-bit kernel arguments */
    const size_t out_bytes = p->output_count * sizeof(float);
    size_t room =
        limit < (size_t)UINT32_MAX * sizeof(float) ? limit : (size_t)UINT32_MAX * sizeof(float);
    if (room < out_bytes + STAGE_ALIGN)
        return false;
    room -= out_bytes + STAGE_ALIGN;
    if (!plan_chunks(p, room, &l->nb, &l->rows, &l->bytes))
        return false;
    const size_t col = clconv_round_up(l->bytes, STAGE_ALIGN);
    l->staged = true;
    l->stage_off = col / sizeof(float);
    l->bytes = col + out_bytes;
    return true;
}

static bool gemm_supports(const clconv_problem *p, const clconv_device_info *dev, char *reason,
                          size_t reason_size)
{
    if (p->desc.dtype != CLCONV_FLOAT32) {
        snprintf(reason, reason_size,
                 "dtype = float16: the GEMM path runs CLBlast's float32 SGEMM; its half "
                 "routines need cl_khr_fp16 (%s) and accumulate in half, not float",
                 dev->has_fp16 ? "present on this device" : "absent on this device");
        return false;
    }
    size_t least = gemm_min_workspace(p, dev);
    if ((cl_ulong)least > dev->max_alloc_size) {
        snprintf(reason, reason_size,
                 "the smallest GEMM chunk needs %zu bytes of workspace: more than the device's "
                 "max allocation %llu",
                 least, (unsigned long long)dev->max_alloc_size);
        return false;
    }
    return true;
}

static size_t gemm_workspace_for_limit(const clconv_problem *p, const clconv_device_info *dev,
                                       size_t limit)
{
    gemm_layout l;
    return plan_layout(p, limit, &l) ? l.bytes : gemm_min_workspace(p, dev);
}

/* The layout under the default limit (plans use the context's own limit). */
static bool default_layout(const clconv_problem *p, const clconv_device_info *dev, gemm_layout *l)
{
    size_t limit = CLCONV_DEFAULT_WORKSPACE_LIMIT;
    if ((cl_ulong)limit > dev->max_alloc_size)
        limit = (size_t)dev->max_alloc_size;
    return plan_layout(p, limit, l);
}

static size_t gemm_workspace(const clconv_problem *p, const clconv_device_info *dev)
{
    gemm_layout l;
    return default_layout(p, dev, &l) ? l.bytes : gemm_min_workspace(p, dev);
}

/* CLBlast's SGEMM untuned on PoCL (2 cores, 166 GFLOP/s peak): dense products straight from
 * the input (1x1 stride 1) at ~8 GFLOP/s (6.3-11 measured), products over an im2col or into
 * a col2im workspace at ~4.6 (2.8-10; ResNet-50 3x3 64 at 56x56: 50 ms, direct 28); each
 * GEMM dimension under GEMM_TILE loses its share of the tile (grouped 3x3 with 4 channels
 * per group: ~1 GFLOP/s; depthwise: ~0.2; DCGAN's 1x1 input, n = 1: ~0.4). The column
 * matrix is written once and read once by the GEMM; each CLBlast call launches a few
 * kernels. */
#define GEMM_EFFICIENCY_1X1 0.05
#define GEMM_EFFICIENCY 0.028
#define GEMM_TILE 16.0
#define GEMM_LAUNCHES_PER_CALL 3
/* GPU (H100, CLBlast 1.5 untuned): ~18% of peak on large products (pix2pix 3x3 256 at 64x64:
 * 0.437 ms, 11 TFLOP/s), each dimension under GEMM_GPU_TILE losing its share; a product's
 * k loop runs serially per output, ~36 ns per k (ResNet-50's 3x3 stages, k 576..4608: 0.061,
 * 0.077, 0.113, 0.199 ms); each CLBlast call adds ~15 us over one kernel (1x1 layers' floor
 * 34 us, direct's 19). */
#define GEMM_GPU_EFFICIENCY 0.18
#define GEMM_GPU_TILE 32.0
#define GEMM_GPU_CHAIN 0.014
#define GEMM_GPU_CALL_SECONDS 15e-6

static double gemm_tile_share(double x)
{
    return x < GEMM_TILE ? x / GEMM_TILE : 1;
}

static double gemm_estimate(const clconv_problem *p, const clconv_device_info *dev)
{
    const clconv_desc *d = &p->desc;
    const bool conv = d->kind == CLCONV_CONV2D;
    const double kk = (double)d->kernel_h * d->kernel_w;
    const double macs = conv ? (double)p->output_count * p->cin_per_group * kk
                             : (double)p->input_count * p->cout_per_group * kk;
    /* per-group product: m x k times k x n, n the pixels of one image */
    const double m = conv ? (double)p->cout_per_group : (double)col_rows(p);
    const double k = conv ? (double)col_rows(p) : (double)p->cin_per_group;
    const double n = conv ? (double)p->out[2] * p->out[3] : (double)p->in[2] * p->in[3];
    const bool direct_1x1 = is_direct_1x1(p);
    const double eff = (direct_1x1 ? GEMM_EFFICIENCY_1X1 : GEMM_EFFICIENCY) * gemm_tile_share(m) *
                       gemm_tile_share(k) * gemm_tile_share(n);
    const double io = (double)(p->input_count + p->weight_count + p->output_count) * sizeof(float);
    const double calls = d->groups > 1 ? p->in[0] : 1;
    gemm_layout layout;
    const bool staged = default_layout(p, dev, &layout) && layout.staged;
    if (clconv_model_is_gpu(dev)) {
        const double share = (m < GEMM_GPU_TILE ? m / GEMM_GPU_TILE : 1) *
                             (k < GEMM_GPU_TILE ? k / GEMM_GPU_TILE : 1) *
                             (n < GEMM_GPU_TILE ? n / GEMM_GPU_TILE : 1);
        double gpu = clconv_model_gpu_seconds(dev, 2 * macs, GEMM_GPU_EFFICIENCY * share, 2 * k,
                                              GEMM_GPU_CHAIN, io, calls) +
                     calls * GEMM_GPU_CALL_SECONDS;
        if (!direct_1x1)
            gpu += clconv_model_seconds(
                dev, 0, 1, 2 * row_bytes(p) * p->in[0] * (conv ? p->out[2] : p->in[2]), 1);
        if (staged)
            gpu += clconv_model_seconds(dev, 0, 1, 2.0 * p->output_count * sizeof(float), 1);
        return gpu;
    }
    double seconds = clconv_model_seconds(dev, 2 * macs, eff, io, calls * GEMM_LAUNCHES_PER_CALL);
    if (!direct_1x1) /* im2col / col2im: the column matrix written and read back */
        seconds += clconv_model_seconds(
            dev, 0, 1, 2 * row_bytes(p) * p->in[0] * (conv ? p->out[2] : p->in[2]), 1);
    if (staged) /* the staged results copied to the output (with the bias) */
        seconds += clconv_model_seconds(dev, 0, 1, 2.0 * p->output_count * sizeof(float), 1);
    return seconds;
}

static void gemm_release(clconv_plan *plan)
{
    gemm_state *s = plan->state;
    if (!s)
        return;
    if (s->lower)
        clReleaseKernel(s->lower);
    if (s->finish)
        clReleaseKernel(s->finish);
    free(s);
    plan->state = NULL;
}

static clconv_status gemm_prepare(clconv_plan *plan)
{
    clconv_context *ctx = plan->ctx;
    const clconv_problem *p = &plan->problem;
    const clconv_desc *d = &p->desc;
    const size_t limit = plan->workspace_limit; /* the context's cap at plan creation */
    gemm_state *s = calloc(1, sizeof *s);
    if (!s)
        return clconv_fail(ctx, CLCONV_ERROR_OUT_OF_HOST_MEMORY, "GEMM plan state");
    plan->state = s;
    s->transposed = d->kind == CLCONV_CONV_TRANSPOSE2D;
    s->direct_1x1 = is_direct_1x1(p);
    gemm_layout l;
    if (!plan_layout(p, limit, &l)) {
        gemm_release(plan);
        return clconv_fail(ctx, CLCONV_ERROR_UNSUPPORTED,
                           "workspace limit = %zu bytes: the smallest GEMM chunk needs %zu", limit,
                           gemm_min_workspace(p, &ctx->info));
    }
    s->nb = l.nb;
    s->rows = l.rows;
    s->staged = l.staged;
    s->stage_off = l.stage_off;
    plan->workspace_size = l.bytes;

    clconv_status st = CLCONV_SUCCESS;
    char options[64];
    if (s->direct_1x1) {
        /* nothing to lower */
    } else if (!s->transposed) {
        snprintf(options, sizeof options, "-D PAD_MODE=%d", (int)d->padding_mode);
        st = clconv_create_kernel(ctx, "im2col.cl", options, "im2col", &s->lower);
        const int args[] = {p->in[1],      p->in[2],      p->in[3],         p->out[3],  d->kernel_h,
                            d->kernel_w,   d->stride_h,   d->stride_w,      d->pad_top, d->pad_left,
                            d->dilation_h, d->dilation_w, p->cin_per_group, d->groups};
        if (st == CLCONV_SUCCESS)
            st = clconv_set_int_args(ctx, s->lower, 2, args, sizeof args / sizeof args[0]);
    } else {
        const bool no_overlap = d->dilation_h == 1 && d->dilation_w == 1 &&
                                d->kernel_h <= d->stride_h && d->kernel_w <= d->stride_w;
        snprintf(options, sizeof options, "-D NO_OVERLAP=%d", no_overlap ? 1 : 0);
        st = clconv_create_kernel(ctx, "col2im.cl", options, "col2im", &s->lower);
        const int args[] = {p->out[1],     p->out[2],         p->out[3],   p->in[2],
                            p->in[3],      d->kernel_h,       d->kernel_w, d->stride_h,
                            d->stride_w,   d->pad_top,        d->pad_left, d->dilation_h,
                            d->dilation_w, p->cout_per_group, d->bias != 0};
        if (st == CLCONV_SUCCESS)
            st = clconv_set_int_args(ctx, s->lower, 3, args, sizeof args / sizeof args[0]);
        const cl_uint out_off = s->staged ? (cl_uint)s->stage_off : 0;
        cl_int err = st == CLCONV_SUCCESS ? clSetKernelArg(s->lower, 24, sizeof out_off, &out_off)
                                          : CL_SUCCESS;
        if (err != CL_SUCCESS)
            st = clconv_fail_cl(ctx, err, "clSetKernelArg");
    }
    if (st == CLCONV_SUCCESS && s->staged) {
        st = clconv_create_kernel(ctx, "im2col.cl", "-D PAD_MODE=0", "stage_finish", &s->finish);
        /* col2im adds the bias of the transposed paths itself */
        const int has_bias = d->bias && (s->direct_1x1 || !s->transposed);
        const int args[] = {p->out[1], p->out[2] * p->out[3], p->out[0], has_bias};
        const cl_uint off = (cl_uint)s->stage_off;
        if (st == CLCONV_SUCCESS)
            st = clconv_set_int_args(ctx, s->finish, 4, args, 4);
        cl_int err =
            st == CLCONV_SUCCESS ? clSetKernelArg(s->finish, 1, sizeof off, &off) : CL_SUCCESS;
        if (err != CL_SUCCESS)
            st = clconv_fail_cl(ctx, err, "clSetKernelArg");
    }
    if (st != CLCONV_SUCCESS)
        gemm_release(plan);
    return st;
}

/* Orders dependent steps on an out-of-order queue (an in-order queue orders them already;
 * CLBlast takes no wait list, so events alone cannot chain its calls). */
static clconv_status step_barrier(clconv_plan *plan)
{
    gemm_state *s = plan->state;
    if (!s->out_of_order)
        return CLCONV_SUCCESS;
    cl_int err = clEnqueueBarrierWithWaitList(s->queue, 0, NULL, NULL);
    return err == CL_SUCCESS ? CLCONV_SUCCESS
                             : clconv_fail_cl(plan->ctx, err, "clEnqueueBarrierWithWaitList");
}

static clconv_status run_kernel(clconv_plan *plan, cl_kernel k, const size_t global[3],
                                cl_event *event)
{
    clconv_status st = step_barrier(plan);
    if (st != CLCONV_SUCCESS)
        return st;
    size_t local[3];
    clconv_pick_local_size(&plan->ctx->info, global, local);
    return clconv_enqueue_kernel(plan->ctx, ((gemm_state *)plan->state)->queue, k, 3, global, local,
                                 0, NULL, event);
}

static clconv_status set_mem_args(clconv_context *ctx, cl_kernel k, const cl_mem *bufs, int n)
{
    for (int i = 0; i < n; i++) {
        cl_int err = clSetKernelArg(k, (cl_uint)i, sizeof(cl_mem), &bufs[i]);
        if (err != CL_SUCCESS)
            return clconv_fail_cl(ctx, err, "clSetKernelArg");
    }
    return CLCONV_SUCCESS;
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
static clconv_status run_gemms(clconv_plan *plan, bool trans_a, size_t m, size_t n, size_t k,
                               const operand *a, const operand *b, const operand *c, int nb, int G,
                               cl_event *event)
{
    gemm_state *s = plan->state;
    clconv_status st = step_barrier(plan);
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
            c->off + i * c->image_stride, c->ld, sc, batch, &s->queue,
            i == calls - 1 ? event : NULL);
        if (code != CLBlastSuccess)
            st = clconv_fail(plan->ctx, CLCONV_ERROR_OPENCL,
                             "CLBlastSgemmStridedBatched (m %zu n %zu k %zu, batch %zu) failed: "
                             "CLBlast status %d%s%s",
                             m, n, k, batch, (int)code, code > -1000 ? " = " : "",
                             code > -1000 ? clconv_cl_error_name(code) : "");
    }
    return st;
}

/* Where the products go: the staging area, or the output itself. */
static operand result_operand(const gemm_state *s, const clconv_enqueue_args *x, size_t off,
                              size_t image_stride, size_t group_stride, size_t ld)
{
    const operand c = {s->staged ? x->workspace : x->output, (s->staged ? s->stage_off : 0) + off,
                       image_stride, group_stride, ld};
    return c;
}

static clconv_status enqueue_1x1(clconv_plan *plan, const clconv_enqueue_args *x, cl_event *event)
{
    gemm_state *s = plan->state;
    const clconv_problem *p = &plan->problem;
    const size_t HW = (size_t)p->in[2] * p->in[3];
    const size_t cin = (size_t)p->cin_per_group, cout = (size_t)p->cout_per_group;
    /* Conv2d: W[g] (cout x cin) x in; transposed: W[g] stored (cin x cout), used transposed */
    const operand a = {x->weight, 0, 0, cin * cout, s->transposed ? cout : cin};
    const operand b = {x->input, 0, (size_t)p->in[1] * HW, cin * HW, HW};
    const operand c = result_operand(s, x, 0, (size_t)p->out[1] * HW, cout * HW, HW);
    return run_gemms(plan, s->transposed, cout, HW, cin, &a, &b, &c, p->in[0], p->desc.groups,
                     event);
}

static clconv_status enqueue_conv2d(clconv_plan *plan, const clconv_enqueue_args *x,
                                    cl_event *event)
{
    gemm_state *s = plan->state;
    const clconv_problem *p = &plan->problem;
    const int N = p->in[0], OH = p->out[2], OW = p->out[3], G = p->desc.groups;
    const size_t R = col_rows(p), P = (size_t)OH * OW, cout = (size_t)p->cout_per_group;
    const cl_mem bufs[2] = {x->input, x->workspace};
    clconv_status st = set_mem_args(plan->ctx, s->lower, bufs, 2);
    for (int n0 = 0; n0 < N && st == CLCONV_SUCCESS; n0 += s->nb) {
        const int nb = s->nb < N - n0 ? s->nb : N - n0;
        for (int y0 = 0; y0 < OH && st == CLCONV_SUCCESS; y0 += s->rows) {
            const int rows = s->rows < OH - y0 ? s->rows : OH - y0;
            const size_t Q = (size_t)rows * OW;
            const int chunk[] = {n0, y0, rows, nb * G};
            if ((st = clconv_set_int_args(plan->ctx, s->lower, 16, chunk, 4)) != CLCONV_SUCCESS)
                break;
            const size_t global[3] = {Q, R, (size_t)nb * G};
            if ((st = run_kernel(plan, s->lower, global, NULL)) != CLCONV_SUCCESS)
                break;
            const operand a = {x->weight, 0, 0, cout * R, R};
            const operand b = {x->workspace, 0, G * R * Q, R * Q, Q};
            const operand c = result_operand(s, x, (size_t)n0 * p->out[1] * P + (size_t)y0 * OW,
                                             (size_t)p->out[1] * P, cout * P, P);
            /* unstaged, this is the plan's one GEMM call */
            st = run_gemms(plan, false, cout, Q, R, &a, &b, &c, nb, G, s->staged ? NULL : event);
        }
    }
    return st;
}

static clconv_status enqueue_transposed(clconv_plan *plan, const clconv_enqueue_args *x,
                                        cl_event *event)
{
    gemm_state *s = plan->state;
    const clconv_problem *p = &plan->problem;
    const int N = p->in[0], OH = p->out[2], G = p->desc.groups;
    const size_t M = col_rows(p), W = (size_t)p->in[3], HW = (size_t)p->in[2] * W;
    const size_t cin = (size_t)p->cin_per_group;
    const cl_mem bias = x->bias ? x->bias : x->weight; /* not read without bias */
    const cl_mem bufs[3] = {x->workspace, bias, s->staged ? x->workspace : x->output};
    clconv_status st = set_mem_args(plan->ctx, s->lower, bufs, 3);
    for (int n0 = 0; n0 < N && st == CLCONV_SUCCESS; n0 += s->nb) {
        const int nb = s->nb < N - n0 ? s->nb : N - n0;
        for (int oy0 = 0; oy0 < OH && st == CLCONV_SUCCESS; oy0 += s->rows) {
            const int orows = s->rows < OH - oy0 ? s->rows : OH - oy0;
            int iy0;
            const int irows = input_band(p, oy0, orows, &iy0);
            const size_t IQ = (size_t)irows * W;
            if (irows > 0) {
                const operand a = {x->weight, 0, 0, cin * M, M};
                const operand b = {x->input, (size_t)n0 * p->in[1] * HW + (size_t)iy0 * W,
                                   (size_t)p->in[1] * HW, cin * HW, HW};
                const operand c = {x->workspace, 0, G * M * IQ, M * IQ, IQ};
                st = run_gemms(plan, true, M, IQ, cin, &a, &b, &c, nb, G, NULL);
                if (st != CLCONV_SUCCESS)
                    break;
            }
            const int chunk[] = {n0, oy0, orows, irows > 0 ? iy0 : 0, irows, nb * p->out[1]};
            if ((st = clconv_set_int_args(plan->ctx, s->lower, 18, chunk, 6)) != CLCONV_SUCCESS)
                break;
            const size_t global[3] = {(size_t)p->out[3], (size_t)orows, (size_t)nb * p->out[1]};
            /* unstaged, this is the plan's one col2im pass */
            st = run_kernel(plan, s->lower, global, s->staged ? NULL : event);
        }
    }
    return st;
}

static clconv_status gemm_enqueue(clconv_plan *plan, const clconv_enqueue_args *a)
{
    gemm_state *s = plan->state;
    const clconv_problem *p = &plan->problem;
    clconv_context *ctx = plan->ctx;
    cl_int err;
    /* the queue may differ between enqueues (clconv_plan_enqueue_on_queue) */
    cl_command_queue_properties props = 0;
    clGetCommandQueueInfo(a->queue, CL_QUEUE_PROPERTIES, sizeof props, &props, NULL);
    s->queue = a->queue;
    s->out_of_order = (props & CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE) != 0;
    if (a->num_wait_events) {
        /* CLBlast takes no wait list: a barrier holds everything after it */
        err = clEnqueueBarrierWithWaitList(a->queue, a->num_wait_events, a->wait_events, NULL);
        if (err != CL_SUCCESS)
            return clconv_fail_cl(ctx, err, "clEnqueueBarrierWithWaitList");
    }
    clconv_status st = CLCONV_SUCCESS;
    if (s->staged) {
        /* set before anything is enqueued: the finishing copy is the one output writer */
        const cl_mem bias = a->bias ? a->bias : a->workspace; /* not read without bias */
        const cl_mem bufs[3] = {a->workspace, bias, a->output};
        static const cl_uint index[3] = {0, 2, 3}; /* 1 is the offset, set at prepare */
        for (int i = 0; i < 3 && st == CLCONV_SUCCESS; i++) {
            err = clSetKernelArg(s->finish, index[i], sizeof(cl_mem), &bufs[i]);
            if (err != CL_SUCCESS)
                st = clconv_fail_cl(ctx, err, "clSetKernelArg");
        }
    }
    cl_event *last = s->staged ? NULL : a->event;
    if (st != CLCONV_SUCCESS)
        return st;
    if (s->direct_1x1)
        st = enqueue_1x1(plan, a, last);
    else if (s->transposed)
        st = enqueue_transposed(plan, a, last);
    else
        st = enqueue_conv2d(plan, a, last);
    if (st == CLCONV_SUCCESS && s->staged) {
        const size_t global[3] = {(size_t)p->out[2] * p->out[3], (size_t)p->out[1],
                                  (size_t)p->out[0]};
        st = run_kernel(plan, s->finish, global, a->event);
    }
    /* The last command's event stands for the whole chain: each step follows the previous
     * one (an in-order queue, or a barrier before each step on an out-of-order queue). */
    return st;
}

const clconv_algo_impl clconv_algo_gemm = {
    .id = CLCONV_ALGO_GEMM,
    .name = "gemm",
    .supports = gemm_supports,
    .workspace = gemm_workspace,
    .estimate = gemm_estimate,
    .prepare = gemm_prepare,
    .enqueue = gemm_enqueue,
    .release = gemm_release,
    .min_workspace = gemm_min_workspace,
    .workspace_for_limit = gemm_workspace_for_limit,
};
