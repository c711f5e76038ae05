/* Tuning database: measured algorithm times per layer shape for one device, written by
 * clconv-tune, read by contexts, consulted by AUTO (format: tuning.c, README "Tuning"). */
#ifndef CLCONV_TUNING_H
#define CLCONV_TUNING_H

#include <stdbool.h>
#include <stddef.h>

#include "src/internal.h"

#define CLCONV_TUNING_VERSION 1
/* Largest distance (see clconv_tuning_distance) at which a tuned shape still decides. */
#define CLCONV_TUNING_MAX_DISTANCE 3.0

/* One tuned layer: its shape and the algorithms measured, fastest first. */
typedef struct clconv_tuning_entry {
    clconv_desc desc;
    int in[4];
    int count;
    clconv_algo algos[CLCONV_ALGO_COUNT_];
    double seconds[CLCONV_ALGO_COUNT_];
} clconv_tuning_entry;

struct clconv_tuning {
    char device[128], driver[128]; /* the key: CL_DEVICE_NAME and CL_DRIVER_VERSION */
    size_t count, capacity;
    clconv_tuning_entry *entries;
};

/* Parses database text. When dev is non-NULL, a database of another device or driver is
 * rejected. Returns false with "line N: what" (or the mismatch) in err; *out is then empty. */
bool clconv_tuning_parse(const char *text, const clconv_device_info *dev, clconv_tuning *out,
                         char *err, size_t err_size);

/* Adds (or replaces, same shape) an entry; sorts its algorithms fastest first. */
bool clconv_tuning_add(clconv_tuning *t, const clconv_tuning_entry *e);

/* Writes t to path atomically (temporary file + rename). false with a message in err. */
bool clconv_tuning_save(const clconv_tuning *t, const char *path, char *err, size_t err_size);

/* Frees the entries of t (not t itself). */
void clconv_tuning_clear(clconv_tuning *t);

/* Distance between two layers: a negative value when they are not comparable (kind, kernel,
 * stride, dilation, padding mode, output padding, dtype or group structure differ), else
 * sum of |log2| ratios of N, Cin, Cout, H, W, plus 0.5 when the padding differs. 0: same. */
double clconv_tuning_distance(const clconv_desc *a, const int ain[4], const clconv_desc *b,
                              const int bin[4]);

/* The default database file of a device: <cache dir>/tuning-<hash of name and driver>.txt;
 * false when no cache folder is known (or CLCONV_CACHE=0). */
bool clconv_tuning_default_path(const clconv_device_info *dev, char *path, size_t size);

/* At context creation: loads $CLCONV_TUNING_FILE, else the default file, when present; a
 * missing, corrupt or foreign file is ignored and ctx->tuning_info says why. */
void clconv_tuning_autoload(clconv_context *ctx);

/* supports() plus the context's limits (select.c's check). */
typedef bool (*clconv_can_run_fn)(const clconv_context *ctx, const clconv_algo_impl *impl,
                                  const clconv_problem *p, char *reason, size_t reason_size);

/* AUTO's first step: the fastest runnable algorithm of the exact tuned shape, else of the
 * nearest comparable one within CLCONV_TUNING_MAX_DISTANCE; NULL leaves the choice to the
 * heuristic. log: say which on stderr. */
const clconv_algo_impl *clconv_tuning_choose(const clconv_context *ctx, const clconv_problem *p,
                                             clconv_can_run_fn can_run, bool log);

#endif
