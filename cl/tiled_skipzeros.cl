/*
 * Zero taps skipped (OpenCL C 1.2; src/algo-tiled-skipzeros.c, variant tiled.skipzeros_c16p8):
 * Conv2d with zeros padding whose taps often fall wholly in the padding, as DeepLab's ASPP
 * layers (3x3, dilation 6-18, padding = dilation, small maps). A work-item owns a vector of 16
 * output channels times 8 consecutive columns of one output row; per kernel tap it skips the
 * input-channel loop when the tap's row, or every one of its 8 columns, lies in the padding.
 *
 * torch's non-finite semantics: a skipped tap still contributes 0 * w summed over the input
 * channels (0, or NaN for an inf or NaN weight); skipzeros_pack sums it once per output channel
 * and tap (zt), and the kernel adds it where it skips.
 *
 * Build options (all set by the host but CLCONV_HALF and the epilogue's):
 *   -D SZ_KB=16   output channels per work-item (one vector)
 *   -D SZ_PX=8    output columns per work-item
 *
 * skipzeros_pack   NDRange (groups x coutpg_pad, kh x kw): weights re-laid out as
 *                  wp[g][tap][cinpg][coutpg_pad] (zeros past coutpg) and zt[g][tap][coutpg_pad].
 * skipzeros_conv   NDRange (groups x coutpg_pad / SZ_KB, OH x ceil(OW / SZ_PX), N).
 * Work-items past the extents return (the launch may round them up).
 */
#if !defined(SZ_KB) || !defined(SZ_PX)
#error "SZ_KB and SZ_PX come from the host (src/algo-tiled-skipzeros.c)"
#endif

#define SZ_VEC CAT(float, SZ_KB)
#define SZ_VLOAD CAT(vload, SZ_KB)
#define SZ_VSTORE CAT(vstore, SZ_KB)

__kernel void skipzeros_pack(__global const STORAGE *restrict weight, __global float *restrict ws,
                             uint zt_off, int cinpg, int coutpg, int coutpg_pad, int groups,
                             int taps)
{
    const int gk = get_global_id(0), tap = get_global_id(1);
    if (gk >= groups * coutpg_pad || tap >= taps)
        return;
    const int g = gk / coutpg_pad, k = gk - g * coutpg_pad;
    const bool real = k < coutpg;
    __global const STORAGE *src = weight + ((size_t)(g * coutpg + k) * cinpg) * taps + tap;
    __global float *dst = ws + ((size_t)g * taps + tap) * cinpg * coutpg_pad + k;
    float zeros = 0.0f;
    for (int c = 0; c < cinpg; c++) {
        const float w = real ? LOAD(src, (size_t)c * taps) : 0.0f;
        dst[(size_t)c * coutpg_pad] = w;
        zeros += zero_times(w);
    }
    ws[zt_off + ((size_t)g * taps + tap) * coutpg_pad + k] = zeros;
}

__kernel void skipzeros_conv(__global const STORAGE *restrict in, __global const float *restrict wp,
                             uint zt_off, __global const STORAGE *restrict bias,
                             __global STORAGE *OUT_RESTRICT out, int C, int H, int W, int K,
                             int OH, int OW, int kh, int kw, int sh, int sw, int pt, int pl,
                             int dh, int dw, int cinpg, int coutpg, int coutpg_pad, int has_bias,
                             int x_tiles EPILOGUE_PARAMS)
{
    const int kt = get_global_id(0), t = get_global_id(1), n = get_global_id(2);
    const int kblocks = coutpg_pad / SZ_KB;
    const int groups = C / cinpg;
    if (kt >= groups * kblocks || t >= OH * x_tiles)
        return;
    const int g = kt / kblocks, k0 = (kt - g * kblocks) * SZ_KB;
    const int oy = t / x_tiles, ox0 = (t - oy * x_tiles) * SZ_PX;
    const int taps = kh * kw;
    __global const STORAGE *src = in + ((size_t)n * C + (size_t)g * cinpg) * H * W;
    const size_t plane = (size_t)H * W;
    SZ_VEC acc[SZ_PX];
#pragma unroll
    for (int j = 0; j < SZ_PX; j++)
        acc[j] = (SZ_VEC)(0.0f);
    for (int tap = 0; tap < taps; tap++) {
        const int ky = tap / kw, kx = tap - ky * kw;
        const int iy = oy * sh - pt + ky * dh;
        const bool row_ok = iy >= 0 && iy < H;
        int cols[SZ_PX];
        bool valid[SZ_PX];
        int nvalid = 0;
#pragma unroll
        for (int j = 0; j < SZ_PX; j++) {
            const int ix = (ox0 + j) * sw - pl + kx * dw;
            valid[j] = row_ok && ix >= 0 && ix < W && ox0 + j < OW;
            cols[j] = valid[j] ? iy * W + ix : 0;
            nvalid += valid[j];
        }
        __global const float *wt = wp + ((size_t)g * taps + tap) * cinpg * coutpg_pad + k0;
        if (nvalid > 0) {
            __global const STORAGE *x = src;
            for (int c = 0; c < cinpg; c++) {
                const SZ_VEC wv = SZ_VLOAD(0, wt);
#pragma unroll
                for (int j = 0; j < SZ_PX; j++) {
                    const float xv = valid[j] ? LOAD(x, cols[j]) : 0.0f;
                    acc[j] = fma((SZ_VEC)(xv), wv, acc[j]);
                }
                x += plane;
                wt += coutpg_pad;
            }
        }
        if (nvalid < SZ_PX) { /* the skipped products' 0 * w */
            const SZ_VEC zv = SZ_VLOAD(0, wp + zt_off + ((size_t)g * taps + tap) * coutpg_pad + k0);
#pragma unroll
            for (int j = 0; j < SZ_PX; j++)
                if (!valid[j])
                    acc[j] += zv;
        }
    }
    const int nk = min(SZ_KB, coutpg - k0);
    for (int j = 0; j < SZ_PX; j++) {
        if (ox0 + j >= OW)
            break;
        float v[SZ_KB];
        SZ_VSTORE(acc[j], 0, v);
        for (int o = 0; o < nk; o++) {
            const int k = g * coutpg + k0 + o;
            const float b = has_bias ? LOAD(bias, k) : 0.0f;
            EPI_STORE(out, (((size_t)n * K + k) * OH + oy) * OW + ox0 + j, v[o] + b);
        }
    }
}
