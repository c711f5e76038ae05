/*
 * Conv2d and ConvTranspose2d as an implicit GEMM with work-group tiles staged in local memory
 * (OpenCL C 1.2; src/algo-local-gemm.c, variants tiled.local_*). For each group g:
 *
 *   out[g][m][n] = sum over k of A[m][k] * B[k][n]
 *
 * m: output channel of the group (M = out_channels / groups); n: output pixel of the batch
 * (N = batch * OH * OW); k: (input channel of the group, ky, kx) (KD = in_channels / groups
 * * kh * kw). A is the weight, B the input gathered per tap; neither is materialized.
 *
 * A work-group computes one MWG x NWG tile of out in steps of KWG along k: its THREADS
 * work-items copy the A and B tiles into local memory, wait at a barrier, then each
 * accumulates its WPTM x WPTN outputs, rows ty + i * TY and column vectors of VW pixels at
 * tx * VW + j * TX * VW (neighbouring work-items read neighbouring local words).
 *
 * Build options (all set by the host):
 *   -D MWG, NWG, KWG   tile extents along m, n, k
 *   -D WPTM, WPTN      outputs per work-item along m and n (WPTN a multiple of VW)
 *   -D VW=1|2|4|8      vector width of the local B reads and of the accumulators
 *   -D TRANSPOSED=0|1  ConvTranspose2d: taps no input reaches form no product (not 0 * w)
 *   -D PAD_MODE=0..3   Conv2d padding: zeros, reflect, replicate, circular
 *   -D CLCONV_HALF     half storage (read by the prelude)
 *
 * Conv2d's zero-padding taps load 0 and multiply it, as torch does (0 * inf is NaN); rows and
 * columns past the tile's extents load 0 on both sides and are never stored.
 *
 * NDRange: (TX * n_tiles, TY * m_tiles, groups), local (TX, TY, 1), exactly: every work-item
 * reaches every barrier.
 */
#if !defined(MWG) || !defined(NWG) || !defined(KWG) || !defined(WPTM) || !defined(WPTN) ||      \
    !defined(VW) || !defined(TRANSPOSED)
#error "MWG, NWG, KWG, WPTM, WPTN, VW and TRANSPOSED come from the host (src/algo-local-gemm.c)"
#endif
#if !TRANSPOSED && !defined(PAD_MODE)
#error "PAD_MODE comes from the host for Conv2d"
#endif

#define TX (NWG / WPTN)
#define TY (MWG / WPTM)
#define THREADS (TX * TY)
#define VECS (WPTN / VW)

#if VW == 1
#define VEC float
#define VLOAD(p) (*(p))
#define VSTORE(v, p) (*(p) = (v))
#else
#define VEC CAT(float, VW)
#define VLOAD(p) CAT(vload, VW)(0, (p))
#define VSTORE(v, p) CAT(vstore, VW)((v), 0, (p))
#endif

/* The problem's geometry, passed on to the gathers. */
typedef struct geometry {
    int C, H, W, OH, OW, kh, kw, sh, sw, pt, pl, dh, dw, cinpg, N, KD;
} geometry;

/* Element (k, pixel (b, oy, ox)) of B for group g; 0 past KD or for a pixel past N.
 * Transposed: *valid says whether an input reaches that output through that tap. */
inline float gather_b(__global const STORAGE *restrict in, const geometry *q, int g, int k, int b,
                      int oy, int ox, bool pixel_ok, float *valid)
{
    *valid = 0.0f;
    if (k >= q->KD || !pixel_ok)
        return 0.0f;
    const int taps = q->kh * q->kw;
    const int ci = k / taps;
    const int t = k - ci * taps;
    const int ky = t / q->kw;
    const int kx = t - ky * q->kw;
    const size_t plane = ((size_t)b * q->C + (size_t)g * q->cinpg + ci) * q->H;
#if TRANSPOSED
    const int ty = oy + q->pt - ky * q->dh;
    const int tx = ox + q->pl - kx * q->dw;
    if (ty < 0 || tx < 0 || ty % q->sh || tx % q->sw)
        return 0.0f;
    const int iy = ty / q->sh, ix = tx / q->sw;
    if (iy >= q->H || ix >= q->W)
        return 0.0f;
    *valid = 1.0f;
    return LOAD(in, (plane + iy) * q->W + ix);
#else
    const int iy = map_coord(oy * q->sh - q->pt + ky * q->dh, q->H, PAD_MODE);
    const int ix = map_coord(ox * q->sw - q->pl + kx * q->dw, q->W, PAD_MODE);
    *valid = 1.0f;
    return iy >= 0 && ix >= 0 ? LOAD(in, (plane + iy) * q->W + ix) : 0.0f;
#endif
}

/* Element (m, k) of A for group g; 0 past M or KD. */
inline float gather_a(__global const STORAGE *restrict weight, const geometry *q, int g, int M,
                      int m, int k)
{
    if (m >= M || k >= q->KD)
        return 0.0f;
#if TRANSPOSED
    /* weight (in_channels, M, kh, kw) */
    const int taps = q->kh * q->kw;
    const int ci = k / taps;
    return LOAD(weight, (((size_t)g * q->cinpg + ci) * M + m) * taps + (k - ci * taps));
#else
    /* weight (out_channels, in_channels / groups, kh, kw): k is contiguous */
    return LOAD(weight, ((size_t)g * M + m) * q->KD + k);
#endif
}

__kernel __attribute__((reqd_work_group_size(TX, TY, 1))) void
local_gemm(__global const STORAGE *restrict in, __global const STORAGE *restrict weight,
           __global const STORAGE *restrict bias, __global STORAGE *OUT_RESTRICT out, int C, int H,
           int W, int K, int OH, int OW, int kh, int kw, int sh, int sw, int pt, int pl, int dh,
           int dw, int cinpg, int coutpg, int batch, int has_bias EPILOGUE_PARAMS)
{
    __local float a_tile[KWG][MWG];
    __local float b_tile[KWG][NWG];
#if TRANSPOSED
    __local float b_valid[KWG][NWG];
#endif
    const geometry q = {C,  H,  W,  OH, OW, kh,    kw, sh, sw, pt, pl, dh, dw, cinpg, batch * OH * OW,
                        cinpg * kh * kw};
    const int M = coutpg;
    const int tx = get_local_id(0), ty = get_local_id(1);
    const int lid = ty * TX + tx;
    const int n0 = get_group_id(0) * NWG, m0 = get_group_id(1) * MWG;
    const int g = get_group_id(2);
    const int ohw = OH * OW;

    VEC acc[WPTM][VECS];
    for (int i = 0; i < WPTM; i++)
        for (int j = 0; j < VECS; j++)
            acc[i][j] = (VEC)(0.0f);

#if THREADS % NWG == 0
    /* every step, this work-item stages the same pixel of B: decode it once */
    const int own_nn = lid % NWG, own_kk = lid / NWG;
    const int own_n = n0 + own_nn;
    const int own_b = own_n / ohw, own_p = own_n - own_b * ohw;
    const int own_oy = own_p / OW, own_ox = own_p - own_oy * OW;
    const bool own_ok = own_n < q.N;
#endif
    for (int k0 = 0; k0 < q.KD; k0 += KWG) {
        /* consecutive work-items read consecutive k of A (contiguous for Conv2d) */
        for (int e = lid; e < MWG * KWG; e += THREADS) {
            const int mm = e / KWG, kk = e - mm * KWG;
            a_tile[kk][mm] = gather_a(weight, &q, g, M, m0 + mm, k0 + kk);
        }
        /* and consecutive pixels of B */
#if THREADS % NWG == 0
        for (int kk = own_kk; kk < KWG; kk += THREADS / NWG) {
            float valid;
            b_tile[kk][own_nn] = gather_b(in, &q, g, k0 + kk, own_b, own_oy, own_ox, own_ok, &valid);
#if TRANSPOSED
            b_valid[kk][own_nn] = valid;
#endif
        }
#else
        for (int e = lid; e < KWG * NWG; e += THREADS) {
            const int kk = e / NWG, nn = e - kk * NWG;
            const int n = n0 + nn;
            const int b = n / ohw, p = n - b * ohw;
            const int oy = p / OW;
            float valid;
            b_tile[kk][nn] = gather_b(in, &q, g, k0 + kk, b, oy, p - oy * OW, n < q.N, &valid);
#if TRANSPOSED
            b_valid[kk][nn] = valid;
#endif
        }
#endif
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int kk = 0; kk < KWG; kk++) {
            VEC bv[VECS];
#if TRANSPOSED
            VEC ok[VECS];
#endif
            for (int j = 0; j < VECS; j++) {
                bv[j] = VLOAD(&b_tile[kk][tx * VW + j * TX * VW]);
#if TRANSPOSED
                ok[j] = VLOAD(&b_valid[kk][tx * VW + j * TX * VW]);
#endif
            }
            for (int i = 0; i < WPTM; i++) {
                const VEC av = (VEC)(a_tile[kk][ty + i * TY]);
                for (int j = 0; j < VECS; j++)
#if TRANSPOSED
                    acc[i][j] = select(acc[i][j], fma(av, bv[j], acc[i][j]), ok[j] != 0.0f);
#else
                    acc[i][j] = fma(av, bv[j], acc[i][j]);
#endif
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    for (int i = 0; i < WPTM; i++) {
        const int m = m0 + ty + i * TY;
        if (m >= M)
            continue;
        const int oc = g * M + m;
        const float bval = has_bias ? LOAD(bias, oc) : 0.0f;
        for (int j = 0; j < VECS; j++) {
            float v[VW];
            VSTORE(acc[i][j], v);
            for (int u = 0; u < VW; u++) {
                const int n = n0 + tx * VW + j * TX * VW + u;
                if (n >= q.N)
                    continue;
                const int b = n / ohw, p = n - b * ohw;
                EPI_STORE(out, ((size_t)b * K + oc) * ohw + p, v[u] + bval);
            }
        }
    }
}
