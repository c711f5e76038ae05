/*
 * ConvTranspose2d for the GEMM family, second step (OpenCL C 1.2, float32; src/algo-gemm.c,
 * variant gemm.col2im).
 *
 * The GEMM wrote, per (image, group), col = W_g^T x in_g for a band of input rows:
 *   col[((nn * G + g) * M + m) * IQ + (iy - iy0) * W + ix],  M = coutpg * kh * kw,
 *   m = (co * kh + ky) * kw + kx,  IQ = irows * W,
 * the contribution of input pixel (iy, ix) through tap (ky, kx) to output channel
 * g * coutpg + co. col2im gathers, for each output pixel of a band of output rows, the taps
 * that land on it: oy = iy * sh - pt + ky * dh (same in x). Each work-item owns one output
 * value, so there are no atomics and the result does not depend on scheduling. The host
 * picks the input band [iy0, iy0 + irows) to hold every input row the output band reads.
 *
 * Build options (set by the host):
 *   -D NO_OVERLAP=0|1  1: kernel <= stride and dilation 1 on both axes (e.g. kernel ==
 *                      stride): each output pixel receives at most one tap per axis, found
 *                      by one division instead of a loop over the kernel.
 *
 * The result goes to out + out_off: the output itself, through the epilogue (cl/prelude.cl's
 * options), or a staging area in the workspace when the plan writes the output in several
 * chunks (src/gemm-layout.c; built without the epilogue, which stage_finish applies then).
 *
 * NDRange: (OW, orows, nbk = nb * K) of the chunk, rounded up to the work-group shape;
 * work-items past the extents return at once. The chunk's arguments (n0 ... nbk) come last
 * but for the epilogue's residual:
 * the host sets them for each chunk.
 */
#ifndef NO_OVERLAP
#error "NO_OVERLAP comes from the host (src/algo-gemm.c)"
#endif

__kernel void col2im(__global const float *restrict col, __global const float *restrict bias,
                     __global STORAGE *OUT_RESTRICT out, int K, int OH, int OW, int H, int W,
                     int kh, int kw, int sh, int sw, int pt, int pl, int dh, int dw, int coutpg,
                     int has_bias, uint out_off, int n0, int oy0, int orows, int iy0, int irows,
                     int nbk EPILOGUE_PARAMS)
{
    const int ox = get_global_id(0);
    const int oyr = get_global_id(1);
    const int nk = get_global_id(2);
    if (ox >= OW || oyr >= orows || nk >= nbk)
        return;
    const int oy = oy0 + oyr;
    const int nn = nk / K;
    const int k = nk - nn * K;
    const int g = k / coutpg;
    const int co = k - g * coutpg;
    const int G = K / coutpg;
    const int M = coutpg * kh * kw;
    const int IQ = irows * W;
    __global const float *c = col + ((size_t)(nn * G + g) * M + (size_t)co * kh * kw) * IQ;
    float acc = has_bias ? bias[k] : 0.0f;
    const int ty = oy + pt;
    const int tx = ox + pl;
#if NO_OVERLAP
    const int ky = ty % sh, iy = ty / sh;
    const int kx = tx % sw, ix = tx / sw;
    if (ky < kh && kx < kw && iy < H && ix < W)
        acc += c[(size_t)(ky * kw + kx) * IQ + (iy - iy0) * W + ix];
#else
    for (int ky = 0; ky < kh; ky++) {
        const int dy = ty - ky * dh;
        if (dy < 0)
            break;
        if (dy % sh)
            continue;
        const int iy = dy / sh;
        if (iy >= H)
            continue;
        for (int kx = 0; kx < kw; kx++) {
            const int dx = tx - kx * dw;
            if (dx < 0)
                break;
            if (dx % sw)
                continue;
            const int ix = dx / sw;
            if (ix < W)
                acc += c[(size_t)(ky * kw + kx) * IQ + (iy - iy0) * W + ix];
        }
    }
#endif
    EPI_STORE(out, out_off + (((size_t)(n0 + nn) * K + k) * OH + oy) * OW + ox, acc);
}
