/* The test harness: deterministic random data and layers, float16 conversion, device runs of
 * one case, and comparison with clconv_reference under one tolerance policy. The Check suites
 * (tests/common.h adds their shared context and assertions), clconv-verify, clconv-demo and
 * clconv-bench --verify all use it, so a tool and a suite judge an output the same way.
 * "test" in the names means one test case. Nothing here aborts or prints. */
#ifndef CLCONV_HARNESS_HARNESS_H
#define CLCONV_HARNESS_HARNESS_H

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

/* Host tensors of one case, filled with random data from seed. test_tensors_alloc returns
 * false (nothing allocated) for an invalid layer or when memory runs out; the caller frees a
 * successful allocation with test_tensors_free. */
typedef struct test_tensors {
    float *input, *weight, *bias, *output;
    size_t input_count, weight_count, bias_count, output_count;
    int out_shape[4];
} test_tensors;
bool test_tensors_alloc(test_tensors *t, const clconv_desc *desc, const int in_shape[4],
                        uint64_t seed);
void test_tensors_free(test_tensors *t);

/* Converts float data to IEEE half bits (round to nearest even) and back. */
uint16_t test_float_to_half(float f);
float test_half_to_float(uint16_t h);

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

/* The tolerance policy. An output whose taps sum to scale = sum |x*w| + |bias| (+ |residual|
 * with the epilogue's residual) may differ from the reference ref by rel * scale + 1e-7,
 * rel = 1e-5 for float32 storage and 2e-3 for float16 storage (inputs rounded to half first;
 * storing the output in half alone costs up to 2^-11 relative). With an activation that is
 * multiplied by 1.5 (the activations are at most 1.5-Lipschitz) and the stored value's
 * rounding (4 float ulps for exp/erf/tanh, or half's 2^-11 relative) is added. A NaN output
 * where the reference is finite fails. */
double test_tolerance(const clconv_desc *desc, double scale, double ref);

/* dst[i] = |src[i]| for n values (the scales are the reference run on absolute values). */
void test_abs_copy(float *dst, const float *src, size_t n);

/* Compares count device outputs with the reference and its scales under desc's
 * test_tolerance; fills the worst_* fields of r. True when every output is within its
 * tolerance. */
bool test_compare_outputs(const clconv_desc *desc, const float *got, const float *ref,
                          const float *scale, size_t count, test_outcome *r);

/* Runs clconv_reference on the host tensors of (desc, in_shape) (bias ignored without
 * desc->bias) and compares got with it through test_compare_outputs. False with the reason
 * in r->message for an invalid layer, exhausted memory or a mismatch. */
bool test_check_output(const clconv_desc *desc, const int in_shape[4], const float *input,
                       const float *weight, const float *bias, const float *got,
                       test_outcome *result);

/* Runs desc on ctx with algo on random data from seed (rounded to half for float16 storage)
 * and compares with clconv_reference_residual (desc's activation; with desc->residual a
 * random residual) under test_tolerance. Returns true when status is success and
 * worst_ratio <= 1; otherwise r->message says why. */
bool test_run_case_on(clconv_context *ctx, const clconv_desc *desc, const int in_shape[4],
                      clconv_algo algo, uint64_t seed, test_outcome *result);

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

/* test_run_case_on with one kernel variant forced by name (clconv_plan_create_variant). A
 * variant that declines the layer leaves status CLCONV_ERROR_UNSUPPORTED; a plan that ran
 * another variant than the forced one is a failure (status success, message says so). */
bool test_run_variant_on(clconv_context *ctx, const clconv_desc *desc, const int in_shape[4],
                         const char *variant, uint64_t seed, test_outcome *result);

/* test_run_variant_on with options (NULL: a plain run). */
bool test_run_variant_with(clconv_context *ctx, const clconv_desc *desc, const int in_shape[4],
                           const char *variant, uint64_t seed, const test_run_options *options,
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

/* Draws a random depthwise Conv2d: channels 1-16, groups = channels, depth multiplier 1-2,
 * square kernel 1, 3, 5 or 7, stride 1-2, padding 0 or kernel/2 (zeros, sometimes reflect),
 * bias on/off, N 1-2, H and W from the kernel size to 14. */
void test_random_depthwise(test_rng *rng, clconv_dtype dtype, clconv_desc *desc, int in_shape[4]);

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

/* Formats a one-line description of a case into buf (for failure messages). */
void test_describe(const clconv_desc *desc, const int in_shape[4], char *buf, size_t size);

#endif
