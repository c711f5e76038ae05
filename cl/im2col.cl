/*
 * Conv2d lowering for the GEMM algorithm (OpenCL C 1.2, float32).
 *
 * im2col: writes the column matrix of a chunk of images and output rows, one matrix per
 * (image, group):
 *   col[((nn * G + g) * R + r) * Q + q],  R = cinpg * kh * kw,  Q = rows * OW,
 *   r = (ci * kh + ky) * kw + kx,  q = (y - y0) * OW + x
 * holding in_padded[n0 + nn, g * cinpg + ci, y * sh - pt + ky * dh, x * sw - pl + kx * dw].
 * Padding modes and dilation live in this index arithmetic only, so the GEMM that follows is
 * a plain product: out[n, g * coutpg + k, y0 * OW + q] = sum_r W[g * coutpg + k, r] * col[r, q].
 *
 * Build options:
 *   -D PAD_MODE=0..3   zeros, reflect, replicate, circular
 *
 * NDRange: (Q, R, nb * G); work-items past the extents return at once.
 */
#ifndef PAD_MODE
#define PAD_MODE 0
#endif

__kernel void im2col(__global const float *restrict in, __global float *restrict col, int C, int H,
                     int W, int OW, int kh, int kw, int sh, int sw, int pt, int pl, int dh, int dw,
                     int cinpg, int G, int n0, int y0, int rows, int nbg)
{
    const int q = get_global_id(0);
    const int r = get_global_id(1);
    const int ng = get_global_id(2);
    const int Q = rows * OW;
    const int R = cinpg * kh * kw;
    if (q >= Q || r >= R || ng >= nbg)
        return;
    const int nn = ng / G;
    const int g = ng - nn * G;
    const int kx = r % kw;
    const int ky = (r / kw) % kh;
    const int ci = r / (kw * kh);
    const int y = y0 + q / OW;
    const int x = q % OW;
    const int iy = map_coord(y * sh - pt + ky * dh, H, PAD_MODE);
    const int ix = map_coord(x * sw - pl + kx * dw, W, PAD_MODE);
    float v = 0.0f;
    if (iy >= 0 && ix >= 0)
        v = in[(((size_t)(n0 + nn) * C + (size_t)g * cinpg + ci) * H + iy) * W + ix];
    col[((size_t)ng * R + r) * Q + q] = v;
}

/* out[n, k, p] = staged[off + (n, k, p)] (+ bias[k]): the one command that writes the output
 * of a plan whose GEMMs (beta = 0) or chunks wrote their results into the workspace, so a
 * failure to enqueue any step leaves the output untouched. NDRange: (P, K, N). */
__kernel void stage_finish(__global const float *restrict staged, uint off,
                           __global const float *restrict bias, __global float *restrict out, int K,
                           int P, int N, int has_bias)
{
    const int p = get_global_id(0);
    const int k = get_global_id(1);
    const int n = get_global_id(2);
    if (p >= P || k >= K || n >= N)
        return;
    const size_t i = ((size_t)n * K + k) * P + p;
    out[i] = staged[off + i] + (has_bias ? bias[k] : 0.0f);
}
