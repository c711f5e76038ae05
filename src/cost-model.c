/* The cost model (src/cost-model.h) over the device-class table (src/calibration.c). */
#include "src/cost-model.h"

void clconv_device_model_get(const clconv_device_info *dev, clconv_device_model *m)
{
    const clconv_device_calibration *c = clconv_device_calibration_of(clconv_device_class_of(dev));
    const double units = dev->compute_units ? dev->compute_units : 1;
    const double hz = (dev->max_clock_mhz ? dev->max_clock_mhz : 1000) * 1e6;
    double lanes = c->lanes_per_unit;
    if (lanes <= 0) /* a CPU: one FMA of its preferred vector width per unit and cycle */
        lanes = dev->preferred_vector_width_float >= 4 ? dev->preferred_vector_width_float : 4;
    m->peak_flops = units * hz * lanes * 2;
    if (c->bytes_per_flop > 0) {
        m->bandwidth = m->peak_flops * c->bytes_per_flop;
    } else {
        const double bw = units * c->bandwidth_per_unit;
        m->bandwidth = bw > 0 && bw < c->bandwidth_max ? bw : c->bandwidth_max;
    }
    m->launch_seconds = c->launch_seconds;
    m->lane_flops = hz * 2;
}

bool clconv_model_is_gpu(const clconv_device_info *dev)
{
    return !(dev->type & CL_DEVICE_TYPE_CPU);
}

double clconv_model_seconds(const clconv_device_info *dev, double flops, double efficiency,
                            double bytes, double launches)
{
    clconv_device_model m;
    clconv_device_model_get(dev, &m);
    const double compute = flops / (m.peak_flops * (efficiency > 1e-6 ? efficiency : 1e-6));
    const double memory = bytes / m.bandwidth;
    return (compute > memory ? compute : memory) + launches * m.launch_seconds;
}

double clconv_model_gpu_seconds(const clconv_device_info *dev, double flops, double efficiency,
                                double chain_flops, double chain_efficiency, double bytes,
                                double launches)
{
    clconv_device_model m;
    clconv_device_model_get(dev, &m);
    const double chain =
        chain_flops / (m.lane_flops * (chain_efficiency > 1e-6 ? chain_efficiency : 1e-6));
    const double rest = clconv_model_seconds(dev, flops, efficiency, bytes, 0);
    return (chain > rest ? chain : rest) + launches * m.launch_seconds;
}

double clconv_model_variant_seconds(const clconv_device_info *dev, const clconv_calibration *cal,
                                    double flops, double efficiency, double chain_flops,
                                    double chain_efficiency, double bytes, double launches)
{
    (void)cal;
    if (chain_efficiency > 0)
        return clconv_model_gpu_seconds(dev, flops, efficiency, chain_flops, chain_efficiency,
                                        bytes, launches);
    return clconv_model_seconds(dev, flops, efficiency, bytes, launches);
}
