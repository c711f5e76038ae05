/*
 * Depthwise Conv2d with the input tile staged in local memory (OpenCL C 1.2;
 * src/algo-local-depthwise.c, variants depthwise.local_*). groups == in_channels; output
 * channel oc reads input channel oc / mult.
 *
 * A work-group computes a tile of get_local_size(0) output columns x tile_rows output rows of
 * one (image, output channel): its work-items copy the input rows and columns the tile's
 * taps reach (padding mapped by PAD_MODE, zeros for zero padding) into `tile`, wait at a
 * barrier, then each computes rows_per_item rows of its column from local memory. Tiles at
 * the output's right and bottom edges stage only what their outputs read.
 *
 * Build options (all set by the host):
 *   -D PAD_MODE=0..3   zeros, reflect, replicate, circular
 *   -D CLCONV_HALF     half storage (read by the prelude)
 *
 * Zero-padding taps multiply the 0 staged for them, as torch does (0 * inf is NaN).
 *
 * NDRange: (tiles_x * LW, tiles_y * LH, N * K), local (LW, LH, 1), exactly (every work-item
 * reaches the barrier), tile_rows = LH * rows_per_item; `tile` holds at least
 * ((tile_rows - 1) * sh + (kh - 1) * dh + 1) x ((LW - 1) * sw + (kw - 1) * dw + 1) floats.
 */
#ifndef PAD_MODE
#error "PAD_MODE comes from the host (src/algo-local-depthwise.c)"
#endif

__kernel void local_depthwise(__global const STORAGE *restrict in,
                              __global const STORAGE *restrict weight,
                              __global const STORAGE *restrict bias,
                              __global STORAGE *OUT_RESTRICT out, int C, int H, int W, int K,
                              int OH, int OW, int kh, int kw, int sh, int sw, int pt, int pl,
                              int dh, int dw, int mult, int has_bias, int rows_per_item,
                              __local float *tile EPILOGUE_PARAMS)
{
    const int lw = get_local_size(0), lh = get_local_size(1);
    const int lx = get_local_id(0), ly = get_local_id(1);
    const int tile_rows = lh * rows_per_item;
    const int ox0 = get_group_id(0) * lw, oy0 = get_group_id(1) * tile_rows;
    const int nk = get_group_id(2);
    const int n = nk / K, oc = nk - n * K;
    const int c = oc / mult;

    /* the input this tile's outputs read */
    const int cols = min(lw, OW - ox0), rows = min(tile_rows, OH - oy0);
    const int in_w = (cols - 1) * sw + (kw - 1) * dw + 1;
    const int in_h = (rows - 1) * sh + (kh - 1) * dh + 1;
    const int iy0 = oy0 * sh - pt, ix0 = ox0 * sw - pl;
    __global const STORAGE *plane = in + ((size_t)n * C + c) * H * W;
    for (int e = ly * lw + lx; e < in_h * in_w; e += lw * lh) {
        const int r = e / in_w, col = e - r * in_w;
        const int iy = map_coord(iy0 + r, H, PAD_MODE);
        const int ix = map_coord(ix0 + col, W, PAD_MODE);
        tile[e] = iy >= 0 && ix >= 0 ? LOAD(plane, (size_t)iy * W + ix) : 0.0f;
    }
    barrier(CLK_LOCAL_MEM_FENCE);

    const int ox = ox0 + lx;
    if (lx >= cols)
        return;
    __global const STORAGE *w = weight + (size_t)oc * kh * kw;
    const float b = has_bias ? LOAD(bias, oc) : 0.0f;
    for (int r = 0; r < rows_per_item; r++) {
        const int row = ly * rows_per_item + r;
        if (row >= rows)
            break;
        float acc = 0.0f;
        for (int ky = 0; ky < kh; ky++) {
            __local const float *src = tile + (row * sh + ky * dh) * in_w + lx * sw;
            for (int kx = 0; kx < kw; kx++)
                acc = fma(LOAD(w, ky * kw + kx), src[kx * dw], acc);
        }
        EPI_STORE(out, (((size_t)n * K + oc) * OH + oy0 + row) * OW + ox, acc + b);
    }
}
