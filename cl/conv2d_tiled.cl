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
 * memory. Weights are re-laid out by tiled_relayout_weights into
 * [group][oc tile][ci][ky][kx][OCT] floats (channels past the group zero-filled), so the OCT
 * weights of one tap are one vector load.
 *
 * ConvTranspose2d runs as stride phases (sub-pixel decomposition): the outputs whose
 * coordinates share their remainders modulo the stride receive the input through a fixed
 * subset of the taps, so each phase is a dense correlation of the zero-padded input with a
 * flipped sub-kernel (tiled_relayout_transposed builds it), written to every stride-th
 * output: no zero insertion, no atomics. conv2d_tiled takes the phase's input start (y0, x0)
 * and output placement (osh, osw, oy0, ox0 in an OHf x OWf map); Conv2d passes 0, 0 and 1, 1,
 * 0, 0.
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

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define floatV CAT(float, OCT)
#define vloadV CAT(vload, OCT)
#define vstoreV CAT(vstore, OCT)

#ifdef CLCONV_HALF
#define STORAGE half
#define LOAD(p, i) vload_half((i), (p))
#define STORE(p, i, v) vstore_half((v), (i), (p))
#else
#define STORAGE float
#define LOAD(p, i) ((p)[i])
#define STORE(p, i, v) ((p)[i] = (v))
#endif

/* Maps a padded coordinate into [0, n) by padding mode (0 zeros, 1 reflect, 2 replicate,
 * 3 circular); -1 marks a zero. The host bounds the padding, so one reflection or wrap
 * suffices. A run-time mode keeps one program per tile shape: this pass is memory-bound. */
inline int map_coord(int i, int n, int mode)
{
    if (i >= 0 && i < n)
        return i;
    if (mode == 0)
        return -1;
    if (mode == 1)
        return i < 0 ? -i : 2 * (n - 1) - i;
    if (mode == 2)
        return clamp(i, 0, n - 1);
    return i < 0 ? i + n : i - n;
}

/* NDRange (Wp, Hp, N * C): one padded element each. */
__kernel void tiled_pad_input(__global const STORAGE *restrict in, __global STORAGE *restrict ws,
                              uint ws_off, int H, int W, int Hp, int Wp, int pt, int pl,
                              int planes, int mode)
{
    const int x = get_global_id(0), y = get_global_id(1), plane = get_global_id(2);
    if (x >= Wp || y >= Hp || plane >= planes)
        return;
    const int iy = map_coord(y - pt, H, mode), ix = map_coord(x - pl, W, mode);
    float v = (iy >= 0 && ix >= 0) ? LOAD(in, ((size_t)plane * H + iy) * W + ix) : 0.0f;
    STORE(ws + ws_off, ((size_t)plane * Hp + y) * Wp + x, v);
}

/* NDRange (groups * ocb * cinpg * ksize): one OCT-vector of re-laid-out weights each. */
__kernel void tiled_relayout_weights(__global const STORAGE *restrict w, __global float *restrict wr,
                                     int cinpg, int coutpg, int ksize, int ocb, int total)
{
    const int i = get_global_id(0);
    if (i >= total)
        return;
    const int per_tile = cinpg * ksize;
    const int gt = i / per_tile, r = i - gt * per_tile; /* r = ci * ksize + tap */
    const int g = gt / ocb, t = gt - g * ocb;
    float v[OCT];
    for (int o = 0; o < OCT; o++) {
        const int oc = t * OCT + o;
        v[o] = oc < coutpg ? LOAD(w, ((size_t)(g * coutpg + oc)) * per_tile + r) : 0.0f;
    }
    for (int o = 0; o < OCT; o++)
        wr[(size_t)i * OCT + o] = v[o];
}

/* NDRange (groups * ocb * cinpg * Ty * Tx): the sub-kernel of one stride phase of a
 * ConvTranspose2d weight (Cin, Cout/groups, kh, kw), tap (jy, jx) taken from
 * (ky0 - jy * qy, kx0 - jx * qx), written at wr + wr_off like tiled_relayout_weights. */
__kernel void tiled_relayout_transposed(__global const STORAGE *restrict w,
                                        __global float *restrict wr, uint wr_off, int cinpg,
                                        int coutpg, int kh, int kw, int ocb, int Ty, int Tx,
                                        int ky0, int qy, int kx0, int qx, int total)
{
    const int i = get_global_id(0);
    if (i >= total)
        return;
    const int per_tile = cinpg * Ty * Tx;
    const int gt = i / per_tile, r = i - gt * per_tile;
    const int ci = r / (Ty * Tx), tap = r - ci * (Ty * Tx);
    const int jy = tap / Tx, jx = tap - jy * Tx;
    const int g = gt / ocb, t = gt - g * ocb;
    const size_t src = ((size_t)(g * cinpg + ci) * coutpg) * kh * kw + (ky0 - jy * qy) * kw +
                       (kx0 - jx * qx);
    float v[OCT];
    for (int o = 0; o < OCT; o++) {
        const int oc = t * OCT + o;
        v[o] = oc < coutpg ? LOAD(w, src + (size_t)oc * kh * kw) : 0.0f;
    }
    for (int o = 0; o < OCT; o++)
        wr[wr_off + (size_t)i * OCT + o] = v[o];
}

/* NDRange (ceil(OH * OW / PXT), groups * ocb, N). in is the padded copy (Hp x Wp planes) or
 * the input itself when the layer has no padding. */
__kernel void conv2d_tiled(__global const STORAGE *restrict in, uint in_off,
                           __global const float *restrict wr, uint w_off,
                           __global const STORAGE *restrict bias, __global STORAGE *restrict out,
                           int C, int Hp, int Wp, int K, int OH, int OW, int kh, int kw, int sh,
                           int sw, int dh, int dw, int cinpg, int coutpg, int ocb, int gtiles,
                           int has_bias, int y0, int x0, int OHf, int OWf, int osh, int osw,
                           int oy0, int ox0)
{
    const int tile = get_global_id(0), gt = get_global_id(1), n = get_global_id(2);
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
    for (int o = 0; o < valid_o; o++) {
        const float b = has_bias ? LOAD(bias, oc0 + o) : 0.0f;
        __global STORAGE *plane_out = out + ((size_t)n * K + oc0 + o) * OHf * OWf;
        for (int j = 0; j < valid_j; j++)
            STORE(plane_out, obase[j], tmp[j][o] + b);
    }
}
