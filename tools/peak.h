/* Device ceilings for the roofline: measured arithmetic peak (float32, float16 where the
 * device has cl_khr_fp16) and memory bandwidth (read, copy), plus theoretical figures where
 * the device reports enough to compute them. Shared by clconv-peak and clconv-bench. */
#ifndef CLCONV_TOOLS_PEAK_H
#define CLCONV_TOOLS_PEAK_H

#include <stdio.h>

#include <clconv.h>

#include "tools/tool-util.h"

#define PEAK_WIDTHS 5  /* vector widths 1, 2, 4, 8, 16 */
#define PEAK_CHAINS 16 /* independent chains per work-item, as in tools/peak_flops.cl */

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

#define PEAK_SWEEP_MAX 40 /* working-set sizes of the cache sweep */
#define PEAK_LEVELS_MAX 8

typedef struct peak_sweep_point {
    double bytes; /* working set */
    double gbps;  /* best read bandwidth over the repeats */
    int passes;   /* reads of the whole working set per launch after calibration */
} peak_sweep_point;

/* A plateau of the sweep: a memory level. bytes is the largest working set that still got
 * its bandwidth; the last level is named DRAM (the largest working sets measured). */
typedef struct peak_level {
    char name[16];
    double bytes, gbps;
} peak_level;

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
    char theoretical_basis[320];
    /* working-set sweep and the levels found in it */
    peak_sweep_point sweep[PEAK_SWEEP_MAX];
    int nsweep;
    peak_level levels[PEAK_LEVELS_MAX];
    int nlevels;
    /* launch floor: the fastest of the empty-kernel launches (and their median), timed as
     * clconv-bench times a run */
    double launch_floor_s, launch_median_s;
    int launch_repeats;
    tool_timing timing; /* how every figure here was timed */
    double seconds;     /* wall time of the whole measurement */
} peak_results;

typedef struct peak_options {
    double budget_s; /* measured time aimed at per vector width and per bandwidth test */
    int max_repeats;
    int half;               /* 1: also measure float16 when the device has cl_khr_fp16 */
    double sweep_max_bytes; /* largest working set of the cache sweep (device limits apply) */
    int sweep_factor;       /* ratio of successive working sets, from 16 KiB */
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
/* "[{"name": ..., "bytes": ..., "gbps": ...}, ...]": the levels of r, on one line. */
void peak_write_levels(FILE *f, const peak_results *r);

/* Groups a sweep (ascending working sets) into memory levels. Each point first gets the best
 * bandwidth of any larger working set where that is higher (data that fits a small set gets at
 * least that); then a point joins the current plateau while within a factor of 1.3 of its
 * first point. A single point between two plateaus of several points is the transition
 * between them and dropped. A level's bytes is the largest set of its plateau, its gbps the
 * plateau's best; the last level is named "DRAM", the others "L1", "L2", ... Writes at most
 * max levels, returns their count. */
int peak_find_levels(const peak_sweep_point *sweep, int n, peak_level *levels, int max);

/* Shared by the peak*.c files. */
cl_program peak_build_program(clconv_context *ctx, const char *file, const char *options, char *err,
                              size_t err_size);
/* One launch of k, its time by t's mode (events, else the host clock around clFinish). */
cl_int peak_run_timed(cl_command_queue q, cl_kernel k, size_t global, size_t local,
                      const tool_timing *t, double *sec);
/* The working-set sweep, its levels, and the launch floor into r (peak-levels.c). */
int peak_measure_levels(clconv_context *ctx, const peak_options *opt, int verbose, peak_results *r,
                        char *err, size_t err_size);

#endif
