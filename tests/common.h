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
typedef struct test_result {
    clconv_status status; /* plan_create or enqueue status */
    clconv_algo algo;     /* algorithm the plan ran */
    double worst_ratio;   /* max over outputs of |dev - ref| / tolerance(output) */
    size_t worst_index;   /* where worst_ratio was seen */
    double worst_dev, worst_ref;
    char message[512]; /* failure text, for assertion messages */
} test_result;

/* Runs desc on the shared context with algo and compares with clconv_reference. The
 * tolerance of each output is rel * (sum over its taps of |x*w| + |bias|) + abs_floor; rel is
 * 1e-5 for float32 storage and 1e-2 for float16 storage (inputs rounded to half first).
 * Returns true when status is success and worst_ratio <= 1. */
bool test_run_case(const clconv_desc *desc, const int in_shape[4], clconv_algo algo, uint64_t seed,
                   test_result *result);

/* Formats a one-line description of a case into buf (for failure messages). */
void test_describe(const clconv_desc *desc, const int in_shape[4], char *buf, size_t size);

/* Converts float data to IEEE half bits (round to nearest even) and back. */
uint16_t test_float_to_half(float f);
float test_half_to_float(uint16_t h);

#endif
