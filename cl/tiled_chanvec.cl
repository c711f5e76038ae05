/*
 * Channel vectors (OpenCL C 1.2): Conv2d as a register-blocked implicit GEMM, and
 * ConvTranspose2d as stride phases of it (the tiled.chanvec_* and tiled.phases_* variants,
 * src/algo-tiled-chanvec.c).
 *
 * Each work-item owns OCT output channels of one group (one float vector) times PXT output
 * pixels of one image (pixels counted row-major over OH x OW, so small feature maps fill
 * the tile as well as wide ones). Per input channel and tap it loads OCT weights once and
 * each of the PXT input values once, and does PXT vector FMAs: the input is reused across
 * OCT channels, the weights across PXT pixels.
 *
 * The hot loop has no border test: when the layer pads, tiled_pad_input (cl/tiled_copy.cl)
 * first writes a padded copy of the input into the workspace, so every tap reads memory.
 * Weights are re-laid out by tiled_relayout into [group][oc tile][ci][ky][kx][OCT] floats
 * (channels past the group zero-filled), so the OCT weights of one tap are one vector load.
 *
 * ConvTranspose2d runs as stride phases (sub-pixel decomposition): the outputs whose
 * coordinates share their remainders modulo the stride receive the input through a fixed
 * subset of the taps, so each phase is a dense correlation of the zero-padded input with a
 * flipped sub-kernel (tiled_relayout builds it), written to every stride-th output: no zero
 * insertion, no atomics. tiled_tile takes the phase's input start (y0, x0) and output
 * placement (osh, osw, oy0, ox0 in an OHf x OWf map); Conv2d passes 0, 0 and 1, 1, 0, 0.
 * tconv2d_tiled runs all phases in one launch from a table of their parameters.
 *
 * Build options (all required but CLCONV_HALF):
 *   -D OCT=4|8|16      output channels per work-item (vector width)
 *   -D PXT=n           output pixels per work-item
 *   -D PHASE_FIELDS=n  ints per row of tconv2d_tiled's phase table (the host's layout)
 *   -D CLCONV_HALF     half storage for input, bias and output; the re-laid-out weights are
 *                      float
 *
 * NDRange:
 *   tiled_relayout  (cinpg, groups * ocb)
 *   conv2d_tiled    (ceil(OH * OW / PXT), groups * ocb, N)
 *   tconv2d_tiled   (ceil(max phase OH * OW / PXT), groups * ocb, N * nphases)
 * Work-items past the extent of dimensions 0 and 1 return (the launch may round them up).
 */
#if !defined(OCT) || !defined(PXT) || !defined(PHASE_FIELDS)
#error "tiled_chanvec.cl needs -D OCT, -D PXT and -D PHASE_FIELDS"
#endif

#define floatV CAT(float, OCT)
#define vloadV CAT(vload, OCT)
#define vstoreV CAT(vstore, OCT)

/* Work-item (ci, gt) writes the OCT x Ty x Tx weights of input channel ci and oc tile gt,
 * [group][oc tile][ci][Ty][Tx][OCT] floats at wr + wr_off (channels past the group
 * zero-filled): a contiguous block per work-item, and no integer
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

/* ConvTranspose2d forms only the products that exist: a phase tap that reads the copy's zero
 * border must add nothing, not 0 * w (NaN for an inf or NaN weight). The hot loop multiplies
 * the border anyway; that is exact unless such a product is NaN, which then shows as a NaN
 * accumulator. Only then is the tile recomputed here with the border taps masked. (ry, rx):
 * the input row and column of each pixel's first tap, in unpadded coordinates. */
inline void tiled_tile_masked(__global const STORAGE *src, __global const float *wp, size_t plane,
                              int Wp, int H, int W, int kh, int kw, int dh, int dw, int cinpg,
                              const int *base, const int *ry, const int *rx, floatV *acc)
{
#pragma unroll
    for (int j = 0; j < PXT; j++)
        acc[j] = (floatV)(0.0f);
    for (int ci = 0; ci < cinpg; ci++) {
        for (int ky = 0; ky < kh; ky++) {
            __global const STORAGE *row = src + ky * dh * Wp;
            for (int kx = 0; kx < kw; kx++) {
                const floatV w = vloadV(0, wp);
                wp += OCT;
                __global const STORAGE *tap = row + kx * dw;
#pragma unroll
                for (int j = 0; j < PXT; j++) {
                    const bool ok = (uint)(ry[j] + ky * dh) < (uint)H &&
                                    (uint)(rx[j] + kx * dw) < (uint)W;
                    if (ok)
                        acc[j] = fma((floatV)(LOAD(tap, base[j])), w, acc[j]);
                }
            }
        }
        src += plane;
    }
}

/* One work-item's tile: pixel tile `tile` of the OH x OW map, channel tile gt, image n. in is
 * the padded copy (Hp x Wp planes) or the input itself when the layer has no padding. The copy
 * holds the H x W input at (cpt, cpl); ConvTranspose2d (exact_border) masks the taps outside
 * it when a product there could be NaN; Conv2d multiplies them, as torch does. */
inline void tiled_tile(__global const STORAGE *restrict in, uint in_off,
                       __global const float *restrict wr, uint w_off,
                       __global const STORAGE *restrict bias, __global STORAGE *OUT_RESTRICT out,
                       int C, int Hp, int Wp, int K, int OH, int OW, int kh, int kw, int sh,
                       int sw, int dh, int dw, int cinpg, int coutpg, int ocb, int gtiles,
                       int has_bias, int y0, int x0, int OHf, int OWf, int osh, int osw, int oy0,
                       int ox0, int tile, int gt, int n, bool exact_border, int H, int W, int cpt,
                       int cpl EPILOGUE_PARAMS)
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
    if (exact_border) {
        /* a tile with a pixel whose taps reach the border and a NaN accumulator */
        int ry[PXT], rx[PXT];
        bool redo = false;
#pragma unroll
        for (int j = 0; j < PXT; j++) {
            const int p = min(p0 + j, P - 1);
            const int oy = p / OW, ox = p - oy * OW;
            ry[j] = oy * sh + y0 - cpt;
            rx[j] = ox * sw + x0 - cpl;
            const bool border = ry[j] < 0 || ry[j] + (kh - 1) * dh >= H || rx[j] < 0 ||
                                rx[j] + (kw - 1) * dw >= W;
            redo |= border && any(isnan(acc[j]));
        }
        if (redo)
            tiled_tile_masked(in + in_off + ((size_t)n * C + (size_t)g * cinpg) * plane,
                              wr + w_off + (size_t)gt * cinpg * kh * kw * OCT, plane, Wp, H, W, kh,
                              kw, dh, dw, cinpg, base, ry, rx, acc);
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
                EPI_STORE(dst, j, tmp[j][o] + b);
        } else {
            for (int j = 0; j < valid_j; j++)
                EPI_STORE(plane_out, obase[j], tmp[j][o] + b);
        }
    }
}

/* Conv2d. */
__kernel void conv2d_tiled(__global const STORAGE *restrict in, uint in_off,
                           __global const float *restrict wr, uint w_off,
                           __global const STORAGE *restrict bias,
                           __global STORAGE *OUT_RESTRICT out, int C, int Hp, int Wp, int K, int OH,
                           int OW, int kh, int kw, int sh, int sw, int dh, int dw, int cinpg,
                           int coutpg, int ocb, int gtiles, int has_bias EPILOGUE_PARAMS)
{
    tiled_tile(in, in_off, wr, w_off, bias, out, C, Hp, Wp, K, OH, OW, kh, kw, sh, sw, dh, dw,
               cinpg, coutpg, ocb, gtiles, has_bias, 0, 0, OH, OW, 1, 1, 0, 0, get_global_id(0),
               get_global_id(1), get_global_id(2), false, 0, 0, 0, 0 EPILOGUE_ARGS);
}

/* ConvTranspose2d: every stride phase in one launch, so the output is written by a single
 * command (a failure to enqueue leaves it untouched). Row p of the phase table holds phase p's
 * OH, OW, taps (kh, kw), input steps (dh, dw), input start (y0, x0), output start (oy0, ox0)
 * and weight offset. The phases differ in size by at most a row and a column, so few
 * work-items idle. */
__kernel void tconv2d_tiled(__global const STORAGE *restrict in, uint in_off,
                            __global const float *restrict wr,
                            __global const STORAGE *restrict bias,
                            __global STORAGE *OUT_RESTRICT out, __global const int *restrict phases,
                            int nphases, int C, int Hp, int Wp, int K, int cinpg, int coutpg,
                            int ocb, int gtiles, int has_bias, int OHf, int OWf, int osh, int osw,
                            int H, int W, int cpt, int cpl EPILOGUE_PARAMS)
{
    const int z = get_global_id(2), n = z / nphases;
    __global const int *ph = phases + (z - n * nphases) * PHASE_FIELDS;
    tiled_tile(in, in_off, wr, (uint)ph[10], bias, out, C, Hp, Wp, K, ph[0], ph[1], ph[2], ph[3], 1,
               1, ph[4], ph[5], cinpg, coutpg, ocb, gtiles, has_bias, ph[6], ph[7], OHf, OWf, osh,
               osw, ph[8], ph[9], get_global_id(0), get_global_id(1), n, true, H, W, cpt,
               cpl EPILOGUE_ARGS);
}

