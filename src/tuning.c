/* Tuning database. A text file, one device per file:
 *
 *   clconv-tuning 2
 *   device <CL_DEVICE_NAME>
 *   driver <CL_DRIVER_VERSION>
 *   layer <kind> <n> <c> <h> <w> <oc> <kh> <kw> <sh> <sw> <pt> <pb> <pl> <pr> <dh> <dw> <g>
 *         <oph> <opw> <bias> <mode> <dtype> <variant>=<seconds> [<variant>=<seconds>...]
 *
 * (one "layer" line each; kind conv|tconv, mode zeros|reflect|replicate|circular, dtype
 * f32|f16, variant a name clconv-verify --list-variants prints, seconds the median time of
 * one enqueue). '#' lines are comments. The version on the first line changes whenever the
 * meaning of a line does; other versions are refused (version 1 recorded algorithm times:
 * the message says to run clconv-tune again). */
#include "src/tuning.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/binary-cache.h"

#include <stdarg.h>

static void set_info(clconv_context *ctx, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void set_info(clconv_context *ctx, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(ctx->tuning_info, sizeof ctx->tuning_info, fmt, args);
    va_end(args);
}

static const char *const MODES[] = {"zeros", "reflect", "replicate", "circular"};

void clconv_tuning_clear(clconv_tuning *t)
{
    free(t->entries);
    memset(t, 0, sizeof *t);
}

static bool same_shape(const clconv_tuning_entry *a, const clconv_tuning_entry *b)
{
    return !memcmp(&a->desc, &b->desc, sizeof a->desc) && !memcmp(a->in, b->in, sizeof a->in);
}

/* Its times fastest first (insertion sort: a few entries): the first runnable one is the
 * choice. */
static void sort_times(clconv_tuning_entry *e)
{
    for (int i = 1; i < e->count; i++)
        for (int j = i; j > 0 && e->seconds[j] < e->seconds[j - 1]; j--) {
            double s = e->seconds[j];
            char name[CLCONV_TUNING_NAME_MAX];
            memcpy(name, e->variants[j], sizeof name);
            e->seconds[j] = e->seconds[j - 1];
            memcpy(e->variants[j], e->variants[j - 1], sizeof name);
            e->seconds[j - 1] = s;
            memcpy(e->variants[j - 1], name, sizeof name);
        }
}

static bool append(clconv_tuning *t, const clconv_tuning_entry *e)
{
    if (t->count == t->capacity) {
        size_t cap = t->capacity ? 2 * t->capacity : 16;
        clconv_tuning_entry *grown = realloc(t->entries, cap * sizeof *grown);
        if (!grown)
            return false;
        t->entries = grown;
        t->capacity = cap;
    }
    t->entries[t->count] = *e;
    sort_times(&t->entries[t->count++]);
    return true;
}

bool clconv_tuning_add(clconv_tuning *t, const clconv_tuning_entry *e)
{
    for (size_t i = 0; i < t->count; i++)
        if (same_shape(&t->entries[i], e)) {
            t->entries[i] = *e;
            sort_times(&t->entries[i]);
            return true;
        }
    return append(t, e);
}

/* Shape order of entries a and b of t, then file order. */
static int shape_order(const clconv_tuning *t, size_t a, size_t b)
{
    const clconv_tuning_entry *x = &t->entries[a], *y = &t->entries[b];
    int c = memcmp(&x->desc, &y->desc, sizeof x->desc);
    if (!c)
        c = memcmp(x->in, y->in, sizeof x->in);
    return c ? c : a < b ? -1 : a > b;
}

/* Keeps the last entry of every shape, in file order (a later line replaces an earlier one,
 * as clconv_tuning_add does): a merge sort of the indices, O(n log n) for large files. */
static bool drop_repeated_shapes(clconv_tuning *t)
{
    const size_t n = t->count;
    if (n < 2)
        return true;
    size_t *order = malloc(2 * n * sizeof *order);
    unsigned char *keep = malloc(n);
    if (!order || !keep) {
        free(order);
        free(keep);
        return false;
    }
    size_t *from = order, *to = order + n;
    for (size_t i = 0; i < n; i++)
        from[i] = i;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n,
                   hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                to[k++] = shape_order(t, from[i], from[j]) <= 0 ? from[i++] : from[j++];
            while (i < mid)
                to[k++] = from[i++];
            while (j < hi)
                to[k++] = from[j++];
        }
        size_t *swap = from;
        from = to;
        to = swap;
    }
    for (size_t i = 0; i < n; i++)
        keep[from[i]] = i + 1 == n || !same_shape(&t->entries[from[i]], &t->entries[from[i + 1]]);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (keep[i])
            t->entries[kept++] = t->entries[i];
    t->count = kept;
    free(order);
    free(keep);
    return true;
}

/* The rest of a "key value" line after key and one space, without the newline. */
static bool header_value(const char *line, const char *key, char *out, size_t size)
{
    size_t n = strlen(key);
    if (strncmp(line, key, n) || line[n] != ' ')
        return false;
    size_t len = strlen(line + n + 1);
    if (len >= size)
        len = size - 1; /* the device's own record is truncated the same way */
    memcpy(out, line + n + 1, len);
    out[len] = 0;
    return true;
}

static bool parse_layer(char *rest, clconv_tuning_entry *e, char *what, size_t what_size)
{
    memset(e, 0, sizeof *e);
    enum { SHAPE_FIELDS = 22, MAX_WORDS = SHAPE_FIELDS + CLCONV_TUNING_MAX_TIMES };
    char *save = NULL, *tok;
    char *words[MAX_WORDS];
    int n = 0;
    for (tok = strtok_r(rest, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
        if (n == MAX_WORDS) {
            snprintf(what, what_size, "more than %d times", CLCONV_TUNING_MAX_TIMES);
            return false;
        }
        words[n++] = tok;
    }
    if (n < SHAPE_FIELDS + 1) {
        snprintf(what, what_size, "%d fields: a layer needs 22 shape fields and a time", n);
        return false;
    }
    clconv_desc *d = &e->desc;
    if (!strcmp(words[0], "conv"))
        d->kind = CLCONV_CONV2D;
    else if (!strcmp(words[0], "tconv"))
        d->kind = CLCONV_CONV_TRANSPOSE2D;
    else {
        snprintf(what, what_size, "kind \"%s\": conv or tconv", words[0]);
        return false;
    }
    int v[19];
    for (int i = 0; i < 19; i++) {
        char *end;
        long x = strtol(words[1 + i], &end, 10);
        if (*end || end == words[1 + i] || x < 0 || x > 1000000) {
            snprintf(what, what_size, "field %d = \"%s\": not a count", i + 2, words[1 + i]);
            return false;
        }
        v[i] = (int)x;
    }
    e->in[0] = v[0];
    e->in[1] = v[1];
    e->in[2] = v[2];
    e->in[3] = v[3];
    clconv_desc_init(d, d->kind, v[1], v[4], v[5], v[6]);
    d->stride_h = v[7];
    d->stride_w = v[8];
    d->pad_top = v[9];
    d->pad_bottom = v[10];
    d->pad_left = v[11];
    d->pad_right = v[12];
    d->dilation_h = v[13];
    d->dilation_w = v[14];
    d->groups = v[15];
    d->output_padding_h = v[16];
    d->output_padding_w = v[17];
    d->bias = v[18] != 0;
    int mode = -1;
    for (int i = 0; i < 4; i++)
        if (!strcmp(words[20], MODES[i]))
            mode = i;
    if (mode < 0) {
        snprintf(what, what_size, "padding mode \"%s\" unknown", words[20]);
        return false;
    }
    d->padding_mode = (clconv_padding_mode)mode;
    if (!strcmp(words[21], "f32") || !strcmp(words[21], "f16")) {
        d->dtype = words[21][2] == '2' ? CLCONV_FLOAT32 : CLCONV_FLOAT16;
    } else {
        snprintf(what, what_size, "dtype \"%s\": f32 or f16", words[21]);
        return false;
    }
    int out[4];
    if (clconv_output_shape(d, e->in, out) != CLCONV_SUCCESS) {
        snprintf(what, what_size, "invalid layer: %s", clconv_last_error());
        return false;
    }
    for (int i = 22; i < n; i++) {
        char *eq = strchr(words[i], '=');
        if (!eq) {
            snprintf(what, what_size, "\"%s\": expected variant=seconds", words[i]);
            return false;
        }
        *eq = 0;
        char *end;
        double s = strtod(eq + 1, &end);
        clconv_algo elsewhere;
        const size_t len = strlen(words[i]);
        if (len == 0 || len >= CLCONV_TUNING_NAME_MAX ||
            (!clconv_variant_lookup(words[i]) &&
             !clconv_variant_known_elsewhere(words[i], &elsewhere))) {
            snprintf(what, what_size, "variant \"%.60s\" unknown (clconv-verify --list-variants)",
                     words[i]);
            return false;
        }
        if (*end || end == eq + 1 || !(s > 0) || !isfinite(s)) {
            snprintf(what, what_size, "time of %s = \"%s\": not a positive number", words[i],
                     eq + 1);
            return false;
        }
        for (int j = 0; j < e->count; j++)
            if (!strcmp(e->variants[j], words[i])) {
                snprintf(what, what_size, "variant %s timed twice", words[i]);
                return false;
            }
        if (e->count == CLCONV_TUNING_MAX_TIMES) {
            snprintf(what, what_size, "more than %d times", CLCONV_TUNING_MAX_TIMES);
            return false;
        }
        memcpy(e->variants[e->count], words[i], len + 1);
        e->seconds[e->count++] = s;
    }
    return true;
}

bool clconv_tuning_parse(const char *text, const clconv_device_info *dev, clconv_tuning *out,
                         char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    int version = -1, lineno = 0;
    bool have_device = false, have_driver = false;
    const char *p = text;
    char what[320];
    if (!*p) {
        snprintf(err, err_size, "empty file: not a clconv tuning database");
        goto fail;
    }
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        lineno++;
        char line[4096];
        if (len >= sizeof line) {
            snprintf(err, err_size, "line %d: longer than %zu bytes", lineno, sizeof line - 1);
            goto fail;
        }
        memcpy(line, p, len);
        line[len] = 0;
        if (len && line[len - 1] == '\r')
            line[len - 1] = 0;
        p = nl ? nl + 1 : p + len;
        if (lineno == 1) {
            if (sscanf(line, "clconv-tuning %d", &version) != 1) {
                snprintf(err, err_size, "line 1: not a clconv tuning database");
                goto fail;
            }
            if (version == 1) {
                snprintf(err, err_size,
                         "line 1: format version 1 records algorithm times; this clconv reads "
                         "version %d, variant times: run clconv-tune again to remake it",
                         CLCONV_TUNING_VERSION);
                goto fail;
            }
            if (version != CLCONV_TUNING_VERSION) {
                snprintf(err, err_size, "line 1: format version %d, this clconv reads %d", version,
                         CLCONV_TUNING_VERSION);
                goto fail;
            }
            continue;
        }
        if (!line[0] || line[0] == '#')
            continue;
        if (header_value(line, "device", out->device, sizeof out->device)) {
            have_device = true;
        } else if (header_value(line, "driver", out->driver, sizeof out->driver)) {
            have_driver = true;
        } else if (!strncmp(line, "layer ", 6)) {
            clconv_tuning_entry e;
            if (!parse_layer(line + 6, &e, what, sizeof what)) {
                snprintf(err, err_size, "line %d: %s", lineno, what);
                goto fail;
            }
            if (!append(out, &e)) {
                snprintf(err, err_size, "out of memory");
                goto fail;
            }
        } else {
            snprintf(err, err_size, "line %d: unknown record \"%.40s\"", lineno, line);
            goto fail;
        }
    }
    if (!drop_repeated_shapes(out)) {
        snprintf(err, err_size, "out of memory");
        goto fail;
    }
    if (version < 0 || !have_device || !have_driver) {
        snprintf(err, err_size, "%s line missing",
                 version < 0    ? "clconv-tuning"
                 : !have_device ? "device"
                                : "driver");
        goto fail;
    }
    if (dev &&
        (strcmp(out->device, dev->device_name) || strcmp(out->driver, dev->driver_version))) {
        snprintf(err, err_size,
                 "tuned for device \"%s\" driver \"%s\", not this device \"%s\" driver \"%s\"",
                 out->device, out->driver, dev->device_name, dev->driver_version);
        goto fail;
    }
    return true;
fail:
    clconv_tuning_clear(out);
    return false;
}

static int group_class(const clconv_desc *d)
{
    if (d->groups == 1)
        return 0;
    return d->groups == d->in_channels ? 1 : 2; /* depthwise, other grouped */
}

static double log_ratio(int a, int b)
{
    return fabs(log2((double)a / (double)b));
}

double clconv_tuning_distance(const clconv_desc *a, const int ain[4], const clconv_desc *b,
                              const int bin[4])
{
    if (a->kind != b->kind || a->kernel_h != b->kernel_h || a->kernel_w != b->kernel_w ||
        a->stride_h != b->stride_h || a->stride_w != b->stride_w ||
        a->dilation_h != b->dilation_h || a->dilation_w != b->dilation_w ||
        a->padding_mode != b->padding_mode || a->output_padding_h != b->output_padding_h ||
        a->output_padding_w != b->output_padding_w || a->dtype != b->dtype ||
        group_class(a) != group_class(b))
        return -1;
    double d = log_ratio(ain[0], bin[0]) + log_ratio(ain[1], bin[1]) +
               log_ratio(a->out_channels, b->out_channels) + log_ratio(ain[2], bin[2]) +
               log_ratio(ain[3], bin[3]);
    if (a->pad_top != b->pad_top || a->pad_bottom != b->pad_bottom || a->pad_left != b->pad_left ||
        a->pad_right != b->pad_right)
        d += 0.5;
    if (a->bias != b->bias || (group_class(a) == 2 && a->groups != b->groups))
        d += 0.5;
    return d;
}

/* Loads path into ctx (replacing its database on success). */
static clconv_status load_file(clconv_context *ctx, const char *path)
{
    char err[512] = "out of memory";
    char *text = clconv_tuning_read_text(path, err, sizeof err);
    if (!text) {
        set_info(ctx, "tuning database %s ignored: %s", path, err);
        return clconv_fail(ctx, CLCONV_ERROR_INVALID_ARGUMENT, "%s", ctx->tuning_info);
    }
    clconv_tuning *t = calloc(1, sizeof *t);
    bool ok = t && clconv_tuning_parse(text, &ctx->info, t, err, sizeof err);
    free(text);
    if (!ok) {
        free(t);
        set_info(ctx, "tuning database %s ignored: %s", path, err);
        return clconv_fail(ctx, CLCONV_ERROR_INVALID_ARGUMENT, "%s", ctx->tuning_info);
    }
    if (ctx->tuning) {
        clconv_tuning_clear(ctx->tuning);
        free(ctx->tuning);
    }
    ctx->tuning = t;
    set_info(ctx, "tuning database %s: %zu layers", path, t->count);
    return CLCONV_SUCCESS;
}

void clconv_tuning_autoload(clconv_context *ctx)
{
    char path[4096];
    const char *env = getenv("CLCONV_TUNING_FILE");
    bool explicit = env && *env;
    if (explicit)
        snprintf(path, sizeof path, "%s", env);
    else if (!clconv_tuning_default_path(&ctx->info, path, sizeof path)) {
        set_info(ctx, "no tuning database (no cache folder)");
        return;
    }
    if (!explicit && access(path, F_OK) != 0) {
        set_info(ctx, "no tuning database (%s absent)", path);
        return;
    }
    if (load_file(ctx, path) != CLCONV_SUCCESS) {
        /* context creation goes on: the heuristic decides; the thread's error is not left
         * set by a call that succeeds */
        if (clconv_verbose())
            fprintf(stderr, "clconv: %s; AUTO uses the heuristic\n", ctx->tuning_info);
        ctx->last_error[0] = 0;
    } else if (clconv_verbose()) {
        fprintf(stderr, "clconv: loaded %s\n", ctx->tuning_info);
    }
}

clconv_status clconv_context_load_tuning(clconv_context *ctx, const char *path)
{
    if (!ctx || !path)
        return clconv_fail(ctx, CLCONV_ERROR_INVALID_ARGUMENT, "%s is NULL", !ctx ? "ctx" : "path");
    return load_file(ctx, path);
}

const char *clconv_context_tuning_info(const clconv_context *ctx)
{
    return ctx ? ctx->tuning_info : "ctx is NULL";
}

clconv_status clconv_context_default_tuning_path(const clconv_context *ctx, char *path, size_t size)
{
    if (!ctx || !path)
        return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT, "%s is NULL",
                           !ctx ? "ctx" : "path");
    if (!clconv_tuning_default_path(&ctx->info, path, size))
        return clconv_fail(NULL, CLCONV_ERROR_UNSUPPORTED,
                           "no cache folder (CLCONV_CACHE=0, or neither CLCONV_CACHE_DIR, "
                           "XDG_CACHE_HOME nor HOME is set) or path longer than %zu bytes",
                           size);
    return CLCONV_SUCCESS;
}

/* The entry's fastest variant that can run p, or NULL. */
static const clconv_variant *first_runnable(const clconv_context *ctx, const clconv_tuning_entry *e,
                                            const clconv_problem *p, clconv_config *cfg,
                                            double *seconds)
{
    char reason[512];
    for (int i = 0; i < e->count; i++) {
        const clconv_variant *v = clconv_variant_lookup(e->variants[i]);
        if (v && v->ops->transform_based && clconv_exact_summation(ctx))
            continue; /* AUTO keeps to direct summation */
        if (v && clconv_variant_can_run(ctx, v, p, cfg, reason, sizeof reason)) {
            *seconds = e->seconds[i];
            return v;
        }
    }
    return NULL;
}

const clconv_variant *clconv_tuning_choose(const clconv_context *ctx, const clconv_problem *p,
                                           clconv_config *cfg, bool log)
{
    const clconv_tuning *t = ctx->tuning;
    if (!t || !t->count) {
        if (log)
            fprintf(stderr, "clconv: no tuning database (%s): cost model\n", ctx->tuning_info);
        return NULL;
    }
    const clconv_tuning_entry *best = NULL;
    double best_d = 0, closest = -1;
    const clconv_variant *chosen = NULL;
    double seconds = 0;
    clconv_config trial;
    for (size_t i = 0; i < t->count; i++) {
        const clconv_tuning_entry *e = &t->entries[i];
        double d = clconv_tuning_distance(&p->desc, p->in, &e->desc, e->in);
        if (d < 0)
            continue;
        if (closest < 0 || d < closest)
            closest = d;
        if (d > CLCONV_TUNING_MAX_DISTANCE || (best && d >= best_d))
            continue;
        double s;
        const clconv_variant *runnable = first_runnable(ctx, e, p, &trial, &s);
        if (runnable) {
            best = e;
            best_d = d;
            chosen = runnable;
            seconds = s;
            *cfg = trial;
        }
    }
    if (log) {
        if (!best && closest < 0)
            fprintf(stderr, "clconv: tuning database has no comparable shape: cost model\n");
        else if (!best)
            fprintf(stderr,
                    "clconv: tuning database: closest comparable shape at distance %.2f (limit "
                    "%.1f) or none runnable: cost model\n",
                    closest, CLCONV_TUNING_MAX_DISTANCE);
        else if (best_d == 0)
            fprintf(stderr, "clconv: tuning database exact match: %s (measured %.4g ms)\n",
                    chosen->name, seconds * 1e3);
        else
            fprintf(stderr,
                    "clconv: tuning database nearest shape (distance %.2f, in %dx%dx%dx%d out "
                    "channels %d): %s (measured %.4g ms there)\n",
                    best_d, best->in[0], best->in[1], best->in[2], best->in[3],
                    best->desc.out_channels, chosen->name, seconds * 1e3);
    }
    return chosen;
}
