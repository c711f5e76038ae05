/* The cost model (src/cost-model.c), shared by the variants' estimate() functions:
 *
 *   seconds = max(work / (device peak x algorithm efficiency), bytes / device bandwidth)
 *             + launches x per-launch overhead
 *
 * in real seconds, so estimates of different variants compare without scale factors. The
 * device terms come from the device's queries and its class's row of the device table
 * (src/calibration.c); each variant supplies its work and its launches, and reads its
 * efficiencies from its calibration row. Measurements: docs/calibration.md. */
#ifndef CLCONV_COST_MODEL_H
#define CLCONV_COST_MODEL_H

#include "src/calibration.h"
#include "src/internal.h"

typedef struct clconv_device_model {
    double peak_flops;     /* float32 FLOP/s: units x clock x lanes per unit x 2 (FMA) */
    double bandwidth;      /* bytes/s of global memory */
    double launch_seconds; /* per kernel enqueue, as profiling events see it */
    double lane_flops;     /* one work-item's serial rate: clock x 2 (one FMA per cycle) */
} clconv_device_model;

/* True for the GPU class (every device that is not CL_DEVICE_TYPE_CPU): the estimates keep
 * their CPU calibration unchanged and add GPU terms only on this branch. */
bool clconv_model_is_gpu(const clconv_device_info *dev);

/* The model constants of dev (never zero, whatever the queries returned). */
void clconv_device_model_get(const clconv_device_info *dev, clconv_device_model *m);

/* max(flops / (peak x efficiency), bytes / bandwidth) + launches x launch overhead. */
double clconv_model_seconds(const clconv_device_info *dev, double flops, double efficiency,
                            double bytes, double launches);

/* GPUs: clconv_model_seconds with a third bound, one work-item's serial chain of chain_flops
 * at lane_flops x chain_efficiency. A GPU runs all work-items of a small layer at once, so
 * such a layer lasts as long as its longest work-item, however idle the device stays
 * (measured on an H100: direct's time grows with Cin x kernel taps, not with the FLOPs). */
double clconv_model_gpu_seconds(const clconv_device_info *dev, double flops, double efficiency,
                                double chain_flops, double chain_efficiency, double bytes,
                                double launches);

/* The chain-bounded form where the calibration row has a chain efficiency (GPU classes),
 * else clconv_model_seconds: the device class is data, not a branch in the estimate. */
double clconv_model_variant_seconds(const clconv_device_info *dev, const clconv_calibration *cal,
                                    double flops, double efficiency, double chain_flops,
                                    double chain_efficiency, double bytes, double launches);

#endif
