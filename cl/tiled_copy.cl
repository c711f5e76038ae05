/*
 * The tiled variants' input copies (OpenCL C 1.2), run before their convolution kernels so
 * that the convolution's hot loop has no border test.
 *
 * Build options: -D CLCONV_HALF (half storage, cl/prelude.cl); nothing else, so every tiled
 * variant of one dtype shares this program.
 *
 * tiled_pad_input  NDRange (Hp, N * C): one padded row each.
 * tiled_subsample  NDRange (OH, N * C): one sampled row each.
 * Both ignore work-items past their extent in both dimensions (the launch may round up).
 */

/* NDRange (Hp, N * C): one padded row each, its interior a straight copy (the border
 * columns alone go through map_coord). */
__kernel void tiled_pad_input(__global const STORAGE *restrict in, __global STORAGE *restrict ws,
                              uint ws_off, int H, int W, int Hp, int Wp, int pt, int pl, int planes,
                              int mode)
{
    const int y = get_global_id(0), plane = get_global_id(1);
    if (y >= Hp || plane >= planes)
        return;
    __global STORAGE *dst = ws + ws_off + ((size_t)plane * Hp + y) * Wp;
    const int iy = map_coord(y - pt, H, mode);
    if (iy < 0) {
        for (int x = 0; x < Wp; x++)
            STORE(dst, x, 0.0f);
        return;
    }
    __global const STORAGE *src = in + ((size_t)plane * H + iy) * W;
    for (int x = 0; x < pl; x++) {
        const int ix = map_coord(x - pl, W, mode);
        STORE(dst, x, ix >= 0 ? LOAD(src, ix) : 0.0f);
    }
    for (int x = 0; x < W; x++)
        STORE(dst, pl + x, LOAD(src, x));
    for (int x = pl + W; x < Wp; x++) {
        const int ix = map_coord(x - pl, W, mode);
        STORE(dst, x, ix >= 0 ? LOAD(src, ix) : 0.0f);
    }
}

/* A strided 1x1 Conv2d reads every sh-th row and sw-th column only: this copies them,
 * OH x OW planes, so that conv2d_tiled_flat runs the layer at stride 1. NDRange (OH, planes). */
__kernel void tiled_subsample(__global const STORAGE *restrict in, __global STORAGE *restrict ws,
                              uint ws_off, int H, int W, int OH, int OW, int sh, int sw, int planes)
{
    const int y = get_global_id(0), plane = get_global_id(1);
    if (y >= OH || plane >= planes)
        return;
    __global STORAGE *dst = ws + ws_off + ((size_t)plane * OH + y) * OW;
    __global const STORAGE *src = in + ((size_t)plane * H + (size_t)y * sh) * W;
    int x = 0;
    /* stride 2 (ResNet's downsampling): 8 outputs from one 16-element load inside the row */
    if (sw == 2)
        for (; x + 8 <= OW && 2 * x + 16 <= W; x += 8)
#ifdef CLCONV_HALF
            vstore_half8(vload_half16(0, src + 2 * x).even, 0, dst + x);
#else
            vstore8(vload16(0, src + 2 * x).even, 0, dst + x);
#endif
    for (; x < OW; x++)
        STORE(dst, x, LOAD(src, x * sw));
}
