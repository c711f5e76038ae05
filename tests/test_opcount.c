/* Op counts against execution (an instrumented evaluation, all-ones device runs); the suite. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include <clconv.h>

#include "src/internal.h"
#include "tests/common.h"
#include "tests/test_opcount.h"

/* ---- instrumented reference ----------------------------------------------------------------
 * A copy of the loops of src/reference.c that also counts every multiply and add it executes.
 * An accumulator starts from the bias (no operation) or from the first product (no add);
 * every later product costs a multiply and an add. Conv2d evaluates on the explicitly padded
 * input (the zero taps of zeros padding are multiplied like any other: the direct
 * evaluation the published closed form describes). ConvTranspose2d gathers, per output, the
 * contributions that land there: taps that fall between strided inputs or outside the input
 * execute nothing. The computed outputs are compared with clconv_reference, so the counted
 * loops are the evaluation itself, not a separate model. */

typedef struct op_tally {
    uint64_t mul, add;
} op_tally;

static void counted_conv2d(const clconv_desc *d, const int in_shape[4], const int out_shape[4],
                           const float *in, const float *w, const float *bias, float *out,
                           op_tally *t)
{
    const int H = in_shape[2], W = in_shape[3], OH = out_shape[2], OW = out_shape[3];
    const int cinpg = d->in_channels / d->groups, coutpg = d->out_channels / d->groups;
    for (int n = 0; n < out_shape[0]; n++)
        for (int co = 0; co < out_shape[1]; co++) {
            const int g = co / coutpg;
            const float *wco = w + (size_t)co * cinpg * d->kernel_h * d->kernel_w;
            for (int y = 0; y < OH; y++)
                for (int x = 0; x < OW; x++) {
                    double acc = bias ? (double)bias[co] : 0.0;
                    int have = bias != NULL;
                    for (int ci = 0; ci < cinpg; ci++) {
                        const float *plane =
                            in + ((size_t)n * in_shape[1] + (size_t)g * cinpg + ci) * H * W;
                        for (int ky = 0; ky < d->kernel_h; ky++) {
                            int iy = clconv_map_padded_coord(y * d->stride_h - d->pad_top +
                                                                 ky * d->dilation_h,
                                                             H, d->padding_mode);
                            for (int kx = 0; kx < d->kernel_w; kx++) {
                                int ix = clconv_map_padded_coord(x * d->stride_w - d->pad_left +
                                                                     kx * d->dilation_w,
                                                                 W, d->padding_mode);
                                double v = (iy < 0 || ix < 0) ? 0.0 : plane[(size_t)iy * W + ix];
                                double prod =
                                    (double)
                                        wco[((size_t)ci * d->kernel_h + ky) * d->kernel_w + kx] *
                                    v;
                                t->mul++;
                                if (have) {
                                    acc += prod;
                                    t->add++;
                                } else {
                                    acc = prod;
                                    have = 1;
                                }
                            }
                        }
                    }
                    out[(((size_t)n * out_shape[1] + co) * OH + y) * OW + x] = (float)acc;
                }
        }
}

static int transposed_source(int o, int k, int s, int pad, int dil, int n)
{
    int t = o + pad - k * dil;
    if (t < 0 || t % s)
        return -1;
    t /= s;
    return t < n ? t : -1;
}

static void counted_conv_transpose2d(const clconv_desc *d, const int in_shape[4],
                                     const int out_shape[4], const float *in, const float *w,
                                     const float *bias, float *out, op_tally *t)
{
    const int H = in_shape[2], W = in_shape[3], OH = out_shape[2], OW = out_shape[3];
    const int cinpg = d->in_channels / d->groups, coutpg = d->out_channels / d->groups;
    const size_t ksize = (size_t)d->kernel_h * d->kernel_w;
    for (int n = 0; n < out_shape[0]; n++)
        for (int co = 0; co < out_shape[1]; co++) {
            const int g = co / coutpg, col = co % coutpg;
            for (int y = 0; y < OH; y++)
                for (int x = 0; x < OW; x++) {
                    double acc = bias ? (double)bias[co] : 0.0;
                    int have = bias != NULL;
                    for (int ci = g * cinpg; ci < (g + 1) * cinpg; ci++) {
                        const float *plane = in + ((size_t)n * in_shape[1] + ci) * H * W;
                        const float *wk = w + ((size_t)ci * coutpg + col) * ksize;
                        for (int ky = 0; ky < d->kernel_h; ky++) {
                            int iy =
                                transposed_source(y, ky, d->stride_h, d->pad_top, d->dilation_h, H);
                            if (iy < 0)
                                continue;
                            for (int kx = 0; kx < d->kernel_w; kx++) {
                                int ix = transposed_source(x, kx, d->stride_w, d->pad_left,
                                                           d->dilation_w, W);
                                if (ix < 0)
                                    continue;
                                double prod = (double)wk[(size_t)ky * d->kernel_w + kx] *
                                              (double)plane[(size_t)iy * W + ix];
                                t->mul++;
                                if (have) {
                                    acc += prod;
                                    t->add++;
                                } else {
                                    acc = prod;
                                    have = 1;
                                }
                            }
                        }
                    }
                    out[(((size_t)n * out_shape[1] + co) * OH + y) * OW + x] = (float)acc;
                }
        }
}

/* Runs the instrumented evaluation of one case, checks its outputs against clconv_reference
 * and its tally against clconv_count_ops. */
static void check_case(const clconv_desc *d, const int in[4], uint64_t seed)
{
    char what[256];
    test_describe(d, in, what, sizeof what);
    test_tensors t;
    ck_assert_msg(test_tensors_alloc(&t, d, in, seed), "%s: allocation failed", what);
    float *mine = malloc(t.output_count * sizeof(float));
    ck_assert_ptr_nonnull(mine);
    const float *bias = d->bias ? t.bias : NULL;
    op_tally tally = {0, 0};
    if (d->kind == CLCONV_CONV2D)
        counted_conv2d(d, in, t.out_shape, t.input, t.weight, bias, mine, &tally);
    else
        counted_conv_transpose2d(d, in, t.out_shape, t.input, t.weight, bias, mine, &tally);
    ck_assert_int_eq(clconv_reference(d, in, t.input, t.weight, bias, t.output), CLCONV_SUCCESS);
    for (size_t i = 0; i < t.output_count; i++)
        ck_assert_msg(fabsf(mine[i] - t.output[i]) <= 1e-5f * (1.0f + fabsf(t.output[i])),
                      "%s: instrumented output %zu = %g, reference %g", what, i, mine[i],
                      t.output[i]);

    clconv_op_count c;
    ck_assert_msg(clconv_count_ops(d, in, &c) == CLCONV_SUCCESS, "%s: %s", what,
                  clconv_last_error());
    ck_assert_msg(c.exact_ops == tally.mul + tally.add,
                  "%s: exact_ops %llu, instrumented run executed %llu (%llu mul + %llu add)", what,
                  (unsigned long long)c.exact_ops, (unsigned long long)(tally.mul + tally.add),
                  (unsigned long long)tally.mul, (unsigned long long)tally.add);
    /* the other fields against their definitions */
    uint64_t macs = d->kind == CLCONV_CONV2D
                        ? (uint64_t)t.output_count * (uint64_t)(d->in_channels / d->groups) *
                              (uint64_t)(d->kernel_h * d->kernel_w)
                        : (uint64_t)t.input_count * (uint64_t)(d->out_channels / d->groups) *
                              (uint64_t)(d->kernel_h * d->kernel_w);
    ck_assert_msg(c.macs == macs, "%s: macs %llu, expected %llu", what, (unsigned long long)c.macs,
                  (unsigned long long)macs);
    ck_assert_msg(c.flops == 2 * macs + (d->bias ? t.output_count : 0), "%s: flops %llu", what,
                  (unsigned long long)c.flops);
    size_t elem = clconv_dtype_size(d->dtype);
    ck_assert_msg(c.bytes ==
                      (t.input_count + t.weight_count + t.bias_count + t.output_count) * elem,
                  "%s: bytes %llu", what, (unsigned long long)c.bytes);
    ck_assert_msg(fabs(c.intensity - (double)c.flops / (double)c.bytes) < 1e-12 * c.intensity,
                  "%s: intensity %g", what, c.intensity);
    /* the moduleprofiler count never falls below the executed one */
    if (d->kind == CLCONV_CONV_TRANSPOSE2D) {
        uint64_t mp = 0;
        ck_assert_int_eq(clconv_count_ops_moduleprofiler_tconv(d, in, &mp, NULL), CLCONV_SUCCESS);
        ck_assert_msg(mp >= c.exact_ops, "%s: moduleprofiler %llu < exact %llu", what,
                      (unsigned long long)mp, (unsigned long long)c.exact_ops);
    }
    free(mine);
    test_tensors_free(&t);
}

/* ConvTranspose2d grid: every (kernel, stride, dilation) below, with stride > kernel among
 * them, against four paddings (none, asymmetric, cropping whole taps on one side, cropping on
 * both), output_padding 0 and the largest allowed, channel layouts from one channel to
 * grouped and depthwise with a depth multiplier, N up to 2. The W axis is drawn at random so
 * the two axes differ. 4 * 4 * 3 * 4 * 2 = 384 cases. */
static int tconv_grid(void)
{
    static const int kernels[] = {1, 2, 3, 5}, strides[] = {1, 2, 3, 4}, dilations[] = {1, 2, 3};
    /* {Cin, Cout, groups}: dense, grouped, depthwise (multiplier 2), depthwise (1) */
    static const int chans[][3] = {{1, 1, 1}, {2, 3, 1}, {4, 6, 2}, {3, 6, 3}, {4, 4, 4}};
    test_rng rng;
    test_rng_seed(&rng, 3);
    int cases = 0, idx = 0;
    for (int ik = 0; ik < 4; ik++)
        for (int is = 0; is < 4; is++)
            for (int id = 0; id < 3; id++)
                for (int ip = 0; ip < 4; ip++)
                    for (int iop = 0; iop < 2; iop++, idx++) {
                        const int k = kernels[ik], s = strides[is], dl = dilations[id];
                        const int *ch = chans[idx % 5];
                        clconv_desc d;
                        clconv_desc_init(&d, CLCONV_CONV_TRANSPOSE2D, ch[0], ch[1], k,
                                         test_rng_range(&rng, 1, 4));
                        d.groups = ch[2];
                        d.stride_h = s;
                        d.dilation_h = dl;
                        const int span = dl * (k - 1); /* padding beyond it crops taps */
                        const int pads[4][2] = {
                            {0, 0}, {1, 0}, {span + 1, 0}, {span / 2 + 1, span + 2}};
                        d.pad_top = pads[ip][0];
                        d.pad_bottom = pads[ip][1];
                        d.output_padding_h = iop ? (s > dl ? s : dl) - 1 : 0;
                        d.stride_w = test_rng_range(&rng, 1, 4);
                        d.dilation_w = test_rng_range(&rng, 1, 3);
                        d.pad_left = test_rng_range(&rng, 0, 3);
                        d.pad_right = test_rng_range(&rng, 0, 3);
                        int opmax = (d.stride_w > d.dilation_w ? d.stride_w : d.dilation_w) - 1;
                        d.output_padding_w = test_rng_range(&rng, 0, opmax);
                        d.bias = (idx / 3) % 2;
                        int in[4] = {1 + idx % 2, ch[0], 1 + (idx * 7) % 6,
                                     test_rng_range(&rng, 1, 6)};
                        /* grow the input until the padding leaves an output (torch's rule) */
                        int out[4];
                        while (clconv_output_shape(&d, in, out) != CLCONV_SUCCESS && in[2] < 40) {
                            in[2]++;
                            in[3]++;
                        }
                        ck_assert_msg(clconv_output_shape(&d, in, out) == CLCONV_SUCCESS,
                                      "grid case %d invalid: %s", idx, clconv_last_error());
                        check_case(&d, in, 100 + (uint64_t)idx);
                        cases++;
                    }
    return cases;
}

START_TEST(test_exact_ops_grid)
{
    int cases = tconv_grid();
    /* Conv2d: random cases over every padding mode, groups, depthwise, stride, dilation,
     * asymmetric padding, N > 1 */
    test_rng rng;
    test_rng_seed(&rng, 11);
    for (int i = 0; i < 200; i++, cases++) {
        clconv_desc d;
        int in[4];
        test_random_conv2d(&rng, CLCONV_FLOAT32, &d, in);
        check_case(&d, in, 500 + (uint64_t)i);
    }
    /* more ConvTranspose2d from the shared generator */
    for (int i = 0; i < 100; i++, cases++) {
        clconv_desc d;
        int in[4];
        test_random_conv_transpose2d(&rng, CLCONV_FLOAT32, &d, in);
        check_case(&d, in, 900 + (uint64_t)i);
    }
    ck_assert_int_ge(cases, 500);
}
END_TEST

/* ---- additions_per_filter against the device ---------------------------------------------- */

/* Runs desc on the device (direct algorithm) with all-ones input and weights and no bias;
 * returns the output in a malloc'd array, its element count in *count. */
static float *device_ones(const clconv_desc *desc, const int in[4], size_t *count)
{
    clconv_context *ctx = test_context();
    ck_assert_msg(ctx != NULL, "no OpenCL device: %s", clconv_last_error());
    size_t nin, nw, nout;
    ck_assert_int_eq(clconv_tensor_sizes(desc, in, &nin, &nw, NULL, &nout), CLCONV_SUCCESS);
    size_t elem = clconv_dtype_size(desc->dtype);
    float *hin = malloc(nin * sizeof(float)), *hw = malloc(nw * sizeof(float));
    float *hout = malloc(nout * sizeof(float));
    ck_assert(hin && hw && hout);
    for (size_t i = 0; i < nin; i++)
        hin[i] = 1.0f;
    for (size_t i = 0; i < nw; i++)
        hw[i] = 1.0f;
    cl_context clctx = clconv_context_get_cl_context(ctx);
    cl_command_queue q = clconv_context_get_queue(ctx);
    cl_int err;
    ck_assert_uint_eq(elem, 4);
    cl_mem bin =
        clCreateBuffer(clctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, nin * elem, hin, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    cl_mem bw = clCreateBuffer(clctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, nw * elem, hw, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    cl_mem bout = clCreateBuffer(clctx, CL_MEM_WRITE_ONLY, nout * elem, NULL, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    clconv_plan *plan = NULL;
    clconv_status st = clconv_plan_create(ctx, desc, in, CLCONV_ALGO_DIRECT, &plan);
    ck_assert_msg(st == CLCONV_SUCCESS, "plan: %s", clconv_last_error());
    st = clconv_plan_enqueue(plan, bin, bw, NULL, bout, NULL, 0, NULL, NULL);
    ck_assert_msg(st == CLCONV_SUCCESS, "enqueue: %s", clconv_last_error());
    err = clEnqueueReadBuffer(q, bout, CL_TRUE, 0, nout * elem, hout, 0, NULL, NULL);
    ck_assert_int_eq(err, CL_SUCCESS);
    clconv_plan_destroy(plan);
    clReleaseMemObject(bin);
    clReleaseMemObject(bw);
    clReleaseMemObject(bout);
    free(hin);
    free(hw);
    *count = nout;
    return hout;
}

START_TEST(test_additions_per_filter_on_device)
{
    /* geometry per axis: {kernel, stride, dilation, pad_lo, pad_hi, output_padding, size};
     * includes stride > kernel (negative additions_per_filter), dilation, cropping padding,
     * output_padding, asymmetric padding */
    static const int geo[][7] = {
        {2, 1, 1, 0, 0, 0, 2}, {3, 2, 1, 1, 1, 1, 5}, {4, 2, 1, 1, 1, 0, 4}, {1, 3, 1, 0, 0, 2, 3},
        {2, 3, 1, 0, 0, 0, 4}, {3, 1, 2, 0, 0, 1, 3}, {3, 2, 2, 2, 2, 1, 4}, {5, 2, 1, 5, 0, 1, 3},
        {3, 3, 2, 0, 4, 0, 5}, {4, 4, 1, 1, 2, 3, 2}, {2, 2, 3, 1, 0, 2, 6}, {5, 1, 1, 3, 1, 0, 1},
    };
    const int ng = sizeof geo / sizeof geo[0];
    int cases = 0;
    for (int a = 0; a < ng; a++) {
        const int *gy = geo[a], *gx = geo[(a * 5 + 3) % ng];
        /* one filter, as the moduleprofiler definition asks: N = Cin = Cout = 1 */
        clconv_desc d;
        clconv_desc_init(&d, CLCONV_CONV_TRANSPOSE2D, 1, 1, gy[0], gx[0]);
        d.bias = 0;
        d.stride_h = gy[1];
        d.stride_w = gx[1];
        d.dilation_h = gy[2];
        d.dilation_w = gx[2];
        d.pad_top = gy[3];
        d.pad_bottom = gy[4];
        d.pad_left = gx[3];
        d.pad_right = gx[4];
        d.output_padding_h = gy[5];
        d.output_padding_w = gx[5];
        const int in[4] = {1, 1, gy[6], gx[6]};
        char what[256];
        test_describe(&d, in, what, sizeof what);
        uint64_t mp;
        int64_t apf = 0;
        ck_assert_msg(clconv_count_ops_moduleprofiler_tconv(&d, in, &mp, &apf) == CLCONV_SUCCESS,
                      "%s: %s", what, clconv_last_error());
        size_t n;
        float *out = device_ones(&d, in, &n);
        double sum = 0;
        for (size_t i = 0; i < n; i++)
            sum += (double)out[i] - 1.0;
        ck_assert_msg(sum == (double)apf, "%s: device sum(out - 1) = %g, additions_per_filter %lld",
                      what, sum, (long long)apf);
        free(out);

        /* the same geometry with channels, groups and a batch: an all-ones output holds each
         * position's contribution count, so its sum is the landing products (exact_ops with
         * bias / 2) and its non-zero count the outputs that receive any (the difference of
         * exact_ops with and without bias) */
        clconv_desc m = d;
        m.in_channels = 4;
        m.out_channels = 2 * (1 + a % 2);
        m.groups = 2;
        const int min[4] = {2, 4, gy[6], gx[6]};
        clconv_op_count with, without;
        m.bias = 1;
        ck_assert_int_eq(clconv_count_ops(&m, min, &with), CLCONV_SUCCESS);
        m.bias = 0;
        ck_assert_int_eq(clconv_count_ops(&m, min, &without), CLCONV_SUCCESS);
        out = device_ones(&m, min, &n);
        double total = 0;
        uint64_t nonzero = 0;
        for (size_t i = 0; i < n; i++) {
            total += out[i];
            nonzero += out[i] != 0.0f;
        }
        ck_assert_msg(total == (double)(with.exact_ops / 2), "%s x channels: sum %g, products %llu",
                      what, total, (unsigned long long)(with.exact_ops / 2));
        ck_assert_msg(nonzero == with.exact_ops - without.exact_ops,
                      "%s x channels: %llu outputs reached, model says %llu", what,
                      (unsigned long long)nonzero,
                      (unsigned long long)(with.exact_ops - without.exact_ops));
        free(out);
        cases++;
    }
    ck_assert_int_eq(cases, ng);
    test_context_release();
}
END_TEST

static Suite *opcount_suite(void)
{
    Suite *s = suite_create("opcount");
    TCase *tc = tcase_create("host");
    tcase_add_test(tc, test_exact_ops_grid);
    opcount_hand_add_tests(tc);
    suite_add_tcase(s, tc);
    TCase *dev = tcase_create("device");
    tcase_add_test(dev, test_additions_per_filter_on_device);
    suite_add_tcase(s, dev);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(opcount_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
