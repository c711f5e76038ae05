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

/* The activation, as PyTorch defines it; comparisons keep NaN a NaN, as torch does. The body
 * is written once for float and the float vectors the kernels store (clconv_act,
 * clconv_act2 ... clconv_act16): a vector comparison selects lane by lane, with the same
 * NaN behaviour as the scalar one. */
#if CLCONV_ACT == 0
#define CLCONV_ACT_BODY(T) return v;
#elif CLCONV_ACT == 1 /* relu */
#define CLCONV_ACT_BODY(T) return v < 0.0f ? (T)0.0f : v;
#elif CLCONV_ACT == 2 /* relu6 */
#define CLCONV_ACT_BODY(T) return v < 0.0f ? (T)0.0f : v > 6.0f ? (T)6.0f : v;
#elif CLCONV_ACT == 3 /* leaky_relu */
#define CLCONV_ACT_BODY(T) return v > 0.0f ? v : v * CLCONV_ACT_ALPHA;
#elif CLCONV_ACT == 4 /* clamp (hardtanh) */
#define CLCONV_ACT_BODY(T)                                                                         \
    return v < CLCONV_ACT_ALPHA ? (T)CLCONV_ACT_ALPHA : v > CLCONV_ACT_BETA ? (T)CLCONV_ACT_BETA : v;
#elif CLCONV_ACT == 5 /* sigmoid */
#define CLCONV_ACT_BODY(T) return 1.0f / (1.0f + exp(-v));
#elif CLCONV_ACT == 6 /* tanh */
#define CLCONV_ACT_BODY(T) return tanh(v);
#elif CLCONV_ACT == 7 /* silu */
#define CLCONV_ACT_BODY(T) return v / (1.0f + exp(-v));
#elif CLCONV_ACT == 8 /* gelu, erf form */
#define CLCONV_ACT_BODY(T) return 0.5f * v * (1.0f + erf(v * M_SQRT1_2_F));
#elif CLCONV_ACT == 9 /* hardswish */
#define CLCONV_ACT_BODY(T)                                                                         \
    const T t = v + 3.0f < 0.0f ? (T)0.0f : v + 3.0f > 6.0f ? (T)6.0f : v + 3.0f;                 \
    return v * t / 6.0f;
#else
#error "CLCONV_ACT is not a clconv_activation"
#endif
inline float clconv_act(float v) { CLCONV_ACT_BODY(float) }
inline float2 clconv_act2(float2 v) { CLCONV_ACT_BODY(float2) }
inline float4 clconv_act4(float4 v) { CLCONV_ACT_BODY(float4) }
inline float8 clconv_act8(float8 v) { CLCONV_ACT_BODY(float8) }
inline float16 clconv_act16(float16 v) { CLCONV_ACT_BODY(float16) }

#if CLCONV_ACT != 0 || defined(CLCONV_RESIDUAL)
/* an epilogue beyond the bias: kernels store through EPI_STORE or EPI_VSTORE */
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

/* Float vector v of n lanes (n a literal: 2, 4, 8 or 16) to o + i, i + 1, ... through the
 * epilogue: one vector load of the residual, the activation on the vector, one vector store. */
#ifdef CLCONV_HALF
#define VLOAD_N(n, p, i) CAT(vload_half, n)(0, (p) + (i))
#define VSTORE_N(n, v, p, i) CAT(vstore_half, n)((v), 0, (p) + (i))
#else
#define VLOAD_N(n, p, i) CAT(vload, n)(0, (p) + (i))
#define VSTORE_N(n, v, p, i) CAT(vstore, n)((v), 0, (p) + (i))
#endif
#ifdef CLCONV_RESIDUAL
#define EPI_VSTORE(n, v, o, i)                                                                     \
    VSTORE_N(n, CAT(clconv_act, n)((v) + VLOAD_N(n, residual + ((o) - out), i)), o, i)
#else
#define EPI_VSTORE(n, v, o, i) VSTORE_N(n, CAT(clconv_act, n)(v), o, i)
#endif
