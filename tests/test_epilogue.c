/* The fused epilogue and constant weights through the public API: validation of the
 * activation fields, of the residual buffer (missing, unexpected, too small, overlapping the
 * output other than exactly), in-place accumulation, and clconv_plan_set_weights (bad
 * buffers, replaced weights, the caller's buffers released, a failure keeping the old ones),
 * and the epilogue's operation counts. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clconv.h>

#include "tests/common.h"

/* The layer the API tests use: 3x3 Conv2d with bias and padding, 6 -> 8 channels. */
static void small_layer(clconv_desc *d, int in[4])
{
    clconv_desc_init(d, CLCONV_CONV2D, 6, 8, 3, 3);
    d->pad_top = d->pad_bottom = d->pad_left = d->pad_right = 1;
    in[0] = 1;
    in[1] = 6;
    in[2] = 9;
    in[3] = 10;
}

/* plan_create on desc fails with status and a message containing field. */
static void assert_rejected(const clconv_desc *d, const int in[4], const char *field)
{
    clconv_plan *plan = NULL;
    const clconv_status st = clconv_plan_create(test_context(), d, in, CLCONV_ALGO_AUTO, &plan);
    ck_assert_msg(st == CLCONV_ERROR_INVALID_ARGUMENT, "%s: %s", field, clconv_status_name(st));
    ck_assert_msg(strstr(clconv_last_error(), field), "%s: message \"%s\"", field,
                  clconv_last_error());
    ck_assert_ptr_null(plan);
}

START_TEST(test_activation_fields)
{
    clconv_desc d;
    int in[4];
    small_layer(&d, in);
    d.activation = (clconv_activation)CLCONV_ACTIVATION_COUNT_;
    assert_rejected(&d, in, "activation");
    d.activation = (clconv_activation)-1;
    assert_rejected(&d, in, "activation");
    small_layer(&d, in);
    d.activation = CLCONV_ACTIVATION_LEAKY_RELU;
    d.activation_alpha = NAN;
    assert_rejected(&d, in, "activation_alpha");
    d.activation_alpha = INFINITY;
    assert_rejected(&d, in, "activation_alpha");
    d.activation_alpha = 0.1f;
    d.activation_beta = -INFINITY; /* checked even where the activation does not read it */
    assert_rejected(&d, in, "activation_beta");
    small_layer(&d, in);
    d.activation = CLCONV_ACTIVATION_CLAMP;
    d.activation_alpha = 1.0f;
    d.activation_beta = 0.5f;
    assert_rejected(&d, in, "activation_alpha");
    /* min == max is a valid clamp */
    d.activation_beta = 1.0f;
    test_outcome r;
    ck_assert_msg(test_run_case(&d, in, CLCONV_ALGO_AUTO, 11, &r), "%s", r.message);
    /* names round-trip; an unknown one is rejected naming it */
    for (int a = 0; a < CLCONV_ACTIVATION_COUNT_; a++) {
        clconv_activation back = CLCONV_ACTIVATION_COUNT_;
        ck_assert_int_eq(clconv_activation_from_name(clconv_activation_name(a), &back),
                         CLCONV_SUCCESS);
        ck_assert_int_eq(back, a);
    }
    clconv_activation back;
    ck_assert_int_eq(clconv_activation_from_name("swish2", &back), CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "swish2"));
    ck_assert_str_eq(clconv_activation_name((clconv_activation)99), "unknown");
}
END_TEST

/* The buffers of one enqueue of the small layer, and a plan. */
typedef struct fixture {
    clconv_desc d;
    int in[4];
    clconv_plan *plan;
    cl_mem input, weight, bias, output, big, workspace;
    size_t out_bytes;
} fixture;

static cl_mem make_buffer(size_t bytes)
{
    cl_int err;
    cl_mem b = clCreateBuffer(clconv_context_get_cl_context(test_context()), CL_MEM_READ_WRITE,
                              bytes, NULL, &err);
    ck_assert_msg(b != NULL, "clCreateBuffer %zu: %d", bytes, err);
    return b;
}

static void fixture_make(fixture *f, int residual)
{
    memset(f, 0, sizeof *f);
    small_layer(&f->d, f->in);
    f->d.residual = residual;
    f->d.activation = CLCONV_ACTIVATION_RELU;
    ck_assert_int_eq(clconv_plan_create(test_context(), &f->d, f->in, CLCONV_ALGO_AUTO, &f->plan),
                     CLCONV_SUCCESS);
    size_t ni, nw, nb, no;
    ck_assert_int_eq(clconv_tensor_sizes(&f->d, f->in, &ni, &nw, &nb, &no), CLCONV_SUCCESS);
    f->out_bytes = no * sizeof(float);
    f->input = make_buffer(ni * sizeof(float));
    f->weight = make_buffer(nw * sizeof(float));
    f->bias = make_buffer(nb * sizeof(float));
    f->output = make_buffer(f->out_bytes);
    f->big = make_buffer(4 * f->out_bytes);
    const size_t ws = clconv_plan_get_workspace_size(f->plan);
    f->workspace = ws ? make_buffer(ws) : NULL;
}

static void fixture_free(fixture *f)
{
    clconv_plan_destroy(f->plan);
    cl_mem all[] = {f->input, f->weight, f->bias, f->output, f->big, f->workspace};
    for (int i = 0; i < 6; i++)
        if (all[i])
            clReleaseMemObject(all[i]);
}

static clconv_status enqueue_with(fixture *f, cl_mem weight, cl_mem residual, cl_mem output)
{
    const clconv_buffers b = {f->input, weight, f->bias, residual, output, f->workspace};
    clconv_status st = clconv_plan_enqueue_buffers(f->plan, NULL, &b, 0, NULL, NULL);
    if (st == CLCONV_SUCCESS)
        clFinish(clconv_context_get_queue(test_context()));
    return st;
}

static void assert_buffer_error(clconv_status st, const char *words)
{
    ck_assert_msg(st == CLCONV_ERROR_INVALID_BUFFER, "%s: %s", words, clconv_status_name(st));
    ck_assert_msg(strstr(clconv_last_error(), words), "expected \"%s\" in \"%s\"", words,
                  clconv_last_error());
}

/* A sub-buffer of f->big at byte offset off, the output's size. */
static cl_mem sub_buffer(fixture *f, size_t off)
{
    const cl_buffer_region region = {off, f->out_bytes};
    cl_int err;
    cl_mem s =
        clCreateSubBuffer(f->big, CL_MEM_READ_WRITE, CL_BUFFER_CREATE_TYPE_REGION, &region, &err);
    ck_assert_msg(s != NULL, "clCreateSubBuffer at %zu: %d", off, err);
    return s;
}

START_TEST(test_residual_buffers)
{
    fixture f;
    fixture_make(&f, 1);
    assert_buffer_error(enqueue_with(&f, f.weight, NULL, f.output), "residual buffer is NULL");
    cl_mem small = make_buffer(f.out_bytes - sizeof(float));
    assert_buffer_error(enqueue_with(&f, f.weight, small, f.output), "residual");
    clReleaseMemObject(small);
    /* overlap other than exactly: two sub-buffers of one buffer, one alignment apart */
    cl_uint align_bits = 0;
    cl_device_id dev = clconv_context_get_device(test_context());
    clGetDeviceInfo(dev, CL_DEVICE_MEM_BASE_ADDR_ALIGN, sizeof align_bits, &align_bits, NULL);
    const size_t align = align_bits / 8 ? align_bits / 8 : 128;
    ck_assert_uint_lt(align, f.out_bytes); /* the two ranges overlap */
    cl_mem out_part = sub_buffer(&f, 0), res_part = sub_buffer(&f, align);
    assert_buffer_error(enqueue_with(&f, f.weight, res_part, out_part), "overlaps the residual");
    /* exactly the output (in place): accepted, also through a sub-buffer of the same range */
    ck_assert_msg(enqueue_with(&f, f.weight, f.output, f.output) == CLCONV_SUCCESS, "%s",
                  clconv_last_error());
    cl_mem same = sub_buffer(&f, 0);
    ck_assert_msg(enqueue_with(&f, f.weight, same, out_part) == CLCONV_SUCCESS, "%s",
                  clconv_last_error());
    clReleaseMemObject(same);
    clReleaseMemObject(out_part);
    clReleaseMemObject(res_part);
    fixture_free(&f);
    /* a residual buffer given to a plan without residual */
    fixture_make(&f, 0);
    assert_buffer_error(enqueue_with(&f, f.weight, f.big, f.output), "without residual");
    ck_assert_int_eq(enqueue_with(&f, f.weight, NULL, f.output), CLCONV_SUCCESS);
    /* weight NULL without set weights */
    assert_buffer_error(enqueue_with(&f, NULL, NULL, f.output), "weight");
    fixture_free(&f);
}
END_TEST

/* Every activation, with the residual separate and in place, on AUTO's plan of a dense and a
 * depthwise layer, with and without set weights (the variants suite covers every variant). */
START_TEST(test_epilogue_auto)
{
    static const test_spec specs[] = {
        {"3x3 s1", 1, 16, 10, 10, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0},
        {"dw 3x3", 1, 16, 12, 12, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 16, 1, 0, 0, 0},
    };
    int run = 0;
    for (int a = 0; a < CLCONV_ACTIVATION_COUNT_; a++)
        for (int mode = 1; mode < 3; mode++) {
            const int s = a % 2;
            clconv_desc d;
            int in[4];
            test_spec_desc(&specs[s], CLCONV_CONV2D, a % 4 < 2 ? CLCONV_FLOAT32 : CLCONV_FLOAT16,
                           &d, in);
            test_set_activation(&d, (clconv_activation)a);
            d.residual = 1;
            const test_run_options o = {mode == 2, (a + mode) % 2 == 1};
            test_outcome r;
            ck_assert_msg(test_run_case_with(test_context(), &d, in, CLCONV_ALGO_AUTO,
                                             100u + (uint64_t)a, &o, &r),
                          "%s, %s, residual %s, set weights %d: %s", specs[s].name,
                          clconv_activation_name(d.activation), mode == 2 ? "in place" : "separate",
                          o.set_weights, r.message);
            run++;
        }
    ck_assert_int_eq(run, 2 * CLCONV_ACTIVATION_COUNT_);
}
END_TEST

/* Host copy of a buffer of count floats. */
static void read_floats(cl_mem b, float *host, size_t count)
{
    ck_assert_int_eq(clEnqueueReadBuffer(clconv_context_get_queue(test_context()), b, CL_TRUE, 0,
                                         count * sizeof(float), host, 0, NULL, NULL),
                     CL_SUCCESS);
}

static cl_mem upload_floats(const float *host, size_t count)
{
    cl_int err;
    cl_mem b = clCreateBuffer(clconv_context_get_cl_context(test_context()),
                              CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, count * sizeof(float),
                              (void *)host, &err);
    ck_assert_msg(b != NULL, "clCreateBuffer: %d", err);
    return b;
}

/* The plan's output with its set weights against the reference with weights w. */
static void assert_output_matches(const fixture *f, const test_tensors *t, const float *w)
{
    float *ref = malloc(t->output_count * sizeof(float));
    float *dev = malloc(t->output_count * sizeof(float));
    ck_assert_ptr_nonnull(ref);
    ck_assert_ptr_nonnull(dev);
    ck_assert_int_eq(clconv_reference(&f->d, f->in, t->input, w, t->bias, ref), CLCONV_SUCCESS);
    read_floats(f->output, dev, t->output_count);
    for (size_t i = 0; i < t->output_count; i++)
        ck_assert_msg(fabsf(dev[i] - ref[i]) <= 1e-4f * (1 + fabsf(ref[i])),
                      "output[%zu] = %g, reference %g", i, dev[i], ref[i]);
    free(ref);
    free(dev);
}

/* set_weights on variant name (one per family that packs or not). */
static void check_set_weights(const char *variant)
{
    fixture f;
    fixture_make(&f, 0);
    clconv_plan_destroy(f.plan);
    f.plan = NULL;
    ck_assert_msg(clconv_plan_create_variant(test_context(), &f.d, f.in, variant, &f.plan) ==
                      CLCONV_SUCCESS,
                  "%s: %s", variant, clconv_last_error());
    if (f.workspace)
        clReleaseMemObject(f.workspace);
    const size_t ws = clconv_plan_get_workspace_size(f.plan);
    f.workspace = ws ? make_buffer(ws) : NULL;
    test_tensors t, t2;
    ck_assert(test_tensors_alloc(&t, &f.d, f.in, 5));
    ck_assert(test_tensors_alloc(&t2, &f.d, f.in, 6));
    clReleaseMemObject(f.input);
    f.input = upload_floats(t.input, t.input_count);
    clReleaseMemObject(f.bias);
    f.bias = upload_floats(t.bias, t.bias_count);
    /* bad arguments */
    ck_assert_int_eq(clconv_plan_set_weights(NULL, f.weight, f.bias),
                     CLCONV_ERROR_INVALID_ARGUMENT);
    assert_buffer_error(clconv_plan_set_weights(f.plan, NULL, f.bias), "weight");
    cl_mem small = make_buffer(t.weight_count * sizeof(float) - sizeof(float));
    assert_buffer_error(clconv_plan_set_weights(f.plan, small, f.bias), "weight");
    assert_buffer_error(clconv_plan_set_weights(f.plan, f.weight, NULL), "bias");
    ck_assert_int_eq(clconv_plan_has_weights(f.plan), 0);
    /* weights A, the caller's buffer released at once */
    cl_mem wa = upload_floats(t.weight, t.weight_count);
    ck_assert_msg(clconv_plan_set_weights(f.plan, wa, f.bias) == CLCONV_SUCCESS, "%s: %s", variant,
                  clconv_last_error());
    clReleaseMemObject(wa);
    ck_assert_int_eq(clconv_plan_has_weights(f.plan), 1);
    const clconv_buffers b = {f.input, NULL, NULL, NULL, f.output, f.workspace};
    ck_assert_int_eq(clconv_plan_enqueue_buffers(f.plan, NULL, &b, 0, NULL, NULL), CLCONV_SUCCESS);
    assert_output_matches(&f, &t, t.weight);
    /* replaced by weights B */
    cl_mem wb = upload_floats(t2.weight, t2.weight_count);
    ck_assert_int_eq(clconv_plan_set_weights(f.plan, wb, f.bias), CLCONV_SUCCESS);
    clReleaseMemObject(wb);
    ck_assert_int_eq(clconv_plan_enqueue_buffers(f.plan, NULL, &b, 0, NULL, NULL), CLCONV_SUCCESS);
    assert_output_matches(&f, &t, t2.weight);
    /* a failing replacement keeps B */
    assert_buffer_error(clconv_plan_set_weights(f.plan, small, f.bias), "weight");
    ck_assert_int_eq(clconv_plan_enqueue_buffers(f.plan, NULL, &b, 0, NULL, NULL), CLCONV_SUCCESS);
    assert_output_matches(&f, &t, t2.weight);
    /* the caller's weights still win over the set ones when passed */
    const clconv_buffers own = {f.input, f.weight, f.bias, NULL, f.output, f.workspace};
    cl_mem wown = upload_floats(t.weight, t.weight_count);
    clReleaseMemObject(f.weight);
    f.weight = wown;
    const clconv_buffers own2 = {own.input, wown, own.bias, NULL, own.output, own.workspace};
    ck_assert_int_eq(clconv_plan_enqueue_buffers(f.plan, NULL, &own2, 0, NULL, NULL),
                     CLCONV_SUCCESS);
    assert_output_matches(&f, &t, t.weight);
    clReleaseMemObject(small);
    test_tensors_free(&t);
    test_tensors_free(&t2);
    fixture_free(&f);
}

START_TEST(test_set_weights)
{
    static const char *const variants[] = {"direct.conv2d", "tiled.chanvec_c8p8",
                                           "tiled.pixvec_c4r4", "tiled.flat_c4v4"};
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++)
        check_set_weights(variants[i]);
}
END_TEST

static clconv_op_count count_ops(const clconv_desc *d, const int in[4])
{
    clconv_op_count c;
    ck_assert_msg(clconv_count_ops(d, in, &c) == CLCONV_SUCCESS, "%s", clconv_last_error());
    return c;
}

/* The epilogue's counts, by hand on a 9-output ConvTranspose2d (test_opcount_hand.c's hand example:
 * flops 41, bytes 72): its own fields only, flops, bytes and intensity stay the convolution's. */
START_TEST(test_hand_epilogue)
{
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV_TRANSPOSE2D, 1, 1, 2, 2);
    const int in[4] = {1, 1, 2, 2};
    clconv_op_count c = count_ops(&d, in);
    ck_assert_uint_eq(c.epilogue_ops, 0);
    ck_assert_uint_eq(c.epilogue_bytes, 0);
    /* per output: relu 1, relu6 2, leaky_relu 2, clamp 2, sigmoid 3, tanh 1, silu 3, gelu 5,
     * hardswish 5 (docs/epilogue.md), plus 1 for the residual add */
    static const unsigned per_output[CLCONV_ACTIVATION_COUNT_] = {0, 1, 2, 2, 2, 3, 1, 3, 5, 5};
    for (int a = 0; a < CLCONV_ACTIVATION_COUNT_; a++)
        for (int residual = 0; residual < 2; residual++) {
            d.activation = (clconv_activation)a;
            d.activation_alpha = -1.0f; /* clamp [-1, 1]; leaky slope -1 */
            d.activation_beta = 1.0f;
            d.residual = residual;
            c = count_ops(&d, in);
            ck_assert_uint_eq(c.epilogue_ops, 9u * (per_output[a] + (unsigned)residual));
            ck_assert_uint_eq(c.epilogue_bytes, residual ? 36u : 0u);
            ck_assert_uint_eq(c.flops, 41);
            ck_assert_uint_eq(c.bytes, 72);
        }
    d.dtype = CLCONV_FLOAT16; /* the residual is read in the storage type */
    c = count_ops(&d, in);
    ck_assert_uint_eq(c.epilogue_bytes, 18);
}
END_TEST

static Suite *epilogue_suite(void)
{
    Suite *s = suite_create("epilogue");
    TCase *api = tcase_create("api");
    tcase_set_timeout(api, 0);
    tcase_add_test(api, test_activation_fields);
    tcase_add_test(api, test_residual_buffers);
    tcase_add_test(api, test_set_weights);
    tcase_add_test(api, test_epilogue_auto);
    tcase_add_test(api, test_hand_epilogue);
    suite_add_tcase(s, api);
    return s;
}

TEST_MAIN(epilogue_suite, CK_NOFORK)
