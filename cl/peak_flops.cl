/*
 * Arithmetic peak (clconv-peak): every work-item runs CHAINS independent multiply-add chains
 * of VW-wide vectors for `iters` iterations. Independent chains hide the FMA latency; the
 * chains' values feed one store so nothing is optimised away. x <- x * a + b with a < 1 and
 * b = 1 - a converges to 1: no overflow, no denormals.
 *
 * Build options:
 *   -D VW=n         vector width: 1, 2, 4, 8 or 16
 *   -D PEAK_HALF    half arithmetic (needs cl_khr_fp16; only built when the device has it)
 *
 * FLOPs per work-item: iters * CHAINS * VW * 2.
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

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#if VW == 1
#define VTYPE SCALAR
#else
#define VTYPE CAT(SCALAR, VW)
#endif

#define CHAINS 8

__kernel void peak_flops(__global float *restrict out, float a_in, int iters)
{
    const VTYPE a = (VTYPE)((SCALAR)a_in);
    const VTYPE b = (VTYPE)((SCALAR)(1.0f - a_in));
    const SCALAR seed = (SCALAR)((float)(get_global_id(0) & 255) * (1.0f / 256.0f));
    VTYPE x0 = (VTYPE)seed, x1 = x0 + (SCALAR)0.125f, x2 = x0 + (SCALAR)0.25f,
          x3 = x0 + (SCALAR)0.375f, x4 = x0 + (SCALAR)0.5f, x5 = x0 + (SCALAR)0.625f,
          x6 = x0 + (SCALAR)0.75f, x7 = x0 + (SCALAR)0.875f;
    for (int i = 0; i < iters; i++) {
        x0 = mad(x0, a, b);
        x1 = mad(x1, a, b);
        x2 = mad(x2, a, b);
        x3 = mad(x3, a, b);
        x4 = mad(x4, a, b);
        x5 = mad(x5, a, b);
        x6 = mad(x6, a, b);
        x7 = mad(x7, a, b);
    }
    VTYPE s = ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7));
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
