/*
 * depthwise_s2: depthwise Conv2d with stride 2 in both dimensions (any kernel, dilation and
 * padding mode: MobileNet's stride-2 layers), OpenCL C 1.2. Variant depthwise.s2_phases
 * (src/depthwise-s2.c).
 *
 * Build options:
 *   -D S2_CAP=n     floats of the private phase planes (the host's DEPTHWISE_S2_CAP)
 *   -D S2_TCAP=n    floats of the private row copy, later the results (DEPTHWISE_S2_TCAP)
 *   -D S2_MARGIN=n  columns before the row copy for the left padding (DEPTHWISE_S2_MARGIN)
 *   -D S2_TAPS=n    most kernel taps (the host's DEPTHWISE_FLAT_TAPS)
 *   -D CLCONV_HALF  half storage (cl/prelude.cl), float arithmetic
 *
 * NDRange (1, items) with items = N * K * chunks, dimension 1 rounded up to the work-group
 * shape: items past `items` return at once (dimension 0 stays 1).
 *
 * Output (y, x) reads padded input (2y + ky * dh, 2x + kx * dw), so splitting the padded
 * input into its four phases (row parity, column parity) makes every tap a unit-stride read
 * of one phase: phase ((ky * dh) % 2, (kx * dw) % 2) at row y + (ky * dh) / 2, column
 * x + (kx * dw) / 2. A work-item owns NY output rows of one plane: it copies the input rows
 * those rows read (one contiguous range of the plane, converted once from half) with vector
 * loads into a private buffer (rows of 64 and more: read in place), and splits each padded
 * row by even/odd vector lanes into four private phase planes of PITCH columns (PITCH = OW
 * plus the widest column offset; the few padding columns written through the mode), so with
 * outputs numbered y * PITCH + x every tap is a constant offset and 16 consecutive outputs
 * are one unconditional vector load and FMA, as in the flat kernel, with no masks: the
 * PITCH - OW extra columns of each row are computed and dropped. The row kernel reads each
 * tap as every other lane of a 16-wide global load and does its border columns one by one.
 *
 * A copy split per element straight from global memory (even/odd lanes chosen one by one)
 * measured several times slower than the taps: the copy has to be vector loads.
 *
 * The host sets NY and PROW = NY + (kh - 1) * dh / 2 so that the phase planes fit
 * (4 * (PROW * PITCH + 8) + PITCH + 16 <= S2_CAP), the row copy and later the results fit
 * (S2_MARGIN + min(H, 2 * PROW) * W + 2 * PITCH + 16 and NY * PITCH + 16 <= S2_TCAP),
 * pl <= S2_MARGIN, and at most S2_TAPS taps.
 */
#if !defined(S2_CAP) || !defined(S2_TCAP) || !defined(S2_MARGIN) || !defined(S2_TAPS)
#error "S2_CAP, S2_TCAP, S2_MARGIN and S2_TAPS are set by the host"
#endif

/* Padded column i of an input row (outside [0, W)) through the padding mode; 0 past the
 * padding. (The same helper as cl/depthwise_rows.cl's: a program is one file.) */
inline float pad_value(__global const STORAGE *row, int i, int W, int mode)
{
    const int ix = map_coord(i, W, mode);
    return (ix >= 0 && ix < W) ? LOAD(row, ix) : 0.0f;
}

#ifdef CLCONV_HALF
/* 16 halves to float by integer operations, exact for every half (the same helper as
 * cl/depthwise_flat.cl's, where it is explained). */
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
                           __global const STORAGE *restrict bias,
                           __global STORAGE *OUT_RESTRICT out, int C, int H, int W, int K, int OH,
                           int OW, int kh, int kw, int pt, int pl, int dh, int dw, int mult,
                           int has_bias, int mode, int ny, int prow, int pitch, int chunks,
                           int items EPILOGUE_PARAMS)
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
    float wts[S2_TAPS];
    int toff[S2_TAPS];
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
#ifdef CLCONV_EPILOGUE
        for (; x < OW; x++)
            EPI_STORE(orow, x, s[x]);
#endif
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
