/* The context suite's second file (test_context_kernels.c): its cases' registration. */
#ifndef CLCONV_TESTS_TEST_CONTEXT_H
#define CLCONV_TESTS_TEST_CONTEXT_H

#include <check.h>

/* Adds the kernel-folder and program-cache cases to tc (the device case). */
void context_kernels_add_tests(TCase *tc);

#endif
