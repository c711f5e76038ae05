/* What the two halves of the depthwise suite share: test_depthwise.c's variant names, layer
 * builder and case runners, and the edge cases of test_depthwise_edges.c that its suite adds. */
#ifndef CLCONV_TESTS_TEST_DEPTHWISE_H
#define CLCONV_TESTS_TEST_DEPTHWISE_H

#include <check.h>

#include "tests/common.h"

#define ROWS "depthwise.rows_x8"
#define FLAT "depthwise.flat_v16"
#define S2 "depthwise.s2_phases"

/* A depthwise Conv2d: c channels, depth multiplier mult, k x k, stride and padding on both
 * axes. */
void dw(clconv_desc *d, int c, int mult, int k, int stride, int pad);

/* The algorithm's choice, and the row kernel forced (it runs every depthwise layer). */
void run_with_rows(const clconv_desc *d, const int in[4], uint64_t seed);

/* variant forced, and the row kernel on the same layer. */
void run_forced(const clconv_desc *d, const int in[4], const char *variant, uint64_t seed);

/* variant refuses d with CLCONV_ERROR_UNSUPPORTED, naming what in its message. */
void expect_refusal(const clconv_desc *d, const int in[4], const char *variant, const char *what);

/* The edge cases of the "edges" test case, ahead of the refusals and AUTO's choices. */
void depthwise_edges_add_tests(TCase *tc);

#endif
