/*
 * The last command of a staged GEMM plan (OpenCL C 1.2, float32; src/gemm-enqueue.c):
 *   out[n, k, p] = epilogue(staged[off + (n, k, p)] (+ bias[k]))
 * The plan's GEMMs (beta = 0) or chunks wrote their results into the workspace at off; this
 * one command writes the output, so a failure to enqueue any step leaves it untouched.
 *
 * Build options: the epilogue's (cl/prelude.cl), applied here as the output is written.
 *
 * NDRange: (P = OH * OW, K, N), rounded up to the work-group shape; work-items past the
 * extents return at once.
 */
__kernel void stage_finish(__global const float *restrict staged, uint off,
                           __global const float *restrict bias, __global STORAGE *OUT_RESTRICT out,
                           int K, int P, int N, int has_bias EPILOGUE_PARAMS)
{
    const int p = get_global_id(0);
    const int k = get_global_id(1);
    const int n = get_global_id(2);
    if (p >= P || k >= K || n >= N)
        return;
    const size_t i = ((size_t)n * K + k) * P + p;
    EPI_STORE(out, i, staged[off + i] + (has_bias ? bias[k] : 0.0f));
}
