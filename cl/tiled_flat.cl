/*
 * Flat pixel vectors (OpenCL C 1.2): the tiled.flat_c4v4, tiled.flat_sampled_c4v4 and
 * tiled.scatter_c4v4 variants (src/algo-tiled-flat.c).
 *
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
 * and one vector of 16, not 4 tiles). in is the padded copy or the sampled copy of a
 * strided 1x1 layer (cl/tiled_copy.cl), or the input itself.
 *
 * Build options (OCF and PXF required):
 *   -D OCF=n             output channels per work-item
 *   -D PXF=n             vectors of 16 pixels per work-item
 *   -D FKH=k -D FKW=k    the kernel size at compile time (1x1 and 3x3: the tap loops
 *                        unroll); without them the kernel reads kh, kw
 *   -D CLCONV_HALF       half storage
 *
 * NDRange:
 *   conv2d_tiled_flat   (ceil(OH * Wp / (16 * PXF)), groups * ceil(coutpg / OCF), N)
 *   tconv2d_tiled_flat  (groups * ceil(coutpg * kh * kw / OCF), ceil(H * W / (16 * PXF)), N)
 * Work-items past the extent of dimensions 0 and 1 return (the launch may round them up).
 * limit: elements readable from in + in_off.
 */
#if !defined(OCF) || !defined(PXF)
#error "tiled_flat.cl needs -D OCF and -D PXF"
#endif
#ifndef FKH
#define FKH kh
#define FKW kw
#endif
#ifdef CLCONV_HALF
#define VLOADF(p) vload_half16(0, (p))
#else
#define VLOADF(p) vload16(0, (p))
#endif
/* 16 consecutive outputs o[i..]: one vector store (EPI_VSTORE with an epilogue) */
#ifdef CLCONV_EPILOGUE
#define VSTOREF(v, o, i) EPI_VSTORE(16, v, o, i)
#elif defined(CLCONV_HALF)
#define VSTOREF(v, o, i) vstore_half16((v), 0, (o) + (i))
#else
#define VSTOREF(v, o, i) vstore16((v), 0, (o) + (i))
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
inline void flat_store(__global STORAGE *po, float16 r, int q, int Q, int Wp, int OW,
                       int OH EPILOGUE_OUT_PARAMS)
{
    const int oy = q / Wp, ox = q - oy * Wp;
    if (q + 16 <= Q && (Wp == OW || ox + 16 <= OW)) {
        VSTOREF(r, po, oy * OW + ox);
        return;
    }
    float t[16];
    vstore16(r, 0, t);
    int y = oy, x = ox;
    for (int l = 0; l < 16 && y < OH; l++) {
        if (x < OW)
            EPI_STORE(po, y * OW + x, t[l]);
        if (++x == Wp) {
            x = 0;
            y++;
        }
    }
}

__kernel void conv2d_tiled_flat(__global const STORAGE *restrict in, uint in_off,
                                __global const STORAGE *restrict w,
                                __global const STORAGE *restrict bias,
                                __global STORAGE *OUT_RESTRICT out, int C, int Hp, int Wp, int K,
                                int OH, int OW, int kh, int kw, int dh, int dw, int cinpg,
                                int coutpg, int has_bias, long limit EPILOGUE_PARAMS)
{
    const int Q = OH * Wp;
    const int q0 = get_global_id(0) * 16 * PXF, oct = get_global_id(1), n = get_global_id(2);
    const int octiles = (coutpg + OCF - 1) / OCF;
    if (q0 >= Q || oct >= C / cinpg * octiles)
        return;
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
                continue;
            const int oc = g * coutpg + oc0 + o;
            const float b = has_bias ? LOAD(bias, oc) : 0.0f;
            __global STORAGE *po = out + ((size_t)n * K + oc) * OH * OW;
#pragma unroll
            for (int v = 0; v < PXF; v++)
                flat_store(po, acc[o][v] + (float16)(b), q0 + 16 * v, Q, Wp, OW,
                           OH EPILOGUE_OUT_ARGS);
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
                       OW, OH EPILOGUE_OUT_ARGS);
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
 * interleaved into consecutive outputs. Built with -D FKH=1 -D FKW=1; channel tiles run along
 * dimension 0.
 */

/* The 16 results of input pixels q.. (row-major over H x W) of one output channel m, whose
 * plane po is offset by its tap (ky * OW + kx): each to (sh*y, sw*x). */
inline void scatter_store(__global STORAGE *po, float16 r, int q, int Q, int W, int OW, int sh,
                          int sw EPILOGUE_OUT_PARAMS)
{
    float t[16];
    vstore16(r, 0, t);
    int y = q / W, x = q - y * W;
    if (x + 16 <= W) {
        __global STORAGE *row = po + sh * y * OW + sw * x;
        for (int l = 0; l < 16; l++)
            EPI_STORE(row, sw * l, t[l]);
        return;
    }
    for (int l = 0; l < 16 && q + l < Q; l++) {
        EPI_STORE(po, sh * y * OW + sw * x, t[l]);
        if (++x == W) {
            x = 0;
            y++;
        }
    }
}

__kernel void tconv2d_tiled_flat(__global const STORAGE *restrict in, uint in_off,
                                 __global const STORAGE *restrict w,
                                 __global const STORAGE *restrict bias,
                                 __global STORAGE *OUT_RESTRICT out, int C, int H, int W, int K,
                                 int OH, int OW, int tkh, int tkw, int sh, int sw, int cinpg,
                                 int coutpg, int has_bias, long limit EPILOGUE_PARAMS)
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
                        VSTOREF(shuffle2(e, f, lo), row, 0);
                        VSTOREF(shuffle2(e, f, hi), row, 16);
                    } else {
                        scatter_store(po[o], e, q, Q, W, OW, sh, sw EPILOGUE_OUT_ARGS);
                        scatter_store(po[o + 1], f, q, Q, W, OW, sh, sw EPILOGUE_OUT_ARGS);
                    }
                }
            return;
        }
#endif
#pragma unroll
        for (int o = 0; o < OCF; o++) {
            if (o >= valid_o)
                continue;
#pragma unroll
            for (int v = 0; v < PXF; v++)
                scatter_store(po[o], acc[o][v] + (float16)(b[o]), q0 + 16 * v, Q, W, OW, sh,
                              sw EPILOGUE_OUT_ARGS);
        }
        return;
    }
    for (int v = 0; v < nv; v++) {
        const int q = q0 + 16 * v;
        float16 acc1[OCF][1];
        FLAT_ACC(1, q, acc1)
        for (int o = 0; o < valid_o; o++)
            scatter_store(po[o], acc1[o][0] + (float16)(b[o]), q, Q, W, OW, sh,
                          sw EPILOGUE_OUT_ARGS);
    }
}
#undef FLAT_ACC
