/*
 * Prelude of every clconv program (OpenCL C 1.2): src/kernels.c puts this file before each
 * kernel file's text, which then starts again at its line 1.
 *
 * Build options read here:
 *   -D CLCONV_HALF   half storage (vload_half / vstore_half), float arithmetic
 *
 * Defines STORAGE (the element type of the caller's buffers), LOAD(p, i) and STORE(p, i, v)
 * (one element as float), CAT(a, b) (token pasting after expansion), map_coord and
 * zero_times.
 */

/* Clang-based compilers (PoCL) warn that passing a wide vector changes the ABI on CPUs without
 * AVX-512; every function of a program is inlined into its kernels, so no ABI is crossed. */
#ifdef __clang__
#pragma clang diagnostic ignored "-Wpsabi"
#endif
#ifdef CLCONV_HALF
#define STORAGE half
#define LOAD(p, i) vload_half((i), (p))
#define STORE(p, i, v) vstore_half((v), (i), (p))
#else
#define STORAGE float
#define LOAD(p, i) ((p)[i])
#define STORE(p, i, v) ((p)[i] = (v))
#endif

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

/* Maps a padded coordinate into [0, n) by padding mode (0 zeros, 1 reflect, 2 replicate,
 * 3 circular); -1 marks a zero tap. The host bounds the padding, so one reflection or wrap
 * suffices. With a compile-time mode the branches fold away. */
inline int map_coord(int i, int n, int mode)
{
    if (i >= 0 && i < n)
        return i;
    if (mode == 0)
        return -1;
    if (mode == 1)
        return i < 0 ? -i : 2 * (n - 1) - i;
    if (mode == 2)
        return clamp(i, 0, n - 1);
    return i < 0 ? i + n : i - n;
}

/* 0 * w as IEEE arithmetic gives it: NaN for an inf or NaN w, else 0 (what a skipped
 * zero-padding tap contributes). Decided on the bits: Mesa's compiler folds 0.0f * w to 0. */
inline float zero_times(float w)
{
    return (as_uint(w) & 0x7f800000u) == 0x7f800000u ? as_float(0x7fc00000u) : 0.0f;
}
