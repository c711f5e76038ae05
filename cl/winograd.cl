/*
 * Winograd minimal filtering F(MxM, 3x3) (OpenCL C 1.2; src/algo-winograd.c, variants
 * winograd.f2x2_3x3 and winograd.f4x4_3x3; Lavin & Gray, "Fast Algorithms for Convolutional
 * Neural Networks"). A 3x3 stride-1 Conv2d (or ConvTranspose2d through its flipped kernel) in
 * four kernels:
 *
 *   winograd_filter  U = G g G^T per (output, input) channel pair, once per plan with set
 *                    weights, else once per enqueue;
 *   winograd_input   V = B^T d B per input channel and T x T input tile (T = M + 2), read
 *                    with the padding mode's coordinates, so no padded copy is needed;
 *   winograd_gemm    for each of the T^2 tile positions and each group, M = U V, a
 *                    (coutpg x cinpg) by (cinpg x tiles) product;
 *   winograd_output  Y = A^T M A, plus bias and the epilogue: the one command that writes
 *                    the output.
 *
 * Non-finite values: the transforms mix the taps of a tile, so an inf or NaN input or weight
 * turns into NaN where torch has inf, or spreads within the tile. Every output the transform
 * leaves non-finite is therefore recomputed by direct summation with torch's semantics
 * (zero-padding taps contribute 0 * w for Conv2d; ConvTranspose2d forms only the existing
 * products). An output whose true value involves a non-finite product is non-finite in the
 * transform too (each tap reaches it through a term with nonzero coefficients), so the
 * recomputation covers every such output.
 *
 * Layouts (floats in the workspace, whatever the storage):
 *   U  [T^2][groups][cinpg][coutpg_pad]   (coutpg_pad: coutpg rounded up to KB, zeros there;
 *                                          a GEMM's channel steps are then one row apart)
 *   V  [T^2][C][P_pad]                    (P = N x tiles_h x tiles_w tiles, P_pad: P rounded
 *                                          up to PB; zeros past P)
 *   M  [T^2][P_pad][groups x coutpg_pad]
 * The T^2 planes of U, V and M lie WINO_SKEW floats further apart than their size: plane
 * sizes are often multiples of a few KiB, and the transforms' T^2 accesses per work-item
 * would then all fall into one cache set.
 *
 * Build options (all set by the host but CLCONV_HALF and the epilogue's):
 *   -D WINO_M=2|4      output tile
 *   -D PAD_MODE=0..3   the Conv2d padding mode (0 for ConvTranspose2d)
 *   -D TRANSPOSED=0|1  ConvTranspose2d: weights (Cin, Cout/g, 3, 3) read flipped, and the
 *                      direct recomputation forms only the existing products
 *   -D WINO_SKEW=n     floats between the T^2 planes of V and M beyond their size
 *   -D KB=n, -D PB=n   GEMM register tile: a vector of KB (4, 8, 16) output channels x PB tiles
 */
#if !defined(WINO_M) || !defined(PAD_MODE) || !defined(TRANSPOSED) || !defined(KB) || !defined(PB)
#error "WINO_M, PAD_MODE, TRANSPOSED, KB and PB come from the host (src/algo-winograd.c)"
#endif

#define WT (WINO_M + 2)
#ifndef WINO_SKEW
#error "WINO_SKEW comes from the host"
#endif
#define WT2 (WT * WT)

#if WINO_M == 2
/* v = B^T d */
#define WINO_BT(d, v, s)                                                                           \
    {                                                                                              \
        v[0 * s] = d[0 * s] - d[2 * s];                                                            \
        v[1 * s] = d[1 * s] + d[2 * s];                                                            \
        v[2 * s] = d[2 * s] - d[1 * s];                                                            \
        v[3 * s] = d[1 * s] - d[3 * s];                                                            \
    }
/* u = G g */
#define WINO_G(g, u, s)                                                                            \
    {                                                                                              \
        u[0 * s] = g[0 * s];                                                                       \
        u[1 * s] = 0.5f * (g[0 * s] + g[1 * s] + g[2 * s]);                                        \
        u[2 * s] = 0.5f * (g[0 * s] - g[1 * s] + g[2 * s]);                                        \
        u[3 * s] = g[2 * s];                                                                       \
    }
/* y = A^T m */
#define WINO_AT(m, y, s)                                                                           \
    {                                                                                              \
        y[0 * s] = m[0 * s] + m[1 * s] + m[2 * s];                                                 \
        y[1 * s] = m[1 * s] - m[2 * s] - m[3 * s];                                                 \
    }
#elif WINO_M == 4
#define WINO_BT(d, v, s)                                                                           \
    {                                                                                              \
        v[0 * s] = 4.0f * d[0 * s] - 5.0f * d[2 * s] + d[4 * s];                                   \
        v[1 * s] = -4.0f * (d[1 * s] + d[2 * s]) + d[3 * s] + d[4 * s];                            \
        v[2 * s] = 4.0f * (d[1 * s] - d[2 * s]) - d[3 * s] + d[4 * s];                             \
        v[3 * s] = 2.0f * (d[3 * s] - d[1 * s]) - d[2 * s] + d[4 * s];                             \
        v[4 * s] = 2.0f * (d[1 * s] - d[3 * s]) - d[2 * s] + d[4 * s];                             \
        v[5 * s] = 4.0f * d[1 * s] - 5.0f * d[3 * s] + d[5 * s];                                   \
    }
#define WINO_G(g, u, s)                                                                            \
    {                                                                                              \
        u[0 * s] = 0.25f * g[0 * s];                                                               \
        u[1 * s] = (-1.0f / 6.0f) * (g[0 * s] + g[1 * s] + g[2 * s]);                              \
        u[2 * s] = (-1.0f / 6.0f) * (g[0 * s] - g[1 * s] + g[2 * s]);                              \
        u[3 * s] = (1.0f / 24.0f) * g[0 * s] + (1.0f / 12.0f) * g[1 * s] + (1.0f / 6.0f) * g[2 * s]; \
        u[4 * s] = (1.0f / 24.0f) * g[0 * s] - (1.0f / 12.0f) * g[1 * s] + (1.0f / 6.0f) * g[2 * s]; \
        u[5 * s] = g[2 * s];                                                                       \
    }
#define WINO_AT(m, y, s)                                                                           \
    {                                                                                              \
        const float a12 = m[1 * s] + m[2 * s], s12 = m[1 * s] - m[2 * s];                          \
        const float a34 = m[3 * s] + m[4 * s], s34 = m[3 * s] - m[4 * s];                          \
        y[0 * s] = m[0 * s] + a12 + a34;                                                           \
        y[1 * s] = s12 + 2.0f * s34;                                                               \
        y[2 * s] = a12 + 4.0f * a34;                                                               \
        y[3 * s] = s12 + 8.0f * s34 + m[5 * s];                                                    \
    }
#else
#error "WINO_M is 2 or 4"
#endif

/* The Conv2d-equivalent 3x3 weight (k, c, ky, kx) of group g, k and c within the group. */
inline float wino_weight(__global const STORAGE *weight, int g, int k, int c, int ky, int kx,
                         int cinpg, int coutpg)
{
#if TRANSPOSED
    return LOAD(weight, (((size_t)(g * cinpg + c) * coutpg + k) * 9) + (2 - ky) * 3 + (2 - kx));
#else
    return LOAD(weight, (((size_t)(g * coutpg + k) * cinpg + c) * 9) + ky * 3 + kx);
#endif
}

/* NDRange (groups x coutpg_pad, cinpg): U of one channel pair; padding channels get zeros.
 * Neighbouring work-items write neighbouring output channels. */
__kernel void winograd_filter(__global const STORAGE *restrict weight, __global float *restrict u,
                              uint u_off, int cinpg, int coutpg, int coutpg_pad, int groups)
{
    const int gk = get_global_id(0), c = get_global_id(1);
    if (c >= cinpg || gk >= groups * coutpg_pad)
        return;
    const int g = gk / coutpg_pad, k = gk - g * coutpg_pad;
    float w[9], t[WT * 3], r[WT2];
    const bool real = k < coutpg;
#pragma unroll
    for (int i = 0; i < 9; i++)
        w[i] = real ? wino_weight(weight, g, k, c, i / 3, i % 3, cinpg, coutpg) : 0.0f;
#pragma unroll
    for (int j = 0; j < 3; j++) /* columns: t (WT x 3) = G w */
        WINO_G((w + j), (t + j), 3)
#pragma unroll
    for (int i = 0; i < WT; i++) /* rows: r (WT x WT) = t G^T */
        WINO_G((t + 3 * i), (r + WT * i), 1)
    __global float *dst = u + u_off + ((size_t)g * cinpg + c) * coutpg_pad + k;
    const size_t xi_stride = (size_t)groups * cinpg * coutpg_pad + WINO_SKEW;
#pragma unroll
    for (int xi = 0; xi < WT2; xi++)
        dst[xi * xi_stride] = r[xi];
}

/* NDRange (P_pad, C): V of one tile of one channel (zeros past P). ylo..yhi, xlo..xhi bound
 * the padded input (outside it, the rounded-up tiles read zeros). */
__kernel void winograd_input(__global const STORAGE *restrict in, __global float *restrict ws,
                             uint v_off, int C, int H, int W, int tiles_h, int tiles_w, int P,
                             int P_pad, int pt, int pl, int yhi, int xhi)
{
    const int p = get_global_id(0), c = get_global_id(1);
    if (p >= P_pad || c >= C)
        return;
    __global float *dst = ws + v_off + (size_t)c * P_pad + p;
    const size_t xi_stride = (size_t)C * P_pad + WINO_SKEW;
    if (p >= P) {
        for (int xi = 0; xi < WT2; xi++)
            dst[xi * xi_stride] = 0.0f;
        return;
    }
    const int per_image = tiles_h * tiles_w;
    const int n = p / per_image, t = p - n * per_image;
    const int ty = t / tiles_w, tx = t - ty * tiles_w;
    const int y0 = ty * WINO_M - pt, x0 = tx * WINO_M - pl;
    __global const STORAGE *plane = in + ((size_t)n * C + c) * H * W;
    int cols[WT];
    for (int j = 0; j < WT; j++) {
        const int x = x0 + j;
        cols[j] = x >= -pl && x <= xhi ? map_coord(x, W, PAD_MODE) : -1;
    }
    float d[WT2], t1[WT2];
    for (int i = 0; i < WT; i++) {
        const int y = y0 + i;
        const int iy = y >= -pt && y <= yhi ? map_coord(y, H, PAD_MODE) : -1;
        for (int j = 0; j < WT; j++)
            d[i * WT + j] = iy >= 0 && cols[j] >= 0 ? LOAD(plane, (size_t)iy * W + cols[j]) : 0.0f;
    }
    for (int j = 0; j < WT; j++) /* columns */
        WINO_BT((d + j), (t1 + j), WT)
    for (int i = 0; i < WT; i++) /* rows */
        WINO_BT((t1 + WT * i), (d + WT * i), 1)
    for (int xi = 0; xi < WT2; xi++)
        dst[xi * xi_stride] = d[xi];
}

#define VK CAT(float, KB)
#define VLOADK CAT(vload, KB)
#define VSTOREK CAT(vstore, KB)

/* NDRange (groups x coutpg_pad / KB, P_pad / PB, T^2): KB output channels (one vector) times
 * PB tiles of M; per input channel one vector load of U, PB scalar loads of V, PB vector
 * FMAs. Neighbouring work-items share the V loads. */
__kernel void winograd_gemm(__global const float *restrict u, uint u_off,
                            __global float *restrict ws, uint v_off, uint m_off, int C, int cinpg,
                            int coutpg_pad, int groups, int P_pad)
{
    const int kt = get_global_id(0), pb = get_global_id(1), xi = get_global_id(2);
    const int kblocks = coutpg_pad / KB;
    if (kt >= groups * kblocks || pb * PB >= P_pad || xi >= WT2)
        return;
    const int g = kt / kblocks, k0 = (kt - g * kblocks) * KB, p0 = pb * PB;
    __global const float *v =
        ws + v_off + xi * ((size_t)C * P_pad + WINO_SKEW) + (size_t)g * cinpg * P_pad + p0;
    const size_t u_plane = (size_t)groups * cinpg * coutpg_pad + WINO_SKEW;
    __global const float *w = u + u_off + xi * u_plane + (size_t)g * cinpg * coutpg_pad + k0;
    VK acc[PB];
#pragma unroll
    for (int j = 0; j < PB; j++)
        acc[j] = (VK)(0.0f);
    for (int c = 0; c < cinpg; c++) {
        const VK wv = VLOADK(0, w);
#pragma unroll
        for (int j = 0; j < PB; j++)
            acc[j] = fma((VK)(v[j]), wv, acc[j]);
        v += P_pad;
        w += coutpg_pad;
    }
    const size_t kall = (size_t)groups * coutpg_pad;
    __global float *m = ws + m_off + xi * (P_pad * kall + WINO_SKEW) + p0 * kall +
                        (size_t)g * coutpg_pad + k0;
#pragma unroll
    for (int j = 0; j < PB; j++)
        VSTOREK(acc[j], 0, m + j * kall);
}

/* One output by direct summation, torch's semantics for non-finite values (see above). */
inline float wino_direct(__global const STORAGE *in, __global const STORAGE *weight, int n, int g,
                         int k, int oy, int ox, int C, int H, int W, int cinpg, int coutpg, int pt,
                         int pl)
{
    float acc = 0.0f, zeros = 0.0f;
    for (int c = 0; c < cinpg; c++) {
        __global const STORAGE *plane = in + ((size_t)n * C + (size_t)g * cinpg + c) * H * W;
        for (int ky = 0; ky < 3; ky++) {
            const int iy = map_coord(oy - pt + ky, H, PAD_MODE);
            for (int kx = 0; kx < 3; kx++) {
                const int ix = map_coord(ox - pl + kx, W, PAD_MODE);
                const float w = wino_weight(weight, g, k, c, ky, kx, cinpg, coutpg);
                if (iy >= 0 && ix >= 0)
                    acc = fma(w, LOAD(plane, (size_t)iy * W + ix), acc);
                else if (!TRANSPOSED)
                    zeros += zero_times(w);
            }
        }
    }
    return acc + zeros;
}

/* NDRange (K, P): Y = A^T M A of one tile of one output channel, bias, epilogue. in and
 * weight serve the direct recomputation of non-finite outputs only. */
__kernel void winograd_output(__global const float *restrict ws, uint m_off,
                              __global const STORAGE *restrict in,
                              __global const STORAGE *restrict weight,
                              __global const STORAGE *restrict bias,
                              __global STORAGE *OUT_RESTRICT out, int C, int H, int W, int K,
                              int OH, int OW, int tiles_h, int tiles_w, int P, int P_pad,
                              int cinpg, int coutpg, int coutpg_pad, int pt, int pl,
                              int has_bias EPILOGUE_PARAMS)
{
    const int k = get_global_id(0), p = get_global_id(1);
    if (p >= P || k >= K)
        return;
    const int g = k / coutpg, kl = k - g * coutpg;
    const int groups = K / coutpg;
    const int per_image = tiles_h * tiles_w;
    const int n = p / per_image, t = p - n * per_image;
    const int ty = t / tiles_w, tx = t - ty * tiles_w;
    const size_t kall = (size_t)groups * coutpg_pad;
    __global const float *src = ws + m_off + (size_t)p * kall + (size_t)g * coutpg_pad + kl;
    const size_t xi_stride = kall * P_pad + WINO_SKEW;
    float m[WT2], t1[WINO_M * WT], y[WINO_M * WINO_M];
    for (int xi = 0; xi < WT2; xi++)
        m[xi] = src[xi * xi_stride];
    for (int j = 0; j < WT; j++) /* columns: t1 (M x WT) = A^T m */
        WINO_AT((m + j), (t1 + j), WT)
    for (int i = 0; i < WINO_M; i++) /* rows: y (M x M) = t1 A */
        WINO_AT((t1 + WT * i), (y + WINO_M * i), 1)
    const float b = has_bias ? LOAD(bias, k) : 0.0f;
    const int oy0 = ty * WINO_M, ox0 = tx * WINO_M;
    const size_t base = ((size_t)n * K + k) * OH * OW;
    for (int i = 0; i < WINO_M; i++) {
        if (oy0 + i >= OH)
            break;
        for (int j = 0; j < WINO_M; j++) {
            if (ox0 + j >= OW)
                break;
            float v = y[i * WINO_M + j];
            if (!isfinite(v))
                v = wino_direct(in, weight, n, g, kl, oy0 + i, ox0 + j, C, H, W, cinpg, coutpg,
                                pt, pl);
            EPI_STORE(out, base + (size_t)(oy0 + i) * OW + ox0 + j, v + b);
        }
    }
}
