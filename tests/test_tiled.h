/* What the two halves of the tiled suite share: test_tiled.c's forced-variant runner, and the
 * tests of test_tiled_variants.c that its suite adds. */
#ifndef CLCONV_TESTS_TEST_TILED_H
#define CLCONV_TESTS_TEST_TILED_H

#include <check.h>

#include "tests/common.h"

/* Runs the case with the tiled variant name forced and asserts that it planned as that variant
 * and matched the reference (test_tiled.c). */
void run_variant(const char *name, const clconv_desc *d, const int in[4], uint64_t seed);

/* The variant tests of the "edges" test case: the cases a forced variant declines, and the
 * choice among the tiled variants. */
void tiled_variants_add_edge_tests(TCase *tc);

/* The tests of the "forced" test case: each variant over randomized shapes, and hand-picked
 * shapes forced onto each variant. */
void tiled_variants_add_forced_tests(TCase *tc);

#endif
