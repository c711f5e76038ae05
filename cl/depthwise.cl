/*
 * Depthwise Conv2d (groups == in_channels, any depth multiplier), OpenCL C 1.2.
 *
 * Memory-bound: every output reads one input plane window and kh*kw weights. A work-item
 * owns ry rows of one output channel (its setup shared by many tiles) and walks each row in
 * tiles of XT consecutive columns, one float vector each, so a tap is one vector load and
 * one vector FMA. The interior columns (every read inside the input row: nearly all of a
 * feature map) go in strips of NS tiles, NS independent FMA chains, then single tiles; the
 * few border columns are done one by one through the padding mode (zeros padding by the
 * range of in-row taps, no per-tap test). Kernel rows are mapped once per tile.
 *
 * Small maps (OW <= 2 * XT, strides 1 and 2: MobileNet's 7x7 and 14x14 layers) take another
 * path: each input row the item's rows read is copied once, padded, into a private ring of
 * rows, and every tap of the one or two vector tiles of a row is a load from that copy. A
 * row is copied once however many kernel rows read it. Rows too narrow for an interior tile
 * that the ring cannot hold (stride 3, wide dilated kernels) use masked tiles.
 *
 * One work-item per output column instead (PoCL vectorizing across work-items) measured
 * 5-15x slower on MobileNetV2's depthwise layers: its loads become gathers.
 *
 * Stride 1 with OW == W and zeros padding (MobileNet's stride-1 layers) takes a second
 * kernel, depthwise_flat (end of file): 16 outputs of the flattened plane per vector, so
 * 7x7 and 14x14 maps waste no lanes and pay no per-row setup; 2-4x faster than the row path
 * on those layers. Stride 2 in both dimensions takes a third, depthwise_s2 (after it).
 *
 * Build options:
 *   -D XT=8|16      output columns per tile
 *   -D CLCONV_HALF  half storage (vload_half / vstore_half), float arithmetic
 *
 * NDRange: (ceil(OH / ry), N * K), rounded up to the work-group size.
 */
#ifndef XT
#define XT 8
#endif

#define floatX CAT(float, XT)

#ifdef CLCONV_HALF
#define STORAGE half
#define LOAD(p, i) vload_half((i), (p))
#define STORE(p, i, v) vstore_half((v), (i), (p))
#define LOADX(p, i) CAT(vload_half, XT)(0, (p) + (i))
#define STOREX(v, p, i) CAT(vstore_half, XT)((v), 0, (p) + (i))
#else
#define STORAGE float
#define LOAD(p, i) ((p)[i])
#define STORE(p, i, v) ((p)[i] = (v))
#define LOADX(p, i) CAT(vload, XT)(0, (p) + (i))
#define STOREX(v, p, i) CAT(vstore, XT)((v), 0, (p) + (i))
#endif

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
                            int pl, int dh, int dw, int mode, __global STORAGE *orow)
{
    floatX a0 = (floatX)(b), a1 = a0, a2 = a0, a3 = a0;
    const int ix0 = ox0 * sw - pl;
    const int step = XT * sw;
    for (int ky = 0; ky < kh; ky++) {
        const int iy = map_coord(oy * sh - pt + ky * dh, H, mode);
        if (iy < 0)
            continue;
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
    STOREX(a0, orow, ox0);
    STOREX(a1, orow, ox0 + XT);
    STOREX(a2, orow, ox0 + 2 * XT);
    STOREX(a3, orow, ox0 + 3 * XT);
}

/* Columns [ox0, ox0 + XT) of output row oy, every read inside the input row. Even and odd
 * kernel rows accumulate separately (two chains). */
inline void depthwise_tile(__global const STORAGE *plane, __global const STORAGE *wk, float b,
                           int H, int W, int oy, int ox0, int kh, int kw, int sh, int sw, int pt,
                           int pl, int dh, int dw, int mode, __global STORAGE *orow)
{
    floatX acc[2] = {(floatX)(b), (floatX)(0.0f)};
    const int ix0 = ox0 * sw - pl;
    for (int ky = 0; ky < kh; ky++) {
        const int iy = map_coord(oy * sh - pt + ky * dh, H, mode);
        if (iy < 0)
            continue;
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
                                  __global STORAGE *orow)
{
    floatX acc[2] = {(floatX)(b), (floatX)(0.0f)};
    const int ix0 = ox0 * sw - pl;
    for (int ky = 0; ky < kh; ky++) {
        const int iy = map_coord(oy * sh - pt + ky * dh, H, mode);
        if (iy < 0)
            continue;
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
        STORE(orow, ox0 + j, t[j]);
}

/* One output column anywhere (the border columns). Zeros padding skips the taps outside the
 * row by their range (no per-tap mapping); the other modes map each tap. */
inline void depthwise_pixel(__global const STORAGE *plane, __global const STORAGE *wk, float b,
                            int H, int W, int oy, int ox, int kh, int kw, int sh, int sw, int pt,
                            int pl, int dh, int dw, int mode, __global STORAGE *orow)
{
    float acc = b;
    const int base = ox * sw - pl;
    const int kx0 = base < 0 ? (-base + dw - 1) / dw : 0;
    const int kx1 = base > W - 1 ? 0 : min(kw, (W - 1 - base) / dw + 1);
    for (int ky = 0; ky < kh; ky++) {
        const int iy = map_coord(oy * sh - pt + ky * dh, H, mode);
        if (iy < 0)
            continue;
        __global const STORAGE *row = plane + (size_t)iy * W;
        __global const STORAGE *w = wk + ky * kw;
        if (mode == 0) {
            for (int kx = kx0; kx < kx1; kx++)
                acc = fma(LOAD(w, kx), LOAD(row, base + kx * dw), acc);
            continue;
        }
        for (int kx = 0; kx < kw; kx++) {
            const int ix = map_coord(base + kx * dw, W, mode);
            if (ix >= 0)
                acc = fma(LOAD(w, kx), LOAD(row, ix), acc);
        }
    }
    STORE(orow, ox, acc);
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
                                  float *ring, __global STORAGE *orow0)
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
            STORE(orow, j, r[j]);
    }
}

/* NDRange (ceil(OH / ry), N * K): ry output rows of one channel, every column, so the
 * per-item setup is shared by many tiles. */
__kernel void depthwise_conv2d(__global const STORAGE *restrict in,
                               __global const STORAGE *restrict weight,
                               __global const STORAGE *restrict bias,
                               __global STORAGE *restrict out, int C, int H, int W, int K, int OH,
                               int OW, int kh, int kw, int sh, int sw, int pt, int pl, int dh,
                               int dw, int mult, int has_bias, int mode, int ry, int nk_total)
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
                              mode, len, ring, out + (((size_t)n * K + oc) * OH + oy0) * OW);
        return;
    }
    for (int oy = oy0; oy < oy1; oy++) {
        __global STORAGE *orow = out + (((size_t)n * K + oc) * OH + oy) * OW;
        if (narrow) {
            for (int ox0 = 0; ox0 < OW; ox0 += XT)
                depthwise_masked_tile(plane, wk, b, H, W, OW, oy, ox0, kh, kw, sh, sw, pt, pl, dh,
                                      dw, mode, orow);
            continue;
        }
        for (int ox = 0; ox < sx0; ox++)
            depthwise_pixel(plane, wk, b, H, W, oy, ox, kh, kw, sh, sw, pt, pl, dh, dw, mode, orow);
        int ox0 = sx0;
        for (; ox0 + NS * XT <= sx1; ox0 += NS * XT)
            depthwise_strip(plane, wk, b, H, W, oy, ox0, kh, kw, sh, sw, pt, pl, dh, dw, mode,
                            orow);
        for (; ox0 < sx1; ox0 += XT)
            depthwise_tile(plane, wk, b, H, W, oy, min(ox0, sx1 - XT), kh, kw, sh, sw, pt, pl, dh,
                           dw, mode, orow);
        for (int ox = sx1; ox < OW; ox++)
            depthwise_pixel(plane, wk, b, H, W, oy, ox, kh, kw, sh, sw, pt, pl, dh, dw, mode, orow);
    }
}

/*
 * Flat path: stride 1, OW == W, zeros padding (MobileNet's stride-1 depthwise layers). With
 * equal widths, output o = y * W + x reads input o + (ky * dh - pt) * W + kx * dw - pl: a
 * constant offset per tap along the flattened plane, so 16 consecutive outputs of any rows
 * are one vector per tap and a whole 7x7 or 14x14 plane is a few vectors, with no per-row
 * setup. A work-item owns FC consecutive outputs of one plane: it copies the input they read
 * (zeros outside the plane, converted once from half) into a private buffer, then every tap
 * is an unconditional vector load from it. A tap whose column leaves the row (x + kx * dw - pl
 * outside [0, W)) would wrap into the next or previous row: the column of each lane is kept
 * in an int vector and those lanes are masked. Rows outside the plane read the zeros.
 *
 * NDRange (1, N * K * chunks); the host sets FC (a multiple of 16) within the buffer
 * (FC + reach <= FLAT_CAP) and sends kernels of at most FLAT_TAPS taps, whose weights are
 * read (and converted from half) once per work-item, not once per tap and tile.
 */
#define FLAT_CAP 1024
#define FLAT_TAPS 64

#ifdef CLCONV_HALF
/* 16 halves to float by integer operations: PoCL converts vload_half16 lane by lane, and
 * this made the flat kernel's half run ~1.7x faster (dw192 28x28: 47 vs 81 us). Exact for
 * every half: normals by rebiasing the exponent, subnormals as an integer times 2^-24,
 * infinities and NaNs kept. Stores stay vstore_half16: the same trick for float to half
 * (round to nearest even) measured slower there. */
inline float16 half16_to_float(__global const half *p)
{
    const uint16 h = convert_uint16(vload16(0, (__global const ushort *)p));
    const uint16 em = h & 0x7fffu;
    const uint16 sign = (h & 0x8000u) << 16;
    uint16 bits = (em << 13) + (uint16)(112u << 23);                        /* normal */
    bits = select(bits, (em << 13) | 0x7f800000u, em >= (uint16)(0x7c00u)); /* inf, NaN */
    const float16 sub = convert_float16(em) * 0x1p-24f;                     /* subnormal, zero */
    bits = select(bits, as_uint16(sub), em < (uint16)(0x0400u));
    return as_float16(bits | sign);
}

#endif

/* Outputs [o, o + 16) of a plane, those below o1. */
inline void flat_store(float16 v, __global STORAGE *oplane, int o, int o1)
{
    if (o + 16 <= o1) {
#ifdef CLCONV_HALF
        vstore_half16(v, 0, oplane + o);
#else
        vstore16(v, 0, oplane + o);
#endif
        return;
    }
    float r[16];
    vstore16(v, 0, r);
    for (int l = 0; o + l < o1; l++)
        STORE(oplane, o + l, r[l]);
}

__kernel void depthwise_flat(__global const STORAGE *restrict in,
                             __global const STORAGE *restrict weight,
                             __global const STORAGE *restrict bias, __global STORAGE *restrict out,
                             int C, int H, int W, int K, int OH, int kh, int kw, int pt, int pl,
                             int dh, int dw, int mult, int has_bias, int fc, int chunks, int items)
{
    const int item = get_global_id(1);
    if (item >= items)
        return;
    const int nk = item / chunks, chunk = item - nk * chunks;
    const int n = nk / K, oc = nk - n * K;
    const int ci = oc / mult;
    const int hw = H * W, ohw = OH * W;
    const int o0 = chunk * fc, o1 = min(o0 + fc, ohw);
    __global const STORAGE *plane = in + ((size_t)n * C + ci) * hw;
    __global const STORAGE *wk = weight + (size_t)oc * kh * kw;
    __global STORAGE *oplane = out + ((size_t)n * K + oc) * ohw;
    const float b = has_bias ? LOAD(bias, oc) : 0.0f;
    float wts[FLAT_TAPS];
    for (int t = 0; t < kh * kw; t++)
        wts[t] = LOAD(wk, t);

    /* buffer: input [o0 + lo, o0 + lo + len) with lo the first tap's offset */
    const int lo = -pt * W - pl;
    const int reach = ((kh - 1) * dh) * W + (kw - 1) * dw; /* last tap offset - lo */
    const int tiles = (o1 - o0 + 15) / 16;
    const int len = tiles * 16 + reach;
    const int base = o0 + lo;
    float buf[FLAT_CAP];
    const int a = clamp(-base, 0, len), e = clamp(hw - base, a, len); /* in-plane part */
    for (int j = 0; j < a; j++)
        buf[j] = 0.0f;
    int j = a;
    for (; j + 16 <= e; j += 16)
#ifdef CLCONV_HALF
        vstore16(half16_to_float(plane + base + j), 0, buf + j);
#else
        vstore16(vload16(0, plane + base + j), 0, buf + j);
#endif
    for (; j < e; j++)
        buf[j] = LOAD(plane, base + j);
    for (; j < len; j++)
        buf[j] = 0.0f;

    /* column of each lane of the current tile */
    const int16 wv = (int16)(W);
    int16 xv = (int16)(o0 % W) + (int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (int k = 0; k * W < 16; k++) /* below W + 15: ceil(15 / W) subtractions reduce it */
        xv = select(xv, xv - wv, xv >= wv);
    const int16 step = (int16)(16 % W);
    int tile = 0;
    /* four tiles at a time: four independent FMA chains (one tile's chain of kh * kw
     * dependent FMAs would wait on their latency) */
    for (; tile + 4 <= tiles; tile += 4) {
        int16 x1 = xv + step;
        x1 = select(x1, x1 - wv, x1 >= wv);
        int16 x2 = x1 + step;
        x2 = select(x2, x2 - wv, x2 >= wv);
        int16 x3 = x2 + step;
        x3 = select(x3, x3 - wv, x3 >= wv);
        const float *p = buf + tile * 16;
        float16 a0 = (float16)(b), a1 = a0, a2 = a0, a3 = a0;
        for (int kx = 0; kx < kw; kx++) {
            float16 s0 = (float16)(0.0f), s1 = s0, s2 = s0, s3 = s0;
            for (int ky = 0; ky < kh; ky++) {
                const float16 w = (float16)(wts[ky * kw + kx]);
                const float *q = p + ky * dh * W + kx * dw;
                s0 = fma(w, vload16(0, q), s0);
                s1 = fma(w, vload16(0, q + 16), s1);
                s2 = fma(w, vload16(0, q + 32), s2);
                s3 = fma(w, vload16(0, q + 48), s3);
            }
            const int dx = kx * dw - pl;
            if (dx != 0) {
                const int16 lo = (int16)(-dx), hi = (int16)(W - dx);
                s0 = select((float16)(0.0f), s0, (xv >= lo) & (xv < hi));
                s1 = select((float16)(0.0f), s1, (x1 >= lo) & (x1 < hi));
                s2 = select((float16)(0.0f), s2, (x2 >= lo) & (x2 < hi));
                s3 = select((float16)(0.0f), s3, (x3 >= lo) & (x3 < hi));
            }
            a0 += s0;
            a1 += s1;
            a2 += s2;
            a3 += s3;
        }
        flat_store(a0, oplane, o0 + tile * 16, o1);
        flat_store(a1, oplane, o0 + tile * 16 + 16, o1);
        flat_store(a2, oplane, o0 + tile * 16 + 32, o1);
        flat_store(a3, oplane, o0 + tile * 16 + 48, o1);
        xv = x3 + step;
        xv = select(xv, xv - wv, xv >= wv);
    }
    for (; tile < tiles; tile++) {
        const float *p = buf + tile * 16;
        float16 acc = (float16)(b);
        for (int kx = 0; kx < kw; kx++) {
            float16 s = (float16)(0.0f);
            for (int ky = 0; ky < kh; ky++)
                s = fma((float16)(wts[ky * kw + kx]), vload16(0, p + ky * dh * W + kx * dw), s);
            const int dx = kx * dw - pl;
            if (dx != 0)
                s = select((float16)(0.0f), s, (xv >= -dx) & (xv < W - dx));
            acc += s;
        }
        flat_store(acc, oplane, o0 + tile * 16, o1);
        xv += step;
        xv = select(xv, xv - wv, xv >= wv);
    }
}

/*
 * Stride-2 path (stride 2 in both dimensions, any kernel, dilation and padding mode:
 * MobileNet's stride-2 layers). Output (y, x) reads padded input (2y + ky * dh, 2x + kx * dw),
 * so splitting the padded input into its four phases (row parity, column parity) makes every
 * tap a unit-stride read of one phase: phase ((ky * dh) % 2, (kx * dw) % 2) at row y +
 * (ky * dh) / 2, column x + (kx * dw) / 2. A work-item owns NY output rows of one plane: it
 * copies the input rows those rows read (one contiguous range of the plane, converted once
 * from half) with vector loads into a private buffer (rows of 64 and more: read in place), and
 * splits each padded row by even/odd vector lanes into four private phase planes of PITCH
 * columns (PITCH = OW plus the widest column offset; the few padding columns written through
 * the mode), so with outputs numbered y * PITCH + x every tap is a constant offset and 16
 * consecutive outputs are one unconditional vector load and FMA, as in the flat kernel, with
 * no masks: the PITCH - OW extra columns of each row are computed and dropped. The row-tile path
 * read each tap as every other lane of a 16-wide global load and did its border columns one by one.
 *
 * A copy split per element straight from global memory (even/odd lanes chosen one by one)
 * made the 7x7 layer 5x slower than its taps: the copy has to be vector loads.
 *
 * NDRange (1, N * K * chunks); the host sets NY and PROW = NY + (kh - 1) * dh / 2 so that
 * the phase planes fit (4 * (PROW * PITCH + 8) + PITCH + 16 <= S2_CAP), the row copy and
 * later the results fit (S2_MARGIN + min(H, 2 * PROW) * W + 2 * PITCH + 16 and
 * NY * PITCH + 16 <= S2_TCAP), pl <= S2_MARGIN, and at most FLAT_TAPS taps.
 */
#define S2_CAP 2048
#define S2_TCAP 2048
#define S2_MARGIN 16

/* Padded input row iy (unpadded coordinate, anywhere) split by padded-column parity: padded
 * column j = ix + pl goes to (j even ? ev : od)[j / 2], for j < 2 * pitch. */
inline void s2_fill_row(__global const STORAGE *plane, int H, int W, int iy, int pl, int mode,
                        int pitch, float *ev, float *od)
{
    iy = map_coord(iy, H, mode);
    if (iy < 0 || iy >= H) {
        for (int c = 0; c < pitch; c++)
            ev[c] = od[c] = 0.0f;
        return;
    }
    __global const STORAGE *row = plane + (size_t)iy * W;
    const int jn = 2 * pitch;
    const int a = min(pl, jn), e = clamp(jn - pl, 0, W); /* left padding, in-row columns */
    for (int j = 0; j < a; j++)
        ((j & 1) ? od : ev)[j >> 1] = pad_value(row, j - pl, W, mode);
    /* even input columns land in the phase of pl's parity, odd ones in the other */
    float *pe = (pl & 1) ? od : ev, *po = (pl & 1) ? ev : od;
    const int ce = pl / 2, co = (pl + 1) / 2;
    int ix = 0;
    for (; ix + 16 <= e; ix += 16) {
#ifdef CLCONV_HALF
        const float16 v = half16_to_float(row + ix);
#else
        const float16 v = vload16(0, row + ix);
#endif
        vstore8(v.even, 0, pe + ce + ix / 2);
        vstore8(v.odd, 0, po + co + ix / 2);
    }
    for (; ix < e; ix++) {
        const int j = ix + pl;
        ((j & 1) ? od : ev)[j >> 1] = LOAD(row, ix);
    }
    for (int j = max(e + pl, a); j < jn; j++)
        ((j & 1) ? od : ev)[j >> 1] = pad_value(row, j - pl, W, mode);
}

__kernel void depthwise_s2(__global const STORAGE *restrict in,
                           __global const STORAGE *restrict weight,
                           __global const STORAGE *restrict bias, __global STORAGE *restrict out,
                           int C, int H, int W, int K, int OH, int OW, int kh, int kw, int pt,
                           int pl, int dh, int dw, int mult, int has_bias, int mode, int ny,
                           int prow, int pitch, int chunks, int items)
{
    const int item = get_global_id(1);
    if (item >= items)
        return;
    const int nk = item / chunks, chunk = item - nk * chunks;
    const int n = nk / K, oc = nk - n * K;
    const int ci = oc / mult;
    const int y0 = chunk * ny, rows = min(ny, OH - y0);
    __global const STORAGE *plane = in + ((size_t)n * C + ci) * H * W;
    __global const STORAGE *wk = weight + (size_t)oc * kh * kw;
    const float b = has_bias ? LOAD(bias, oc) : 0.0f;
    /* one phase plane and 8 columns of gap: a row's last split vector may spill 8 past it */
    const int pst = prow * pitch + 8;
    float wts[FLAT_TAPS];
    int toff[FLAT_TAPS];
    for (int ky = 0; ky < kh; ky++)
        for (int kx = 0; kx < kw; kx++) {
            const int ry = ky * dh, rx = kx * dw;
            wts[ky * kw + kx] = LOAD(wk, ky * kw + kx);
            toff[ky * kw + kx] = ((ry & 1) * 2 + (rx & 1)) * pst + (ry >> 1) * pitch + (rx >> 1);
        }

    /* The input rows the chunk reads that lie in the plane are one contiguous range: one
     * vector copy into tmp (after a margin for the left padding), then each padded row is
     * split from there by even/odd lanes, its padding columns rewritten. Rows mapped
     * outside that range (other padding modes) are split from global memory, and so is
     * every row at least 64 wide (rb = ra: no copy): its 16-wide loads cover nearly all of
     * it, and skipping the copy measured 10-18% faster at W = 112, while at W = 56 (a
     * third of each row left to single loads) the copy is 15-25% faster. */
    float tmp[S2_TCAP];
    /* padded rows [2 * y0, pend) are read: the copy and the split stop there (the phase
     * rows past it feed only dropped lanes) */
    const int pend = 2 * (y0 + rows - 1) + (kh - 1) * dh + 1;
    const int ra = clamp(2 * y0 - pt, 0, H), rb = W >= 64 ? ra : clamp(pend - pt, ra, H);
    const int tn = (rb - ra) * W, jn = 2 * pitch;
    {
        __global const STORAGE *src = plane + (size_t)ra * W;
        float *dst = tmp + S2_MARGIN;
        int j = 0;
        for (; j + 16 <= tn; j += 16)
#ifdef CLCONV_HALF
            vstore16(half16_to_float(src + j), 0, dst + j);
#else
            vstore16(vload16(0, src + j), 0, dst + j);
#endif
        for (; j < tn; j++)
            dst[j] = LOAD(src, j);
    }
    float buf[S2_CAP]; /* phases (0,0), (0,1), (1,0), (1,1), then slack for the last tiles */
    for (int r = 0; r < prow; r++)
        for (int py = 0; py < 2 && 2 * (y0 + r) + py < pend; py++) {
            float *ev = buf + 2 * py * pst + r * pitch, *od = ev + pst;
            const int yy = 2 * (y0 + r) + py - pt, iy = map_coord(yy, H, mode);
            if (iy < ra || iy >= rb) {
                s2_fill_row(plane, H, W, yy, pl, mode, pitch, ev, od);
                continue;
            }
            /* padded column j is tmp[row + j - pl]; columns outside the row rewritten after */
            const float *t = tmp + S2_MARGIN + (iy - ra) * W - pl;
            for (int j = 0; j < jn; j += 16) {
                const float16 v = vload16(0, t + j);
                vstore8(v.even, 0, ev + j / 2);
                vstore8(v.odd, 0, od + j / 2);
            }
            __global const STORAGE *row = plane + (size_t)iy * W;
            for (int j = 0; j < min(pl, jn); j++)
                ((j & 1) ? od : ev)[j >> 1] = pad_value(row, j - pl, W, mode);
            for (int j = pl + W; j < jn; j++)
                ((j & 1) ? od : ev)[j >> 1] = pad_value(row, j - pl, W, mode);
        }
    /* read only by lanes past the last row: up to 15 outputs plus the widest column offset */
    for (int j = 0; j < pitch + 16; j++)
        buf[4 * pst + j] = 0.0f;

    const int taps = kh * kw;
    const int tiles = (rows * pitch + 15) / 16;
    float *obuf = tmp; /* the copy is spent: results go there */
    int tile = 0;
    /* four tiles at a time: four independent FMA chains */
    for (; tile + 4 <= tiles; tile += 4) {
        const float *p = buf + tile * 16;
        float16 a0 = (float16)(b), a1 = a0, a2 = a0, a3 = a0;
        for (int t = 0; t < taps; t++) {
            const float16 w = (float16)(wts[t]);
            const float *q = p + toff[t];
            a0 = fma(w, vload16(0, q), a0);
            a1 = fma(w, vload16(0, q + 16), a1);
            a2 = fma(w, vload16(0, q + 32), a2);
            a3 = fma(w, vload16(0, q + 48), a3);
        }
        vstore16(a0, 0, obuf + tile * 16);
        vstore16(a1, 0, obuf + tile * 16 + 16);
        vstore16(a2, 0, obuf + tile * 16 + 32);
        vstore16(a3, 0, obuf + tile * 16 + 48);
    }
    for (; tile < tiles; tile++) {
        const float *p = buf + tile * 16;
        float16 a = (float16)(b);
        for (int t = 0; t < taps; t++)
            a = fma((float16)(wts[t]), vload16(0, p + toff[t]), a);
        vstore16(a, 0, obuf + tile * 16);
    }

    /* rows of PITCH computed columns to rows of OW outputs */
    __global STORAGE *orow = out + (((size_t)n * K + oc) * OH + y0) * OW;
    for (int y = 0; y < rows; y++, orow += OW) {
        const float *s = obuf + y * pitch;
        int x = 0;
        for (; x + 16 <= OW; x += 16)
#ifdef CLCONV_HALF
            vstore_half16(vload16(0, s + x), 0, orow + x);
#else
            vstore16(vload16(0, s + x), 0, orow + x);
#endif
        if (x + 8 <= OW) { /* 56- and 7-wide rows: 8 and 4 wide stores before single ones */
#ifdef CLCONV_HALF
            vstore_half8(vload8(0, s + x), 0, orow + x);
#else
            vstore8(vload8(0, s + x), 0, orow + x);
#endif
            x += 8;
        }
        if (x + 4 <= OW) {
#ifdef CLCONV_HALF
            vstore_half4(vload4(0, s + x), 0, orow + x);
#else
            vstore4(vload4(0, s + x), 0, orow + x);
#endif
            x += 4;
        }
        for (; x < OW; x++)
            STORE(orow, x, s[x]);
    }
}
