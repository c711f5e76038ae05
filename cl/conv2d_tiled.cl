/*
 * Conv2d as a register-blocked implicit GEMM (OpenCL C 1.2).
 *
 * Each work-item owns OCT output channels of one group (one float vector) times PXT output
 * pixels of one image (pixels counted row-major over OH x OW, so small feature maps fill
 * the tile as well as wide ones). Per input channel and tap it loads OCT weights once and
 * each of the PXT input values once, and does PXT vector FMAs: the input is reused across
 * OCT channels, the weights across PXT pixels.
 *
 * The hot loop has no border test: when the layer pads, tiled_pad_input first writes a
 * padded copy of the input (any padding mode) into the workspace, so every tap reads
 * memory. Weights are re-laid out by tiled_relayout into
 * [group][oc tile][ci][ky][kx][OCT] floats (channels past the group zero-filled), so the OCT
 * weights of one tap are one vector load.
 *
 * ConvTranspose2d runs as stride phases (sub-pixel decomposition): the outputs whose
 * coordinates share their remainders modulo the stride receive the input through a fixed
 * subset of the taps, so each phase is a dense correlation of the zero-padded input with a
 * flipped sub-kernel (tiled_relayout builds it), written to every stride-th
 * output: no zero insertion, no atomics. tiled_tile takes the phase's input start (y0, x0)
 * and output placement (osh, osw, oy0, ox0 in an OHf x OWf map); Conv2d passes 0, 0 and 1, 1,
 * 0, 0. tconv2d_tiled runs all phases in one launch from a table of their parameters; on
 * CPUs, a ConvTranspose2d whose kernel equals its stride runs tconv2d_tiled_flat instead.
 *
 * Build options:
 *   -D OCT=4|8|16   output channels per work-item (vector width)
 *   -D PXT=n        output pixels per work-item
 *   -D CLCONV_HALF  half storage for input, bias and output (vload_half / vstore_half);
 *                   the re-laid-out weights are float
 */
#ifndef OCT
#define OCT 8
#endif
#ifndef PXT
#define PXT 8
#endif

#define floatV CAT(float, OCT)
#define vloadV CAT(vload, OCT)
#define vstoreV CAT(vstore, OCT)

/* NDRange (Hp, N * C): one padded row each, its interior a straight copy (the border
 * columns alone go through map_coord). */
__kernel void tiled_pad_input(__global const STORAGE *restrict in, __global STORAGE *restrict ws,
                              uint ws_off, int H, int W, int Hp, int Wp, int pt, int pl, int planes,
                              int mode)
{
    const int y = get_global_id(0), plane = get_global_id(1);
    if (y >= Hp || plane >= planes)
        return;
    __global STORAGE *dst = ws + ws_off + ((size_t)plane * Hp + y) * Wp;
    const int iy = map_coord(y - pt, H, mode);
    if (iy < 0) {
        for (int x = 0; x < Wp; x++)
            STORE(dst, x, 0.0f);
        return;
    }
    __global const STORAGE *src = in + ((size_t)plane * H + iy) * W;
    for (int x = 0; x < pl; x++) {
        const int ix = map_coord(x - pl, W, mode);
        STORE(dst, x, ix >= 0 ? LOAD(src, ix) : 0.0f);
    }
    for (int x = 0; x < W; x++)
        STORE(dst, pl + x, LOAD(src, x));
    for (int x = pl + W; x < Wp; x++) {
        const int ix = map_coord(x - pl, W, mode);
        STORE(dst, x, ix >= 0 ? LOAD(src, ix) : 0.0f);
    }
}

/* A strided 1x1 Conv2d reads every sh-th row and sw-th column only: this copies them,
 * OH x OW planes, so that conv2d_tiled_flat runs the layer at stride 1. NDRange (OH, planes). */
__kernel void tiled_subsample(__global const STORAGE *restrict in, __global STORAGE *restrict ws,
                              uint ws_off, int H, int W, int OH, int OW, int sh, int sw, int planes)
{
    const int y = get_global_id(0), plane = get_global_id(1);
    if (y >= OH || plane >= planes)
        return;
    __global STORAGE *dst = ws + ws_off + ((size_t)plane * OH + y) * OW;
    __global const STORAGE *src = in + ((size_t)plane * H + (size_t)y * sh) * W;
    int x = 0;
    /* stride 2 (ResNet's downsampling): 8 outputs from one 16-element load inside the row */
    if (sw == 2)
        for (; x + 8 <= OW && 2 * x + 16 <= W; x += 8)
#ifdef CLCONV_HALF
            vstore_half8(vload_half16(0, src + 2 * x).even, 0, dst + x);
#else
            vstore8(vload16(0, src + 2 * x).even, 0, dst + x);
#endif
    for (; x < OW; x++)
        STORE(dst, x, LOAD(src, x * sw));
}

/* NDRange (cinpg, groups * ocb): work-item (ci, gt) writes the OCT x Ty x Tx weights of input
 * channel ci and oc tile gt, [group][oc tile][ci][Ty][Tx][OCT] floats at wr + wr_off
 * (channels past the group zero-filled): a contiguous block per work-item, and no integer
 * division per element (those made the pass slower than the convolution). Tap (jy, jx)
 * comes from kernel tap (ky0 - jy * qy, kx0 - jx * qx): Conv2d passes 0, -1, 0, -1 (the
 * kernel as is); a ConvTranspose2d stride phase its flipped sub-kernel. The source element
 * of (group g, oc, ci) is g * s_g + oc * s_oc + ci * s_ci, which covers both weight layouts,
 * (Cout, Cin/g, kh, kw) and (Cin, Cout/g, kh, kw). */
__kernel void tiled_relayout(__global const STORAGE *restrict w, __global float *restrict wr,
                             uint wr_off, int cinpg, int coutpg, int ocb, int s_g, int s_oc,
                             int s_ci, int kw, int Ty, int Tx, int ky0, int qy, int kx0, int qx,
                             int gtiles)
{
    const int ci = get_global_id(0), gt = get_global_id(1);
    if (ci >= cinpg || gt >= gtiles)
        return;
    const int g = gt / ocb, oc0 = (gt - g * ocb) * OCT;
    const int valid = min(OCT, coutpg - oc0);
    __global float *dst = wr + wr_off + ((size_t)gt * cinpg + ci) * Ty * Tx * OCT;
    __global const STORAGE *src = w + g * s_g + oc0 * s_oc + ci * s_ci;
    for (int jy = 0; jy < Ty; jy++)
        for (int jx = 0; jx < Tx; jx++) {
            const int k = (ky0 - jy * qy) * kw + kx0 - jx * qx;
            float v[OCT];
#pragma unroll
            for (int o = 0; o < OCT; o++)
                v[o] = o < valid ? LOAD(src, o * s_oc + k) : 0.0f;
            vstoreV(vloadV(0, v), 0, dst);
            dst += OCT;
        }
}

/* One work-item's tile: pixel tile `tile` of the OH x OW map, channel tile gt, image n. in is
 * the padded copy (Hp x Wp planes) or the input itself when the layer has no padding. */
inline void tiled_tile(__global const STORAGE *restrict in, uint in_off,
                       __global const float *restrict wr, uint w_off,
                       __global const STORAGE *restrict bias, __global STORAGE *restrict out, int C,
                       int Hp, int Wp, int K, int OH, int OW, int kh, int kw, int sh, int sw,
                       int dh, int dw, int cinpg, int coutpg, int ocb, int gtiles, int has_bias,
                       int y0, int x0, int OHf, int OWf, int osh, int osw, int oy0, int ox0,
                       int tile, int gt, int n)
{
    const int P = OH * OW;
    const int p0 = tile * PXT;
    if (p0 >= P || gt >= gtiles)
        return;
    const int g = gt / ocb, t = gt - g * ocb;

    int base[PXT], obase[PXT];
#pragma unroll
    for (int j = 0; j < PXT; j++) {
        const int p = min(p0 + j, P - 1); /* tail pixels repeat the last; never stored */
        const int oy = p / OW, ox = p - oy * OW;
        base[j] = (oy * sh + y0) * Wp + ox * sw + x0;
        obase[j] = (oy * osh + oy0) * OWf + ox * osw + ox0;
    }
    const size_t plane = (size_t)Hp * Wp;
    __global const STORAGE *src = in + in_off + ((size_t)n * C + (size_t)g * cinpg) * plane;
    __global const float *wp = wr + w_off + (size_t)gt * cinpg * kh * kw * OCT;

    floatV acc[PXT];
#pragma unroll
    for (int j = 0; j < PXT; j++)
        acc[j] = (floatV)(0.0f);
    const int row_step = dh * Wp;
    for (int ci = 0; ci < cinpg; ci++) {
        for (int ky = 0; ky < kh; ky++) {
            __global const STORAGE *row = src + ky * row_step;
            for (int kx = 0; kx < kw; kx++) {
                const floatV w = vloadV(0, wp);
                wp += OCT;
                __global const STORAGE *tap = row + kx * dw;
#pragma unroll
                for (int j = 0; j < PXT; j++)
                    acc[j] = fma((floatV)(LOAD(tap, base[j])), w, acc[j]);
            }
        }
        src += plane;
    }

    const int oc0 = g * coutpg + t * OCT;
    const int valid_o = min(OCT, coutpg - t * OCT);
    const int valid_j = min(PXT, P - p0);
    float tmp[PXT][OCT];
    for (int j = 0; j < PXT; j++)
        vstoreV(acc[j], 0, tmp[j]);
    /* A full tile of a unit-stride map writes PXT consecutive outputs per channel: plain
     * consecutive stores the compiler turns into vector stores. */
    const bool contiguous = osh == 1 && osw == 1 && valid_j == PXT;
    for (int o = 0; o < valid_o; o++) {
        const float b = has_bias ? LOAD(bias, oc0 + o) : 0.0f;
        __global STORAGE *plane_out = out + ((size_t)n * K + oc0 + o) * OHf * OWf;
        if (contiguous) {
            __global STORAGE *dst = plane_out + p0;
#pragma unroll
            for (int j = 0; j < PXT; j++)
                STORE(dst, j, tmp[j][o] + b);
        } else {
            for (int j = 0; j < valid_j; j++)
                STORE(plane_out, obase[j], tmp[j][o] + b);
        }
    }
}

/* Conv2d. NDRange (ceil(OH * OW / PXT), groups * ocb, N). */
__kernel void conv2d_tiled(__global const STORAGE *restrict in, uint in_off,
                           __global const float *restrict wr, uint w_off,
                           __global const STORAGE *restrict bias, __global STORAGE *restrict out,
                           int C, int Hp, int Wp, int K, int OH, int OW, int kh, int kw, int sh,
                           int sw, int dh, int dw, int cinpg, int coutpg, int ocb, int gtiles,
                           int has_bias)
{
    tiled_tile(in, in_off, wr, w_off, bias, out, C, Hp, Wp, K, OH, OW, kh, kw, sh, sw, dh, dw,
               cinpg, coutpg, ocb, gtiles, has_bias, 0, 0, OH, OW, 1, 1, 0, 0, get_global_id(0),
               get_global_id(1), get_global_id(2));
}

/* ConvTranspose2d: every stride phase in one launch, so the output is written by a single
 * command (a failure to enqueue leaves it untouched). Row p of the phase table holds phase p's
 * OH, OW, taps (kh, kw), input steps (dh, dw), input start (y0, x0), output start (oy0, ox0)
 * and weight offset. NDRange (ceil(max OH * OW / PXT), groups * ocb, N * nphases); the
 * phases differ in size by at most a row and a column, so few work-items idle. */
#define PHASE_FIELDS 11
__kernel void tconv2d_tiled(__global const STORAGE *restrict in, uint in_off,
                            __global const float *restrict wr,
                            __global const STORAGE *restrict bias, __global STORAGE *restrict out,
                            __global const int *restrict phases, int nphases, int C, int Hp, int Wp,
                            int K, int cinpg, int coutpg, int ocb, int gtiles, int has_bias,
                            int OHf, int OWf, int osh, int osw)
{
    const int z = get_global_id(2), n = z / nphases;
    __global const int *ph = phases + (z - n * nphases) * PHASE_FIELDS;
    tiled_tile(in, in_off, wr, (uint)ph[10], bias, out, C, Hp, Wp, K, ph[0], ph[1], ph[2], ph[3], 1,
               1, ph[4], ph[5], cinpg, coutpg, ocb, gtiles, has_bias, ph[6], ph[7], OHf, OWf, osh,
               osw, ph[8], ph[9], get_global_id(0), get_global_id(1), n);
}

/*
 * conv2d_tiled_px: the other register tile, for Conv2d whose groups are too narrow for an
 * OCT-wide channel vector (grouped layers) or whose weights are too large to re-lay out
 * every call. The vector spans 8 output columns, PXR output rows per work-item, times OCP
 * output channels: per input channel and tap, PXR input vector loads and OCP scalar weight
 * loads feed OCP * PXR vector FMAs. Weights are read in place, (Cout, Cin/g, kh, kw), so this
 * variant needs no re-layout pass. Stride 1 reads 8 consecutive inputs, stride 2 reads 16
 * and keeps the even ones; a tile that would read past its padded row (the right edge of the
 * map) or a larger stride gathers with clamped columns instead.
 *
 * Build options: -D OCP=n output channels per work-item, -D PXR=n output rows per
 * work-item (the tile is PXR vectors of 8 columns).
 *
 * NDRange (ceil(OW / 8) * ceil(OH / PXR), groups * ceil(coutpg / OCP), N).
 */
#ifndef OCP
#define OCP 8
#endif
#ifndef PXR
#define PXR 2
#endif
#ifdef CLCONV_HALF
#define VLOAD8(p) vload_half8(0, (p))
#define VLOAD16(p) vload_half16(0, (p))
#define VSTORE8(v, p) vstore_half8((v), 0, (p))
#else
#define VLOAD8(p) vload8(0, (p))
#define VLOAD16(p) vload16(0, (p))
#define VSTORE8(v, p) vstore8((v), 0, (p))
#endif

__kernel void conv2d_tiled_px(__global const STORAGE *restrict in, uint in_off,
                              __global const STORAGE *restrict w,
                              __global const STORAGE *restrict bias, __global STORAGE *restrict out,
                              int C, int Hp, int Wp, int K, int OH, int OW, int kh, int kw, int sh,
                              int sw, int dh, int dw, int cinpg, int coutpg, int has_bias)
{
    const int ctiles = (OW + 7) / 8;
    const int tile = get_global_id(0), oct = get_global_id(1), n = get_global_id(2);
    const int ty = tile / ctiles, ox0 = (tile - ty * ctiles) * 8, oy0 = ty * PXR;
    const int octiles = (coutpg + OCP - 1) / OCP;
    if (oy0 >= OH)
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
            break;
        const int oc = g * coutpg + oc0 + o;
        const float8 b = (float8)(has_bias ? LOAD(bias, oc) : 0.0f);
        __global STORAGE *dst = out + ((size_t)n * K + oc) * OH * OW + (size_t)oy0 * OW + ox0;
#pragma unroll
        for (int r = 0; r < PXR; r++) {
            if (r >= valid_r)
                break;
            const float8 v = acc[o][r] + b;
            if (ox0 + 8 <= OW) {
                VSTORE8(v, dst + r * OW);
            } else {
                float t[8];
                vstore8(v, 0, t);
                for (int c = 0; c < OW - ox0; c++)
                    STORE(dst + r * OW, c, t[c]);
            }
        }
    }
}

/*
 * conv2d_tiled_flat: stride-1 Conv2d with vectors of 16 output pixels counted row-major
 * over OH x Wp (the padded width): at stride 1 the inputs of one tap for such a run are 16
 * consecutive elements of the (padded) input, so each tap is one vector load however small
 * or narrow the map, and the weights are read in place, (Cout, Cin/g, kh, kw), as scalar
 * broadcasts: no re-layout pass, which on 7x7 maps with many channels cost as much as the
 * convolution. The Wp - OW columns past each row are computed and dropped. Per input
 * channel and tap: PXF vector loads and OCF weight loads feed OCF * PXF vector FMAs. A load
 * that would run past the end of the input buffer (the last channels' last tile) gathers
 * clamped elements instead; only those channels take that path. The last tile of a map
 * computes only the vectors that hold outputs, one at a time (14x14: 3 tiles of 64 pixels
 * and one vector of 16, not 4 tiles).
 *
 * Build options: -D OCF=n output channels per work-item, -D PXF=n vectors of 16 pixels,
 * -D FKH=k -D FKW=k the kernel size at compile time (1x1 and 3x3: the tap loops unroll).
 *
 * NDRange (ceil(OH * Wp / (16 * PXF)), groups * ceil(coutpg / OCF), N). limit: elements
 * readable from in + in_off.
 */
#ifndef OCF
#define OCF 8
#endif
#ifndef PXF
#define PXF 2
#endif
#ifndef FKH
#define FKH kh
#define FKW kw
#endif
#ifdef CLCONV_HALF
#define VLOADF(p) vload_half16(0, (p))
#define VSTOREF(v, p) vstore_half16((v), 0, (p))
#else
#define VLOADF(p) vload16(0, (p))
#define VSTOREF(v, p) vstore16((v), 0, (p))
#endif

/* The OCF x NV vectors ACC of the pixels from flattened index QB: every input channel and
 * tap. Channels whose NV-vector reads would run past the buffer (limit) gather clamped
 * elements instead. The weight of channel o, input channel ci, tap t is
 * wbase[o * wstride + ci * wci + t]. */
#define FLAT_ACC(NV, QB, ACC)                                                                      \
    {                                                                                              \
        const long room =                                                                          \
            limit - first - ((QB) + 16 * (NV) + (FKH - 1) * dh * Wp + (FKW - 1) * dw);             \
        const int cvec = room < 0 ? 0 : (int)min(room / plane + 1, (long)cinpg);                   \
        _Pragma("unroll") for (int o = 0; o < OCF; o++)                                            \
            _Pragma("unroll") for (int v = 0; v < (NV); v++) ACC[o][v] = (float16)(0.0f);          \
        for (int ci = 0; ci < cvec; ci++) {                                                        \
            __global const STORAGE *cs = src + (size_t)ci * plane;                                 \
            int wi = ci * wci;                                                                     \
            for (int ky = 0; ky < FKH; ky++) {                                                     \
                for (int kx = 0; kx < FKW; kx++, wi++) {                                           \
                    __global const STORAGE *tap = cs + ky * dh * Wp + kx * dw + (QB);              \
                    float16 x[NV];                                                                 \
                    _Pragma("unroll") for (int v = 0; v < (NV); v++) x[v] = VLOADF(tap + 16 * v);  \
                    _Pragma("unroll") for (int o = 0; o < OCF; o++)                                \
                    {                                                                              \
                        const float16 wv = (float16)(LOAD(wbase, min(o, olast) * wstride + wi));   \
                        _Pragma("unroll") for (int v = 0; v < (NV); v++) ACC[o][v] =               \
                            fma(x[v], wv, ACC[o][v]);                                              \
                    }                                                                              \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
        for (int ci = cvec; ci < cinpg; ci++) {                                                    \
            int wi = ci * wci;                                                                     \
            for (int ky = 0; ky < FKH; ky++)                                                       \
                for (int kx = 0; kx < FKW; kx++, wi++) {                                           \
                    __global const STORAGE *tap =                                                  \
                        src + (size_t)ci * plane + ky * dh * Wp + kx * dw;                         \
                    float t[16 * (NV)];                                                            \
                    for (int l = 0; l < 16 * (NV); l++)                                            \
                        t[l] = LOAD(tap, min((QB) + l, qlast));                                    \
                    for (int o = 0; o < OCF; o++) {                                                \
                        const float16 wv = (float16)(LOAD(wbase, min(o, olast) * wstride + wi));   \
                        for (int v = 0; v < (NV); v++)                                             \
                            ACC[o][v] = fma(vload16(v, t), wv, ACC[o][v]);                         \
                    }                                                                              \
                }                                                                                  \
        }                                                                                          \
    }

/* Writes the 16 outputs of flattened index q (row-major over OH x Wp) of one channel plane:
 * one vector store when they are consecutive outputs, else lane by lane, dropping the
 * columns past OW. */
inline void flat_store(__global STORAGE *po, float16 r, int q, int Q, int Wp, int OW, int OH)
{
    const int oy = q / Wp, ox = q - oy * Wp;
    if (q + 16 <= Q && (Wp == OW || ox + 16 <= OW)) {
        VSTOREF(r, po + oy * OW + ox);
        return;
    }
    float t[16];
    vstore16(r, 0, t);
    int y = oy, x = ox;
    for (int l = 0; l < 16 && y < OH; l++) {
        if (x < OW)
            STORE(po, y * OW + x, t[l]);
        if (++x == Wp) {
            x = 0;
            y++;
        }
    }
}

__kernel void conv2d_tiled_flat(__global const STORAGE *restrict in, uint in_off,
                                __global const STORAGE *restrict w,
                                __global const STORAGE *restrict bias,
                                __global STORAGE *restrict out, int C, int Hp, int Wp, int K,
                                int OH, int OW, int kh, int kw, int dh, int dw, int cinpg,
                                int coutpg, int has_bias, long limit)
{
    const int Q = OH * Wp;
    const int q0 = get_global_id(0) * 16 * PXF, oct = get_global_id(1), n = get_global_id(2);
    if (q0 >= Q)
        return;
    const int octiles = (coutpg + OCF - 1) / OCF;
    const int g = oct / octiles, oc0 = (oct - g * octiles) * OCF;
    const int ksize = FKH * FKW, plane = Hp * Wp;
    const long first = ((long)n * C + g * cinpg) * plane; /* this item's first input plane */
    const int qlast = (OH - 1) * Wp + OW - 1;       /* gathered lanes clamp to the last output */
    const int wstride = cinpg * ksize, wci = ksize; /* weight strides: channel, input channel */
    const int olast = min(OCF, coutpg - oc0) - 1;   /* channels past the group repeat the last */
    __global const STORAGE *wbase = w + (size_t)(g * coutpg + oc0) * wstride;
    __global const STORAGE *src = in + in_off + first;
    const int valid_o = min(OCF, coutpg - oc0);
    /* vectors that hold outputs: the last tile of a map may need fewer than PXF (a 14x14
     * map is 3 tiles of 64 pixels and one vector) */
    const int nv = min(PXF, (Q - q0 + 15) / 16);

    if (nv == PXF) {
        float16 acc[OCF][PXF];
        FLAT_ACC(PXF, q0, acc)
#pragma unroll
        for (int o = 0; o < OCF; o++) {
            if (o >= valid_o)
                break;
            const int oc = g * coutpg + oc0 + o;
            const float b = has_bias ? LOAD(bias, oc) : 0.0f;
            __global STORAGE *po = out + ((size_t)n * K + oc) * OH * OW;
#pragma unroll
            for (int v = 0; v < PXF; v++)
                flat_store(po, acc[o][v] + (float16)(b), q0 + 16 * v, Q, Wp, OW, OH);
        }
        return;
    }
    /* the tail tile: one vector at a time */
    for (int v = 0; v < nv; v++) {
        const int q = q0 + 16 * v;
        float16 acc1[OCF][1];
        FLAT_ACC(1, q, acc1)
        for (int o = 0; o < valid_o; o++) {
            const int oc = g * coutpg + oc0 + o;
            const float b = has_bias ? LOAD(bias, oc) : 0.0f;
            flat_store(out + ((size_t)n * K + oc) * OH * OW, acc1[o][0] + (float16)(b), q, Q, Wp,
                       OW, OH);
        }
    }
}

/*
 * tconv2d_tiled_flat: ConvTranspose2d whose kernel equals its stride (dilation 1, no padding,
 * no output padding). Every output then receives exactly one tap:
 * out[n, g*coutpg + co, sh*y + ky, sw*x + kx] = bias + sum_ci in[n, ci, y, x] * w[ci, co, ky, kx],
 * a 1x1 convolution of the input with coutpg*kh*kw channels per group, m = (co*kh + ky)*kw + kx,
 * whose weight of input channel ci is w[(g*cinpg + ci) * coutpg*kh*kw + m]: the flat kernel's
 * loop over the input plane with the weights read in place at strides (1, coutpg*kh*kw), no
 * re-layout, no padded copy, and every output written once. Lanes land sw apart in the output;
 * when kw == sw == 2 and a tile holds the kx = 0, 1 pair of one (co, ky), the two vectors are
 * interleaved into consecutive outputs.
 *
 * Build options as conv2d_tiled_flat, with -D FKH=1 -D FKW=1.
 * NDRange (ceil(H * W / (16 * PXF)), groups * ceil(coutpg * kh * kw / OCF), N).
 */

/* The 16 results of input pixels q.. (row-major over H x W) of one output channel m, whose
 * plane po is offset by its tap (ky * OW + kx): each to (sh*y, sw*x). */
inline void scatter_store(__global STORAGE *po, float16 r, int q, int Q, int W, int OW, int sh,
                          int sw)
{
    float t[16];
    vstore16(r, 0, t);
    int y = q / W, x = q - y * W;
    if (x + 16 <= W) {
        __global STORAGE *row = po + sh * y * OW + sw * x;
        for (int l = 0; l < 16; l++)
            STORE(row, sw * l, t[l]);
        return;
    }
    for (int l = 0; l < 16 && q + l < Q; l++) {
        STORE(po, sh * y * OW + sw * x, t[l]);
        if (++x == W) {
            x = 0;
            y++;
        }
    }
}

__kernel void tconv2d_tiled_flat(__global const STORAGE *restrict in, uint in_off,
                                 __global const STORAGE *restrict w,
                                 __global const STORAGE *restrict bias,
                                 __global STORAGE *restrict out, int C, int H, int W, int K, int OH,
                                 int OW, int tkh, int tkw, int sh, int sw, int cinpg, int coutpg,
                                 int has_bias, long limit)
{
    const int Q = H * W, Wp = W, plane = H * W;
    const int kh = 1, kw = 1, dh = 1, dw = 1; /* one tap per output: FKH = FKW = 1 */
    (void)kh;
    (void)kw;
    const int q0 = get_global_id(1) * 16 * PXF, oct = get_global_id(0), n = get_global_id(2);
    if (q0 >= Q)
        return;
    const int taps = tkh * tkw, M = coutpg * taps; /* channels of the 1x1 convolution */
    const int octiles = (M + OCF - 1) / OCF;
    if (oct >= C / cinpg * octiles) /* the launch rounds the channel tiles up to the local size */
        return;
    const int g = oct / octiles, m0 = (oct - g * octiles) * OCF;
    const long first = ((long)n * C + g * cinpg) * plane;
    const int qlast = Q - 1;
    const int wstride = 1, wci = M; /* weight strides: channel m, input channel */
    const int olast = min(OCF, M - m0) - 1;
    __global const STORAGE *wbase = w + (size_t)g * cinpg * M + m0;
    __global const STORAGE *src = in + in_off + first;
    const int valid_o = min(OCF, M - m0);
    const int nv = min(PXF, (Q - q0 + 15) / 16);
    __global STORAGE *po[OCF];
    float b[OCF];
#pragma unroll
    for (int o = 0; o < OCF; o++) {
        const int m = m0 + min(o, olast), co = m / taps, r = m - co * taps, ky = r / tkw;
        const int oc = g * coutpg + co;
        po[o] = out + ((size_t)n * K + oc) * OH * OW + ky * OW + (r - ky * tkw);
        b[o] = has_bias ? LOAD(bias, oc) : 0.0f;
    }

    if (nv == PXF) {
        float16 acc[OCF][PXF];
        FLAT_ACC(PXF, q0, acc)
#if OCF % 2 == 0
        /* kw == sw == 2: channels m0 + 2i, m0 + 2i + 1 are kx = 0, 1 of one (co, ky) (m0 is
         * even), so a row's two vectors interleave into 32 consecutive outputs */
        if (tkw == 2 && sw == 2 && valid_o == OCF) {
            const uint16 lo = (uint16)(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
            const uint16 hi = lo + (uint16)(8);
#pragma unroll
            for (int o = 0; o < OCF; o += 2)
#pragma unroll
                for (int v = 0; v < PXF; v++) {
                    const int q = q0 + 16 * v, y = q / W, x = q - y * W;
                    const float16 e = acc[o][v] + (float16)(b[o]);
                    const float16 f = acc[o + 1][v] + (float16)(b[o + 1]);
                    if (x + 16 <= W) {
                        __global STORAGE *row = po[o] + sh * y * OW + 2 * x;
                        VSTOREF(shuffle2(e, f, lo), row);
                        VSTOREF(shuffle2(e, f, hi), row + 16);
                    } else {
                        scatter_store(po[o], e, q, Q, W, OW, sh, sw);
                        scatter_store(po[o + 1], f, q, Q, W, OW, sh, sw);
                    }
                }
            return;
        }
#endif
#pragma unroll
        for (int o = 0; o < OCF; o++) {
            if (o >= valid_o)
                break;
#pragma unroll
            for (int v = 0; v < PXF; v++)
                scatter_store(po[o], acc[o][v] + (float16)(b[o]), q0 + 16 * v, Q, W, OW, sh, sw);
        }
        return;
    }
    for (int v = 0; v < nv; v++) {
        const int q = q0 + 16 * v;
        float16 acc1[OCF][1];
        FLAT_ACC(1, q, acc1)
        for (int o = 0; o < valid_o; o++)
            scatter_store(po[o], acc1[o][0] + (float16)(b[o]), q, Q, W, OW, sh, sw);
    }
}
#undef FLAT_ACC
