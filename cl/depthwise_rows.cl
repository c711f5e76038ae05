/*
 * depthwise_conv2d: depthwise Conv2d by output rows (groups == in_channels, any depth
 * multiplier, stride, dilation and padding mode), OpenCL C 1.2. Variant depthwise.rows_x8
 * (src/depthwise-rows.c).
 *
 * Build options:
 *   -D XT=8|16      output columns per tile (the host's variant parameter)
 *   -D CLCONV_HALF  half storage (cl/prelude.cl), float arithmetic
 *
 * NDRange (ceil(OH / ry), N * K), each dimension rounded up to the work-group shape: items
 * past OH in dimension 0 or past nk_total in dimension 1 return at once.
 *
 * Memory-bound: every output reads one input plane window and kh*kw weights. A work-item
 * owns ry rows of one output channel (its setup shared by many tiles) and walks each row in
 * tiles of XT consecutive columns, one float vector each, so a tap is one vector load and
 * one vector FMA. The interior columns (every read inside the input row: nearly all of a
 * feature map) go in strips of NS tiles, NS independent FMA chains, then single tiles; the
 * few border columns are done one by one through the padding mode (zeros padding by the
 * range of in-row taps, no per-tap test). Kernel rows are mapped once per tile. The taps
 * skipped in the zero padding add their 0 * w (zero_taps), so an inf or NaN weight gives NaN
 * there as torch's padded correlation does.
 *
 * Small maps (OW <= 2 * XT, strides 1 and 2: MobileNet's 7x7 and 14x14 layers) take another
 * path: each input row the item's rows read is copied once, padded, into a private ring of
 * rows, and every tap of the one or two vector tiles of a row is a load from that copy. A
 * row is copied once however many kernel rows read it. Rows too narrow for an interior tile
 * that the ring cannot hold (stride 3, wide dilated kernels) use masked tiles.
 *
 * One work-item per output column instead (PoCL vectorizing across work-items) measured
 * 5-15x slower on MobileNetV2's depthwise layers: its loads become gathers. The stride-1 and
 * stride-2 layers CPUs run faster take cl/depthwise_flat.cl and cl/depthwise_s2.cl.
 */
#ifndef XT
#error "XT (output columns per tile) is set by the host"
#endif
#define floatX CAT(float, XT)

#ifdef CLCONV_HALF
#define LOADX(p, i) CAT(vload_half, XT)(0, (p) + (i))
#else
#define LOADX(p, i) CAT(vload, XT)(0, (p) + (i))
#endif
/* XT consecutive outputs p[i..]: one vector store (EPI_VSTORE with an epilogue) */
#ifdef CLCONV_EPILOGUE
#define STOREX(v, p, i) EPI_VSTORE(XT, v, p, i)
#elif defined(CLCONV_HALF)
#define STOREX(v, p, i) CAT(vstore_half, XT)((v), 0, (p) + (i))
#else
#define STOREX(v, p, i) CAT(vstore, XT)((v), 0, (p) + (i))
#endif

/* Sum of 0 * w over n weights: what the taps of a skipped zero-padding row add (0, or NaN for
 * an inf or NaN weight, as torch's padded correlation gives). Only border rows pay for it. */
inline float zero_taps(__global const STORAGE *w, int n)
{
    float z = 0.0f;
    for (int i = 0; i < n; i++)
        z += zero_times(LOAD(w, i));
    return z;
}

/* XT values of one input row for the columns of an interior tile starting at input column
 * ix (stride 1 or 2). */
inline floatX load_interior(__global const STORAGE *row, int ix, int sw)
{
    if (sw == 1)
        return LOADX(row, ix);
#if XT == 8
#ifdef CLCONV_HALF
    return vload_half16(0, row + ix).even;
#else
    return vload16(0, row + ix).even;
#endif
#else
#ifdef CLCONV_HALF
    return (float16)(vload_half16(0, row + ix).even, vload_half16(0, row + ix + 16).even);
#else
    return (float16)(vload16(0, row + ix).even, vload16(0, row + ix + 16).even);
#endif
#endif
}

/* Columns [ox0, ox0 + XT * NS) of output row oy, every read inside the input row: NS
 * independent accumulators keep the FMA pipeline full (one chain would wait on latency). */
#define NS 4
inline void depthwise_strip(__global const STORAGE *plane, __global const STORAGE *wk, float b,
                            int H, int W, int oy, int ox0, int kh, int kw, int sh, int sw, int pt,
                            int pl, int dh, int dw, int mode,
                            __global STORAGE *orow EPILOGUE_OUT_PARAMS)
{
    floatX a0 = (floatX)(b), a1 = a0, a2 = a0, a3 = a0;
    const int ix0 = ox0 * sw - pl;
    const int step = XT * sw;
    float z = 0.0f;
    for (int ky = 0; ky < kh; ky++) {
        const int iy = map_coord(oy * sh - pt + ky * dh, H, mode);
        if (iy < 0) {
            z += zero_taps(wk + ky * kw, kw);
            continue;
        }
        __global const STORAGE *row = plane + (size_t)iy * W + ix0;
        for (int kx = 0; kx < kw; kx++) {
            const floatX wv = (floatX)(LOAD(wk, ky * kw + kx));
            const int ix = kx * dw;
            a0 = fma(wv, load_interior(row, ix, sw), a0);
            a1 = fma(wv, load_interior(row, ix + step, sw), a1);
            a2 = fma(wv, load_interior(row, ix + 2 * step, sw), a2);
            a3 = fma(wv, load_interior(row, ix + 3 * step, sw), a3);
        }
    }
    STOREX(a0 + z, orow, ox0);
    STOREX(a1 + z, orow, ox0 + XT);
    STOREX(a2 + z, orow, ox0 + 2 * XT);
    STOREX(a3 + z, orow, ox0 + 3 * XT);
}

/* Columns [ox0, ox0 + XT) of output row oy, every read inside the input row. Even and odd
 * kernel rows accumulate separately (two chains). */
inline void depthwise_tile(__global const STORAGE *plane, __global const STORAGE *wk, float b,
                           int H, int W, int oy, int ox0, int kh, int kw, int sh, int sw, int pt,
                           int pl, int dh, int dw, int mode,
                           __global STORAGE *orow EPILOGUE_OUT_PARAMS)
{
    floatX acc[2] = {(floatX)(b), (floatX)(0.0f)};
    const int ix0 = ox0 * sw - pl;
    for (int ky = 0; ky < kh; ky++) {
        const int iy = map_coord(oy * sh - pt + ky * dh, H, mode);
        if (iy < 0) {
            acc[1] += zero_taps(wk + ky * kw, kw);
            continue;
        }
        __global const STORAGE *row = plane + (size_t)iy * W + ix0;
        floatX a = acc[ky & 1];
        for (int kx = 0; kx < kw; kx++)
            a = fma((floatX)(LOAD(wk, ky * kw + kx)), load_interior(row, kx * dw, sw), a);
        acc[ky & 1] = a;
    }
    STOREX(acc[0] + acc[1], orow, ox0);
}

/* Columns [ox0, ox0 + XT) of output row oy, any position (rows too narrow for an interior
 * tile): each read mapped through the padding, columns past OW dropped. */
inline void depthwise_masked_tile(__global const STORAGE *plane, __global const STORAGE *wk,
                                  float b, int H, int W, int OW, int oy, int ox0, int kh, int kw,
                                  int sh, int sw, int pt, int pl, int dh, int dw, int mode,
                                  __global STORAGE *orow EPILOGUE_OUT_PARAMS)
{
    floatX acc[2] = {(floatX)(b), (floatX)(0.0f)};
    const int ix0 = ox0 * sw - pl;
    for (int ky = 0; ky < kh; ky++) {
        const int iy = map_coord(oy * sh - pt + ky * dh, H, mode);
        if (iy < 0) {
            acc[1] += zero_taps(wk + ky * kw, kw);
            continue;
        }
        __global const STORAGE *row = plane + (size_t)iy * W;
        floatX a = acc[ky & 1];
        for (int kx = 0; kx < kw; kx++) {
            float t[XT];
            for (int j = 0; j < XT; j++) {
                const int ix = map_coord(ix0 + j * sw + kx * dw, W, mode);
                t[j] = (ox0 + j < OW && ix >= 0) ? LOAD(row, ix) : 0.0f;
            }
            a = fma((floatX)(LOAD(wk, ky * kw + kx)), CAT(vload, XT)(0, t), a);
        }
        acc[ky & 1] = a;
    }
    float t[XT];
    CAT(vstore, XT)(acc[0] + acc[1], 0, t);
    for (int j = 0; j < XT && ox0 + j < OW; j++)
        EPI_STORE(orow, ox0 + j, t[j]);
}

/* One output column anywhere (the border columns). Zeros padding skips the taps outside the
 * row by their range (no per-tap mapping); the other modes map each tap. */
inline void depthwise_pixel(__global const STORAGE *plane, __global const STORAGE *wk, float b,
                            int H, int W, int oy, int ox, int kh, int kw, int sh, int sw, int pt,
                            int pl, int dh, int dw, int mode,
                            __global STORAGE *orow EPILOGUE_OUT_PARAMS)
{
    float acc = b;
    const int base = ox * sw - pl;
    const int kx0 = base < 0 ? (-base + dw - 1) / dw : 0;
    const int kx1 = base > W - 1 ? 0 : min(kw, (W - 1 - base) / dw + 1);
    /* zeros padding: taps [0, ka) and [kb, kw) of a row are padding, their 0 * w added */
    const int ka = min(kx0, kw), kb = max(kx1, ka);
    for (int ky = 0; ky < kh; ky++) {
        const int iy = map_coord(oy * sh - pt + ky * dh, H, mode);
        if (iy < 0) {
            acc += zero_taps(wk + ky * kw, kw);
            continue;
        }
        __global const STORAGE *row = plane + (size_t)iy * W;
        __global const STORAGE *w = wk + ky * kw;
        if (mode == 0) {
            for (int kx = ka; kx < kb; kx++)
                acc = fma(LOAD(w, kx), LOAD(row, base + kx * dw), acc);
            acc += zero_taps(w, ka) + zero_taps(w + kb, kw - kb);
            continue;
        }
        for (int kx = 0; kx < kw; kx++) {
            const int ix = map_coord(base + kx * dw, W, mode);
            if (ix >= 0)
                acc = fma(LOAD(w, kx), LOAD(row, ix), acc);
        }
    }
    EPI_STORE(orow, ox, acc);
}

/* The narrow-row path keeps padded copies of the last RING input rows, TW columns each. */
#define TW 64
#define RING 8

/* Padded column i of an input row (outside [0, W)) through the padding mode; 0 past the
 * padding (only lanes past OW read those). */
inline float pad_value(__global const STORAGE *row, int i, int W, int mode)
{
    const int ix = map_coord(i, W, mode);
    return (ix >= 0 && ix < W) ? LOAD(row, ix) : 0.0f;
}

/* Padded copy of padded input row py: t[j] = padded column j - pl, j < len; a row outside
 * the input (zeros padding) is all zeros. The in-row columns are a plain copy; only the
 * padding columns go through the mode. */
inline void fill_row(__global const STORAGE *plane, int H, int W, int py, int pl, int mode, int len,
                     float *t)
{
    const int iy = map_coord(py, H, mode);
    if (iy < 0 || iy >= H) {
        for (int j = 0; j < len; j++)
            t[j] = 0.0f;
        return;
    }
    __global const STORAGE *row = plane + (size_t)iy * W;
    const int a = min(pl, len), e = min(pl + W, len);
    for (int j = 0; j < a; j++)
        t[j] = pad_value(row, j - pl, W, mode);
    for (int j = a; j < e; j++)
        t[j] = LOAD(row, j - pl);
    for (int j = e; j < len; j++)
        t[j] = pad_value(row, j - pl, W, mode);
}

/* Output rows [oy0, oy1) with OW <= 2 * XT (stride 1 or 2) from padded private copies of the
 * input rows: each input row is mapped and copied once (not once per kernel row that reads
 * it), then every tap is a vector load from the copy and a vector FMA. Columns past the copy
 * stay zero and only feed lanes past OW, which are not stored. */
inline void depthwise_rows_padded(__global const STORAGE *plane, __global const STORAGE *wk,
                                  float b, int H, int W, int OW, int oy0, int oy1, int kh, int kw,
                                  int sh, int sw, int pt, int pl, int dh, int dw, int mode, int len,
                                  float *ring, __global STORAGE *orow0 EPILOGUE_OUT_PARAMS)
{
    const bool two = OW > XT;
    int next = oy0 * sh - pt; /* next padded row to copy */
    for (int oy = oy0; oy < oy1; oy++) {
        const int first = oy * sh - pt, last = first + (kh - 1) * dh;
        next = max(next, first);
        for (; next <= last; next++)
            fill_row(plane, H, W, next, pl, mode, len, ring + ((next + pt) % RING) * TW);
        floatX a0 = (floatX)(b), a1 = a0;
        for (int ky = 0; ky < kh; ky++) {
            const float *t = ring + ((first + ky * dh + pt) % RING) * TW;
            for (int kx = 0; kx < kw; kx++) {
                const floatX wv = (floatX)(LOAD(wk, ky * kw + kx));
                const int o = kx * dw;
                if (sw == 1) {
                    a0 = fma(wv, CAT(vload, XT)(0, t + o), a0);
                    if (two)
                        a1 = fma(wv, CAT(vload, XT)(0, t + o + XT), a1);
                } else {
#if XT == 8
                    a0 = fma(wv, vload16(0, t + o).even, a0);
                    if (two)
                        a1 = fma(wv, vload16(0, t + o + 2 * XT).even, a1);
#endif
                }
            }
        }
        __global STORAGE *orow = orow0 + (size_t)(oy - oy0) * OW;
        float r[2 * XT];
        int j = 0;
        if (OW >= XT) { /* a full first tile: one vector store */
            STOREX(a0, orow, 0);
            j = XT;
        } else {
            CAT(vstore, XT)(a0, 0, r);
        }
        CAT(vstore, XT)(a1, 1, r);
        for (; j < OW; j++)
            EPI_STORE(orow, j, r[j]);
    }
}

/* NDRange (ceil(OH / ry), N * K): ry output rows of one channel, every column, so the
 * per-item setup is shared by many tiles. */
__kernel void depthwise_conv2d(__global const STORAGE *restrict in,
                               __global const STORAGE *restrict weight,
                               __global const STORAGE *restrict bias,
                               __global STORAGE *OUT_RESTRICT out, int C, int H, int W, int K,
                               int OH, int OW, int kh, int kw, int sh, int sw, int pt, int pl,
                               int dh, int dw, int mult, int has_bias, int mode, int ry,
                               int nk_total EPILOGUE_PARAMS)
{
    const int yb = get_global_id(0), nk = get_global_id(1);
    const int oy0 = yb * ry;
    if (oy0 >= OH || nk >= nk_total)
        return;
    const int n = nk / K, oc = nk - n * K;
    const int ci = oc / mult;
    __global const STORAGE *plane = in + ((size_t)n * C + ci) * H * W;
    __global const STORAGE *wk = weight + (size_t)oc * kh * kw;
    const float b = has_bias ? LOAD(bias, oc) : 0.0f;
    const int oy1 = min(oy0 + ry, OH);
    /* Output columns [sx0, sx1) read only inside the input row (strides 1 and 2); the
     * columns outside are the border, done one by one. The interior is covered by strips
     * and tiles; the last tile is aligned to sx1 and may redo a few columns. */
    const int sx0 = min((pl + sw - 1) / sw, OW);
    const int span = (kw - 1) * dw + (sw == 2 ? 1 : 0); /* reach past a column's first read */
    const int reach = W - 1 - span + pl; /* last first-read position, in padded columns */
    int sx1 = (sw <= 2 && reach >= 0) ? min(OW, reach / sw + 1) : 0;
    const bool narrow = sx1 - sx0 < XT; /* no interior tile fits: masked tiles only */
    /* narrow rows through padded private copies when they fit (XT == 8, strides 1 and 2) */
    const int len = (OW - 1) * sw + (kw - 1) * dw + 1; /* padded columns the row reads */
    const int tiles = OW > XT ? 2 : 1;
    const int need = tiles * XT * sw + (kw - 1) * dw; /* what the loads touch */
    if (XT == 8 && OW <= 2 * XT && sw <= 2 && need <= TW && (kh - 1) * dh < RING) {
        /* columns [len, need) are only read by lanes past OW: zero them once per slot */
        float ring[RING * TW];
        for (int r = 0; r < RING; r++)
            for (int j = len; j < need; j++)
                ring[r * TW + j] = 0.0f;
        depthwise_rows_padded(plane, wk, b, H, W, OW, oy0, oy1, kh, kw, sh, sw, pt, pl, dh, dw,
                              mode, len, ring,
                              out + (((size_t)n * K + oc) * OH + oy0) * OW EPILOGUE_OUT_ARGS);
        return;
    }
    for (int oy = oy0; oy < oy1; oy++) {
        __global STORAGE *orow = out + (((size_t)n * K + oc) * OH + oy) * OW;
        if (narrow) {
            for (int ox0 = 0; ox0 < OW; ox0 += XT)
                depthwise_masked_tile(plane, wk, b, H, W, OW, oy, ox0, kh, kw, sh, sw, pt, pl, dh,
                                      dw, mode, orow EPILOGUE_OUT_ARGS);
            continue;
        }
        for (int ox = 0; ox < sx0; ox++)
            depthwise_pixel(plane, wk, b, H, W, oy, ox, kh, kw, sh, sw, pt, pl, dh, dw, mode,
                            orow EPILOGUE_OUT_ARGS);
        int ox0 = sx0;
        for (; ox0 + NS * XT <= sx1; ox0 += NS * XT)
            depthwise_strip(plane, wk, b, H, W, oy, ox0, kh, kw, sh, sw, pt, pl, dh, dw, mode,
                            orow EPILOGUE_OUT_ARGS);
#ifdef CLCONV_RESIDUAL
        /* a residual may be the output: no column is written twice, the tail goes by pixel */
        for (; ox0 + XT <= sx1; ox0 += XT)
            depthwise_tile(plane, wk, b, H, W, oy, ox0, kh, kw, sh, sw, pt, pl, dh, dw, mode,
                           orow EPILOGUE_OUT_ARGS);
        for (int ox = ox0; ox < sx1; ox++)
            depthwise_pixel(plane, wk, b, H, W, oy, ox, kh, kw, sh, sw, pt, pl, dh, dw, mode,
                            orow EPILOGUE_OUT_ARGS);
#else
        for (; ox0 < sx1; ox0 += XT)
            depthwise_tile(plane, wk, b, H, W, oy, min(ox0, sx1 - XT), kh, kw, sh, sw, pt, pl, dh,
                           dw, mode, orow);
#endif
        for (int ox = sx1; ox < OW; ox++)
            depthwise_pixel(plane, wk, b, H, W, oy, ox, kh, kw, sh, sw, pt, pl, dh, dw, mode,
                            orow EPILOGUE_OUT_ARGS);
    }
}
