/* Device ceilings for the roofline: measured arithmetic peak (float32, float16 where the
 * device has cl_khr_fp16) and memory bandwidth (read, copy), plus theoretical figures where
 * the device reports enough to compute them. Shared by clconv-peak and clconv-bench. */
#ifndef CLCONV_TOOLS_PEAK_H
#define CLCONV_TOOLS_PEAK_H

#include <stdio.h>

#include <clconv.h>

#define PEAK_WIDTHS 5 /* vector widths 1, 2, 4, 8, 16 */

typedef struct peak_width {
    int width;
    int ok;        /* 0: this width failed to build or run (note says why) */
    double gflops; /* best over the repeats */
    double median_gflops;
    int iters; /* loop trip count per work-item after calibration */
    int repeats;
    char note[160];
} peak_width;

typedef struct peak_flops {
    int measured;  /* 0: not available on this device (note says why) */
    double gflops; /* best over widths */
    int best_width;
    peak_width widths[PEAK_WIDTHS];
    char note[160];
} peak_flops;

typedef struct peak_results {
    size_t global_size, local_size; /* of the arithmetic kernels */
    peak_flops f32, f16;
    /* bandwidth: read counts the bytes read; copy counts bytes read plus bytes written */
    double read_gbps, copy_gbps;
    double bandwidth_buffer_mib;
    int bandwidth_repeats;
    /* theoretical arithmetic peak, an estimate: see theoretical_basis */
    int has_theoretical_gflops;
    double theoretical_gflops;
    char theoretical_basis[256];
    double seconds; /* wall time of the whole measurement */
} peak_results;

typedef struct peak_options {
    double budget_s; /* measured time aimed at per vector width and per bandwidth test */
    int max_repeats;
    int half; /* 1: also measure float16 when the device has cl_khr_fp16 */
} peak_options;

/* Default options for the stand-alone tool and a quicker set for clconv-bench. */
peak_options peak_default_options(void);
peak_options peak_quick_options(void);

/* Measures the ceilings of ctx's device. Returns 0 on success; on failure writes a
 * message into err and returns -1. Progress goes to stderr when verbose. */
int peak_measure(clconv_context *ctx, const peak_options *opt, int verbose, peak_results *r,
                 char *err, size_t err_size);

/* The memory roof the roofline uses: the better of read and copy bandwidth (GB/s), and
 * which one it is ("read" or "copy"). */
double peak_roof_gbps(const peak_results *r, const char **which);

/* JSON writers. peak_json_string writes a quoted, escaped string. peak_write_device writes
 * the "device" object, peak_write_ceilings the body of the clconv-peak document without
 * the braces: "flops_f32": ..., "bandwidth": ..., "theoretical": ... at the indent given. */
void peak_json_string(FILE *f, const char *s);
void peak_write_device(FILE *f, const clconv_device_info *info, const char *indent);
void peak_write_ceilings(FILE *f, const peak_results *r, const char *indent);

#endif
