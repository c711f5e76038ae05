/* The GEMM family's workspace layout: the column matrices of one chunk of images and output
 * rows, and the staging area of the results (src/gemm-layout.h).
 *
 * When all images do not fit under the workspace limit, the batch is split, and when one
 * image does not fit, its output rows are split too (transposed: each band of output rows
 * with the band of input rows it reads, so every output value is still computed in one pass
 * and chunking does not change results).
 *
 * The output is written by one command: when the plan would write it with several (chunks,
 * one GEMM call per image of a grouped layer, or a GEMM then a bias pass), the results go to
 * a staging area after the column matrices and stage_finish copies them to the output, adding
 * the bias, as the last command (src/gemm-enqueue.c). */
#include <stdint.h>

#include "src/epilogue.h"
#include "src/gemm-layout.h"

bool clconv_gemm_is_1x1(const clconv_problem *p, const char **field, int *value)
{
    const clconv_desc *d = &p->desc;
    const struct {
        const char *name;
        int value, want;
    } fields[] = {
        {"kernel_h", d->kernel_h, 1},
        {"kernel_w", d->kernel_w, 1},
        {"stride_h", d->stride_h, 1},
        {"stride_w", d->stride_w, 1},
        {"pad_top", d->pad_top, 0},
        {"pad_bottom", d->pad_bottom, 0},
        {"pad_left", d->pad_left, 0},
        {"pad_right", d->pad_right, 0},
        {"output_padding_h", d->output_padding_h, 0},
        {"output_padding_w", d->output_padding_w, 0},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (fields[i].value != fields[i].want) {
            if (field)
                *field = fields[i].name;
            if (value)
                *value = fields[i].value;
            return false;
        }
    return true;
}

size_t clconv_gemm_col_rows(const clconv_problem *p)
{
    const clconv_desc *d = &p->desc;
    const size_t per_group =
        (size_t)(d->kind == CLCONV_CONV2D ? p->cin_per_group : p->cout_per_group);
    return per_group * (size_t)d->kernel_h * (size_t)d->kernel_w;
}

double clconv_gemm_row_bytes(const clconv_problem *p)
{
    const int width = p->desc.kind == CLCONV_CONV2D ? p->out[3] : p->in[3];
    return (double)p->desc.groups * (double)clconv_gemm_col_rows(p) * width * sizeof(float);
}

int clconv_gemm_input_band(const clconv_problem *p, int oy0, int orows, int *lo)
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
        const int rows = orows < p->out[2] - oy0 ? orows : p->out[2] - oy0;
        const int n = clconv_gemm_input_band(p, oy0, rows, &lo);
        if (n > most)
            most = n;
    }
    return most;
}

/* Rows of the chunk's row unit a chunk of r output rows holds. */
static double unit_rows(const clconv_problem *p, int r)
{
    return p->desc.kind == CLCONV_CONV_TRANSPOSE2D ? max_band(p, r) : r;
}

/* Commands that would write the output with these chunks and no staging: the GEMM calls
 * (Conv2d, the 1x1 path) or col2im passes (transposed), plus the pass after GEMMs that adds
 * the bias or applies the epilogue (CLBlast does neither). */
static double output_writers(const clconv_problem *p, bool lowered, int nb, int rows)
{
    const int N = p->in[0], OH = p->out[2], G = p->desc.groups;
    const double chunks = (double)((N + nb - 1) / nb) * ((OH + rows - 1) / rows);
    if (lowered && p->desc.kind == CLCONV_CONV_TRANSPOSE2D)
        return chunks; /* col2im adds the bias */
    return chunks * (G == 1 ? 1 : nb) + (p->desc.bias || clconv_has_epilogue(p) ? 1 : 0);
}

/* Chunk sizes under limit bytes; false if even the smallest chunk does not fit. */
static bool plan_chunks(const clconv_problem *p, bool lowered, size_t limit, int *nb, int *rows,
                        size_t *bytes)
{
    const int N = p->in[0], OH = p->out[2];
    if (!lowered) {
        *nb = N;
        *rows = OH;
        *bytes = 0;
        return true;
    }
    const bool transposed = p->desc.kind == CLCONV_CONV_TRANSPOSE2D;
    const double per_row = clconv_gemm_row_bytes(p);
    const double per_image = per_row * unit_rows(p, OH);
    int n = 1, r = OH;
    if (per_image <= (double)limit) {
        const double fit = (double)limit / per_image;
        n = fit >= N ? N : (int)fit;
    } else {
        /* one image at a time, bands of rows: the largest band that fits */
        const double fit_rows = (double)limit / per_row;
        if (!transposed) {
            r = fit_rows >= OH ? OH : (int)fit_rows;
        } else {
            /* input rows of a band of r output rows <= (r - 1 + (kh-1)*dh) / sh + 1 */
            const clconv_desc *d = &p->desc;
            const double rr = fit_rows * d->stride_h - (double)(d->kernel_h - 1) * d->dilation_h;
            r = rr >= OH ? OH : rr < 1 ? 1 : (int)rr;
        }
        if (r < 1 || per_row * unit_rows(p, r) > (double)limit)
            return false;
    }
    /* even chunks: the same number of them, less waste in the last one */
    int chunks = (N + n - 1) / n;
    n = (N + chunks - 1) / chunks;
    chunks = (OH + r - 1) / r;
    r = (OH + chunks - 1) / chunks;
    *nb = n;
    *rows = r;
    *bytes = (size_t)((double)n * per_row * unit_rows(p, r));
    return true;
}

/* The staging area's room: offsets are 32-bit kernel arguments (in floats). */
static size_t stage_room(size_t limit)
{
    const size_t cap = (size_t)UINT32_MAX * sizeof(float);
    return limit < cap ? limit : cap;
}

bool clconv_gemm_plan_layout(const clconv_problem *p, bool lowered, size_t limit,
                             clconv_gemm_layout *l)
{
    l->staged = false;
    l->stage_off = 0;
    if (!plan_chunks(p, lowered, limit, &l->nb, &l->rows, &l->bytes))
        return false;
    if (output_writers(p, lowered, l->nb, l->rows) <= 1)
        return true;
    /* the staging area after the column matrices */
    const size_t out_bytes = p->output_count * sizeof(float);
    size_t room = stage_room(limit);
    if (room < out_bytes + CLCONV_GEMM_STAGE_ALIGN)
        return false;
    room -= out_bytes + CLCONV_GEMM_STAGE_ALIGN;
    if (!plan_chunks(p, lowered, room, &l->nb, &l->rows, &l->bytes))
        return false;
    const size_t col = clconv_round_up(l->bytes, CLCONV_GEMM_STAGE_ALIGN);
    l->staged = true;
    l->stage_off = col / sizeof(float);
    l->bytes = col + out_bytes;
    return true;
}

size_t clconv_gemm_least_limit(const clconv_problem *p, bool lowered)
{
    /* one chunk of everything, when that writes the output with one command */
    double least = (double)SIZE_MAX;
    if (output_writers(p, lowered, p->in[0], p->out[2]) <= 1)
        least = lowered ? (double)p->in[0] * clconv_gemm_row_bytes(p) * unit_rows(p, p->out[2]) : 0;
    /* else the smallest chunk (one image, one output row) and the staging area */
    const double min_col = lowered ? clconv_gemm_row_bytes(p) * unit_rows(p, 1) : 0;
    const double staged =
        min_col + (double)CLCONV_GEMM_STAGE_ALIGN + (double)p->output_count * sizeof(float);
    if (staged < least && staged <= (double)stage_room(SIZE_MAX))
        least = staged;
    return least >= (double)SIZE_MAX ? SIZE_MAX : (size_t)least;
}
