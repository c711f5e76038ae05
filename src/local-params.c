/* Launch parameters of the local-memory families per device class, and the GEMM work-group
 * shape they give. No class has been measured with these kernels (docs/gpu.md): every row is
 * a conservative default, and none of them makes the variants AUTO candidates (that takes a
 * calibration row in src/calibration.c). */
#include "src/algo-local.h"

#define UNMEASURED(why) "unmeasured: " why

static const clconv_local_params rows[CLCONV_CLASS_COUNT_] = {
    {CLCONV_CLASS_CPU, 64, 4, 128, 64,
     UNMEASURED("forced runs on PoCL and llvmpipe only; their local memory is global memory")},
    {CLCONV_CLASS_NVIDIA_GPU, 256, 4, 64, 256,
     UNMEASURED("256 work-items, 4x4 or 4x8 outputs each, as CLBlast's xgemm tunings for NVIDIA")},
    {CLCONV_CLASS_AMD_GPU, 256, 2, 64, 256,
     UNMEASURED("256 work-items (4 wavefronts of 64), 2-wide local reads")},
    {CLCONV_CLASS_INTEL_GPU, 128, 4, 32, 128,
     UNMEASURED("128 work-items (SIMD16 x 8), few accumulators (small register files)")},
    {CLCONV_CLASS_ARM_MALI, 64, 4, 32, 64,
     UNMEASURED("64 work-items, 4-wide vectors (Mali's Bifrost/Valhall vector loads)")},
    {CLCONV_CLASS_OTHER_GPU, 64, 1, 32, 64, UNMEASURED("conservative: 64 work-items, scalar")},
    {CLCONV_CLASS_UNCALIBRATED, 64, 1, 32, 64, UNMEASURED("conservative: 64 work-items, scalar")},
};

const clconv_local_params *clconv_local_params_of(const clconv_device_info *dev)
{
    const clconv_device_class cls = clconv_device_class_of(dev);
    return &rows[(unsigned)cls < CLCONV_CLASS_COUNT_ ? cls : CLCONV_CLASS_UNCALIBRATED];
}

int clconv_local_pow2_floor(size_t n)
{
    int p = 1;
    while ((size_t)p * 2 <= n && p < (1 << 20))
        p *= 2;
    return p;
}

bool clconv_local_gemm_shape(int mwg, int nwg, int threads, int vw, int max_accumulators,
                             clconv_local_shape *shape)
{
    while (vw > 1 && vw > nwg)
        vw /= 2;
    int wm = 1, wn = vw;
    /* grow the smaller side of the work per work-item until the group fits threads */
    while ((mwg / wm) * (nwg / wn) > threads) {
        const bool grow_m = mwg / wm > 1 && (wm <= wn || nwg / wn <= 1);
        if (grow_m)
            wm *= 2;
        else if (nwg / wn > 1)
            wn *= 2;
        else
            break;
    }
    shape->wptm = wm;
    shape->wptn = wn;
    shape->vw = vw;
    shape->tx = nwg / wn;
    shape->ty = mwg / wm;
    return shape->tx * shape->ty <= threads && wm * wn <= max_accumulators;
}
