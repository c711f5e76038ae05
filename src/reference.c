/* CPU reference: a direct evaluation in double precision, the yardstick of every device path.
 *
 * Non-finite values follow torch.nn.Conv2d's definition: Conv2d is the correlation of the
 * explicitly padded input, so every tap multiplies, zero-padding taps included (0 * inf and
 * 0 * NaN give NaN); ConvTranspose2d forms only the products x[i] * w[k] that exist. */
#include <stdbool.h>
#include <stddef.h>

#include "src/epilogue.h"
#include "src/internal.h"

int clconv_map_padded_coord(int i, int n, clconv_padding_mode mode)
{
    if (i >= 0 && i < n)
        return i;
    switch (mode) {
    case CLCONV_PADDING_REFLECT:
        return i < 0 ? -i : 2 * (n - 1) - i;
    case CLCONV_PADDING_REPLICATE:
        return i < 0 ? 0 : n - 1;
    case CLCONV_PADDING_CIRCULAR:
        return i < 0 ? i + n : i - n;
    default:
        return -1;
    }
}

/* The epilogue of one output: the residual's element (read before the output is written, so
 * residual may be out itself), then the activation. */
static float finish(const clconv_problem *p, double acc, const float *residual, size_t i)
{
    if (residual)
        acc += residual[i];
    return (float)clconv_activate_double(&p->desc, acc);
}

static void conv2d(const clconv_problem *p, const float *in, const float *w, const float *bias,
                   const float *residual, float *out)
{
    const clconv_desc *d = &p->desc;
    const int H = p->in[2], W = p->in[3], OH = p->out[2], OW = p->out[3];
    const int cinpg = p->cin_per_group, coutpg = p->cout_per_group;
    for (int n = 0; n < p->out[0]; n++)
        for (int co = 0; co < p->out[1]; co++) {
            const int g = co / coutpg;
            const float *wco = w + (size_t)co * cinpg * d->kernel_h * d->kernel_w;
            for (int y = 0; y < OH; y++)
                for (int x = 0; x < OW; x++) {
                    double acc = bias ? (double)bias[co] : 0.0;
                    for (int ci = 0; ci < cinpg; ci++) {
                        const float *plane =
                            in + ((size_t)n * p->in[1] + (size_t)g * cinpg + ci) * H * W;
                        const float *wci = wco + (size_t)ci * d->kernel_h * d->kernel_w;
                        for (int ky = 0; ky < d->kernel_h; ky++) {
                            int iy = clconv_map_padded_coord(y * d->stride_h - d->pad_top +
                                                                 ky * d->dilation_h,
                                                             H, d->padding_mode);
                            for (int kx = 0; kx < d->kernel_w; kx++) {
                                int ix = clconv_map_padded_coord(x * d->stride_w - d->pad_left +
                                                                     kx * d->dilation_w,
                                                                 W, d->padding_mode);
                                /* a zero-padding tap multiplies too (0 * inf = NaN), as
                                 * torch.nn.Conv2d over the explicitly padded input */
                                double v = iy < 0 || ix < 0 ? 0.0 : plane[(size_t)iy * W + ix];
                                acc += (double)wci[ky * d->kernel_w + kx] * v;
                            }
                        }
                    }
                    const size_t o = (((size_t)n * p->out[1] + co) * OH + y) * OW + x;
                    out[o] = finish(p, acc, residual, o);
                }
        }
}

/* Input index that reaches output coordinate o through tap k, or -1: o = i*s - pad + k*dil. */
static int transposed_source(int o, int k, int s, int pad, int dil, int n)
{
    int t = o + pad - k * dil;
    if (t < 0 || t % s)
        return -1;
    t /= s;
    return t < n ? t : -1;
}

static void conv_transpose2d(const clconv_problem *p, const float *in, const float *w,
                             const float *bias, const float *residual, float *out)
{
    const clconv_desc *d = &p->desc;
    const int H = p->in[2], W = p->in[3], OH = p->out[2], OW = p->out[3];
    const int cinpg = p->cin_per_group, coutpg = p->cout_per_group;
    const size_t ksize = (size_t)d->kernel_h * d->kernel_w;
    for (int n = 0; n < p->out[0]; n++)
        for (int co = 0; co < p->out[1]; co++) {
            const int g = co / coutpg, col = co % coutpg;
            for (int y = 0; y < OH; y++)
                for (int x = 0; x < OW; x++) {
                    double acc = bias ? (double)bias[co] : 0.0;
                    for (int ci = g * cinpg; ci < (g + 1) * cinpg; ci++) {
                        const float *plane = in + ((size_t)n * p->in[1] + ci) * H * W;
                        const float *wk = w + ((size_t)ci * coutpg + col) * ksize;
                        for (int ky = 0; ky < d->kernel_h; ky++) {
                            int iy =
                                transposed_source(y, ky, d->stride_h, d->pad_top, d->dilation_h, H);
                            if (iy < 0)
                                continue;
                            for (int kx = 0; kx < d->kernel_w; kx++) {
                                int ix = transposed_source(x, kx, d->stride_w, d->pad_left,
                                                           d->dilation_w, W);
                                if (ix < 0)
                                    continue;
                                acc += (double)wk[(size_t)ky * d->kernel_w + kx] *
                                       (double)plane[(size_t)iy * W + ix];
                            }
                        }
                    }
                    const size_t o = (((size_t)n * p->out[1] + co) * OH + y) * OW + x;
                    out[o] = finish(p, acc, residual, o);
                }
        }
}

static clconv_status reference(const clconv_desc *desc, const int input_nchw[4], const float *input,
                               const float *weight, const float *bias, const float *residual,
                               float *output)
{
    clconv_problem p;
    clconv_status st = clconv_problem_init(desc, input_nchw, &p);
    if (st != CLCONV_SUCCESS)
        return st;
    const char *missing = !input                          ? "input"
                          : !weight                       ? "weight"
                          : !output                       ? "output"
                          : (desc->bias && !bias)         ? "bias"
                          : (desc->residual && !residual) ? "residual"
                                                          : NULL;
    const bool by_desc = missing && (missing[0] == 'b' || missing[0] == 'r');
    if (missing)
        return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT, "%s is NULL%s%s%s", missing,
                           by_desc ? " but desc->" : "", by_desc ? missing : "",
                           by_desc ? " is set" : "");
    if (!desc->bias)
        bias = NULL;
    if (!desc->residual)
        residual = NULL;
    if (desc->kind == CLCONV_CONV2D)
        conv2d(&p, input, weight, bias, residual, output);
    else
        conv_transpose2d(&p, input, weight, bias, residual, output);
    return CLCONV_SUCCESS;
}

clconv_status clconv_reference(const clconv_desc *desc, const int input_nchw[4], const float *input,
                               const float *weight, const float *bias, float *output)
{
    if (desc && desc->residual)
        return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT,
                           "desc->residual = %d: use clconv_reference_residual, which takes the "
                           "residual tensor",
                           desc->residual);
    return reference(desc, input_nchw, input, weight, bias, NULL, output);
}

clconv_status clconv_reference_residual(const clconv_desc *desc, const int input_nchw[4],
                                        const float *input, const float *weight, const float *bias,
                                        const float *residual, float *output)
{
    return reference(desc, input_nchw, input, weight, bias, residual, output);
}
