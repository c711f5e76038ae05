/* What test_desc.c and test_desc_errors.c share: shape and rejection checks, case registration. */
#ifndef CLCONV_TESTS_TEST_DESC_H
#define CLCONV_TESTS_TEST_DESC_H

#include <check.h>
#include <string.h>

#include <clconv.h>

/* Expects output_shape to fail with status and a message containing needle, and
 * output_nchw to keep its sentinel. what names the case in failure messages. */
static inline void expect_reject(const char *what, const clconv_desc *d, const int in[4],
                                 clconv_status status, const char *needle)
{
    int out[4] = {-77, -77, -77, -77};
    clconv_status st = clconv_output_shape(d, in, out);
    ck_assert_msg(st == status, "%s: status %s, expected %s (message \"%s\")", what,
                  clconv_status_name(st), clconv_status_name(status), clconv_last_error());
    ck_assert_msg(strstr(clconv_last_error(), needle) != NULL,
                  "%s: message \"%s\" does not contain \"%s\"", what, clconv_last_error(), needle);
    for (int i = 0; i < 4; i++)
        ck_assert_msg(out[i] == -77, "%s: output_nchw[%d] written on error", what, i);
    /* tensor_sizes validates the same way and writes nothing either */
    size_t count = 12345;
    st = clconv_tensor_sizes(d, in, &count, NULL, NULL, NULL);
    ck_assert_msg(st == status && count == 12345, "%s: tensor_sizes status %s", what,
                  clconv_status_name(st));
}

static inline void expect_shape(const char *what, const clconv_desc *d, const int in[4], int oh,
                                int ow)
{
    int out[4] = {0, 0, 0, 0};
    clconv_status st = clconv_output_shape(d, in, out);
    ck_assert_msg(st == CLCONV_SUCCESS, "%s: %s: %s", what, clconv_status_name(st),
                  clconv_last_error());
    ck_assert_msg(out[0] == in[0] && out[1] == d->out_channels && out[2] == oh && out[3] == ow,
                  "%s: output %dx%dx%dx%d, expected %dx%dx%dx%d", what, out[0], out[1], out[2],
                  out[3], in[0], d->out_channels, oh, ow);
}

/* Adds test_desc_errors.c's cases to tc. */
void desc_errors_add_tests(TCase *tc);

#endif
