/* clconv-bench's parts: the state one run of the benchmark shares between its files.
 *   bench-data.c    host and device tensors of a layer, the reference, verification
 *   bench-run.c     rows and skips, timing, one algorithm's run
 *   bench-clblast.c CLBlast's convgemm baseline
 *   bench-output.c  JSON, CSV and the table on stdout
 *   clconv-bench.c  options, the ceilings, the loop over layers */
#ifndef CLCONV_TOOLS_BENCH_H
#define CLCONV_TOOLS_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <clconv.h>

#include "tools/layerspec.h"
#include "tools/peak.h"
#include "tools/tool-util.h"

#define MIN_REPEATS 5

typedef struct bench_options {
    const char *device, *json_path, *csv_path;
    int repeats;
    bool verify, baseline;
    bool constant_weights;               /* every plan timed with clconv_plan_set_weights */
    double ceiling_gflops, ceiling_gbps; /* 0: measure */
} bench_options;

typedef struct ceilings {
    double gflops, gbps, ridge;
    const char *source, *gbps_from;
    bool measured;
    peak_results peak; /* when measured */
} ceilings;

typedef struct row {
    const layer_spec *layer;
    const char *mode; /* auto, forced, baseline */
    char algo[32];
    char variant[64]; /* the plan's kernel variant; "" for the baseline */
    char note[160];
    double median_s, min_s;
    int repeats;
    const char *timing; /* "events" or "host" (tool_timing_name) */
    clconv_op_count ops;
    uint64_t executed_flops; /* what the variant executes (its executed_flops op), else
                                ops.flops */
    bool executed_reported;  /* the variant reported executed_flops */
    double gflops, gbps, roof_gflops, roof_pct;
    const char *bound;
    bool exceeds_roof;
    int verified;        /* -1: not checked, 0: failed, 1: passed */
    double verify_ratio; /* worst |dev - ref| / tolerance */
} row;

typedef struct skip {
    const layer_spec *layer;
    char algo[32];
    char reason[512];
} skip;

typedef struct bench_state {
    bench_options opt;
    clconv_context *ctx;
    clconv_device_info info;
    ceilings ceil;
    tool_timing timing;
    row *rows;
    size_t nrows, cap_rows;
    skip *skips;
    size_t nskips, cap_skips;
    bool baseline_available;
    char baseline_note[160];
} bench_state;
/* The layer's tensors on the host and the device, plus the reference when verifying. */
typedef struct layer_data {
    size_t nin, nw, nb, nout;
    float *in, *w, *b;
    float *res; /* the residual (desc.residual), the output's shape; else NULL */
    float *ref, *scale, *ref_nobias, *scale_nobias; /* verify only */
    float *out;
    cl_mem d_in, d_w, d_b, d_out, d_res;
} layer_data;

/* One run to time: enqueues it and returns its last event in *event (0), or -1 with the
 * reason in err. */
typedef int (*enqueue_fn)(void *arg, cl_event *event, char *err, size_t n);

/* bench-data.c */
/* Random inputs and weights for L (seeded by its name), their device copies, and the
 * reference when verifying. 0, or -1 with the reason in err; layer_data_free either way. */
int layer_data_init(bench_state *st, const layer_spec *L, layer_data *d, char *err, size_t n);
void layer_data_free(layer_data *d);
/* Fills the output with NaN so that a run which writes nothing cannot pass verification
 * with an earlier run's result. */
int poison_output(bench_state *st, const layer_spec *L, layer_data *d);
/* With --verify: compares the output with the reference (without bias when no_bias) into
 * r->verified and r->verify_ratio. */
void verify_row(bench_state *st, const layer_spec *L, layer_data *d, row *r, bool no_bias);

/* bench-run.c */
row *add_row(bench_state *st);
void add_skip(bench_state *st, const layer_spec *L, const char *algo, const char *reason);
/* Fills the derived columns of r from its times, op count and the ceilings. */
void finish_row(const bench_state *st, row *r);
/* Warm-up, then repeats timed runs of fn; median and minimum into r. */
int time_runs(bench_state *st, enqueue_fn fn, void *arg, row *r, char *err, size_t n);
/* Runs one algorithm (AUTO or forced) on the layer: a row, or a skip with the reason. */
void run_algo(bench_state *st, const layer_spec *L, layer_data *d, clconv_algo algo);

/* bench-clblast.c */
/* Why convgemm cannot run this layer, or NULL. */
const char *baseline_unsupported(const clconv_desc *d);
/* Sets st->baseline_available and st->baseline_note from the build and the options. */
void baseline_init(bench_state *st);
/* One untimed call: CLBlast builds its programs. */
void baseline_warm_up(bench_state *st, const layer_spec *L, layer_data *d);
void run_baseline(bench_state *st, const layer_spec *L, layer_data *d);

/* bench-output.c: 0, or -1 when the file cannot be written completely. */
int write_json(const bench_state *st, const char *path);
int write_csv(const bench_state *st, const char *path);
/* The table on stdout when no file was asked for. */
int write_table(const bench_state *st);

#endif
