/* clconv-verify: a self-check of clconv on a device. Runs randomized layers of several case
 * families with every algorithm (and AUTO) and compares each output with the CPU reference;
 * prints a pass/fail table per algorithm and family and the worst error, and exits non-zero
 * when any case fails. The generators and the comparison are the test suites' own
 * (tests/common.c), so a pass here means what a pass of the suites means. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clconv.h>

#include "tests/common.h"

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

static void usage(FILE *f)
{
    fprintf(f,
            "usage: clconv-verify [--count N] [--seed S] [--device SPEC] [--algo NAME[,NAME...]]\n"
            "                     [--family NAME[,NAME...]] [--verbose]\n"
            "Runs N random cases (default 10) of each family (conv2d, conv2d-f16, tconv,\n"
            "tconv-f16, depthwise, wide) with each algorithm (default: auto and every algorithm\n"
            "of this build) and compares with the CPU reference. Exit status: 0 all passed,\n"
            "1 a case failed, 2 usage or device error.\n");
}

/* Parses a comma list of names with lookup(); false on an unknown name. */
static bool parse_list(const char *arg, bool *chosen, int n, int (*lookup)(const char *))
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", arg);
    for (int i = 0; i < n; i++)
        chosen[i] = false;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        int v = lookup(tok);
        if (v < 0 || v >= n) {
            fprintf(stderr, "clconv-verify: unknown name '%s'\n", tok);
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

int main(int argc, char **argv)
{
    long count = 10, seed = 1;
    const char *device = NULL;
    bool algos[CLCONV_ALGO_COUNT_], families[NFAM], verbose = false;
    for (int a = 0; a < CLCONV_ALGO_COUNT_; a++)
        algos[a] = a == CLCONV_ALGO_AUTO || clconv_algo_available((clconv_algo)a);
    for (int f = 0; f < NFAM; f++)
        families[f] = true;
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        bool ok = true;
        if (!strcmp(opt, "--help") || !strcmp(opt, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(opt, "--verbose") || !strcmp(opt, "-v")) {
            verbose = true;
            continue;
        } else if (!val) {
            ok = false;
        } else if (!strcmp(opt, "--count")) {
            ok = parse_count(val, 1, 100000, &count);
        } else if (!strcmp(opt, "--seed")) {
            ok = parse_count(val, 0, 0x7fffffffL, &seed);
        } else if (!strcmp(opt, "--device")) {
            device = val;
        } else if (!strcmp(opt, "--algo")) {
            ok = parse_list(val, algos, CLCONV_ALGO_COUNT_, algo_lookup);
        } else if (!strcmp(opt, "--family")) {
            ok = parse_list(val, families, NFAM, family_lookup);
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
    for (int a = 1; a < CLCONV_ALGO_COUNT_; a++)
        if (algos[a] && !clconv_algo_available((clconv_algo)a)) {
            fprintf(stderr, "clconv-verify: algorithm '%s' is not in this build\n",
                    clconv_algo_name((clconv_algo)a));
            return 2;
        }

    clconv_context *ctx = NULL;
    if (clconv_context_create(device, &ctx) != CLCONV_SUCCESS) {
        fprintf(stderr, "clconv-verify: no context: %s\n", clconv_last_error());
        return 2;
    }
    clconv_device_info info;
    clconv_context_get_device_info(ctx, &info);
    printf("clconv-verify %s: device \"%s\" (%s, driver %s), seed %ld, %ld cases per family\n",
           CLCONV_VERSION_STRING, info.device_name, info.platform_name, info.driver_version, seed,
           count);

    static cell table[CLCONV_ALGO_COUNT_][NFAM];
    double worst = 0;
    char worst_what[600] = "";
    int failures = 0;
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
            for (int a = 0; a < CLCONV_ALGO_COUNT_; a++) {
                if (!algos[a])
                    continue;
                test_outcome r;
                bool ok = test_run_case_on(ctx, &d, in, (clconv_algo)a, data_seed, &r);
                cell *cl = &table[a][f];
                if (!ok && r.status == CLCONV_ERROR_UNSUPPORTED && a != CLCONV_ALGO_AUTO) {
                    cl->unsupported++; /* a forced algorithm may decline a layer */
                    continue;
                }
                cl->run++;
                if (ok)
                    cl->passed++;
                if (r.status == CLCONV_SUCCESS && r.worst_ratio > worst) {
                    worst = r.worst_ratio;
                    snprintf(worst_what, sizeof worst_what, "%s, %s: %s", clconv_algo_name(r.algo),
                             family_names[f], what);
                }
                if (!ok) {
                    failures++;
                    printf("FAIL %s %s #%ld: %s\n     %s\n", clconv_algo_name((clconv_algo)a),
                           family_names[f], c, what, r.message);
                } else if (verbose) {
                    printf("ok   %s %s #%ld (%s): error %.3f x tolerance: %s\n",
                           clconv_algo_name((clconv_algo)a), family_names[f], c,
                           clconv_algo_name(r.algo), r.worst_ratio, what);
                }
                fflush(stdout);
            }
        }
    }

    printf("\n%-10s", "algorithm");
    for (int f = 0; f < NFAM; f++)
        if (families[f])
            printf(" %-16s", family_names[f]);
    printf("\n");
    for (int a = 0; a < CLCONV_ALGO_COUNT_; a++) {
        if (!algos[a])
            continue;
        printf("%-10s", clconv_algo_name((clconv_algo)a));
        for (int f = 0; f < NFAM; f++) {
            if (!families[f])
                continue;
            const cell *cl = &table[a][f];
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
    printf("(passed/run; '+': some layers declined as unsupported by the forced algorithm; "
           "n/a (k): all k declined)\n");
    printf("worst error: %.3f x tolerance%s%s%s\n", worst, worst_what[0] ? " (" : "", worst_what,
           worst_what[0] ? ")" : "");
    printf("%s: %d failing case%s\n", failures ? "FAILED" : "PASSED", failures,
           failures == 1 ? "" : "s");
    clconv_context_destroy(ctx);
    return failures ? 1 : 0;
}
