/* Tuning database (format version 2, variant times): round trip, corrupt, foreign and
 * version-1 files refused with a message, variants of other builds kept but skipped, and AUTO's
 * use of it: exact match, nearest shape, a tuned variant that cannot run the layer skipped,
 * fallback to the cost model, and CLCONV_VERBOSE's account of which. Variant names come from
 * the registry (clconv_variant_name), never written out, so the suite holds however the
 * algorithms are split. Plans are only created (creation compiles nothing). Passes with and
 * without CLCONV_CACHE=0 (the default-file case sets both itself). */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/tuning.h"
#include "tests/common.h"

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/clconv-tuning-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    /* an empty cache folder: no default database is found */
    setenv("CLCONV_CACHE_DIR", dir, 1);
    unsetenv("CLCONV_TUNING_FILE");
    unsetenv("CLCONV_ALGO");
    unsetenv("CLCONV_VARIANT");
    unsetenv("CLCONV_VERBOSE");
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void read_file(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = 0;
    fclose(f);
}

static clconv_context *new_context(void)
{
    clconv_context *ctx = NULL;
    ck_assert_msg(clconv_context_create(NULL, &ctx) == CLCONV_SUCCESS, "%s", clconv_last_error());
    return ctx;
}

/* The variant AUTO (or the forced algorithm) picks for the layer (registry storage). */
static const char *chosen_variant(clconv_context *ctx, const clconv_desc *d, const int in[4],
                                  clconv_algo algo)
{
    clconv_plan *plan = NULL;
    ck_assert_msg(clconv_plan_create(ctx, d, in, algo, &plan) == CLCONV_SUCCESS, "%s",
                  clconv_last_error());
    ck_assert(!clconv_plan_is_baked(plan)); /* selection compiled nothing */
    const char *name = clconv_plan_get_variant_name(plan);
    ck_assert_ptr_nonnull(name);
    clconv_plan_destroy(plan);
    return name;
}

static const char *auto_variant(clconv_context *ctx, const clconv_desc *d, const int in[4])
{
    return chosen_variant(ctx, d, in, CLCONV_ALGO_AUTO);
}

static bool variant_runs(clconv_context *ctx, const clconv_desc *d, const int in[4],
                         const char *name)
{
    clconv_plan *plan = NULL;
    const clconv_status st = clconv_plan_create_variant(ctx, d, in, name, &plan);
    clconv_plan_destroy(plan);
    return st == CLCONV_SUCCESS;
}

/* A variant other than avoid that runs both layers (forced creation succeeds). */
static const char *other_variant(clconv_context *ctx, const clconv_desc *d, const int in[4],
                                 const clconv_desc *d2, const int in2[4], const char *avoid)
{
    for (int i = 0; i < clconv_variant_count(); i++) {
        const char *name = clconv_variant_name(i);
        if (strcmp(name, avoid) && variant_runs(ctx, d, in, name) &&
            variant_runs(ctx, d2, in2, name))
            return name;
    }
    ck_abort_msg("no second variant takes the layer");
    return NULL;
}

/* A variant of this build that cannot run the layer. */
static const char *refusing_variant(clconv_context *ctx, const clconv_desc *d, const int in[4])
{
    for (int i = 0; i < clconv_variant_count(); i++)
        if (!variant_runs(ctx, d, in, clconv_variant_name(i)))
            return clconv_variant_name(i);
    ck_abort_msg("every variant runs a dense layer");
    return NULL;
}

/* A variant name of builds with other options that this build lacks (GEMM's without
 * CLBlast), or NULL when this build has them all. */
static const char *elsewhere_variant(void)
{
    static const char *const candidates[] = {"gemm.im2col", "gemm.1x1", "gemm.col2im", "gemm"};
    clconv_algo algo;
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
        if (clconv_variant_known_elsewhere(candidates[i], &algo))
            return candidates[i];
    return NULL;
}

/* "layer ..." line of the database for d/in with the given variant times. */
static void layer_line(char *buf, size_t size, const clconv_desc *d, const int in[4],
                       const char *times)
{
    snprintf(buf, size,
             "layer %s %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d zeros f32 %s\n",
             d->kind == CLCONV_CONV2D ? "conv" : "tconv", in[0], in[1], in[2], in[3],
             d->out_channels, d->kernel_h, d->kernel_w, d->stride_h, d->stride_w, d->pad_top,
             d->pad_bottom, d->pad_left, d->pad_right, d->dilation_h, d->dilation_w, d->groups,
             d->output_padding_h, d->output_padding_w, d->bias ? 1 : 0, times);
}

static void header_version(char *buf, size_t size, clconv_context *ctx, int version)
{
    clconv_device_info info;
    clconv_context_get_device_info(ctx, &info);
    snprintf(buf, size, "clconv-tuning %d\ndevice %s\ndriver %s\n", version, info.device_name,
             info.driver_version);
}

static void header(char *buf, size_t size, clconv_context *ctx)
{
    header_version(buf, size, ctx, CLCONV_TUNING_VERSION);
}

START_TEST(test_round_trip)
{
    clconv_context *ctx = new_context();
    ck_assert_int_ge(clconv_variant_count(), 2);
    const char *v0 = clconv_variant_name(0), *v1 = clconv_variant_name(1);
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 8, 16, 3, 3);
    d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
    const int in[4] = {1, 8, 20, 20};
    char text[4096], line[512], times[256];
    header(text, sizeof text, ctx);
    strcat(text, "# a comment\n");
    /* listed slowest first: the reader sorts */
    snprintf(times, sizeof times, "%s=0.002 %s=0.001", v0, v1);
    layer_line(line, sizeof line, &d, in, times);
    strcat(text, line);
    clconv_desc t;
    clconv_desc_init(&t, CLCONV_CONV_TRANSPOSE2D, 4, 6, 4, 4);
    t.stride_h = t.stride_w = 2;
    t.output_padding_h = 1;
    t.bias = 0;
    const int tin[4] = {2, 4, 7, 5};
    snprintf(times, sizeof times, "%s=3.5e-05", v0);
    layer_line(line, sizeof line, &t, tin, times);
    strcat(text, line);

    clconv_device_info info;
    clconv_context_get_device_info(ctx, &info);
    clconv_tuning a, b;
    char err[512];
    ck_assert_msg(clconv_tuning_parse(text, &info, &a, err, sizeof err), "%s", err);
    ck_assert_uint_eq(a.count, 2);
    ck_assert_int_eq(a.entries[0].count, 2);
    ck_assert_str_eq(a.entries[0].variants[0], v1);
    ck_assert_str_eq(a.entries[0].variants[1], v0);
    ck_assert_str_eq(a.entries[1].variants[0], v0);
    char path[128];
    snprintf(path, sizeof path, "%s/db.txt", dir);
    ck_assert_msg(clconv_tuning_save(&a, path, err, sizeof err), "%s", err);
    char saved[8192];
    read_file(path, saved, sizeof saved);
    ck_assert_msg(!strncmp(saved, "clconv-tuning 2\n", 16), "%s", saved);
    snprintf(times, sizeof times, " %s=0.001 %s=0.002\n", v1, v0);
    ck_assert_msg(strstr(saved, times), "fastest first: %s", saved);
    ck_assert_msg(clconv_tuning_parse(saved, &info, &b, err, sizeof err), "%s", err);
    ck_assert_uint_eq(b.count, a.count);
    for (size_t i = 0; i < a.count; i++) {
        ck_assert(!memcmp(&a.entries[i].desc, &b.entries[i].desc, sizeof a.entries[i].desc));
        ck_assert(!memcmp(a.entries[i].in, b.entries[i].in, sizeof a.entries[i].in));
        ck_assert_int_eq(a.entries[i].count, b.entries[i].count);
        for (int j = 0; j < a.entries[i].count; j++) {
            ck_assert_str_eq(a.entries[i].variants[j], b.entries[i].variants[j]);
            ck_assert_double_eq_tol(a.entries[i].seconds[j], b.entries[i].seconds[j],
                                    1e-6 * a.entries[i].seconds[j]);
        }
    }
    /* adding the same shape again replaces its entry */
    clconv_tuning_entry e = b.entries[1];
    e.seconds[0] = 7e-05;
    ck_assert(clconv_tuning_add(&b, &e));
    ck_assert_uint_eq(b.count, 2);
    ck_assert_double_eq(b.entries[1].seconds[0], 7e-05);
    /* the context loads it and says so */
    ck_assert_int_eq(clconv_context_load_tuning(ctx, path), CLCONV_SUCCESS);
    ck_assert_ptr_nonnull(strstr(clconv_context_tuning_info(ctx), "2 layers"));
    clconv_tuning_clear(&a);
    clconv_tuning_clear(&b);
    clconv_context_destroy(ctx);
}
END_TEST

START_TEST(test_bad_files_ignored)
{
    clconv_context *ctx = new_context();
    ck_assert_ptr_nonnull(strstr(clconv_context_tuning_info(ctx), "no tuning database"));
    const char *v0 = clconv_variant_name(0);
    char good[4096], line[512], path[128], times[256];
    header(good, sizeof good, ctx);
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 4, 4, 3, 3);
    const int in[4] = {1, 4, 9, 9};
    snprintf(times, sizeof times, "%s=0.001", v0);
    layer_line(line, sizeof line, &d, in, times);
    strcat(good, line);
    snprintf(path, sizeof path, "%s/good.txt", dir);
    write_file(path, good);
    ck_assert_int_eq(clconv_context_load_tuning(ctx, path), CLCONV_SUCCESS);
    const char *loaded = "1 layers";
    ck_assert_ptr_nonnull(strstr(clconv_context_tuning_info(ctx), loaded));

    /* a version-1 file (algorithm times) of this very device */
    char v1[4096];
    header_version(v1, sizeof v1, ctx, 1);
    strcat(v1, "layer conv 1 4 9 9 4 3 3 1 1 0 0 0 0 1 1 1 0 0 1 zeros f32 direct=0.001\n");

    /* good text plus one bad layer (line 5), its times, and what the message must say */
    char unknown_expect[128], twice[256], twice_expect[128], neg_expect[128];
    snprintf(unknown_expect, sizeof unknown_expect, "line 5: variant \"no.such_variant\" unknown");
    snprintf(twice, sizeof twice, "%s=0.001 %s=0.002", v0, v0);
    snprintf(twice_expect, sizeof twice_expect, "line 5: variant %s timed twice", v0);
    snprintf(neg_expect, sizeof neg_expect, "line 5: time of %s = \"-1\"", v0);
    char bare_expect[128];
    snprintf(bare_expect, sizeof bare_expect, "line 5: \"%s\": expected variant=seconds", v0);
    char neg[128];
    snprintf(neg, sizeof neg, "%s=-1", v0);
    const struct {
        const char *text;             /* the whole file, or NULL: good plus a layer line */
        const char *kind, *pad, *tms; /* that layer's kind, padding, times */
        const char *expect;
    } bad[] = {
        {"", NULL, NULL, NULL, "empty file"},
        {"\x7f"
         "ELF binary junk\n",
         NULL, NULL, NULL, "not a clconv tuning database"},
        {"clconv-tuning 99\ndevice x\ndriver y\n", NULL, NULL, NULL, "format version 99"},
        {v1, NULL, NULL, NULL, "run clconv-tune again"},
        {"clconv-tuning 2\ndevice Some Other GPU\ndriver 1.0\n", NULL, NULL, NULL,
         "tuned for device \"Some Other"},
        {NULL, "conv2d", "0 0", times, "line 5: kind \"conv2d\""},
        {NULL, "conv", "0 0", neg, neg_expect},
        {NULL, "conv", "9 9", times, "line 5: invalid layer"}, /* padding larger than allowed */
        {NULL, "conv", "0 0", "no.such_variant=0.001", unknown_expect},
        {NULL, "conv", "0 0", v0, bare_expect},
        {NULL, "conv", "0 0", twice, twice_expect},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[8192];
        if (bad[i].text)
            snprintf(text, sizeof text, "%s", bad[i].text);
        else
            snprintf(text, sizeof text,
                     "%slayer %s 1 4 9 9 4 3 3 1 1 %s 0 0 1 1 1 0 0 1 reflect f32 %s\n", good,
                     bad[i].kind, bad[i].pad, bad[i].tms);
        snprintf(path, sizeof path, "%s/bad%zu.txt", dir, i);
        write_file(path, text);
        ck_assert_int_eq(clconv_context_load_tuning(ctx, path), CLCONV_ERROR_INVALID_ARGUMENT);
        const char *msg = clconv_last_error();
        ck_assert_msg(strstr(msg, bad[i].expect) && strstr(msg, path), "case %zu: %s", i, msg);
        ck_assert_msg(strstr(clconv_context_tuning_info(ctx), "ignored"), "case %zu", i);
    }
    /* the line number counts comments and blank lines */
    char text[8192];
    snprintf(text, sizeof text,
             "%s# comment\n\nlayer conv 1 4 9 9 4 3 3 1 1 0 0 0 0 1 1 1 0 0 1 "
             "zeros f32 no.such_variant=1\n",
             good);
    clconv_tuning t;
    char err[512];
    ck_assert(!clconv_tuning_parse(text, NULL, &t, err, sizeof err));
    ck_assert_msg(strstr(err, "line 7: variant \"no.such_variant\" unknown"), "%s", err);
    ck_assert_uint_eq(t.count, 0);
    /* a missing file */
    ck_assert_int_eq(clconv_context_load_tuning(ctx, "/nonexistent/db.txt"),
                     CLCONV_ERROR_INVALID_ARGUMENT);
    clconv_context_destroy(ctx);

    /* at context creation: a corrupt $CLCONV_TUNING_FILE is ignored, creation succeeds */
    snprintf(path, sizeof path, "%s/bad4.txt", dir);
    setenv("CLCONV_TUNING_FILE", path, 1);
    ctx = new_context();
    ck_assert_msg(strstr(clconv_context_tuning_info(ctx), "ignored") &&
                      strstr(clconv_context_tuning_info(ctx), "Some Other GPU"),
                  "%s", clconv_context_tuning_info(ctx));
    clconv_context_destroy(ctx);
    snprintf(path, sizeof path, "%s/bad3.txt", dir);
    setenv("CLCONV_TUNING_FILE", path, 1);
    ctx = new_context();
    ck_assert_msg(strstr(clconv_context_tuning_info(ctx), "run clconv-tune again"), "%s",
                  clconv_context_tuning_info(ctx));
    clconv_context_destroy(ctx);
    unsetenv("CLCONV_TUNING_FILE");

    /* the default file in the cache folder: found without the variable, unless the cache is
     * off (CLCONV_CACHE=0), when there is no default path at all; both, whatever the caller's
     * environment */
    const char *cache_env = getenv("CLCONV_CACHE");
    char *saved_cache = cache_env ? strdup(cache_env) : NULL;
    unsetenv("CLCONV_CACHE");
    ctx = new_context();
    char def[4096];
    ck_assert_int_eq(clconv_context_default_tuning_path(ctx, def, sizeof def), CLCONV_SUCCESS);
    ck_assert(!strncmp(def, dir, strlen(dir)));
    write_file(def, good);
    clconv_context_destroy(ctx);
    ctx = new_context();
    ck_assert_msg(strstr(clconv_context_tuning_info(ctx), loaded), "%s",
                  clconv_context_tuning_info(ctx));
    clconv_context_destroy(ctx);
    setenv("CLCONV_CACHE", "0", 1);
    ctx = new_context();
    ck_assert_int_eq(clconv_context_default_tuning_path(ctx, def, sizeof def),
                     CLCONV_ERROR_UNSUPPORTED);
    ck_assert_msg(strstr(clconv_last_error(), "CLCONV_CACHE=0"), "%s", clconv_last_error());
    ck_assert_msg(strstr(clconv_context_tuning_info(ctx), "no tuning database (no cache folder)"),
                  "%s", clconv_context_tuning_info(ctx));
    clconv_context_destroy(ctx);
    if (saved_cache)
        setenv("CLCONV_CACHE", saved_cache, 1);
    else
        unsetenv("CLCONV_CACHE");
    free(saved_cache);
}
END_TEST

START_TEST(test_distance)
{
    clconv_desc a, b;
    clconv_desc_init(&a, CLCONV_CONV2D, 16, 32, 3, 3);
    b = a;
    const int ia[4] = {1, 16, 28, 28};
    int ib[4] = {1, 16, 28, 28};
    ck_assert_double_eq(clconv_tuning_distance(&a, ia, &b, ib), 0);
    b.in_channels = 32;
    ib[1] = 32;
    b.out_channels = 64;
    ck_assert_double_eq_tol(clconv_tuning_distance(&a, ia, &b, ib), 2.0, 1e-12);
    ib[2] = ib[3] = 56;
    ck_assert_double_eq_tol(clconv_tuning_distance(&a, ia, &b, ib), 4.0, 1e-12);
    b = a;
    b.pad_top = 1;
    ck_assert_double_eq_tol(clconv_tuning_distance(&a, ia, &b, ia), 0.5, 1e-12);
    /* not comparable: other kernel, stride, kind, group structure */
    b = a;
    b.kernel_w = 5;
    ck_assert(clconv_tuning_distance(&a, ia, &b, ia) < 0);
    b = a;
    b.stride_h = 2;
    ck_assert(clconv_tuning_distance(&a, ia, &b, ia) < 0);
    b = a;
    b.groups = 16;
    ck_assert(clconv_tuning_distance(&a, ia, &b, ia) < 0);
}
END_TEST

/* Redirects stderr into a file of the test folder until capture_stderr_end. */
static void capture_stderr_begin(int *saved, char *path, size_t size)
{
    snprintf(path, size, "%s/stderr.txt", dir);
    fflush(stderr);
    *saved = dup(2);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    dup2(fd, 2);
    close(fd);
}

static void capture_stderr_end(int saved, const char *path, char *buf, size_t size)
{
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    read_file(path, buf, size);
}

/* A dense 3x3 layer and one near it: other channel counts and size, same structure (distance
 * 1 + 2 * log2(24/18) = 1.83). */
static void dense_layers(clconv_desc *d, int in[4], clconv_desc *near, int near_in[4])
{
    clconv_desc_init(d, CLCONV_CONV2D, 16, 16, 3, 3);
    d->pad_top = d->pad_bottom = d->pad_left = d->pad_right = 1;
    const int shape[4] = {1, 16, 24, 24}, near_shape[4] = {1, 8, 18, 18};
    memcpy(in, shape, sizeof shape);
    *near = *d;
    near->in_channels = 8;
    memcpy(near_in, near_shape, sizeof near_shape);
}

START_TEST(test_auto_uses_database)
{
    clconv_context *plain = new_context(), *ctx = new_context();
    clconv_desc d, near;
    int in[4], near_in[4];
    dense_layers(&d, in, &near, near_in);
    /* the database names a variant the cost model does not pick */
    const char *heuristic = auto_variant(plain, &d, in);
    const char *tuned = other_variant(plain, &d, in, &near, near_in, heuristic);
    /* listed fastest but unable to run a dense layer (a depthwise variant): skipped */
    const char *refused = refusing_variant(plain, &d, in);
    char text[4096], line[512], times[256], path[128];
    header(text, sizeof text, ctx);
    snprintf(times, sizeof times, "%s=1e-06 %s=0.001 %s=0.002", refused, tuned, heuristic);
    layer_line(line, sizeof line, &d, in, times);
    strcat(text, line);
    snprintf(path, sizeof path, "%s/db.txt", dir);
    write_file(path, text);
    ck_assert_int_eq(clconv_context_load_tuning(ctx, path), CLCONV_SUCCESS);

    setenv("CLCONV_VERBOSE", "1", 1);
    int saved;
    char errpath[128], log[65536];
    capture_stderr_begin(&saved, errpath, sizeof errpath);
    const char *exact = auto_variant(ctx, &d, in);
    const char *nearest = auto_variant(ctx, &near, near_in);
    /* too far (distance > 3): the cost model */
    clconv_desc far = d;
    far.in_channels = 128;
    far.out_channels = 128;
    const int far_in[4] = {1, 128, 24, 24};
    const char *far_choice = auto_variant(ctx, &far, far_in);
    /* not comparable (5x5 kernel): the cost model */
    clconv_desc other = d;
    other.kernel_h = other.kernel_w = 5;
    other.pad_top = other.pad_bottom = other.pad_left = other.pad_right = 2;
    const char *other_choice = auto_variant(ctx, &other, in);
    /* forcing wins over the database: an algorithm, a variant */
    const clconv_algo heuristic_algo = clconv_variant_get_algo(heuristic);
    const char *forced_algo = chosen_variant(ctx, &d, in, heuristic_algo);
    clconv_plan *plan = NULL;
    ck_assert_int_eq(clconv_plan_create_variant(ctx, &d, in, heuristic, &plan), CLCONV_SUCCESS);
    const char *forced = clconv_plan_get_variant_name(plan);
    clconv_plan_destroy(plan);
    capture_stderr_end(saved, errpath, log, sizeof log);
    unsetenv("CLCONV_VERBOSE");

    ck_assert_str_eq(exact, tuned);
    ck_assert_str_eq(nearest, tuned);
    ck_assert_str_eq(far_choice, auto_variant(plain, &far, far_in));
    ck_assert_str_eq(other_choice, auto_variant(plain, &other, in));
    ck_assert_str_eq(forced_algo, chosen_variant(plain, &d, in, heuristic_algo));
    ck_assert_str_eq(forced, heuristic);
    char expect[256];
    snprintf(expect, sizeof expect, "tuning database exact match: %s (measured 1 ms)", tuned);
    ck_assert_msg(strstr(log, expect), "%s", log);
    snprintf(expect, sizeof expect, "tuning database nearest shape (distance 1.83");
    ck_assert_msg(strstr(log, expect), "%s", log);
    ck_assert_msg(strstr(log, "closest comparable shape at distance 6.00"), "%s", log);
    ck_assert_msg(strstr(log, "no comparable shape: cost model"), "%s", log);
    clconv_context_destroy(ctx);

    /* an entry whose only variant cannot run the layer leaves the choice to the cost model */
    ctx = new_context();
    header(text, sizeof text, ctx);
    snprintf(times, sizeof times, "%s=1e-06", refused);
    layer_line(line, sizeof line, &d, in, times);
    strcat(text, line);
    write_file(path, text);
    ck_assert_int_eq(clconv_context_load_tuning(ctx, path), CLCONV_SUCCESS);
    ck_assert_str_eq(auto_variant(ctx, &d, in), heuristic);
    clconv_context_destroy(ctx);
    clconv_context_destroy(plain);
}
END_TEST

START_TEST(test_variant_of_other_builds)
{
    const char *elsewhere = elsewhere_variant();
    if (!clconv_algo_available(CLCONV_ALGO_GEMM)) {
        /* without CLBlast, the GEMM variants are known but absent */
        clconv_algo algo;
        ck_assert(clconv_variant_known_elsewhere("gemm.im2col", &algo));
        ck_assert_int_eq(algo, CLCONV_ALGO_GEMM);
        ck_assert_ptr_nonnull(elsewhere);
    }
    if (!elsewhere)
        return; /* this build has every variant */
    clconv_context *plain = new_context(), *ctx = new_context();
    clconv_desc d, near;
    int in[4], near_in[4];
    dense_layers(&d, in, &near, near_in);
    const char *heuristic = auto_variant(plain, &d, in);
    const char *tuned = other_variant(plain, &d, in, &near, near_in, heuristic);
    char text[4096], line[512], times[256], path[128];
    header(text, sizeof text, ctx);
    /* a database made by a build with CLBlast: its GEMM time is the fastest */
    snprintf(times, sizeof times, "%s=0.002 %s=1e-06 %s=0.001", heuristic, elsewhere, tuned);
    layer_line(line, sizeof line, &d, in, times);
    strcat(text, line);
    clconv_device_info info;
    clconv_context_get_device_info(ctx, &info);
    clconv_tuning t;
    char err[512];
    ck_assert_msg(clconv_tuning_parse(text, &info, &t, err, sizeof err), "%s", err);
    ck_assert_uint_eq(t.count, 1);
    ck_assert_int_eq(t.entries[0].count, 3);
    ck_assert_str_eq(t.entries[0].variants[0], elsewhere); /* kept, as written */
    /* and saved again (clconv-tune keeps the entries it does not retune) */
    snprintf(path, sizeof path, "%s/db.txt", dir);
    ck_assert_msg(clconv_tuning_save(&t, path, err, sizeof err), "%s", err);
    clconv_tuning_clear(&t);
    char saved[8192];
    read_file(path, saved, sizeof saved);
    snprintf(times, sizeof times, " %s=1e-06 %s=0.001 %s=0.002\n", elsewhere, tuned, heuristic);
    ck_assert_msg(strstr(saved, times), "%s", saved);
    /* AUTO skips it for the fastest variant this build has */
    ck_assert_int_eq(clconv_context_load_tuning(ctx, path), CLCONV_SUCCESS);
    ck_assert_str_eq(auto_variant(ctx, &d, in), tuned);
    ck_assert_str_eq(auto_variant(ctx, &near, near_in), tuned);
    /* forcing it names the build */
    clconv_plan *plan = NULL;
    ck_assert_int_eq(clconv_plan_create_variant(ctx, &d, in, elsewhere, &plan),
                     CLCONV_ERROR_UNSUPPORTED);
    ck_assert_ptr_null(plan);
    ck_assert_msg(strstr(clconv_last_error(), "not available in this build"), "%s",
                  clconv_last_error());
    clconv_context_destroy(ctx);
    clconv_context_destroy(plain);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tuning");
    TCase *tc = tcase_create("tuning");
    tcase_set_timeout(tc, 0);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_bad_files_ignored);
    tcase_add_test(tc, test_distance);
    tcase_add_test(tc, test_auto_uses_database);
    tcase_add_test(tc, test_variant_of_other_builds);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
