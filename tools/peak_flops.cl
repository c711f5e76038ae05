/*
 * Arithmetic peak (clconv-peak, tools/peak.c; built by the tool itself, not by libclconv, so
 * without clconv's cl/prelude.cl).
 *
 * Build options:
 *   -D VW=n         vector width: 1, 2, 4, 8 or 16
 *   -D PEAK_HALF    half arithmetic (needs cl_khr_fp16; only built when the device has it)
 *
 * NDRange: 1-D, global = compute units x local x 8, local = min(256, the kernel's work-group
 * size); global is a multiple of local, so every work-item is in range. out has one float per
 * work-item.
 *
 * Every work-item runs CHAINS (16) independent multiply-add chains of VW-wide vectors for
 * `iters` iterations. Independent chains hide the FMA latency; the chains' values feed one
 * store so nothing is optimised away. x <- x * a + b with a < 1 and b = 1 - a converges to 1:
 * no overflow, no denormals. FLOPs per work-item: iters * CHAINS * VW * 2.
 */
#ifndef VW
#define VW 1
#endif

#ifdef PEAK_HALF
#pragma OPENCL EXTENSION cl_khr_fp16 : enable
#define SCALAR half
#else
#define SCALAR float
#endif

#define PEAK_CAT_(a, b) a##b
#define PEAK_CAT(a, b) PEAK_CAT_(a, b)
#if VW == 1
#define VTYPE SCALAR
#else
#define VTYPE PEAK_CAT(SCALAR, VW)
#endif

#define CHAINS 16

/* x * a + b, contracted into one multiply-add (mad() is a builtin call that PoCL warns about
 * for 16-wide vectors: "changes the ABI") */
#pragma OPENCL FP_CONTRACT ON

/* eight chains named p0..p7 */
#define DECLARE8(p, base)                                                                          \
    VTYPE p##0 = (base), p##1 = (base) + (SCALAR)0.125f, p##2 = (base) + (SCALAR)0.25f,            \
          p##3 = (base) + (SCALAR)0.375f, p##4 = (base) + (SCALAR)0.5f,                            \
          p##5 = (base) + (SCALAR)0.625f, p##6 = (base) + (SCALAR)0.75f,                           \
          p##7 = (base) + (SCALAR)0.875f
#define STEP8(p)                                                                                   \
    p##0 = p##0 * a + b;                                                                           \
    p##1 = p##1 * a + b;                                                                           \
    p##2 = p##2 * a + b;                                                                           \
    p##3 = p##3 * a + b;                                                                           \
    p##4 = p##4 * a + b;                                                                           \
    p##5 = p##5 * a + b;                                                                           \
    p##6 = p##6 * a + b;                                                                           \
    p##7 = p##7 * a + b
#define SUM8(p) (((p##0 + p##1) + (p##2 + p##3)) + ((p##4 + p##5) + (p##6 + p##7)))

__kernel void peak_flops(__global float *restrict out, float a_in, int iters)
{
    const VTYPE a = (VTYPE)((SCALAR)a_in);
    const VTYPE b = (VTYPE)((SCALAR)(1.0f - a_in));
    const SCALAR seed = (SCALAR)((float)(get_global_id(0) & 255) * (1.0f / 256.0f));
    DECLARE8(x, (VTYPE)seed);
    DECLARE8(y, (VTYPE)(seed + (SCALAR)0.0625f));
    for (int i = 0; i < iters; i++) {
        STEP8(x);
        STEP8(y);
    }
    VTYPE s = SUM8(x) + SUM8(y);
#if VW == 1
    float r = (float)s;
#elif VW == 2
    float r = (float)(s.s0 + s.s1);
#elif VW == 4
    float r = (float)((s.s0 + s.s1) + (s.s2 + s.s3));
#elif VW == 8
    float r = (float)(((s.s0 + s.s1) + (s.s2 + s.s3)) + ((s.s4 + s.s5) + (s.s6 + s.s7)));
#else
    float r = (float)(((s.s0 + s.s1) + (s.s2 + s.s3)) + ((s.s4 + s.s5) + (s.s6 + s.s7)) +
                      ((s.s8 + s.s9) + (s.sa + s.sb)) + ((s.sc + s.sd) + (s.se + s.sf)));
#endif
    out[get_global_id(0)] = r;
}
