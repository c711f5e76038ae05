/* Shared helpers of the Check suites: random data, device runs, comparison with the reference. */
#ifndef CLCONV_TESTS_COMMON_H
#define CLCONV_TESTS_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <clconv.h>

/* Deterministic generator (xorshift64*): same seed, same data, on every machine. */
typedef struct test_rng {
    uint64_t state;
} test_rng;
void test_rng_seed(test_rng *rng, uint64_t seed);
uint32_t test_rng_u32(test_rng *rng);
int test_rng_range(test_rng *rng, int lo, int hi); /* uniform in [lo, hi] */
float test_rng_float(test_rng *rng);               /* uniform in [-1, 1) */
void test_fill(test_rng *rng, float *data, size_t count);

/* The context every suite shares: created once from $CLCONV_DEVICE / the default device. */
clconv_context *test_context(void);
void test_context_release(void);

/* Host tensors of one case, filled with random data from seed. */
typedef struct test_tensors {
    float *input, *weight, *bias, *output;
    size_t input_count, weight_count, bias_count, output_count;
    int out_shape[4];
} test_tensors;
bool test_tensors_alloc(test_tensors *t, const clconv_desc *desc, const int in_shape[4],
                        uint64_t seed);
void test_tensors_free(test_tensors *t);

/* Rounds every value to the nearest float16 and back (float16-storage cases feed the
 * reference the same data the device sees). */
void test_round_to_half(float *data, size_t count);

/* Outcome of one case run on the device and compared with the reference. */
typedef struct test_outcome {
    clconv_status status; /* plan_create or enqueue status */
    clconv_algo algo;     /* algorithm the plan ran */
    const char *variant;  /* variant the plan ran (static storage); NULL without a plan */
    double worst_ratio;   /* max over outputs of |dev - ref| / tolerance(output) */
    size_t worst_index;   /* where worst_ratio was seen */
    double worst_dev, worst_ref;
    char message[512]; /* failure text, for assertion messages */
} test_outcome;

/* Runs desc on the shared context with algo and compares with clconv_reference_residual (the
 * epilogue included: desc's activation, and with desc->residual a random residual). The
 * tolerance of each output (test_tolerance) is rel * (sum over its taps of |x*w| + |bias| +
 * |residual|) + abs_floor; rel is 1e-5 for float32 storage and 2e-3 for float16 storage
 * (inputs rounded to half first; storing the output in half alone costs up to 2^-11
 * relative). With an activation that is multiplied by 1.5 (the activations are at most
 * 1.5-Lipschitz) and the stored value's rounding (4 float ulps for exp/erf/tanh, or half's
 * 2^-11) added. Returns true when status is success and worst_ratio <= 1. */
bool test_run_case(const clconv_desc *desc, const int in_shape[4], clconv_algo algo, uint64_t seed,
                   test_outcome *result);

/* test_run_case on a given context (adopted queues, fresh contexts with other settings). */
bool test_run_case_on(clconv_context *ctx, const clconv_desc *desc, const int in_shape[4],
                      clconv_algo algo, uint64_t seed, test_outcome *result);

/* The tolerance of one output whose reference is ref and whose scale (|x|*|w| summed, |bias|
 * and |residual|) is scale, under desc's dtype and activation (see test_run_case). */
double test_tolerance(const clconv_desc *desc, double scale, double ref);

/* How a case feeds its plan: with desc->residual, the residual in its own buffer or in the
 * output buffer itself (prefilled with it); with set_weights, clconv_plan_set_weights then
 * enqueues with weight and bias NULL (the caller's buffers released first). Either goes
 * through clconv_plan_enqueue_buffers; a plain case through clconv_plan_enqueue. */
typedef struct test_run_options {
    bool residual_in_place;
    bool set_weights;
} test_run_options;

/* test_run_case_on with options (NULL: a plain run). */
bool test_run_case_with(clconv_context *ctx, const clconv_desc *desc, const int in_shape[4],
                        clconv_algo algo, uint64_t seed, const test_run_options *options,
                        test_outcome *result);

/* Sets desc's activation with the suites' parameters: leaky_relu slope 0.125, clamp
 * [-0.5, 0.75], none for the others. */
void test_set_activation(clconv_desc *desc, clconv_activation activation);

/* Draws a random valid Conv2d case from rng: stride 1-3, dilation 1-3, kernels 1-5 (also
 * rectangular and even), asymmetric padding 0-3, every padding mode, groups (depthwise with a
 * depth multiplier 1-3 among them), bias on/off, N 1-3, channels 1-12, H and W 1-12. The
 * parameters are drawn freely and then fixed up to be valid (reflect pad < size, circular pad
 * <= size, kernel fits the padded input). */
void test_random_conv2d(test_rng *rng, clconv_dtype dtype, clconv_desc *desc, int in_shape[4]);

/* Same for ConvTranspose2d: zeros padding, output_padding below stride or dilation, H and W
 * 1-10, padding reduced until the output is non-empty. */
void test_random_conv_transpose2d(test_rng *rng, clconv_dtype dtype, clconv_desc *desc,
                                  int in_shape[4]);

/* A hand-picked case as one table row. mode is the padding mode (Conv2d); oph/opw the output
 * padding (ConvTranspose2d). */
typedef struct test_spec {
    const char *name;
    int n, cin, h, w, cout;
    int kh, kw, sh, sw;
    int pt, pb, pl, pr;
    int dh, dw, groups, bias;
    int mode, oph, opw;
} test_spec;

/* Fills desc and in_shape from spec for kind and dtype. */
void test_spec_desc(const test_spec *spec, clconv_kind kind, clconv_dtype dtype, clconv_desc *desc,
                    int in_shape[4]);

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

/* Formats a one-line description of a case into buf (for failure messages). */
void test_describe(const clconv_desc *desc, const int in_shape[4], char *buf, size_t size);

/* Converts float data to IEEE half bits (round to nearest even) and back. */
uint16_t test_float_to_half(float f);
float test_half_to_float(uint16_t h);

/* test_run_case_on with one kernel variant forced by name (clconv_plan_create_variant). A
 * variant that declines the layer leaves status CLCONV_ERROR_UNSUPPORTED; a plan that ran
 * another variant than the forced one is a failure (status success, message says so). */
bool test_run_variant_on(clconv_context *ctx, const clconv_desc *desc, const int in_shape[4],
                         const char *variant, uint64_t seed, test_outcome *result);

/* test_run_variant_on with options (NULL: a plain run). */
bool test_run_variant_with(clconv_context *ctx, const clconv_desc *desc, const int in_shape[4],
                           const char *variant, uint64_t seed, const test_run_options *options,
                           test_outcome *result);

/* test_run_variant_on on the shared context. */
bool test_run_variant(const clconv_desc *desc, const int in_shape[4], const char *variant,
                      uint64_t seed, test_outcome *result);

/* Draws a random depthwise Conv2d: channels 1-16, groups = channels, depth multiplier 1-2,
 * square kernel 1, 3, 5 or 7, stride 1-2, padding 0 or kernel/2 (zeros, sometimes reflect),
 * bias on/off, N 1-2, H and W from the kernel size to 14. */
void test_random_depthwise(test_rng *rng, clconv_dtype dtype, clconv_desc *desc, int in_shape[4]);

#endif
