/* The tests of test_gemm_enqueue.c that the GEMM suite (test_gemm.c) adds. */
#ifndef CLCONV_TESTS_TEST_GEMM_H
#define CLCONV_TESTS_TEST_GEMM_H

#include <check.h>

/* The workspace's size, the wait list, the out-of-order queue and the chunked runs, in that
 * order (a build with CLBlast only). */
void gemm_enqueue_add_tests(TCase *tc);

#endif
