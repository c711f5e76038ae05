/* clconv-verify: a self-check of clconv on a device. Runs randomized layers of several case
 * families with every algorithm (and AUTO), or with kernel variants forced by name, and
 * compares each output with the CPU reference; prints a pass/fail table per algorithm or
 * variant and family and the worst error, and exits non-zero when any case fails. The
 * generators and the comparison are the test suites' own (tests/common.c), so a pass here
 * means what a pass of the suites means. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <clconv.h>

#include "harness/harness.h"
#include "tools/tool-util.h"

enum { FAM_CONV, FAM_CONV_F16, FAM_TCONV, FAM_TCONV_F16, FAM_DEPTHWISE, FAM_WIDE, NFAM };
static const char *const family_names[NFAM] = {"conv2d",    "conv2d-f16", "tconv",
                                               "tconv-f16", "depthwise",  "wide"};

/* One case of a family from rng. */
static void family_case(int family, test_rng *rng, clconv_desc *d, int in[4])
{
    switch (family) {
    case FAM_CONV:
    case FAM_CONV_F16:
        test_random_conv2d(rng, family == FAM_CONV ? CLCONV_FLOAT32 : CLCONV_FLOAT16, d, in);
        break;
    case FAM_TCONV:
    case FAM_TCONV_F16:
        test_random_conv_transpose2d(rng, family == FAM_TCONV ? CLCONV_FLOAT32 : CLCONV_FLOAT16, d,
                                     in);
        break;
    case FAM_DEPTHWISE: {
        /* a random Conv2d made depthwise: groups = channels, depth multiplier 1-3 */
        test_random_conv2d(rng, CLCONV_FLOAT32, d, in);
        int c = test_rng_range(rng, 1, 16);
        d->in_channels = d->groups = in[1] = c;
        d->out_channels = c * test_rng_range(rng, 1, 3);
        break;
    }
    default: {
        /* dense layers with more channels, where the blocked and GEMM paths do real work */
        static const int kernels[] = {1, 3, 3, 5};
        int k = kernels[test_rng_range(rng, 0, 3)];
        clconv_desc_init(d, CLCONV_CONV2D, test_rng_range(rng, 8, 48), test_rng_range(rng, 8, 48),
                         k, k);
        d->stride_h = d->stride_w = test_rng_range(rng, 1, 2);
        d->pad_top = d->pad_bottom = d->pad_left = d->pad_right = k / 2;
        d->bias = test_rng_range(rng, 0, 1);
        in[0] = test_rng_range(rng, 1, 2);
        in[1] = d->in_channels;
        in[2] = test_rng_range(rng, 8, 20);
        in[3] = test_rng_range(rng, 8, 20);
        break;
    }
    }
}

typedef struct cell {
    int run, passed, unsupported;
} cell;

/* One row of the table: AUTO or a forced algorithm, or a forced variant. */
typedef struct row {
    const char *label;
    clconv_algo algo;    /* run when variant is NULL */
    const char *variant; /* forced by name, or NULL */
    cell cells[NFAM];
} row;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: clconv-verify [--count N] [--seed S] [--device SPEC] [--algo NAME[,NAME...]]\n"
            "                     [--variant NAME[,NAME...]|all] [--family NAME[,NAME...]]\n"
            "                     [--verbose]\n"
            "       clconv-verify --list-variants\n"
            "Runs N random cases (default 10) of each family (conv2d, conv2d-f16, tconv,\n"
            "tconv-f16, depthwise, wide) with each algorithm (default: auto and every algorithm\n"
            "of this build) and compares with the CPU reference. --variant forces kernel\n"
            "variants by name instead (one row each; 'all': every variant of this build; add\n"
            "--algo to get algorithm rows too); a forced algorithm or variant may decline a\n"
            "layer, which is counted apart, not as a failure. --list-variants prints the\n"
            "variant names of this build, one per line. With CLCONV_VARIANT or CLCONV_ALGO set,\n"
            "the auto row runs what they force, and its declined layers are counted as such.\n"
            "  --count N      cases per family (default 10)\n"
            "  --seed S       seed of the case generator (default 1)\n"
            "  --device SPEC  the device (as CLCONV_DEVICE)\n"
            "  --verbose      one line per case\n"
            "  --help         this text\n"
            "  --version      print the version\n"
            "Exit status: 0 all passed, 1 a case failed or the output could not be written,\n"
            "2 usage or device error.\n");
}

/* Parses a comma list of names with lookup(); false on an unknown name. all_ok: the word
 * "all" chooses every name (the variant list). */
static bool parse_list(const char *arg, bool *chosen, int n, int (*lookup)(const char *),
                       bool all_ok)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", arg) >= (int)sizeof buf) {
        fprintf(stderr, "clconv-verify: list too long\n");
        return false;
    }
    for (int i = 0; i < n; i++)
        chosen[i] = false;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        if (all_ok && !strcmp(tok, "all")) {
            for (int i = 0; i < n; i++)
                chosen[i] = true;
            continue;
        }
        int v = lookup(tok);
        if (v < 0 || v >= n) {
            fprintf(stderr, "clconv-verify: unknown name '%s'%s\n", tok,
                    all_ok ? " (--list-variants lists the variants)" : "");
            return false;
        }
        chosen[v] = true;
    }
    return true;
}

static int algo_lookup(const char *name)
{
    clconv_algo a;
    return clconv_algo_from_name(name, &a) == CLCONV_SUCCESS ? (int)a : -1;
}

static int variant_lookup(const char *name)
{
    for (int i = 0; i < clconv_variant_count(); i++)
        if (!strcmp(name, clconv_variant_name(i)))
            return i;
    return -1;
}

static int family_lookup(const char *name)
{
    for (int i = 0; i < NFAM; i++)
        if (!strcmp(name, family_names[i]))
            return i;
    return -1;
}

static bool parse_count(const char *s, long lo, long hi, long *v)
{
    char *end;
    long x = strtol(s, &end, 10);
    if (!*s || *end || x < lo || x > hi)
        return false;
    *v = x;
    return true;
}

static const char *env_set(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* What the environment forces on AUTO plans (select.c): CLCONV_VARIANT, else CLCONV_ALGO
 * unless "auto". Writes the text for the note into what; false when nothing is forced. */
static bool env_forces_auto(char *what, size_t size, const char **env_variant)
{
    *env_variant = env_set("CLCONV_VARIANT");
    const char *env_algo = env_set("CLCONV_ALGO");
    if (*env_variant)
        snprintf(what, size, "CLCONV_VARIANT=%s", *env_variant);
    else if (env_algo && strcasecmp(env_algo, "auto") != 0)
        snprintf(what, size, "CLCONV_ALGO=%s", env_algo);
    else
        return false;
    return true;
}

/* What every case of the sweep shares. */
typedef struct sweep {
    clconv_context *ctx;
    bool auto_forced;        /* the environment forces AUTO plans: their declines are declines */
    const char *env_variant; /* CLCONV_VARIANT, which AUTO plans must then run */
    bool verbose;
    int failures;
    double worst;
    char worst_what[600];
} sweep;

/* Runs one case on one row, counts it in the row's cell and reports it. */
static void run_row(sweep *sw, row *rw, int f, long c, const clconv_desc *d, const int in[4],
                    uint64_t data_seed, const char *what)
{
    test_outcome r;
    bool ok = rw->variant ? test_run_variant_on(sw->ctx, d, in, rw->variant, data_seed, &r)
                          : test_run_case_on(sw->ctx, d, in, rw->algo, data_seed, &r);
    const bool is_auto = !rw->variant && rw->algo == CLCONV_ALGO_AUTO;
    if (ok && is_auto && sw->env_variant &&
        (!r.variant || strcmp(r.variant, sw->env_variant) != 0)) {
        snprintf(r.message, sizeof r.message, "the plan ran variant %s, not %s (CLCONV_VARIANT)",
                 r.variant ? r.variant : "(null)", sw->env_variant);
        ok = false;
    }
    cell *cl = &rw->cells[f];
    /* a forced algorithm or variant may decline a layer; AUTO only when the environment
     * forces it */
    if (!ok && r.status == CLCONV_ERROR_UNSUPPORTED && (!is_auto || sw->auto_forced)) {
        cl->unsupported++;
        if (sw->verbose)
            printf("n/a  %s %s #%ld: %s\n     %s\n", rw->label, family_names[f], c, what,
                   r.message);
        return;
    }
    cl->run++;
    if (ok)
        cl->passed++;
    if (r.status == CLCONV_SUCCESS && r.worst_ratio > sw->worst) {
        sw->worst = r.worst_ratio;
        snprintf(sw->worst_what, sizeof sw->worst_what, "%s, %s: %s", r.variant ? r.variant : "?",
                 family_names[f], what);
    }
    if (!ok) {
        sw->failures++;
        printf("FAIL %s %s #%ld: %s\n     %s\n", rw->label, family_names[f], c, what, r.message);
    } else if (sw->verbose) {
        printf("ok   %s %s #%ld (%s): error %.3f x tolerance: %s\n", rw->label, family_names[f], c,
               r.variant ? r.variant : "?", r.worst_ratio, what);
    }
    fflush(stdout);
}

static void print_table(const row *rows, int nrows, const bool *families, bool any_variant,
                        bool any_algo)
{
    const char *title = any_variant ? (any_algo ? "algo/variant" : "variant") : "algorithm";
    int width = (int)strlen(title);
    for (int i = 0; i < nrows; i++)
        if ((int)strlen(rows[i].label) > width)
            width = (int)strlen(rows[i].label);
    printf("\n%-*s", width, title);
    for (int f = 0; f < NFAM; f++)
        if (families[f])
            printf(" %-16s", family_names[f]);
    printf("\n");
    for (int i = 0; i < nrows; i++) {
        printf("%-*s", width, rows[i].label);
        for (int f = 0; f < NFAM; f++) {
            if (!families[f])
                continue;
            const cell *cl = &rows[i].cells[f];
            char text[64];
            if (!cl->run)
                snprintf(text, sizeof text, "n/a (%d)", cl->unsupported);
            else
                snprintf(text, sizeof text, "%s %d/%d%s", cl->passed == cl->run ? "ok" : "FAIL",
                         cl->passed, cl->run, cl->unsupported ? "+" : "");
            printf(" %-16s", text);
        }
        printf("\n");
    }
    printf("(passed/run; '+': some layers declined as unsupported by the forced %s; "
           "n/a (k): all k declined)\n",
           any_variant ? (any_algo ? "algorithm or variant" : "variant") : "algorithm");
}

/* Reads the options into the row list; returns -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv, bool *variants, row *rows, int *nrows,
                         bool *families, long *count, long *seed, const char **device,
                         bool *verbose, bool *any_variant, bool *any_algo)
{
    const int nvariants = clconv_variant_count();
    bool algos[CLCONV_ALGO_COUNT_], algo_given = false, variant_given = false, list = false;
    for (int a = 0; a < CLCONV_ALGO_COUNT_; a++)
        algos[a] = a == CLCONV_ALGO_AUTO || clconv_algo_available((clconv_algo)a);
    for (int f = 0; f < NFAM; f++)
        families[f] = true;
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        bool ok = true;
        if (tool_standard_option(opt, "clconv-verify", usage)) {
            return 0;
        } else if (!strcmp(opt, "--verbose") || !strcmp(opt, "-v")) {
            *verbose = true;
            continue;
        } else if (!strcmp(opt, "--list-variants")) {
            list = true;
            continue;
        } else if (!val) {
            ok = false;
        } else if (!strcmp(opt, "--count")) {
            ok = parse_count(val, 1, 100000, count);
        } else if (!strcmp(opt, "--seed")) {
            ok = parse_count(val, 0, 0x7fffffffL, seed);
        } else if (!strcmp(opt, "--device")) {
            *device = val;
        } else if (!strcmp(opt, "--algo")) {
            ok = parse_list(val, algos, CLCONV_ALGO_COUNT_, algo_lookup, false);
            algo_given = true;
        } else if (!strcmp(opt, "--variant")) {
            ok = parse_list(val, variants, nvariants, variant_lookup, true);
            variant_given = true;
        } else if (!strcmp(opt, "--family")) {
            ok = parse_list(val, families, NFAM, family_lookup, false);
        } else {
            ok = false;
        }
        if (!ok) {
            fprintf(stderr, "clconv-verify: bad option or value: %s %s\n", opt, val ? val : "");
            usage(stderr);
            return 2;
        }
        i++;
    }
    if (list) {
        for (int v = 0; v < nvariants; v++)
            printf("%s\n", clconv_variant_name(v));
        return 0;
    }
    /* --variant alone: variant rows only */
    if (variant_given && !algo_given)
        for (int a = 0; a < CLCONV_ALGO_COUNT_; a++)
            algos[a] = false;
    *nrows = 0;
    for (int a = 0; a < CLCONV_ALGO_COUNT_; a++) {
        if (!algos[a])
            continue;
        if (a != CLCONV_ALGO_AUTO && !clconv_algo_available((clconv_algo)a)) {
            fprintf(stderr, "clconv-verify: algorithm '%s' is not in this build\n",
                    clconv_algo_name((clconv_algo)a));
            return 2;
        }
        rows[(*nrows)++] = (row){clconv_algo_name((clconv_algo)a), (clconv_algo)a, NULL, {{0}}};
    }
    for (int v = 0; v < nvariants; v++)
        if (variants[v])
            rows[(*nrows)++] =
                (row){clconv_variant_name(v), CLCONV_ALGO_AUTO, clconv_variant_name(v), {{0}}};
    bool any_family = false;
    for (int f = 0; f < NFAM; f++)
        any_family |= families[f];
    if (!*nrows || !any_family) {
        fprintf(stderr, "clconv-verify: nothing to run (empty --algo, --variant or --family)\n");
        return 2;
    }
    *any_variant = variant_given;
    *any_algo = !variant_given || algo_given;
    return -1;
}

int main(int argc, char **argv)
{
    long count = 10, seed = 1;
    const char *device = NULL;
    bool families[NFAM], verbose = false, any_variant = false, any_algo = false;
    const int nvariants = clconv_variant_count();
    bool *variants = calloc((size_t)nvariants + 1, sizeof *variants);
    row *rows = calloc((size_t)(CLCONV_ALGO_COUNT_ + nvariants), sizeof *rows);
    int nrows = 0, status = 2;
    sweep sw = {0};
    if (!variants || !rows) {
        fprintf(stderr, "clconv-verify: out of memory\n");
        goto out;
    }
    status = parse_options(argc, argv, variants, rows, &nrows, families, &count, &seed, &device,
                           &verbose, &any_variant, &any_algo);
    if (status >= 0)
        goto out;
    status = 2;
    char forced_by[300] = "";
    sw.verbose = verbose;
    sw.auto_forced = !rows[0].variant && rows[0].algo == CLCONV_ALGO_AUTO &&
                     env_forces_auto(forced_by, sizeof forced_by, &sw.env_variant);
    if (sw.auto_forced && sw.env_variant && variant_lookup(sw.env_variant) < 0) {
        fprintf(stderr,
                "clconv-verify: CLCONV_VARIANT = \"%s\" is not a variant of this build "
                "(--list-variants lists them)\n",
                sw.env_variant);
        goto out;
    }
    if (clconv_context_create(device, &sw.ctx) != CLCONV_SUCCESS) {
        fprintf(stderr, "clconv-verify: no context: %s\n", clconv_last_error());
        goto out;
    }
    clconv_device_info info;
    clconv_context_get_device_info(sw.ctx, &info);
    printf("clconv-verify %s: device \"%s\" (%s, driver %s), seed %ld, %ld cases per family\n",
           CLCONV_VERSION_STRING, info.device_name, info.platform_name, info.driver_version, seed,
           count);
    if (sw.auto_forced)
        printf("note: %s in the environment forces the auto row; the layers it declines are "
               "counted as declined\n",
               forced_by);

    for (int f = 0; f < NFAM; f++) {
        if (!families[f])
            continue;
        test_rng rng;
        test_rng_seed(&rng, (uint64_t)seed * 131 + (uint64_t)f);
        for (long c = 0; c < count; c++) {
            clconv_desc d;
            int in[4];
            family_case(f, &rng, &d, in);
            uint64_t data_seed = (uint64_t)seed * 1000003u + (uint64_t)f * 7919u + (uint64_t)c;
            char what[400];
            test_describe(&d, in, what, sizeof what);
            for (int i = 0; i < nrows; i++)
                run_row(&sw, &rows[i], f, c, &d, in, data_seed, what);
        }
    }

    print_table(rows, nrows, families, any_variant, any_algo);
    printf("worst error: %.3f x tolerance%s%s%s\n", sw.worst, sw.worst_what[0] ? " (" : "",
           sw.worst_what, sw.worst_what[0] ? ")" : "");
    printf("%s: %d failing case%s\n", sw.failures ? "FAILED" : "PASSED", sw.failures,
           sw.failures == 1 ? "" : "s");
    status = sw.failures ? 1 : 0;
out:
    clconv_context_destroy(sw.ctx);
    free(rows);
    free(variants);
    return tool_exit("clconv-verify", status);
}
