/* Tuning database: measured variant times per layer shape for one device, written by
 * clconv-tune, read by contexts, consulted by AUTO (format: tuning.c; docs/selection.md). */
#ifndef CLCONV_TUNING_H
#define CLCONV_TUNING_H

#include <stdbool.h>
#include <stddef.h>

#include "src/internal.h"
#include "src/variant.h"

#define CLCONV_TUNING_VERSION 2
/* Most variants one layer line records, and the longest variant name. */
#define CLCONV_TUNING_MAX_TIMES 48
#define CLCONV_TUNING_NAME_MAX 48
/* Largest distance (see clconv_tuning_distance) at which a tuned shape still decides. */
#define CLCONV_TUNING_MAX_DISTANCE 3.0

/* One tuned layer: its shape and the variants measured, fastest first. Names are kept as
 * written: a variant this build lacks (GEMM without CLBlast) is skipped when choosing. */
typedef struct clconv_tuning_entry {
    clconv_desc desc;
    int in[4];
    int count;
    char variants[CLCONV_TUNING_MAX_TIMES][CLCONV_TUNING_NAME_MAX];
    double seconds[CLCONV_TUNING_MAX_TIMES];
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

/* Adds (or replaces, same shape) an entry; sorts its variants fastest first. */
bool clconv_tuning_add(clconv_tuning *t, const clconv_tuning_entry *e);

/* Writes t to path atomically (temporary file + rename). false with a message in err. */
bool clconv_tuning_save(const clconv_tuning *t, const char *path, char *err, size_t err_size);

/* Frees the entries of t (not t itself). */
void clconv_tuning_clear(clconv_tuning *t);

/* Largest database file read, in bytes. */
#define CLCONV_TUNING_MAX_FILE_BYTES (64L << 20)

/* The whole text of the file at path, NUL-terminated, to free; NULL with a message naming the
 * file in err when it cannot be opened (missing included) or read, or is larger than
 * CLCONV_TUNING_MAX_FILE_BYTES. */
char *clconv_tuning_read_text(const char *path, char *err, size_t err_size);

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

/* AUTO's first step: the fastest variant that can run p of the exact tuned shape, else of the
 * nearest comparable one within CLCONV_TUNING_MAX_DISTANCE (filling *cfg); NULL leaves the
 * choice to the cost model. log: say which on stderr. */
const clconv_variant *clconv_tuning_choose(const clconv_context *ctx, const clconv_problem *p,
                                           clconv_config *cfg, bool log);

#endif
