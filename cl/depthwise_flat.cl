/*
 * depthwise_flat: depthwise Conv2d with stride 1, OW == W and zeros padding (MobileNet's
 * stride-1 depthwise layers), OpenCL C 1.2. Variant depthwise.flat_v16
 * (src/depthwise-flat.c).
 *
 * Build options:
 *   -D FLAT_CAP=n   floats of the private input buffer (the host's DEPTHWISE_FLAT_CAP)
 *   -D FLAT_TAPS=n  most kernel taps (the host's DEPTHWISE_FLAT_TAPS)
 *   -D CLCONV_HALF  half storage (cl/prelude.cl), float arithmetic
 *
 * NDRange (1, items) with items = N * K * chunks, dimension 1 rounded up to the work-group
 * shape: items past `items` return at once (dimension 0 stays 1).
 *
 * With equal widths, output o = y * W + x reads input o + (ky * dh - pt) * W + kx * dw - pl: a
 * constant offset per tap along the flattened plane, so 16 consecutive outputs of any rows
 * are one vector per tap and a whole 7x7 or 14x14 plane is a few vectors, with no per-row
 * setup; 2-4x faster than the row kernel on those layers. A work-item owns FC consecutive
 * outputs of one plane: it copies the input they read (zeros outside the plane, converted
 * once from half) into a private buffer, then every tap is an unconditional vector load from
 * it. A tap whose column leaves the row (x + kx * dw - pl outside [0, W)) would wrap into the
 * next or previous row: the column of each lane is kept in an int vector and those lanes are
 * masked to the sum of 0 * w over their taps (NaN for a non-finite weight, as torch's padded
 * correlation gives). Rows outside the plane read the zeros.
 *
 * The host sets FC (a multiple of 16) within the buffer (FC + reach <= FLAT_CAP) and sends
 * kernels of at most FLAT_TAPS taps, whose weights are read (and converted from half) once
 * per work-item, not once per tap and tile.
 */
#if !defined(FLAT_CAP) || !defined(FLAT_TAPS)
#error "FLAT_CAP and FLAT_TAPS are set by the host"
#endif

#ifdef CLCONV_HALF
/* 16 halves to float by integer operations: PoCL converts vload_half16 lane by lane, and
 * this made the flat kernel's half runs ~1.7x faster there. Exact for every half: normals by
 * rebiasing the exponent, subnormals as an integer times 2^-24, infinities and NaNs kept.
 * Stores stay vstore_half16: the same trick for float to half (round to nearest even)
 * measured slower there. */
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
inline void flat_store(float16 v, __global STORAGE *oplane, int o,
                       int o1 EPILOGUE_OUT_PARAMS)
{
    if (o + 16 <= o1) {
#ifdef CLCONV_EPILOGUE
        EPI_VSTORE(16, v, oplane, o);
#elif defined(CLCONV_HALF)
        vstore_half16(v, 0, oplane + o);
#else
        vstore16(v, 0, oplane + o);
#endif
        return;
    }
    float r[16];
    vstore16(v, 0, r);
    for (int l = 0; o + l < o1; l++)
        EPI_STORE(oplane, o + l, r[l]);
}

__kernel void depthwise_flat(__global const STORAGE *restrict in,
                             __global const STORAGE *restrict weight,
                             __global const STORAGE *restrict bias,
                             __global STORAGE *OUT_RESTRICT out, int C, int H, int W, int K, int OH,
                             int kh, int kw, int pt, int pl, int dh, int dw, int mult, int has_bias,
                             int fc, int chunks, int items EPILOGUE_PARAMS)
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
    /* A masked lane's column kx lies in the zero padding: its taps are 0 * w (NaN for an inf or
     * NaN weight, as torch's padded correlation), not nothing. */
    float zcol[FLAT_TAPS];
    for (int kx = 0; kx < kw; kx++) {
        float z = 0.0f;
        for (int ky = 0; ky < kh; ky++)
            z += zero_times(wts[ky * kw + kx]);
        zcol[kx] = z;
    }

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
                const float16 z = (float16)(zcol[kx]);
                s0 = select(z, s0, (xv >= lo) & (xv < hi));
                s1 = select(z, s1, (x1 >= lo) & (x1 < hi));
                s2 = select(z, s2, (x2 >= lo) & (x2 < hi));
                s3 = select(z, s3, (x3 >= lo) & (x3 < hi));
            }
            a0 += s0;
            a1 += s1;
            a2 += s2;
            a3 += s3;
        }
        flat_store(a0, oplane, o0 + tile * 16, o1 EPILOGUE_OUT_ARGS);
        flat_store(a1, oplane, o0 + tile * 16 + 16, o1 EPILOGUE_OUT_ARGS);
        flat_store(a2, oplane, o0 + tile * 16 + 32, o1 EPILOGUE_OUT_ARGS);
        flat_store(a3, oplane, o0 + tile * 16 + 48, o1 EPILOGUE_OUT_ARGS);
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
                s = select((float16)(zcol[kx]), s, (xv >= -dx) & (xv < W - dx));
            acc += s;
        }
        flat_store(acc, oplane, o0 + tile * 16, o1 EPILOGUE_OUT_ARGS);
        xv += step;
        xv = select(xv, xv - wv, xv >= wv);
    }
}
