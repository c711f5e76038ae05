/*
 * Conv2d, direct gather form (OpenCL C 1.2; src/algo-direct.c, variant direct.conv2d). Each
 * work-item owns an OC_TILE x X_TILE tile of outputs: OC_TILE consecutive output channels of
 * one group times X_TILE consecutive output columns of one row, so every input value loaded
 * serves OC_TILE channels and every weight serves X_TILE columns.
 *
 * Build options (all set by the host):
 *   -D PAD_MODE=0..3   zeros, reflect, replicate, circular
 *   -D OC_TILE=n       output channels per work-item; divides out_channels / groups
 *   -D X_TILE=n        output columns per work-item
 *   -D CLCONV_HALF     half storage (read by the prelude)
 *
 * Padding taps multiply zeros (torch's 0 * inf = NaN): padding columns load 0, padding rows
 * are skipped and their 0 * w added once at the end.
 *
 * NDRange: (ceil(OW / X_TILE), OH, N * K / OC_TILE) = (x tiles, OH, nk_tiles), rounded up to
 * the work-group shape; work-items past the extents return at once.
 */
#if !defined(PAD_MODE) || !defined(OC_TILE) || !defined(X_TILE)
#error "PAD_MODE, OC_TILE and X_TILE come from the host (src/algo-direct.c)"
#endif

__kernel void conv2d_direct(__global const STORAGE *restrict in,
                            __global const STORAGE *restrict weight,
                            __global const STORAGE *restrict bias,
                            __global STORAGE *OUT_RESTRICT out,
                            int C, int H, int W, int K, int OH, int OW,
                            int kh, int kw, int sh, int sw, int pt, int pl, int dh, int dw,
                            int cinpg, int coutpg, int has_bias, int nk_tiles EPILOGUE_PARAMS)
{
    const int tx = get_global_id(0);
    const int oy = get_global_id(1);
    const int nk = get_global_id(2);
    const int ox0 = tx * X_TILE;
    if (ox0 >= OW || oy >= OH || nk >= nk_tiles)
        return;
    const int k_tiles = K / OC_TILE;
    const int n = nk / k_tiles;
    const int oc0 = (nk - n * k_tiles) * OC_TILE;
    const int g = oc0 / coutpg;
    const int ksize = kh * kw;

    float acc[OC_TILE][X_TILE];
    for (int o = 0; o < OC_TILE; o++) {
        float b = has_bias ? LOAD(bias, oc0 + o) : 0.0f;
        for (int j = 0; j < X_TILE; j++)
            acc[o][j] = b;
    }
    /* 0 * w summed over the taps of skipped padding rows (0, or NaN as torch gives) */
    float zeros[OC_TILE];
    for (int o = 0; o < OC_TILE; o++)
        zeros[o] = 0.0f;
    const int ix_base = ox0 * sw - pl;
    for (int ci = 0; ci < cinpg; ci++) {
        __global const STORAGE *plane = in + ((size_t)n * C + (size_t)g * cinpg + ci) * H * W;
        __global const STORAGE *wci = weight + ((size_t)oc0 * cinpg + ci) * ksize;
        for (int ky = 0; ky < kh; ky++) {
            const int iy = map_coord(oy * sh - pt + ky * dh, H, PAD_MODE);
            if (iy < 0) {
                /* a zero-padding row: its taps multiply zeros, NaN for an inf or NaN weight */
                for (int o = 0; o < OC_TILE; o++)
                    for (int kx = 0; kx < kw; kx++)
                        zeros[o] +=
                            zero_times(LOAD(wci, (size_t)o * cinpg * ksize + ky * kw + kx));
                continue;
            }
            __global const STORAGE *row = plane + (size_t)iy * W;
            for (int kx = 0; kx < kw; kx++) {
                float v[X_TILE];
                for (int j = 0; j < X_TILE; j++) {
                    int ix = map_coord(ix_base + j * sw + kx * dw, W, PAD_MODE);
                    v[j] = (ox0 + j < OW && ix >= 0) ? LOAD(row, ix) : 0.0f;
                }
                for (int o = 0; o < OC_TILE; o++) {
                    const float wv = LOAD(wci, (size_t)o * cinpg * ksize + ky * kw + kx);
                    for (int j = 0; j < X_TILE; j++)
                        acc[o][j] = fma(wv, v[j], acc[o][j]);
                }
            }
        }
    }
    for (int o = 0; o < OC_TILE; o++) {
        const size_t base = (((size_t)n * K + oc0 + o) * OH + oy) * OW;
        for (int j = 0; j < X_TILE; j++)
            if (ox0 + j < OW)
                EPI_STORE(out, base + ox0 + j, acc[o][j] + zeros[o]);
    }
}
