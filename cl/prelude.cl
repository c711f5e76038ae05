/*
 * Prelude of every clconv program (OpenCL C 1.2): src/kernels.c puts this file before each
 * kernel file's text, which then starts again at its line 1.
 *
 * Build options read here:
 *   -D CLCONV_HALF   half storage (vload_half / vstore_half), float arithmetic
 *
 *   -D CLCONV_ACT=n, -D CLCONV_ACT_ALPHA=x, -D CLCONV_ACT_BETA=x, -D CLCONV_RESIDUAL
 *                    the fused epilogue (src/epilogue.c writes them): the activation as its
 *                    clconv_activation value, its float parameters, and a residual buffer
 *
 * Defines STORAGE (the element type of the caller's buffers), LOAD(p, i) and STORE(p, i, v)
 * (one element as float), CAT(a, b) (token pasting after expansion), map_coord,
 * zero_times, and the epilogue: the kernel that writes the output names it `out`, declares
 * it `__global STORAGE *OUT_RESTRICT out`, ends its parameters with EPILOGUE_PARAMS and
 * stores each value v (bias included) with EPI_STORE(o, i, v), o being out or a pointer
 * derived from it; EPI_STORE adds the residual's element at the same place and applies the
 * activation.
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

/* ---- the fused epilogue ---------------------------------------------------------------- */
#ifndef CLCONV_ACT
#define CLCONV_ACT 0
#endif

/* The activation, as PyTorch defines it; comparisons keep NaN a NaN, as torch does. */
inline float clconv_act(float v)
{
#if CLCONV_ACT == 0
    return v;
#elif CLCONV_ACT == 1 /* relu */
    return v < 0.0f ? 0.0f : v;
#elif CLCONV_ACT == 2 /* relu6 */
    return v < 0.0f ? 0.0f : v > 6.0f ? 6.0f : v;
#elif CLCONV_ACT == 3 /* leaky_relu */
    return v > 0.0f ? v : v * CLCONV_ACT_ALPHA;
#elif CLCONV_ACT == 4 /* clamp (hardtanh) */
    return v < CLCONV_ACT_ALPHA ? CLCONV_ACT_ALPHA : v > CLCONV_ACT_BETA ? CLCONV_ACT_BETA : v;
#elif CLCONV_ACT == 5 /* sigmoid */
    return 1.0f / (1.0f + exp(-v));
#elif CLCONV_ACT == 6 /* tanh */
    return tanh(v);
#elif CLCONV_ACT == 7 /* silu */
    return v / (1.0f + exp(-v));
#elif CLCONV_ACT == 8 /* gelu, erf form */
    return 0.5f * v * (1.0f + erf(v * M_SQRT1_2_F));
#elif CLCONV_ACT == 9 /* hardswish */
    const float t = v + 3.0f < 0.0f ? 0.0f : v + 3.0f > 6.0f ? 6.0f : v + 3.0f;
    return v * t / 6.0f;
#else
#error "CLCONV_ACT is not a clconv_activation"
#endif
}

#if CLCONV_ACT != 0 || defined(CLCONV_RESIDUAL)
/* an epilogue beyond the bias: kernels store through EPI_STORE lane by lane */
#define CLCONV_EPILOGUE 1
#endif

/* Helpers that store the output take the kernel's out and residual with them:
 * EPILOGUE_PARAMS / EPILOGUE_ARGS beside their own `out` parameter, or
 * EPILOGUE_OUT_PARAMS / EPILOGUE_OUT_ARGS when they have none (both empty without a
 * residual). A residual may be the output itself (in place): out is then not restrict, and
 * each element is read before it is written, by the same work-item, once. */
#ifdef CLCONV_RESIDUAL
#define OUT_RESTRICT
#define EPILOGUE_PARAMS , __global const STORAGE *residual
#define EPILOGUE_ARGS , residual
#define EPILOGUE_OUT_PARAMS , __global STORAGE *out, __global const STORAGE *residual
#define EPILOGUE_OUT_ARGS , out, residual
#define EPI_STORE(o, i, v) STORE(o, i, clconv_act((v) + LOAD(residual + ((o) - out), i)))
#else
#define OUT_RESTRICT restrict
#define EPILOGUE_PARAMS
#define EPILOGUE_ARGS
#define EPILOGUE_OUT_PARAMS
#define EPILOGUE_OUT_ARGS
#define EPI_STORE(o, i, v) STORE(o, i, clconv_act(v))
#endif

/* The n lanes of float vector v to o + i, i + 1, ... through EPI_STORE (n a literal). */
#define EPI_VSTORE(n, v, o, i)                                                                     \
    do {                                                                                           \
        float epi_lanes_[n];                                                                       \
        CAT(vstore, n)((v), 0, epi_lanes_);                                                        \
        for (int epi_l_ = 0; epi_l_ < (n); epi_l_++)                                               \
            EPI_STORE(o, (i) + epi_l_, epi_lanes_[epi_l_]);                                        \
    } while (0)
