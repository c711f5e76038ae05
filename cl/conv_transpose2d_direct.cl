/*
 * ConvTranspose2d, direct gather form (OpenCL C 1.2; src/algo-direct.c, variant
 * direct.tconv2d): each work-item computes its outputs from the inputs that reach them, so no
 * atomics are needed.
 *
 * Output column x receives input column ix through tap kx when x = ix*sw - pl + kx*dw. A
 * work-item owns X_TILE columns of one stride phase (x = px + sw*m for consecutive m), which
 * share the same set of contributing taps and read consecutive input columns, times OC_TILE
 * consecutive output channels of one group.
 *
 * Build options (all set by the host):
 *   -D OC_TILE=n       output channels per work-item; divides out_channels / groups
 *   -D X_TILE=n        output columns per work-item (of one stride phase)
 *   -D CLCONV_HALF     half storage (read by the prelude)
 *
 * NDRange: (x_items, OH, nk_tiles) with x_items = sw * ceil(ceil(OW / sw) / X_TILE) and
 * nk_tiles = N * K / OC_TILE, rounded up to the work-group shape; work-items past the extents
 * return at once.
 */
#if !defined(OC_TILE) || !defined(X_TILE)
#error "OC_TILE and X_TILE come from the host (src/algo-direct.c)"
#endif

__kernel void conv_transpose2d_direct(__global const STORAGE *restrict in,
                                      __global const STORAGE *restrict weight,
                                      __global const STORAGE *restrict bias,
                                      __global STORAGE *OUT_RESTRICT out,
                                      int C, int H, int W, int K, int OH, int OW,
                                      int kh, int kw, int sh, int sw, int pt, int pl,
                                      int dh, int dw, int cinpg, int coutpg, int has_bias,
                                      int x_items, int nk_tiles EPILOGUE_PARAMS)
{
    const int t = get_global_id(0);
    const int oy = get_global_id(1);
    const int nk = get_global_id(2);
    if (t >= x_items || oy >= OH || nk >= nk_tiles)
        return;
    const int px = t % sw;
    const int m0 = (t / sw) * X_TILE;
    const int ox0 = px + sw * m0;
    if (ox0 >= OW)
        return;
    const int k_tiles = K / OC_TILE;
    const int n = nk / k_tiles;
    const int oc0 = (nk - n * k_tiles) * OC_TILE;
    const int g = oc0 / coutpg;
    const int col0 = oc0 - g * coutpg;
    const int ksize = kh * kw;

    float acc[OC_TILE][X_TILE];
    for (int o = 0; o < OC_TILE; o++) {
        float b = has_bias ? LOAD(bias, oc0 + o) : 0.0f;
        for (int j = 0; j < X_TILE; j++)
            acc[o][j] = b;
    }
    int valid_j = 0; /* columns of this tile inside the output */
    while (valid_j < X_TILE && ox0 + sw * valid_j < OW)
        valid_j++;

    for (int ci = g * cinpg; ci < (g + 1) * cinpg; ci++) {
        __global const STORAGE *plane = in + ((size_t)n * C + ci) * H * W;
        __global const STORAGE *wci = weight + ((size_t)ci * coutpg + col0) * ksize;
        for (int ky = 0; ky < kh; ky++) {
            const int ty = oy + pt - ky * dh;
            if (ty < 0 || ty % sh)
                continue;
            const int iy = ty / sh;
            if (iy >= H)
                continue;
            __global const STORAGE *row = plane + (size_t)iy * W;
            for (int kx = 0; kx < kw; kx++) {
                const int base = ox0 + pl - kx * dw; /* = ix * sw for the first column */
                if (base % sw)
                    continue;
                const int ix0 = base / sw;
                /* columns without an input through this tap form no product (not 0 * w,
                 * which is NaN for an inf weight) */
                float v[X_TILE];
                bool ok[X_TILE];
                for (int j = 0; j < X_TILE; j++) {
                    int ix = ix0 + j;
                    ok[j] = j < valid_j && ix >= 0 && ix < W;
                    v[j] = ok[j] ? LOAD(row, ix) : 0.0f;
                }
                for (int o = 0; o < OC_TILE; o++) {
                    const float wv = LOAD(wci, (size_t)o * ksize + ky * kw + kx);
                    for (int j = 0; j < X_TILE; j++)
                        acc[o][j] = ok[j] ? fma(wv, v[j], acc[o][j]) : acc[o][j];
                }
            }
        }
    }
    for (int o = 0; o < OC_TILE; o++) {
        const size_t base = (((size_t)n * K + oc0 + o) * OH + oy) * OW;
        for (int j = 0; j < valid_j; j++)
            EPI_STORE(out, base + ox0 + sw * j, acc[o][j]);
    }
}
