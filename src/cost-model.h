/* The selector's cost model (src/select.c), shared by the algorithms' estimate() functions:
 *
 *   seconds = max(work / (device peak x algorithm efficiency), bytes / device bandwidth)
 *             + launches x per-launch overhead
 *
 * in real seconds, so estimates of different algorithms compare without scale factors. The
 * device terms come from the device's queries and its class (CL_DEVICE_TYPE); each algorithm
 * supplies its work, its measured efficiency and its launches. Calibration: README
 * "Algorithms and selection". */
#ifndef CLCONV_COST_MODEL_H
#define CLCONV_COST_MODEL_H

#include "src/internal.h"

typedef struct clconv_device_model {
    double peak_flops;     /* float32 FLOP/s: units x clock x lanes per unit x 2 (FMA) */
    double bandwidth;      /* bytes/s of global memory */
    double launch_seconds; /* per kernel enqueue, as profiling events see it */
} clconv_device_model;

/* The model constants of dev (never zero, whatever the queries returned). */
void clconv_device_model_get(const clconv_device_info *dev, clconv_device_model *m);

/* max(flops / (peak x efficiency), bytes / bandwidth) + launches x launch overhead. */
double clconv_model_seconds(const clconv_device_info *dev, double flops, double efficiency,
                            double bytes, double launches);

#endif
