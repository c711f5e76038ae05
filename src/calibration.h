/* Calibration as data: the cost model's device constants per device class, and each
 * variant's measured efficiencies per device class (src/calibration.c). Every row names its
 * source; the measurements behind them are in docs/calibration.md. */
#ifndef CLCONV_CALIBRATION_H
#define CLCONV_CALIBRATION_H

#include "clconv.h"

/* Device classes, finer than CPU / GPU: the vendor's GPU architectures differ in lanes,
 * bandwidth and what pays. UNCALIBRATED is no device's class: its rows are the defaults for
 * classes nobody has measured. */
#define CLCONV_DEVICE_CLASS_TABLE(X)                                                               \
    X(CLCONV_CLASS_CPU, "cpu")                                                                     \
    X(CLCONV_CLASS_NVIDIA_GPU, "nvidia-gpu")                                                       \
    X(CLCONV_CLASS_AMD_GPU, "amd-gpu")                                                             \
    X(CLCONV_CLASS_INTEL_GPU, "intel-gpu")                                                         \
    X(CLCONV_CLASS_ARM_MALI, "arm-mali")                                                           \
    X(CLCONV_CLASS_OTHER_GPU, "other-gpu")                                                         \
    X(CLCONV_CLASS_UNCALIBRATED, "uncalibrated")

typedef enum clconv_device_class {
#define CLCONV_CLASS_ENUM_(id, name) id,
    CLCONV_DEVICE_CLASS_TABLE(CLCONV_CLASS_ENUM_)
#undef CLCONV_CLASS_ENUM_
        CLCONV_CLASS_COUNT_
} clconv_device_class;

/* The class of a device: CL_DEVICE_TYPE_CPU, else by vendor id (and "Mali" in the name). */
clconv_device_class clconv_device_class_of(const clconv_device_info *dev);

/* "cpu", "nvidia-gpu", ...; "unknown" out of range. */
const char *clconv_device_class_name(clconv_device_class cls);

/* The cost model's constants of one device class (src/cost-model.h). */
typedef struct clconv_device_calibration {
    clconv_device_class cls;
    double lanes_per_unit;     /* FP32 lanes per compute unit; 0: the preferred vector width */
    double bytes_per_flop;     /* bandwidth in proportion to the model peak; 0: not used */
    double bandwidth_per_unit; /* bytes/s per compute unit, when bytes_per_flop is 0 */
    double bandwidth_max;      /* bytes/s: the cap of the per-unit figure, or the figure
                                  itself when bandwidth_per_unit is 0 */
    double launch_seconds;     /* marginal cost of one more kernel in a plan */
    const char *source;
} clconv_device_calibration;

/* The row of cls (every class has one). */
const clconv_device_calibration *clconv_device_calibration_of(clconv_device_class cls);

/* One variant's constants on one device class. The fields a variant's estimate reads are
 * documented with the estimate; unused ones are 0. */
typedef struct clconv_calibration {
    const char *variant;
    clconv_device_class cls;
    double efficiency;          /* share of the model peak on the variant's counted FLOPs */
    double chain_efficiency;    /* GPU: share of one lane's FMA rate along a work-item's
                                   serial chain (0: no chain bound) */
    double narrow_factor;       /* efficiency multiplier in the variant's narrow case */
    double chain_narrow_factor; /* chain_efficiency multiplier in the narrow case */
    double output_flops;        /* fixed cost per tile output, FLOPs at the model peak */
    double item_flops;          /* fixed cost per work-item (or row), FLOPs at the model peak */
    double bandwidth_share;     /* share of the model bandwidth its streamed bytes get */
    double tile;                /* GEMM: a product dimension below it loses its share */
    double call_seconds;        /* per library call beyond its kernels (CLBlast) */
    double launches_per_call;   /* kernels one library call launches */
    const char *source;         /* device, driver, date, command */
} clconv_calibration;

/* The row of variant for cls, else its UNCALIBRATED row, else NULL (AUTO then does not
 * consider the variant on that class; forcing it still works, with calibration_default). */
const clconv_calibration *clconv_calibration_lookup(const char *variant, clconv_device_class cls);

/* The exact row (no fallback), or NULL. */
const clconv_calibration *clconv_calibration_row(const char *variant, clconv_device_class cls);

/* A forced variant without any row: every efficiency 1 and no fixed costs. */
extern const clconv_calibration clconv_calibration_default;

/* The whole table (tests check it: names of registered variants, sources, ranges). */
const clconv_calibration *clconv_calibration_table(size_t *count);

#endif
