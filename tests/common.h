/* What the Check suites add to the harness (harness/harness.h): one shared context, case
 * runners and tallies on it, and Check assertions. */
#ifndef CLCONV_TESTS_COMMON_H
#define CLCONV_TESTS_COMMON_H

#include "harness/harness.h"

/* The context every suite shares: created once from $CLCONV_DEVICE / the default device. */
clconv_context *test_context(void);
void test_context_release(void);

/* test_run_case_on (harness.h: random data, reference, tolerance) on the shared context. */
bool test_run_case(const clconv_desc *desc, const int in_shape[4], clconv_algo algo, uint64_t seed,
                   test_outcome *result);

/* Counts the cases of one family and keeps the first failures' descriptions, so that one Check
 * test can loop over many cases and report every failing one. */
typedef struct test_tally {
    int run, failed;
    char failures[2048]; /* the first few failing cases, one per line */
} test_tally;

/* Runs one case with test_run_case and records the outcome under label; returns success. */
bool test_tally_run(test_tally *tally, const char *label, const clconv_desc *desc,
                    const int in_shape[4], clconv_algo algo, uint64_t seed);

/* Check assertion that a tally saw no failure; names the failing cases (expands where
 * check.h is included). */
/* Runs one case with a forced algorithm and asserts that it matched the reference and that the
 * plan ran that algorithm; the failure message describes the case and its seed. */
#define ck_assert_case_runs(desc, in, forced, seed)                                                \
    do {                                                                                           \
        test_outcome r_;                                                                           \
        bool ok_ = test_run_case((desc), (in), (forced), (seed), &r_);                             \
        char case_[512];                                                                           \
        test_describe((desc), (in), case_, sizeof case_);                                          \
        ck_assert_msg(ok_, "%s (seed %llu): %s", case_, (unsigned long long)(seed), r_.message);   \
        ck_assert_int_eq(r_.algo, (forced));                                                       \
    } while (0)

/* Plans the case by algorithm (variant NULL) or by variant name and checks it ran expect with
 * no workspace; false with the reason in msg. */
bool test_plan_variant(const clconv_desc *d, const int in[4], clconv_algo algo, const char *variant,
                       const char *expect, char *msg, size_t msg_size);
#define ck_assert_plan_variant(d, in, algo, variant, expect)                                       \
    do {                                                                                           \
        char msg_[512];                                                                            \
        ck_assert_msg(                                                                             \
            test_plan_variant((d), (in), (algo), (variant), (expect), msg_, sizeof msg_), "%s",    \
            msg_);                                                                                 \
    } while (0)

#define ck_assert_tally(tally)                                                                     \
    ck_assert_msg((tally).failed == 0, "%d of %d cases failed:%s", (tally).failed, (tally).run,    \
                  (tally).failures)

/* A randomized grid: case i (i = 0, step, 2 step, ... below count) is drawn by
 * test_random_conv2d / test_random_conv_transpose2d from rng seed rng_seed + i, its data from
 * data_seed + i, run with algo (with AUTO instead when auto_every > 0 and i % auto_every == 0)
 * and labelled "random i", plus " (auto)" when algo itself is AUTO. seen, when set, is called
 * with each drawn case (coverage counts). */
typedef struct test_grid {
    clconv_kind kind;
    clconv_dtype dtype;
    int count, step;
    uint64_t rng_seed, data_seed;
    clconv_algo algo;
    int auto_every;
    void (*seen)(void *arg, const clconv_desc *desc, const int in_shape[4]);
    void *arg;
} test_grid;

/* Runs every case of grid through test_tally_run. */
void test_tally_grid(test_tally *tally, const test_grid *grid);

/* main() of a suite on the shared context: runs make_suite() with the fork status given
 * (CK_FORK_GETENV: Check's default), releases the context, exit status from the failures. */
#define TEST_MAIN(make_suite, fork_status)                                                         \
    int main(void)                                                                                 \
    {                                                                                              \
        SRunner *sr = srunner_create(make_suite());                                                \
        srunner_set_fork_status(sr, fork_status);                                                  \
        srunner_run_all(sr, CK_NORMAL);                                                            \
        int failed = srunner_ntests_failed(sr);                                                    \
        srunner_free(sr);                                                                          \
        test_context_release();                                                                    \
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;                                               \
    }

/* test_run_variant_on on the shared context. */
bool test_run_variant(const clconv_desc *desc, const int in_shape[4], const char *variant,
                      uint64_t seed, test_outcome *result);

#endif
