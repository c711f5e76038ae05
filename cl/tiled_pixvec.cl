/*
 * Pixel vectors (OpenCL C 1.2): conv2d_tiled_px, the register tile of the tiled.pixvec_*
 * variant (src/algo-tiled-pixvec.c), for Conv2d whose groups are too narrow for a channel
 * vector (grouped layers). The vector spans 8 output columns, PXR output rows per
 * work-item, times OCP output channels: per input channel and tap, PXR input vector loads
 * and OCP scalar weight loads feed OCP * PXR vector FMAs. Weights are read in place,
 * (Cout, Cin/g, kh, kw), so this variant needs no re-layout pass. Stride 1 reads 8
 * consecutive inputs, stride 2 reads 16 and keeps the even ones; a tile that would read
 * past its padded row (the right edge of the map) or a larger stride gathers with clamped
 * columns instead. in is the padded copy (cl/tiled_copy.cl) or the input itself.
 *
 * Build options (required but CLCONV_HALF):
 *   -D OCP=n        output channels per work-item
 *   -D PXR=n        output rows per work-item (the tile is PXR vectors of 8 columns)
 *   -D CLCONV_HALF  half storage
 *
 * NDRange (ceil(OW / 8) * ceil(OH / PXR), groups * ceil(coutpg / OCP), N); work-items past
 * the extent of dimensions 0 and 1 return (the launch may round them up).
 */
#if !defined(OCP) || !defined(PXR)
#error "tiled_pixvec.cl needs -D OCP and -D PXR"
#endif

#ifdef CLCONV_HALF
#define VLOAD8(p) vload_half8(0, (p))
#define VLOAD16(p) vload_half16(0, (p))
#else
#define VLOAD8(p) vload8(0, (p))
#define VLOAD16(p) vload16(0, (p))
#endif
/* 8 consecutive outputs o[i..]: one vector store (EPI_VSTORE with an epilogue) */
#ifdef CLCONV_EPILOGUE
#define VSTORE8(v, o, i) EPI_VSTORE(8, v, o, i)
#elif defined(CLCONV_HALF)
#define VSTORE8(v, o, i) vstore_half8((v), 0, (o) + (i))
#else
#define VSTORE8(v, o, i) vstore8((v), 0, (o) + (i))
#endif

__kernel void conv2d_tiled_px(__global const STORAGE *restrict in, uint in_off,
                              __global const STORAGE *restrict w,
                              __global const STORAGE *restrict bias,
                              __global STORAGE *OUT_RESTRICT out, int C, int Hp, int Wp, int K,
                              int OH, int OW, int kh, int kw, int sh, int sw, int dh, int dw,
                              int cinpg, int coutpg, int has_bias EPILOGUE_PARAMS)
{
    const int ctiles = (OW + 7) / 8;
    const int tile = get_global_id(0), oct = get_global_id(1), n = get_global_id(2);
    const int ty = tile / ctiles, ox0 = (tile - ty * ctiles) * 8, oy0 = ty * PXR;
    const int octiles = (coutpg + OCP - 1) / OCP;
    if (oy0 >= OH || oct >= C / cinpg * octiles)
        return;
    const int g = oct / octiles, oc0 = (oct - g * octiles) * OCP;
    const int ksize = kh * kw;
    /* a tile inside the map whose vector reads stay in their padded rows */
    const bool full = ox0 + 8 <= OW && sw <= 2 && ox0 * sw + (kw - 1) * dw + 8 * sw <= Wp;

    const size_t plane = (size_t)Hp * Wp;
    __global const STORAGE *src = in + in_off + ((size_t)n * C + (size_t)g * cinpg) * plane;
    int rbase[PXR]; /* input offset of each tile row's first column */
#pragma unroll
    for (int r = 0; r < PXR; r++)
        rbase[r] = min(oy0 + r, OH - 1) * sh * Wp + ox0 * sw;
    int cols[8]; /* gather path: clamped column offsets */
#pragma unroll
    for (int c = 0; c < 8; c++)
        cols[c] = (min(ox0 + c, OW - 1) - ox0) * sw;
    const int wstride = cinpg * ksize;
    const int olast = min(OCP, coutpg - oc0) - 1; /* channels past the group repeat the last */
    __global const STORAGE *wbase = w + (size_t)(g * coutpg + oc0) * wstride;

    float8 acc[OCP][PXR];
#pragma unroll
    for (int o = 0; o < OCP; o++)
#pragma unroll
        for (int r = 0; r < PXR; r++)
            acc[o][r] = (float8)(0.0f);

#define PX_LOOP(LOADX)                                                                             \
    {                                                                                              \
        int wi = 0; /* ci * ksize + tap */                                                         \
        for (int ci = 0; ci < cinpg; ci++) {                                                       \
            for (int ky = 0; ky < kh; ky++) {                                                      \
                __global const STORAGE *row = src + ky * dh * Wp;                                  \
                for (int kx = 0; kx < kw; kx++, wi++) {                                            \
                    __global const STORAGE *tap = row + kx * dw;                                   \
                    float8 x[PXR];                                                                 \
                    _Pragma("unroll") for (int r = 0; r < PXR; r++) x[r] = LOADX;                  \
                    _Pragma("unroll") for (int o = 0; o < OCP; o++)                                \
                    {                                                                              \
                        const float8 wv = (float8)(LOAD(wbase, min(o, olast) * wstride + wi));     \
                        _Pragma("unroll") for (int r = 0; r < PXR; r++) acc[o][r] =                \
                            fma(x[r], wv, acc[o][r]);                                              \
                    }                                                                              \
                }                                                                                  \
            }                                                                                      \
            src += plane;                                                                          \
        }                                                                                          \
    }
    if (full && sw == 1)
        PX_LOOP(VLOAD8(tap + rbase[r]))
    else if (full)
        PX_LOOP(VLOAD16(tap + rbase[r]).even)
    else
        PX_LOOP(((float8)(LOAD(tap + rbase[r], cols[0]), LOAD(tap + rbase[r], cols[1]),
                          LOAD(tap + rbase[r], cols[2]), LOAD(tap + rbase[r], cols[3]),
                          LOAD(tap + rbase[r], cols[4]), LOAD(tap + rbase[r], cols[5]),
                          LOAD(tap + rbase[r], cols[6]), LOAD(tap + rbase[r], cols[7]))))
#undef PX_LOOP

    const int valid_o = min(OCP, coutpg - oc0);
    const int valid_r = min(PXR, OH - oy0);
#pragma unroll
    for (int o = 0; o < OCP; o++) {
        if (o >= valid_o)
            continue;
        const int oc = g * coutpg + oc0 + o;
        const float8 b = (float8)(has_bias ? LOAD(bias, oc) : 0.0f);
        __global STORAGE *dst = out + ((size_t)n * K + oc) * OH * OW + (size_t)oy0 * OW + ox0;
#pragma unroll
        for (int r = 0; r < PXR; r++) {
            if (r >= valid_r)
                continue;
            const float8 v = acc[o][r] + b;
            if (ox0 + 8 <= OW) {
                VSTORE8(v, dst, r * OW);
            } else {
                float t[8];
                vstore8(v, 0, t);
                for (int c = 0; c < OW - ox0; c++)
                    EPI_STORE(dst, r * OW + c, t[c]);
            }
        }
    }
}

