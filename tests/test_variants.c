/* Kernel variants by name: the registry's listing, forcing each variant on a grid of Conv2d and
 * ConvTranspose2d cases (each is declined with a reason naming the variant, or runs it and
 * matches the reference), and the environment's CLCONV_VARIANT. Written against the public
 * API only, so that it holds for whatever variants the registry has. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <clconv.h>

#include "tests/common.h"

/* Every variant must run at least this many cases of the grid: one that declines everything
 * fails. */
enum { MIN_RUNS = 3, MAX_CASES = 96 };

typedef struct vcase {
    char label[48];
    clconv_desc desc;
    int in[4];
} vcase;

/* Hand-picked shapes that the specialised variants take: stride 1 and 2, 1x1, kernel ==
 * stride, depthwise, small maps, transposed upsampling. */
static const test_spec conv_specs[] = {
    /* name, n, cin, h, w, cout, kh, kw, sh, sw, pt, pb, pl, pr, dh, dw, groups, bias, mode */
    {"3x3 s1 c16->32", 1, 16, 10, 10, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0},
    {"3x3 s1 small map c32", 1, 32, 4, 4, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},
    {"3x3 s2 c8->16", 2, 8, 11, 9, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0},
    {"1x1 s1 c24->20", 1, 24, 7, 9, 20, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0},
    {"1x1 s2 c8->12", 1, 8, 9, 9, 12, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0},
    {"1x1 s1 grouped g2 batch 2", 2, 8, 5, 6, 6, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 2, 0, 0, 0, 0},
    {"2x2 s2 (k = stride)", 1, 6, 8, 8, 10, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0},
    {"5x5 s1 padded", 1, 4, 9, 9, 8, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 1, 0, 0},
    {"3x3 dilation 2", 1, 8, 10, 10, 8, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1, 0, 0, 0, 0},
    {"dw 3x3 s1 c32", 1, 32, 12, 12, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 32, 1, 0, 0, 0},
    {"dw 3x3 s2 c16", 2, 16, 13, 11, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 16, 1, 0, 0, 0},
    {"dw 5x5 s2 c8 x2", 1, 8, 12, 12, 16, 5, 5, 2, 2, 2, 2, 2, 2, 1, 1, 8, 0, 0, 0, 0},
    /* several work-group tiles of the local variants, the last ones partial in every
     * dimension (output channels, pixels, reduction; tile rows and columns) */
    {"3x3 s1 c20->72 tiles", 1, 20, 9, 13, 72, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0},
    {"dw 3x3 s1 c3 tiles", 1, 3, 19, 37, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3, 1, 0, 0, 0},
};

static const test_spec tconv_specs[] = {
    /* name, n, cin, h, w, cout, kh, kw, sh, sw, pt, pb, pl, pr, dh, dw, groups, bias, -, op */
    {"t 2x2 s2 (k = stride)", 1, 8, 5, 6, 6, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0},
    {"t 4x4 s2 p1", 1, 8, 6, 6, 8, 4, 4, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0},
    {"t 3x3 s2 p1 op1", 2, 6, 5, 4, 4, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1},
    {"t 3x3 s1 p1", 1, 12, 7, 7, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},
    {"t 1x1 s1", 1, 16, 6, 5, 8, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0},
    {"t 1x1 s1 g4 batch 2", 2, 8, 3, 7, 12, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 4, 0, 0, 0, 0},
    {"t dw 4x4 s2 p1", 1, 8, 6, 6, 8, 4, 4, 2, 2, 1, 1, 1, 1, 1, 1, 8, 1, 0, 0, 0},
    {"t 3x3 s2 g2 c20->68 tiles", 1, 20, 5, 7, 68, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 2, 1, 0, 0, 0},
};

#define COUNT_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const test_spec *conv_spec(const char *name)
{
    for (int i = 0; i < COUNT_OF(conv_specs); i++)
        if (!strcmp(conv_specs[i].name, name))
            return &conv_specs[i];
    ck_abort_msg("no spec %s", name);
    return NULL;
}

static void add_case(vcase *cases, int *n, const char *label, const clconv_desc *d, const int in[4])
{
    ck_assert_int_lt(*n, MAX_CASES);
    vcase *c = &cases[(*n)++];
    snprintf(c->label, sizeof c->label, "%s", label);
    c->desc = *d;
    memcpy(c->in, in, sizeof c->in);
}

/* Float16 cases keep zeros padding; float32 cases that drew another mode take mode instead,
 * where that stays valid (else zeros). Fewer distinct programs per variant keeps the suite's
 * compile time in check. */
static void set_mode(clconv_desc *d, const int in[4], clconv_padding_mode mode)
{
    if (d->kind != CLCONV_CONV2D || d->padding_mode == CLCONV_PADDING_ZEROS)
        return;
    d->padding_mode = d->dtype == CLCONV_FLOAT16 ? CLCONV_PADDING_ZEROS : mode;
    int out[4];
    if (clconv_output_shape(d, in, out) != CLCONV_SUCCESS)
        d->padding_mode = CLCONV_PADDING_ZEROS;
}

/* The grid every variant runs: random cases of both kinds and dtypes, random depthwise ones,
 * and the hand-picked shapes in float32 and float16. Same cases on every run, but for the
 * padding mode other than zeros (mode, see set_mode). */
static int build_grid(vcase *cases, clconv_padding_mode mode)
{
    static const struct {
        const char *name;
        int kind; /* 0 conv2d, 1 conv_transpose2d, 2 depthwise */
        clconv_dtype dtype;
        int count;
    } families[] = {
        {"conv", 0, CLCONV_FLOAT32, 6},  {"conv f16", 0, CLCONV_FLOAT16, 3},
        {"tconv", 1, CLCONV_FLOAT32, 5}, {"tconv f16", 1, CLCONV_FLOAT16, 2},
        {"dw", 2, CLCONV_FLOAT32, 3},    {"dw f16", 2, CLCONV_FLOAT16, 2},
    };
    int n = 0;
    clconv_desc d;
    int in[4];
    char label[48];
    for (int f = 0; f < COUNT_OF(families); f++)
        for (int i = 0; i < families[f].count; i++) {
            test_rng rng;
            test_rng_seed(&rng, 7000u + 100u * (uint64_t)f + (uint64_t)i);
            if (families[f].kind == 0)
                test_random_conv2d(&rng, families[f].dtype, &d, in);
            else if (families[f].kind == 1)
                test_random_conv_transpose2d(&rng, families[f].dtype, &d, in);
            else
                test_random_depthwise(&rng, families[f].dtype, &d, in);
            set_mode(&d, in, mode);
            snprintf(label, sizeof label, "random %s %d", families[f].name, i);
            add_case(cases, &n, label, &d, in);
        }
    for (int half = 0; half < 2; half++) {
        const clconv_dtype dt = half ? CLCONV_FLOAT16 : CLCONV_FLOAT32;
        for (int i = 0; i < COUNT_OF(conv_specs); i++) {
            test_spec_desc(&conv_specs[i], CLCONV_CONV2D, dt, &d, in);
            set_mode(&d, in, mode);
            snprintf(label, sizeof label, "%s%s", conv_specs[i].name, half ? " f16" : "");
            add_case(cases, &n, label, &d, in);
        }
        for (int i = 0; i < COUNT_OF(tconv_specs); i++) {
            test_spec_desc(&tconv_specs[i], CLCONV_CONV_TRANSPOSE2D, dt, &d, in);
            snprintf(label, sizeof label, "%s%s", tconv_specs[i].name, half ? " f16" : "");
            add_case(cases, &n, label, &d, in);
        }
    }
    return n;
}

/* The environment variables the tests change, as the suite found them: a checked teardown
 * puts them back after every test, failed ones included (one process runs them all). */
static char *initial_variant, *initial_algo;

static char *copy_env(const char *name)
{
    const char *v = getenv(name);
    return v ? strdup(v) : NULL;
}

static void put_env(const char *name, const char *value)
{
    if (value)
        setenv(name, value, 1);
    else
        unsetenv(name);
}

static void env_restore(void)
{
    put_env("CLCONV_VARIANT", initial_variant);
    put_env("CLCONV_ALGO", initial_algo);
}

/* Whether a decline message ends in a reason (not in the "...: " of an empty one). */
static bool has_reason(const char *msg)
{
    size_t n = strlen(msg);
    return n > 0 && msg[n - 1] != ' ' && msg[n - 1] != ':';
}

START_TEST(test_variant_listing)
{
    const int count = clconv_variant_count();
    ck_assert_int_ge(count, 1);
    ck_assert_ptr_null(clconv_variant_name(-1));
    ck_assert_ptr_null(clconv_variant_name(count));
    ck_assert_ptr_null(clconv_variant_name(INT_MIN));
    ck_assert_ptr_null(clconv_variant_name(INT_MAX));
    ck_assert_int_eq(clconv_variant_get_algo(NULL), CLCONV_ALGO_AUTO);
    ck_assert_int_eq(clconv_variant_get_algo(""), CLCONV_ALGO_AUTO);
    ck_assert_int_eq(clconv_variant_get_algo("no-such-variant"), CLCONV_ALGO_AUTO);
    ck_assert_ptr_null(clconv_plan_get_variant_name(NULL));
    bool algo_has_variant[CLCONV_ALGO_COUNT_] = {false};
    for (int i = 0; i < count; i++) {
        const char *name = clconv_variant_name(i);
        ck_assert_ptr_nonnull(name);
        for (int j = 0; j < i; j++)
            ck_assert_msg(strcmp(name, clconv_variant_name(j)) != 0, "variant %s listed twice",
                          name);
        const clconv_algo algo = clconv_variant_get_algo(name);
        ck_assert_msg(algo > CLCONV_ALGO_AUTO && algo < CLCONV_ALGO_COUNT_,
                      "variant %s: algorithm %d", name, (int)algo);
        ck_assert_msg(clconv_algo_available(algo), "variant %s: its algorithm %s is not available",
                      name, clconv_algo_name(algo));
        algo_has_variant[algo] = true;
        /* "algo.kernel_tile": the prefix is the algorithm's name */
        const char *prefix = clconv_algo_name(algo);
        const size_t len = strlen(prefix);
        const bool dotted = !strncmp(name, prefix, len) && name[len] == '.' && name[len + 1];
        ck_assert_msg(dotted, "variant %s: not named \"%s.<kernel>\"", name, prefix);
        /* names go in comma lists (clconv-verify --variant) and the environment */
        for (const char *c = name; *c; c++)
            ck_assert_msg(*c > ' ' && *c < 127 && *c != ',', "variant \"%s\": character '%c'", name,
                          *c);
    }
    for (int a = CLCONV_ALGO_AUTO + 1; a < CLCONV_ALGO_COUNT_; a++)
        ck_assert_msg(algo_has_variant[a] == (clconv_algo_available((clconv_algo)a) != 0),
                      "algorithm %s: available %d, has variants %d",
                      clconv_algo_name((clconv_algo)a), clconv_algo_available((clconv_algo)a),
                      algo_has_variant[a]);
}
END_TEST

START_TEST(test_bad_names)
{
    clconv_context *ctx = test_context();
    ck_assert_ptr_nonnull(ctx);
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 4, 4, 3, 3);
    const int in[4] = {1, 4, 6, 6};
    const char *name = clconv_variant_name(0);
    clconv_plan *const sentinel = (clconv_plan *)(uintptr_t)0x1;
    static const char *const unknown[] = {"no-such-variant", "", "auto", "tiled.no_such_tile"};
    for (int i = 0; i < COUNT_OF(unknown); i++) {
        clconv_plan *plan = sentinel;
        clconv_status st = clconv_plan_create_variant(ctx, &d, in, unknown[i], &plan);
        ck_assert_msg(st == CLCONV_ERROR_INVALID_ARGUMENT, "\"%s\": %s", unknown[i],
                      clconv_status_name(st));
        ck_assert_msg(strstr(clconv_last_error(), unknown[i]) && strstr(clconv_last_error(), "\""),
                      "\"%s\": message \"%s\"", unknown[i], clconv_last_error());
        ck_assert_ptr_nonnull(strstr(clconv_context_last_error(ctx), "unknown"));
        ck_assert_ptr_eq(plan, sentinel);
    }
    clconv_plan *plan = sentinel;
    ck_assert_int_eq(clconv_plan_create_variant(ctx, &d, in, NULL, &plan),
                     CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(clconv_last_error(), "variant"), "message \"%s\"", clconv_last_error());
    ck_assert_ptr_eq(plan, sentinel);
    /* a known name does not excuse the other arguments */
    ck_assert_int_eq(clconv_plan_create_variant(NULL, &d, in, name, &plan),
                     CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(clconv_plan_create_variant(ctx, &d, in, name, NULL),
                     CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(clconv_plan_create_variant(ctx, NULL, in, name, &plan),
                     CLCONV_ERROR_INVALID_ARGUMENT);
    d.stride_h = 0;
    ck_assert_int_eq(clconv_plan_create_variant(ctx, &d, in, name, &plan),
                     CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(clconv_last_error(), "stride_h"), "message \"%s\"", clconv_last_error());
    ck_assert_ptr_eq(plan, sentinel);
}
END_TEST

/* An AUTO plan of case c: the variant CLCONV_VARIANT forces, or the decline naming it. */
static void check_env_forcing(clconv_context *ctx, const char *name, const vcase *accepted,
                              const vcase *declined)
{
    setenv("CLCONV_VARIANT", name, 1);
    unsetenv("CLCONV_ALGO");
    clconv_plan *plan = NULL;
    if (accepted) {
        clconv_status st =
            clconv_plan_create(ctx, &accepted->desc, accepted->in, CLCONV_ALGO_AUTO, &plan);
        ck_assert_msg(st == CLCONV_SUCCESS, "CLCONV_VARIANT=%s, %s: %s", name, accepted->label,
                      clconv_last_error());
        ck_assert_str_eq(clconv_plan_get_variant_name(plan), name);
        clconv_plan_destroy(plan);
        /* CLCONV_VARIANT wins over CLCONV_ALGO */
        const clconv_algo other = clconv_variant_get_algo(name) == CLCONV_ALGO_DIRECT
                                      ? CLCONV_ALGO_TILED
                                      : CLCONV_ALGO_DIRECT;
        setenv("CLCONV_ALGO", clconv_algo_name(other), 1);
        st = clconv_plan_create(ctx, &accepted->desc, accepted->in, CLCONV_ALGO_AUTO, &plan);
        ck_assert_msg(st == CLCONV_SUCCESS, "CLCONV_VARIANT=%s CLCONV_ALGO=%s, %s: %s", name,
                      clconv_algo_name(other), accepted->label, clconv_last_error());
        ck_assert_str_eq(clconv_plan_get_variant_name(plan), name);
        clconv_plan_destroy(plan);
        /* forcing by argument reads neither variable */
        setenv("CLCONV_VARIANT", "no-such-variant", 1);
        setenv("CLCONV_ALGO", "no-such-algo", 1);
        st = clconv_plan_create_variant(ctx, &accepted->desc, accepted->in, name, &plan);
        ck_assert_msg(st == CLCONV_SUCCESS, "%s with a bad environment, %s: %s", name,
                      accepted->label, clconv_last_error());
        ck_assert_str_eq(clconv_plan_get_variant_name(plan), name);
        clconv_plan_destroy(plan);
        setenv("CLCONV_VARIANT", name, 1);
        unsetenv("CLCONV_ALGO");
    }
    if (declined) {
        plan = (clconv_plan *)(uintptr_t)0x1;
        clconv_status st =
            clconv_plan_create(ctx, &declined->desc, declined->in, CLCONV_ALGO_AUTO, &plan);
        ck_assert_msg(st == CLCONV_ERROR_UNSUPPORTED, "CLCONV_VARIANT=%s, %s: %s", name,
                      declined->label, clconv_status_name(st));
        const char *msg = clconv_last_error();
        ck_assert_msg(strstr(msg, name) && strstr(msg, "from CLCONV_VARIANT"),
                      "CLCONV_VARIANT=%s, %s: message \"%s\"", name, declined->label, msg);
        ck_assert_ptr_eq(plan, (clconv_plan *)(uintptr_t)0x1);
    }
    env_restore();
}

/* Whether $CLCONV_TEST_VARIANTS (a comma list of names, for working on a few variants)
 * leaves name out of the grid; unset or empty: nothing is left out. */
static bool left_out(const char *name)
{
    const char *only = getenv("CLCONV_TEST_VARIANTS");
    if (!only || !*only)
        return false;
    const size_t len = strlen(name);
    for (const char *p = only; *p;) {
        const char *end = strchr(p, ',');
        const size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == len && !strncmp(p, name, len))
            return false;
        p += n + (end ? 1 : 0);
    }
    return true;
}

/* The epilogue cases of a variant: every activation once, on cases of the grid it ran
 * (float32 for even activations, float16 for odd ones where it runs any), each with a residual
 * in its own buffer, in the output buffer itself, or none, and set weights or not, so that
 * every pairing of residual kind, set weights and dtype occurs. One program per activation
 * keeps the compile time (and Oclgrind's) in check. */
static void run_epilogues(clconv_context *ctx, const char *name, const vcase *const *ran32, int n32,
                          const vcase *const *ran16, int n16, int *failed, char *failures,
                          size_t size)
{
    for (int k = 0; k < CLCONV_ACTIVATION_COUNT_; k++) {
        const bool f16 = (k & 1) && n16 > 0;
        const int n = f16 ? n16 : n32;
        if (!n)
            continue;
        const vcase *c = (f16 ? ran16 : ran32)[(k / 2) % n];
        clconv_desc d = c->desc;
        test_set_activation(&d, (clconv_activation)k);
        const int residual = (k + 1) % 3; /* 0 none, 1 separate, 2 in place */
        d.residual = residual != 0;
        const test_run_options o = {residual == 2, (k / 2) % 2 == 1};
        test_outcome r;
        if (test_run_variant_with(ctx, &d, c->in, name, 9500u + (uint64_t)k, &o, &r))
            continue;
        const size_t used = strlen(failures);
        if (++*failed <= 6 && used < size) {
            char what[300];
            test_describe(&d, c->in, what, sizeof what);
            snprintf(failures + used, size - used, "\n  %s, %s%s%s [%s]: %s", c->label,
                     clconv_activation_name(d.activation),
                     residual == 1   ? ", residual"
                     : residual == 2 ? ", residual in place"
                                     : "",
                     o.set_weights ? ", set weights" : "", what, r.message);
        }
    }
}

/* Variant _i of the registry on the whole grid. */
START_TEST(test_variant_grid)
{
    clconv_context *ctx = test_context();
    ck_assert_ptr_nonnull(ctx);
    const char *name = clconv_variant_name(_i);
    ck_assert_ptr_nonnull(name);
    if (left_out(name)) {
        printf("%-28s left out (CLCONV_TEST_VARIANTS)\n", name);
        return;
    }
    const clconv_algo algo = clconv_variant_get_algo(name);
    /* the registry's consecutive variants (a family's tiles) cover every padding mode */
    static const clconv_padding_mode modes[] = {CLCONV_PADDING_REFLECT, CLCONV_PADDING_REPLICATE,
                                                CLCONV_PADDING_CIRCULAR};
    static vcase cases[MAX_CASES];
    const int n = build_grid(cases, modes[_i % 3]);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int ran = 0, declined = 0, failed = 0;
    const vcase *first_ran = NULL, *first_declined = NULL;
    const vcase *ran32[MAX_CASES], *ran16[MAX_CASES];
    int n32 = 0, n16 = 0;
    char failures[4096] = "";
    size_t used = 0;
    for (int i = 0; i < n; i++) {
        const vcase *c = &cases[i];
        test_outcome r;
        bool ok = test_run_variant_on(ctx, &c->desc, c->in, name, 9000u + (uint64_t)i, &r);
        char why[600] = "";
        if (ok && r.algo != algo)
            snprintf(why, sizeof why, "the plan ran algorithm %s, not %s", clconv_algo_name(r.algo),
                     clconv_algo_name(algo));
        else if (ok)
            ran++;
        else if (r.status == CLCONV_ERROR_UNSUPPORTED) {
            const char *msg = clconv_context_last_error(ctx);
            if (!strstr(msg, name) || !has_reason(msg))
                snprintf(why, sizeof why, "declined without a reason naming it: \"%s\"", msg);
            else
                declined++;
            if (!first_declined)
                first_declined = c;
        } else {
            snprintf(why, sizeof why, "%s", r.message);
        }
        if (ok && !first_ran && !why[0])
            first_ran = c;
        if (ok && !why[0] && c->desc.dtype == CLCONV_FLOAT16)
            ran16[n16++] = c;
        else if (ok && !why[0])
            ran32[n32++] = c;
        if (!why[0])
            continue;
        if (++failed <= 6 && used < sizeof failures) {
            char what[300];
            test_describe(&c->desc, c->in, what, sizeof what);
            int w = snprintf(failures + used, sizeof failures - used, "\n  %s [%s]: %s", c->label,
                             what, why);
            used = w > 0 ? used + (size_t)w : used;
        }
    }
    run_epilogues(ctx, name, ran32, n32, ran16, n16, &failed, failures, sizeof failures);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%-28s ran %2d, declined %2d of %d cases (padding %s) + %d epilogues, %.1f s\n", name,
           ran, declined, n,
           modes[_i % 3] == CLCONV_PADDING_REFLECT     ? "reflect"
           : modes[_i % 3] == CLCONV_PADDING_REPLICATE ? "replicate"
                                                       : "circular",
           CLCONV_ACTIVATION_COUNT_,
           (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
    fflush(stdout);
    ck_assert_msg(!failed, "%s: %d of %d cases failed:%s", name, failed, n, failures);
    ck_assert_msg(ran >= MIN_RUNS, "%s ran only %d of %d cases (at least %d expected)", name, ran,
                  n, MIN_RUNS);
    check_env_forcing(ctx, name, first_ran, first_declined);
}
END_TEST

/* An explicit algorithm ignores CLCONV_VARIANT (it is read only for AUTO plans). */
START_TEST(test_explicit_algo_ignores_env)
{
    clconv_context *ctx = test_context();
    ck_assert_ptr_nonnull(ctx);
    unsetenv("CLCONV_ALGO");
    clconv_desc dense, dw;
    int in_dense[4], in_dw[4];
    test_spec_desc(conv_spec("3x3 s1 c16->32"), CLCONV_CONV2D, CLCONV_FLOAT32, &dense, in_dense);
    test_spec_desc(conv_spec("dw 3x3 s1 c32"), CLCONV_CONV2D, CLCONV_FLOAT32, &dw, in_dw);
    ck_assert_int_eq(dw.groups, dw.in_channels);
    const char *bad = "no-such-variant";
    for (int v = -1; v < clconv_variant_count(); v++) {
        const char *env = v < 0 ? bad : clconv_variant_name(v);
        setenv("CLCONV_VARIANT", env, 1);
        for (int a = CLCONV_ALGO_AUTO + 1; a < CLCONV_ALGO_COUNT_; a++) {
            if (!clconv_algo_available((clconv_algo)a))
                continue;
            int made = 0;
            for (int k = 0; k < 2; k++) {
                clconv_plan *plan = NULL;
                clconv_status st = clconv_plan_create(ctx, k ? &dw : &dense, k ? in_dw : in_dense,
                                                      (clconv_algo)a, &plan);
                if (st == CLCONV_SUCCESS) {
                    ck_assert_int_eq(clconv_plan_get_algo(plan), a);
                    ck_assert_int_eq(clconv_variant_get_algo(clconv_plan_get_variant_name(plan)),
                                     a);
                    made++;
                } else {
                    ck_assert_msg(st == CLCONV_ERROR_UNSUPPORTED &&
                                      !strstr(clconv_last_error(), "CLCONV_VARIANT"),
                                  "algo %s with CLCONV_VARIANT=%s: %s: %s",
                                  clconv_algo_name((clconv_algo)a), env, clconv_status_name(st),
                                  clconv_last_error());
                }
                clconv_plan_destroy(plan);
            }
            ck_assert_msg(made > 0, "algo %s with CLCONV_VARIANT=%s: no plan for either case",
                          clconv_algo_name((clconv_algo)a), env);
        }
    }
    /* AUTO reads it: an unknown name is an invalid argument that names it */
    setenv("CLCONV_VARIANT", bad, 1);
    clconv_plan *plan = NULL;
    ck_assert_int_eq(clconv_plan_create(ctx, &dense, in_dense, CLCONV_ALGO_AUTO, &plan),
                     CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(clconv_last_error(), bad) && strstr(clconv_last_error(), "CLCONV_VARIANT"),
                  "message \"%s\"", clconv_last_error());
    ck_assert_ptr_null(plan);
    /* empty is unset */
    setenv("CLCONV_VARIANT", "", 1);
    ck_assert_msg(clconv_plan_create(ctx, &dense, in_dense, CLCONV_ALGO_AUTO, &plan) ==
                      CLCONV_SUCCESS,
                  "%s", clconv_last_error());
    clconv_plan_destroy(plan);
    env_restore();
}
END_TEST

static Suite *variants_suite(void)
{
    Suite *s = suite_create("variants");
    initial_variant = copy_env("CLCONV_VARIANT");
    initial_algo = copy_env("CLCONV_ALGO");
    TCase *names = tcase_create("names");
    tcase_set_timeout(names, 0);
    tcase_add_checked_fixture(names, NULL, env_restore);
    tcase_add_test(names, test_variant_listing);
    tcase_add_test(names, test_bad_names);
    tcase_add_test(names, test_explicit_algo_ignores_env);
    suite_add_tcase(s, names);
    TCase *grid = tcase_create("grid");
    tcase_set_timeout(grid, 0);
    tcase_add_checked_fixture(grid, NULL, env_restore);
    tcase_add_loop_test(grid, test_variant_grid, 0, clconv_variant_count());
    suite_add_tcase(s, grid);
    return s;
}

/* One process: the variants share the context's program cache (and CLBlast its kernels). */
TEST_MAIN(variants_suite, CK_NOFORK)
