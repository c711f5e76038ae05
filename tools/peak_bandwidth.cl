/*
 * Memory bandwidth (clconv-peak, tools/peak.c; built by the tool itself, not by libclconv).
 *
 * Build options:
 *   -D CONTIGUOUS    each work-item streams its own contiguous part (CPUs, where one
 *                    work-group runs on one core and interleaving defeats the prefetchers);
 *                    default interleaved: work-item l of group g touches block g at l,
 *                    l + local, ... so neighbouring work-items touch neighbouring addresses at
 *                    every step (coalesced on GPUs).
 *
 * NDRange: 1-D, global = compute units x local x 16, local as peak_flops.cl's; global is a
 * multiple of local, so every work-item is in range. The buffer is split into equal parts,
 * one per work-item (per_item float4 vectors each).
 *
 *   peak_read: reads every vector once, stores one float per work-item (the sum) so the
 *              loads cannot be dropped. Bytes: the buffer size.
 *   peak_copy: out = in. Bytes: twice the buffer size (read + write).
 * peak_read_sweep and peak_empty (below) measure the cache levels and the launch floor.
 */
typedef float4 vec_t;

#ifdef CONTIGUOUS
#define FIRST(per_item) (get_global_id(0) * (size_t)(per_item))
#define STEP 1
#else
#define FIRST(per_item) (get_group_id(0) * get_local_size(0) * (size_t)(per_item) + get_local_id(0))
#define STEP get_local_size(0)
#endif

__kernel void peak_read(__global const vec_t *restrict in, __global float *restrict out,
                        int per_item)
{
    const size_t step = STEP;
    size_t idx = FIRST(per_item);
    vec_t s0 = (vec_t)(0.0f), s1 = (vec_t)(0.0f);
    int i = 0;
    /* two accumulators: the adds are not the bottleneck */
    for (; i + 1 < per_item; i += 2) {
        s0 += in[idx];
        s1 += in[idx + step];
        idx += 2 * step;
    }
    if (i < per_item)
        s0 += in[idx];
    vec_t s = s0 + s1;
    out[get_global_id(0)] = (s.x + s.y) + (s.z + s.w);
}

__kernel void peak_copy(__global const vec_t *restrict in, __global vec_t *restrict out,
                        int per_item)
{
    const size_t step = STEP;
    size_t idx = FIRST(per_item);
    for (int i = 0; i < per_item; i++, idx += step)
        out[idx] = in[idx];
}

/* peak_read_sweep: the working-set sweep (cache levels). Reads the first n_vec vectors passes
 * times over, split between the work-items as above (per_item = n_vec / global size, which
 * the host makes exact), and stores one sum per work-item. Bytes: n_vec x 16 x passes. */
__kernel void peak_read_sweep(__global const vec_t *restrict in, __global float *restrict out,
                              int per_item, int passes)
{
    const size_t step = STEP, first = FIRST(per_item);
    vec_t s0 = (vec_t)(0.0f), s1 = (vec_t)(0.0f);
    for (int p = 0; p < passes; p++) {
        size_t idx = first;
        int i = 0;
        for (; i + 1 < per_item; i += 2) {
            s0 += in[idx];
            s1 += in[idx + step];
            idx += 2 * step;
        }
        if (i < per_item)
            s0 += in[idx];
    }
    vec_t s = s0 + s1;
    out[get_global_id(0)] = (s.x + s.y) + (s.z + s.w);
}

/* peak_empty: the launch floor, the time of a kernel that does nothing. */
__kernel void peak_empty(void)
{
}
