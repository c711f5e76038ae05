/* The opcount suite's second file (test_opcount_hand.c): its cases' registration. */
#ifndef CLCONV_TESTS_TEST_OPCOUNT_H
#define CLCONV_TESTS_TEST_OPCOUNT_H

#include <check.h>

/* Adds the hand-worked, overflow and rejection cases to tc (the host case). */
void opcount_hand_add_tests(TCase *tc);

#endif
