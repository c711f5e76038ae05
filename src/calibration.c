/* The calibration tables: device constants per class, variant constants per (variant, class).
 * Each row says where its figures come from; the measurements are in docs/calibration.md.
 * A variant with no row for a class, nor an UNCALIBRATED row, is not an AUTO candidate there
 * (the CPU-only kernels, whose private buffers a GPU would spill, have CPU rows only). */
#include <string.h>

#include "src/calibration.h"

#define POCL_SOURCE                                                                                \
    "PoCL 3.1 (Debian 12), 2 AMD EPYC cores, 2026-11-22: clconv-bench tools/suites/*.txt, "        \
    "medians of 7, five back-to-back runs (tools/perf_pairs.sh 5)"
#define WINOGRAD_SOURCE                                                                            \
    "PoCL 3.1 (Debian 12), 2 AMD EPYC cores shared, 2026-12-02: clconv-bench of resnet50's "       \
    "3x3 stride-1 layers with CLCONV_VARIANT forced, paired with tiled (docs/winograd.md)"
#define H100_SOURCE                                                                                \
    "NVIDIA H100, OpenCL driver 580.159, 2026-11-22: clconv-bench of the five suites, "            \
    "medians of 5"
#define LOCAL_SOURCE                                                                               \
    "PoCL 3.1 (Debian 12), 2 AMD EPYC cores, 2026-12-02: clconv-bench --repeats 5, the variant "   \
    "forced, on a 3x3 c64 28x28 Conv2d, a 4x4 s2 ConvTranspose2d and a 3x3 dw96 (docs/gpu.md)"
#define GPU_DEFAULT_SOURCE                                                                         \
    "uncalibrated: the H100's figures (the one GPU measured), until this class is measured"

static const char *const class_names[CLCONV_CLASS_COUNT_] = {
#define CLCONV_CLASS_NAME_(id, name) name,
    CLCONV_DEVICE_CLASS_TABLE(CLCONV_CLASS_NAME_)
#undef CLCONV_CLASS_NAME_
};

const char *clconv_device_class_name(clconv_device_class cls)
{
    return (unsigned)cls < CLCONV_CLASS_COUNT_ ? class_names[cls] : "unknown";
}

clconv_device_class clconv_device_class_of(const clconv_device_info *dev)
{
    if (dev->type & CL_DEVICE_TYPE_CPU)
        return CLCONV_CLASS_CPU;
    switch (dev->vendor_id) {
    case 0x10de:
        return CLCONV_CLASS_NVIDIA_GPU;
    case 0x1002:
        return CLCONV_CLASS_AMD_GPU;
    case 0x8086:
        return CLCONV_CLASS_INTEL_GPU;
    case 0x13b5: /* ARM */
        return CLCONV_CLASS_ARM_MALI;
    default:
        return strstr(dev->device_name, "Mali") ? CLCONV_CLASS_ARM_MALI : CLCONV_CLASS_OTHER_GPU;
    }
}

/* Lanes per unit from the vendors' documentation (NVIDIA SM 128, AMD CU 64, Intel EU 16,
 * others 32); bandwidth of discrete cards in proportion to their peak, integrated GPUs a
 * round 40 GB/s; CPUs 10 GB/s a core up to 100 GB/s. */
static const clconv_device_calibration device_rows[CLCONV_CLASS_COUNT_] = {
    {CLCONV_CLASS_CPU, 0, 0, 10e9, 100e9, 10e-6,
     POCL_SOURCE "; launch: a 1x8x8x8 depthwise layer's event time"},
    {CLCONV_CLASS_NVIDIA_GPU, 128, 0.043, 0, 0, 1e-6,
     H100_SOURCE "; clconv-peak 2.8 TB/s next to 65.3 TFLOP/s; launch: tiled's 32 launches of "
                 "FCN's k16 s8 layer in 41 us"},
    {CLCONV_CLASS_AMD_GPU, 64, 0.043, 0, 0, 1e-6,
     "uncalibrated: lanes from AMD's documentation, bandwidth and launch as the H100"},
    {CLCONV_CLASS_INTEL_GPU, 16, 0, 0, 40e9, 1e-6,
     "uncalibrated: lanes from Intel's documentation, integrated-GPU bandwidth"},
    {CLCONV_CLASS_ARM_MALI, 32, 0, 0, 40e9, 1e-6, "uncalibrated: integrated-GPU defaults"},
    {CLCONV_CLASS_OTHER_GPU, 32, 0, 0, 40e9, 1e-6, "uncalibrated: integrated-GPU defaults"},
    {CLCONV_CLASS_UNCALIBRATED, 32, 0, 0, 40e9, 1e-6, "uncalibrated: integrated-GPU defaults"},
};

const clconv_device_calibration *clconv_device_calibration_of(clconv_device_class cls)
{
    return &device_rows[(unsigned)cls < CLCONV_CLASS_COUNT_ ? cls : CLCONV_CLASS_UNCALIBRATED];
}

/* Field order: variant, class, efficiency, chain_efficiency, narrow_factor,
 * chain_narrow_factor, output_flops, item_flops, bandwidth_share, tile, call_seconds,
 * launches_per_call, source. Designated initializers keep unused fields 0. */
#define ROW(v, c, ...)                                                                             \
    {                                                                                              \
        .variant = v, .cls = CLCONV_CLASS_##c, __VA_ARGS__                                         \
    }

static const clconv_calibration rows[] = {

    /* ---- direct (src/algo-direct.c) ---- */
    /* efficiency and chain_efficiency; with one output channel per work-item (OC_TILE 1)
     * times narrow_factor and chain_narrow_factor */
    ROW("direct.conv2d", CPU, .efficiency = 0.03, .narrow_factor = 0.75, .source = POCL_SOURCE),
    ROW("direct.tconv2d", CPU, .efficiency = 0.021, .narrow_factor = 0.25, .source = POCL_SOURCE),
    ROW("direct.conv2d", NVIDIA_GPU, .efficiency = 0.1, .chain_efficiency = 0.032,
        .narrow_factor = 1, .chain_narrow_factor = 1, .source = H100_SOURCE),
    ROW("direct.tconv2d", NVIDIA_GPU, .efficiency = 0.1, .chain_efficiency = 0.02016,
        .narrow_factor = 1, .chain_narrow_factor = 0.36, .source = H100_SOURCE),
    ROW("direct.conv2d", UNCALIBRATED, .efficiency = 0.1, .chain_efficiency = 0.032,
        .narrow_factor = 1, .chain_narrow_factor = 1, .source = GPU_DEFAULT_SOURCE),
    ROW("direct.tconv2d", UNCALIBRATED, .efficiency = 0.1, .chain_efficiency = 0.02016,
        .narrow_factor = 1, .chain_narrow_factor = 0.36, .source = GPU_DEFAULT_SOURCE),

    /* ---- gemm (src/algo-gemm.c) ---- */
    /* efficiency, chain_efficiency (a product's k loop), tile, launches_per_call and
     * call_seconds per CLBlast call */
    ROW("gemm.1x1", CPU, .efficiency = 0.05, .tile = 16, .launches_per_call = 3,
        .source = POCL_SOURCE "; CLBlast 1.5.3 untuned"),
    ROW("gemm.im2col", CPU, .efficiency = 0.028, .tile = 16, .launches_per_call = 3,
        .source = POCL_SOURCE "; CLBlast 1.5.3 untuned"),
    ROW("gemm.col2im", CPU, .efficiency = 0.028, .tile = 16, .launches_per_call = 3,
        .source = POCL_SOURCE "; CLBlast 1.5.3 untuned"),
    ROW("gemm.1x1", NVIDIA_GPU, .efficiency = 0.18, .chain_efficiency = 0.014, .tile = 32,
        .call_seconds = 15e-6, .launches_per_call = 1, .source = H100_SOURCE "; CLBlast 1.5"),
    ROW("gemm.im2col", NVIDIA_GPU, .efficiency = 0.18, .chain_efficiency = 0.014, .tile = 32,
        .call_seconds = 15e-6, .launches_per_call = 1, .source = H100_SOURCE "; CLBlast 1.5"),
    ROW("gemm.col2im", NVIDIA_GPU, .efficiency = 0.18, .chain_efficiency = 0.014, .tile = 32,
        .call_seconds = 15e-6, .launches_per_call = 1, .source = H100_SOURCE "; CLBlast 1.5"),
    ROW("gemm.1x1", UNCALIBRATED, .efficiency = 0.18, .chain_efficiency = 0.014, .tile = 32,
        .call_seconds = 15e-6, .launches_per_call = 1, .source = GPU_DEFAULT_SOURCE),
    ROW("gemm.im2col", UNCALIBRATED, .efficiency = 0.18, .chain_efficiency = 0.014, .tile = 32,
        .call_seconds = 15e-6, .launches_per_call = 1, .source = GPU_DEFAULT_SOURCE),
    ROW("gemm.col2im", UNCALIBRATED, .efficiency = 0.18, .chain_efficiency = 0.014, .tile = 32,
        .call_seconds = 15e-6, .launches_per_call = 1, .source = GPU_DEFAULT_SOURCE),

    /* ---- tiled (src/algo-tiled*.c) ---- */
    /* channel vectors: 16 lanes at 0.84 of the peak, narrower tiles in proportion; the
     * finishing cost per tile output grows as the tile narrows */
    ROW("tiled.chanvec_c16p8", CPU, .efficiency = 0.84, .output_flops = 83, .bandwidth_share = 0.5,
        .source = POCL_SOURCE),
    ROW("tiled.chanvec_c8p8", CPU, .efficiency = 0.42, .output_flops = 166, .bandwidth_share = 0.5,
        .source = POCL_SOURCE),
    ROW("tiled.chanvec_c4p8", CPU, .efficiency = 0.21, .output_flops = 332, .bandwidth_share = 0.5,
        .source = POCL_SOURCE),
    ROW("tiled.phases_c16p8", CPU, .efficiency = 0.84, .output_flops = 83, .bandwidth_share = 0.5,
        .source = POCL_SOURCE),
    ROW("tiled.phases_c8p8", CPU, .efficiency = 0.42, .output_flops = 166, .bandwidth_share = 0.5,
        .source = POCL_SOURCE),
    ROW("tiled.phases_c4p8", CPU, .efficiency = 0.21, .output_flops = 332, .bandwidth_share = 0.5,
        .source = POCL_SOURCE),
    ROW("tiled.pixvec_c4r4", CPU, .efficiency = 0.36, .output_flops = 50, .bandwidth_share = 0.5,
        .source = POCL_SOURCE),
    ROW("tiled.flat_c4v4", CPU, .efficiency = 1.0, .narrow_factor = 0.4, .bandwidth_share = 0.5,
        .source = POCL_SOURCE),
    ROW("tiled.flat_sampled_c4v4", CPU, .efficiency = 1.0, .narrow_factor = 0.4,
        .bandwidth_share = 0.5, .source = POCL_SOURCE),
    ROW("tiled.scatter_c4v4", CPU, .efficiency = 1.0, .narrow_factor = 0.4, .bandwidth_share = 0.5,
        .source = POCL_SOURCE),
    /* skipzeros: efficiency of the executed (inside-the-input) FLOPs; DeepLab's ASPP layers
     * ran 1.8-3.6x faster than the channel vectors (docs/winograd.md) */
    ROW("tiled.skipzeros_c16p8", CPU, .efficiency = 1.0, .bandwidth_share = 0.5,
        .source = WINOGRAD_SOURCE),
    ROW("tiled.chanvec_c16p8", NVIDIA_GPU, .efficiency = 0.15, .chain_efficiency = 0.17,
        .bandwidth_share = 1, .source = H100_SOURCE),
    ROW("tiled.chanvec_c8p8", NVIDIA_GPU, .efficiency = 0.15, .chain_efficiency = 0.17,
        .bandwidth_share = 1, .source = H100_SOURCE),
    ROW("tiled.chanvec_c4p8", NVIDIA_GPU, .efficiency = 0.15, .chain_efficiency = 0.17,
        .bandwidth_share = 1, .source = H100_SOURCE),
    ROW("tiled.phases_c16p8", NVIDIA_GPU, .efficiency = 0.15, .chain_efficiency = 0.72,
        .bandwidth_share = 1, .source = H100_SOURCE),
    ROW("tiled.phases_c8p8", NVIDIA_GPU, .efficiency = 0.15, .chain_efficiency = 0.72,
        .bandwidth_share = 1, .source = H100_SOURCE),
    ROW("tiled.phases_c4p8", NVIDIA_GPU, .efficiency = 0.15, .chain_efficiency = 0.72,
        .bandwidth_share = 1, .source = H100_SOURCE),
    ROW("tiled.pixvec_c4r4", NVIDIA_GPU, .efficiency = 0.015, .chain_efficiency = 0.17,
        .bandwidth_share = 1, .source = H100_SOURCE),
    ROW("tiled.chanvec_c16p8", UNCALIBRATED, .efficiency = 0.15, .chain_efficiency = 0.17,
        .bandwidth_share = 1, .source = GPU_DEFAULT_SOURCE),
    ROW("tiled.chanvec_c8p8", UNCALIBRATED, .efficiency = 0.15, .chain_efficiency = 0.17,
        .bandwidth_share = 1, .source = GPU_DEFAULT_SOURCE),
    ROW("tiled.chanvec_c4p8", UNCALIBRATED, .efficiency = 0.15, .chain_efficiency = 0.17,
        .bandwidth_share = 1, .source = GPU_DEFAULT_SOURCE),
    ROW("tiled.phases_c16p8", UNCALIBRATED, .efficiency = 0.15, .chain_efficiency = 0.72,
        .bandwidth_share = 1, .source = GPU_DEFAULT_SOURCE),
    ROW("tiled.phases_c8p8", UNCALIBRATED, .efficiency = 0.15, .chain_efficiency = 0.72,
        .bandwidth_share = 1, .source = GPU_DEFAULT_SOURCE),
    ROW("tiled.phases_c4p8", UNCALIBRATED, .efficiency = 0.15, .chain_efficiency = 0.72,
        .bandwidth_share = 1, .source = GPU_DEFAULT_SOURCE),
    ROW("tiled.pixvec_c4r4", UNCALIBRATED, .efficiency = 0.015, .chain_efficiency = 0.17,
        .bandwidth_share = 1, .source = GPU_DEFAULT_SOURCE),

    /* ---- local memory (src/algo-local-*.c): CPU rows only, which AUTO does not use (their
     * auto_domain wants dedicated local memory; PoCL's is global memory); no GPU has run them
     * (docs/gpu.md) ---- */
    ROW("tiled.local_m32n32k8", CPU, .efficiency = 0.01, .source = LOCAL_SOURCE),
    ROW("tiled.local_m32n64k16", CPU, .efficiency = 0.01, .source = LOCAL_SOURCE),
    ROW("tiled.local_m64n64k16", CPU, .efficiency = 0.008, .source = LOCAL_SOURCE),
    ROW("depthwise.local_32x8", CPU, .efficiency = 0.02, .source = LOCAL_SOURCE),
    ROW("depthwise.local_16x16", CPU, .efficiency = 0.02, .source = LOCAL_SOURCE),
    /* ---- winograd (src/algo-winograd.c) ---- */
    /* efficiency of the tile GEMMs' FLOPs, item_flops per tile and channel of the transforms,
     * bandwidth_share of the transformed tiles; CPU only: no GPU has been measured */
    ROW("winograd.f2x2_3x3", CPU, .efficiency = 0.5, .item_flops = 400, .bandwidth_share = 0.5,
        .source = WINOGRAD_SOURCE),
    ROW("winograd.f4x4_3x3", CPU, .efficiency = 0.5, .item_flops = 800, .bandwidth_share = 0.5,
        .source = WINOGRAD_SOURCE),

    /* ---- depthwise (src/algo-depthwise.c, src/depthwise-*.c) ---- */
    /* item_flops: the fixed cost of one output row (rows_x8) or one work-item (flat, s2) */
    ROW("depthwise.rows_x8", CPU, .efficiency = 0.22, .item_flops = 720,
        .source = POCL_SOURCE "; MobileNetV2's depthwise layers (docs/calibration.md)"),
    ROW("depthwise.flat_v16", CPU, .efficiency = 0.30, .item_flops = 2000,
        .source = POCL_SOURCE "; MobileNetV2's stride-1 layers (docs/calibration.md)"),
    ROW("depthwise.s2_phases", CPU, .efficiency = 0.18, .item_flops = 2000,
        .source = POCL_SOURCE "; MobileNetV2's stride-2 layers (docs/calibration.md)"),
    ROW("depthwise.rows_x8", NVIDIA_GPU, .efficiency = 0.006,
        .source = H100_SOURCE "; MobileNetV2's depthwise layers (docs/calibration.md)"),
    ROW("depthwise.rows_x8", UNCALIBRATED, .efficiency = 0.006, .source = GPU_DEFAULT_SOURCE),
};
#undef ROW

const clconv_calibration clconv_calibration_default = {
    .variant = "(none)",
    .cls = CLCONV_CLASS_UNCALIBRATED,
    .efficiency = 1,
    .narrow_factor = 1,
    .chain_narrow_factor = 1,
    .bandwidth_share = 1,
    .tile = 1,
    .launches_per_call = 1,
    .source = "no row: a forced variant on a class nobody measured",
};

const clconv_calibration *clconv_calibration_row(const char *variant, clconv_device_class cls)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (rows[i].cls == cls && !strcmp(rows[i].variant, variant))
            return &rows[i];
    return NULL;
}

const clconv_calibration *clconv_calibration_lookup(const char *variant, clconv_device_class cls)
{
    const clconv_calibration *row = clconv_calibration_row(variant, cls);
    return row ? row : clconv_calibration_row(variant, CLCONV_CLASS_UNCALIBRATED);
}

const clconv_calibration *clconv_calibration_table(size_t *count)
{
    *count = sizeof rows / sizeof rows[0];
    return rows;
}
