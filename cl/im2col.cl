/*
 * Conv2d lowering of the GEMM family (OpenCL C 1.2, float32; src/algo-gemm.c, variant
 * gemm.im2col).
 *
 * im2col: writes the column matrix of a chunk of images and output rows, one matrix per
 * (image, group):
 *   col[((nn * G + g) * R + r) * Q + q],  R = cinpg * kh * kw,  Q = rows * OW,
 *   r = (ci * kh + ky) * kw + kx,  q = (y - y0) * OW + x
 * holding in_padded[n0 + nn, g * cinpg + ci, y * sh - pt + ky * dh, x * sw - pl + kx * dw].
 * Padding modes and dilation live in this index arithmetic only, so the GEMM that follows is
 * a plain product: out[n, g * coutpg + k, y0 * OW + q] = sum_r W[g * coutpg + k, r] * col[r, q].
 *
 * Build options (set by the host):
 *   -D PAD_MODE=0..3   zeros, reflect, replicate, circular
 *
 * NDRange: (Q, R, nbg = nb * G) of the chunk, rounded up to the work-group shape; work-items
 * past the extents return at once. The chunk's arguments (n0, y0, rows, nbg) come last: the
 * host sets them for each chunk.
 */
#ifndef PAD_MODE
#error "PAD_MODE comes from the host (src/algo-gemm.c)"
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
