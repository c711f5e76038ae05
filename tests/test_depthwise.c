/* The depthwise variants (groups == in_channels, any depth multiplier) against the CPU
 * reference: each variant forced by name (depthwise.rows_x8 on any layer, depthwise.flat_v16 on
 * stride-1 zeros-padded layers as wide as their input, depthwise.s2_phases on stride 2) over
 * randomized and edge-case shapes in float32 and float16, the row kernel also on the layers
 * the other two take; the randomized depthwise grid through the algorithm's own choice; the
 * interior and border paths of the row tiles, the flat kernel's chunks, column masks and half
 * conversion, the stride-2 phase kernel, MobileNet shapes; and the refusals, with reasons. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/calibration.h"
#include "tests/common.h"

#define ROWS "depthwise.rows_x8"
#define FLAT "depthwise.flat_v16"
#define S2 "depthwise.s2_phases"

/* Through the algorithm's own choice of variant. */
static void run_case(const clconv_desc *d, const int in[4], uint64_t seed)
{
    ck_assert_case_runs(d, in, CLCONV_ALGO_DEPTHWISE, seed);
}

/* count floats in dtype into a new buffer; NULL on failure. */
static cl_mem upload(cl_context cl, const float *data, size_t count, clconv_dtype dtype)
{
    const size_t elem = clconv_dtype_size(dtype), bytes = (count ? count : 1) * elem;
    void *host = malloc(bytes);
    if (!host)
        return NULL;
    for (size_t i = 0; i < count; i++)
        if (dtype == CLCONV_FLOAT16)
            ((uint16_t *)host)[i] = test_float_to_half(data[i]);
        else
            ((float *)host)[i] = data[i];
    cl_int err;
    cl_mem buf = clCreateBuffer(cl, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, bytes, host, &err);
    free(host);
    return buf;
}

static bool download(cl_command_queue q, cl_mem buf, float *data, size_t count, clconv_dtype dtype)
{
    const size_t elem = clconv_dtype_size(dtype);
    void *host = malloc(count * elem);
    bool ok = host && clEnqueueReadBuffer(q, buf, CL_TRUE, 0, count * elem, host, 0, NULL, NULL) ==
                          CL_SUCCESS;
    for (size_t i = 0; ok && i < count; i++)
        data[i] = dtype == CLCONV_FLOAT16 ? test_half_to_float(((uint16_t *)host)[i])
                                          : ((float *)host)[i];
    free(host);
    return ok;
}

/* Runs d with variant forced (clconv_plan_create_variant), asserts that the plan runs it, and
 * compares with the reference at test_run_case's tolerance: rel x (the sum of |x * w| over an
 * output's taps, plus |bias|) + 1e-7, rel 1e-5 for float32 and 2e-3 for float16. */
static void run_variant(const clconv_desc *d, const int in[4], const char *variant, uint64_t seed)
{
    clconv_context *ctx = test_context();
    ck_assert_ptr_nonnull(ctx);
    char what[512];
    test_describe(d, in, what, sizeof what);
    test_tensors t;
    ck_assert_msg(test_tensors_alloc(&t, d, in, seed), "%s: tensors: %s", what,
                  clconv_last_error());
    if (d->dtype == CLCONV_FLOAT16) {
        test_round_to_half(t.input, t.input_count);
        test_round_to_half(t.weight, t.weight_count);
        test_round_to_half(t.bias, t.bias_count);
    }
    float *ref = malloc(t.output_count * sizeof *ref),
          *scale = malloc(t.output_count * sizeof *ref);
    float *ain = malloc(t.input_count * sizeof *ain), *aw = malloc(t.weight_count * sizeof *aw);
    float *ab = malloc((t.bias_count ? t.bias_count : 1) * sizeof *ab);
    ck_assert(ref && scale && ain && aw && ab);
    clconv_reference(d, in, t.input, t.weight, t.bias, ref);
    for (size_t i = 0; i < t.input_count; i++)
        ain[i] = fabsf(t.input[i]);
    for (size_t i = 0; i < t.weight_count; i++)
        aw[i] = fabsf(t.weight[i]);
    for (size_t i = 0; i < t.bias_count; i++)
        ab[i] = fabsf(t.bias[i]);
    clconv_reference(d, in, ain, aw, ab, scale);

    clconv_plan *plan = NULL;
    clconv_status st = clconv_plan_create_variant(ctx, d, in, variant, &plan);
    ck_assert_msg(st == CLCONV_SUCCESS, "%s on %s (seed %llu): %s: %s", variant, what,
                  (unsigned long long)seed, clconv_status_name(st), clconv_context_last_error(ctx));
    ck_assert_str_eq(clconv_plan_get_variant_name(plan), variant);
    ck_assert_int_eq(clconv_plan_get_algo(plan), CLCONV_ALGO_DEPTHWISE);
    ck_assert_uint_eq(clconv_plan_get_workspace_size(plan), 0);
    cl_context cl = clconv_context_get_cl_context(ctx);
    for (size_t i = 0; i < t.output_count; i++)
        t.output[i] = NAN; /* a missed output shows as NaN */
    cl_mem bin = upload(cl, t.input, t.input_count, d->dtype);
    cl_mem bw = upload(cl, t.weight, t.weight_count, d->dtype);
    cl_mem bb = d->bias ? upload(cl, t.bias, t.bias_count, d->dtype) : NULL;
    cl_mem bout = upload(cl, t.output, t.output_count, d->dtype);
    ck_assert(bin && bw && bout && (bb || !d->bias));
    st = clconv_plan_enqueue(plan, bin, bw, bb, bout, NULL, 0, NULL, NULL);
    ck_assert_msg(st == CLCONV_SUCCESS, "%s on %s: enqueue: %s", variant, what,
                  clconv_context_last_error(ctx));
    ck_assert(download(clconv_context_get_queue(ctx), bout, t.output, t.output_count, d->dtype));
    const double rel = d->dtype == CLCONV_FLOAT16 ? 2e-3 : 1e-5;
    for (size_t i = 0; i < t.output_count; i++) {
        const double err = fabs((double)t.output[i] - (double)ref[i]);
        ck_assert_msg(!isnan(t.output[i]) && err <= rel * scale[i] + 1e-7,
                      "%s on %s (seed %llu): output %zu is %g, the reference %g", variant, what,
                      (unsigned long long)seed, i, (double)t.output[i], (double)ref[i]);
    }
    clconv_plan_destroy(plan);
    clReleaseMemObject(bin);
    clReleaseMemObject(bw);
    if (bb)
        clReleaseMemObject(bb);
    clReleaseMemObject(bout);
    free(ref);
    free(scale);
    free(ain);
    free(aw);
    free(ab);
    test_tensors_free(&t);
}

/* The algorithm's choice, and the row kernel forced (it runs every depthwise layer). */
static void run_with_rows(const clconv_desc *d, const int in[4], uint64_t seed)
{
    run_case(d, in, seed);
    run_variant(d, in, ROWS, seed);
}

/* variant forced, and the row kernel on the same layer. */
static void run_forced(const clconv_desc *d, const int in[4], const char *variant, uint64_t seed)
{
    run_variant(d, in, variant, seed);
    run_variant(d, in, ROWS, seed);
}

/* variant refuses d with CLCONV_ERROR_UNSUPPORTED, naming what in its message. */
static void expect_refusal(const clconv_desc *d, const int in[4], const char *variant,
                           const char *what)
{
    clconv_context *ctx = test_context();
    ck_assert_ptr_nonnull(ctx);
    clconv_plan *plan = NULL;
    ck_assert_int_eq(clconv_plan_create_variant(ctx, d, in, variant, &plan),
                     CLCONV_ERROR_UNSUPPORTED);
    ck_assert_ptr_null(plan);
    const char *msg = clconv_context_last_error(ctx);
    ck_assert_msg(strstr(msg, what) && strstr(msg, variant), "%s: expected \"%s\" in: %s", variant,
                  what, msg);
}

#define GRID_BATCH 50

/* Draws from the shared random Conv2d generator until a depthwise case comes up, then
 * sometimes widens the map so rows span several interior tiles. */
static void run_grid(clconv_dtype dtype, uint64_t base_seed, int batch)
{
    test_rng rng;
    test_rng_seed(&rng, base_seed + (uint64_t)batch);
    for (int i = 0; i < GRID_BATCH; i++) {
        clconv_desc d;
        int in[4];
        do
            test_random_conv2d(&rng, dtype, &d, in);
        while (d.groups != d.in_channels);
        if (test_rng_range(&rng, 0, 2) == 0)
            in[3] += test_rng_range(&rng, 8, 40); /* wider: padding limits only grow */
        run_case(&d, in, base_seed * 1000 + (uint64_t)(batch * GRID_BATCH + i));
    }
}

START_TEST(random_grid_f32)
{
    run_grid(CLCONV_FLOAT32, 71, _i);
}
END_TEST

START_TEST(random_grid_f16)
{
    run_grid(CLCONV_FLOAT16, 72, _i);
}
END_TEST

static void dw(clconv_desc *d, int c, int mult, int k, int stride, int pad)
{
    clconv_desc_init(d, CLCONV_CONV2D, c, c * mult, k, k);
    d->groups = c;
    d->stride_h = d->stride_w = stride;
    d->pad_top = d->pad_bottom = d->pad_left = d->pad_right = pad;
}

/* Forced variants over randomized shapes: depthwise cases of the shared generator (rows
 * widened at times), made to fit the variant (flat: stride 1, zeros padding, the output as
 * wide as the input with the horizontal padding split at random, planes taller at times so
 * they take several chunks; s2: stride 2), in the variant and in the row kernel. */
#define FORCED_CASES 40

static void random_depthwise(test_rng *rng, clconv_dtype dtype, clconv_desc *d, int in[4])
{
    do
        test_random_conv2d(rng, dtype, d, in);
    while (d->groups != d->in_channels);
    if (test_rng_range(rng, 0, 2) == 0)
        in[3] += test_rng_range(rng, 8, 40); /* wider: padding limits only grow */
}

static void run_forced_random(const char *variant, clconv_dtype dtype, uint64_t base_seed)
{
    test_rng rng;
    test_rng_seed(&rng, base_seed);
    for (int i = 0; i < FORCED_CASES; i++) {
        clconv_desc d;
        int in[4];
        random_depthwise(&rng, dtype, &d, in);
        const uint64_t seed = base_seed * 1000 + (uint64_t)i;
        if (!strcmp(variant, ROWS)) {
            run_variant(&d, in, ROWS, seed);
            continue;
        }
        if (!strcmp(variant, FLAT)) {
            const int span = (d.kernel_w - 1) * d.dilation_w;
            d.stride_h = d.stride_w = 1;
            d.padding_mode = CLCONV_PADDING_ZEROS;
            d.pad_left = test_rng_range(&rng, 0, span);
            d.pad_right = span - d.pad_left;
            if (test_rng_range(&rng, 0, 2) == 0)
                in[2] += test_rng_range(&rng, 10, 40);
        } else {
            d.stride_h = d.stride_w = 2;
        }
        run_forced(&d, in, variant, seed);
    }
}

START_TEST(forced_random)
{
    static const char *const variants[] = {ROWS, FLAT, S2};
    run_forced_random(variants[_i / 2], _i % 2 ? CLCONV_FLOAT16 : CLCONV_FLOAT32,
                      90 + (uint64_t)_i);
}
END_TEST

/* Each variant refuses what it cannot run, with CLCONV_ERROR_UNSUPPORTED and a reason that
 * names the field. */
START_TEST(forced_refusals)
{
    static const char *const all[] = {ROWS, FLAT, S2};
    clconv_desc d;
    int in[4] = {1, 8, 6, 6};
    clconv_desc_init(&d, CLCONV_CONV2D, 8, 8, 3, 3);
    d.groups = 4;
    for (int v = 0; v < 3; v++)
        expect_refusal(&d, in, all[v], "groups = 4 with in_channels = 8");
    clconv_desc_init(&d, CLCONV_CONV_TRANSPOSE2D, 8, 8, 3, 3);
    d.groups = 8;
    for (int v = 0; v < 3; v++)
        expect_refusal(&d, in, all[v], "kind = ConvTranspose2d");

    dw(&d, 8, 1, 3, 2, 1);
    expect_refusal(&d, in, FLAT, "stride_h = 2");
    d.stride_h = 1;
    expect_refusal(&d, in, FLAT, "stride_w = 2");
    expect_refusal(&d, in, S2, "stride_h = 1");
    d.stride_h = 2;
    d.stride_w = 1;
    expect_refusal(&d, in, S2, "stride_w = 1");
    dw(&d, 8, 1, 3, 1, 1);
    expect_refusal(&d, in, S2, "stride_h = 1");
    d.padding_mode = CLCONV_PADDING_REFLECT;
    expect_refusal(&d, in, FLAT, "padding_mode = reflect");
    d.padding_mode = CLCONV_PADDING_ZEROS;
    d.pad_right = 0;
    expect_refusal(&d, in, FLAT, "output width = 5 with input width = 6");
    dw(&d, 8, 1, 9, 1, 4); /* 81 taps */
    in[2] = in[3] = 12;
    expect_refusal(&d, in, FLAT, "kernel_h x kernel_w = 9x9");
    d.stride_h = d.stride_w = 2;
    expect_refusal(&d, in, S2, "kernel_h x kernel_w = 9x9");
    dw(&d, 8, 1, 3, 1, 1); /* two rows of 600 columns past the buffer of one chunk */
    in[3] = 600;
    expect_refusal(&d, in, FLAT, "input width = 600");
    d.dilation_h = 2;
    d.pad_top = d.pad_bottom = 2;
    in[3] = 300;
    expect_refusal(&d, in, FLAT, "dilation_h = 2");
    /* the row kernel runs them all */
    run_variant(&d, in, ROWS, 1200);
}
END_TEST

/* AUTO among the depthwise variants takes the flat and stride-2 kernels where the device's
 * class has their calibration rows (CPUs), else the row kernel (GPUs spill their buffers). */
START_TEST(auto_takes_calibrated_variants)
{
    clconv_context *ctx = test_context();
    ck_assert_ptr_nonnull(ctx);
    clconv_device_info info;
    ck_assert_int_eq(clconv_context_get_device_info(ctx, &info), CLCONV_SUCCESS);
    const clconv_device_class cls = clconv_device_class_of(&info);
    for (int stride = 1; stride <= 2; stride++) {
        const char *fast = stride == 1 ? FLAT : S2;
        clconv_desc d;
        dw(&d, 144, 1, 3, stride, 1);
        const int in[4] = {1, 144, 56, 56};
        clconv_plan *plan = NULL;
        ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_DEPTHWISE, &plan),
                         CLCONV_SUCCESS);
        ck_assert_str_eq(clconv_plan_get_variant_name(plan),
                         clconv_calibration_lookup(fast, cls) ? fast : ROWS);
        clconv_plan_destroy(plan);
    }
}
END_TEST

START_TEST(interior_and_border_tiles)
{
    /* widths around the 8-column tile, strides 1-3 (2 has its own interior load), every
     * padding mode, dilation */
    static const int widths[] = {1, 7, 8, 9, 16, 17, 33};
    uint64_t seed = 500;
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++)
        for (int stride = 1; stride <= 3; stride++)
            for (int mode = 0; mode < 4; mode++) {
                clconv_desc d;
                dw(&d, 3, 1, 3, stride, 1);
                d.padding_mode = (clconv_padding_mode)mode;
                d.dilation_w = 1 + (int)(w % 2);
                d.bias = mode & 1;
                int in[4] = {2, 3, 5, widths[w]};
                if (widths[w] < 3) { /* reflect needs pad < W; 3x3 with dilation needs room */
                    d.pad_left = d.pad_right = 0;
                    d.kernel_w = 1;
                }
                run_with_rows(&d, in, seed++);
            }
}
END_TEST

/* Rows of at most two tiles (OW <= 16) run from a padded private copy of each input row:
 * every width up to that, strides 1 and 2, each padding mode, asymmetric padding, dilation,
 * kernels wider than the row, and MobileNetV2's 7x7 and stride-2 14x14 layers. */
START_TEST(narrow_rows_padded_copy)
{
    uint64_t seed = 800;
    for (int w = 1; w <= 17; w++)
        for (int stride = 1; stride <= 2; stride++) {
            clconv_desc d;
            const int k = w >= 5 ? 5 : w;
            dw(&d, 2, 1 + (w % 3 == 0), k, stride, 0);
            d.kernel_h = 3;
            d.pad_top = 1;
            d.pad_bottom = 2;
            d.pad_left = k / 2 < w ? k / 2 : w - 1;
            d.pad_right = w > 1 ? 1 : 0;
            d.padding_mode = (clconv_padding_mode)(w % 4);
            d.dilation_w = (w >= 9 && w % 2) ? 2 : 1;
            d.bias = w & 1;
            d.dtype = w % 5 == 0 ? CLCONV_FLOAT16 : CLCONV_FLOAT32;
            int in[4] = {1 + (w % 2), d.in_channels, 4, w};
            run_with_rows(&d, in, seed++);
        }
    clconv_desc d;
    dw(&d, 96, 1, 3, 1, 1);
    int in[4] = {1, 96, 7, 7};
    run_with_rows(&d, in, 850);
    dw(&d, 64, 1, 3, 2, 1);
    in[1] = 64;
    in[2] = in[3] = 14;
    run_with_rows(&d, in, 851);
}
END_TEST

START_TEST(depth_multiplier_and_kernels)
{
    uint64_t seed = 600;
    for (int mult = 1; mult <= 4; mult++)
        for (int k = 1; k <= 7; k += 2) {
            clconv_desc d;
            dw(&d, 5, mult, k, 1 + (k == 5), k / 2);
            int in[4] = {1, 5, 13, 29};
            run_with_rows(&d, in, seed++);
        }
    clconv_desc d; /* rectangular, asymmetric */
    dw(&d, 4, 2, 1, 1, 0);
    d.kernel_w = 5;
    d.kernel_h = 2;
    d.pad_left = 3;
    d.pad_right = 1;
    d.pad_bottom = 1;
    d.padding_mode = CLCONV_PADDING_CIRCULAR;
    int in[4] = {2, 4, 6, 20};
    run_with_rows(&d, in, 650);
}
END_TEST

START_TEST(mobilenet_shapes)
{
    clconv_desc d;
    dw(&d, 32, 1, 3, 1, 1);
    int in[4] = {1, 32, 28, 28};
    run_with_rows(&d, in, 701);
    dw(&d, 24, 1, 3, 2, 1);
    in[1] = 24;
    in[2] = in[3] = 27;
    run_with_rows(&d, in, 702);
    d.dtype = CLCONV_FLOAT16;
    run_with_rows(&d, in, 703);
    dw(&d, 16, 1, 3, 1, 1);
    d.dtype = CLCONV_FLOAT16;
    in[1] = 16;
    in[2] = in[3] = 14;
    run_with_rows(&d, in, 704);
}
END_TEST

/* Stride 1 with the output as wide as the input and zeros padding runs the flat kernel (taps
 * as offsets along the flattened plane, column masks at the row ends): planes of one tile
 * and less, planes around 16-output multiples, planes split into chunks (larger than its
 * private buffer, and small batches split to feed every unit), 5x5 and 1x7 kernels,
 * dilation, even kernels padded more at one end, depth multipliers, batch, bias, float16. */
START_TEST(flat_path_shapes)
{
    static const int sizes[][2] = {{1, 1},   {1, 17}, {3, 5},   {4, 4},   {7, 7},  {5, 13},
                                   {14, 14}, {9, 31}, {16, 16}, {33, 40}, {48, 50}};
    uint64_t seed = 900;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (int v = 0; v < 3; v++) {
            clconv_desc d;
            const int k = v == 2 ? 5 : 3;
            dw(&d, 2 + (int)(i % 3), 1 + v % 2, k, 1, k / 2);
            if (v == 1) { /* dilated rows, plain columns */
                d.dilation_h = 2;
                d.pad_top = d.pad_bottom = 2;
            }
            d.bias = (int)(i + (size_t)v) & 1;
            d.dtype = (i + (size_t)v) % 3 == 0 ? CLCONV_FLOAT16 : CLCONV_FLOAT32;
            int in[4] = {1 + v % 2, d.in_channels, sizes[i][0], sizes[i][1]};
            run_forced(&d, in, FLAT, seed++);
        }
    clconv_desc d;
    dw(&d, 3, 2, 2, 1, 0); /* even kernel: 'same' pads one more at the end */
    d.pad_right = d.pad_bottom = 1;
    int in[4] = {2, 3, 9, 12};
    run_forced(&d, in, FLAT, 950);
    dw(&d, 4, 1, 1, 1, 0); /* 1x7 with dilation 2 */
    d.kernel_w = 7;
    d.dilation_w = 2;
    d.pad_left = 5;
    d.pad_right = 7;
    in[1] = 4;
    in[2] = 6;
    in[3] = 21;
    run_forced(&d, in, FLAT, 951);
    dw(&d, 2, 1, 3, 1, 1); /* a plane over the buffer in one channel: chunks of one plane */
    in[0] = 1;
    in[1] = 2;
    in[2] = 80;
    in[3] = 90;
    run_forced(&d, in, FLAT, 952);
    d.dtype = CLCONV_FLOAT16;
    run_forced(&d, in, FLAT, 953);
}
END_TEST

/* Stride 2 in both dimensions runs the phase kernel (the padded input split by row and column
 * parity into private planes, each tap a unit-stride read of one): odd and even heights and
 * widths, 1x1 and 2x2 maps, MobileNet's 7x7 output, rows split into chunks (large maps, and
 * rows mapped outside a chunk's copy by reflect and circular padding), every padding mode,
 * dilation (taps of one column phase), asymmetric and large left padding, depth multiplier,
 * batch, bias, float16, 5x5 and 2x4 kernels. */
START_TEST(stride2_phase_path)
{
    static const int sizes[][2] = {{1, 1},   {2, 2},   {3, 4},   {4, 3},   {7, 7},
                                   {14, 14}, {15, 13}, {16, 17}, {33, 40}, {64, 9}};
    uint64_t seed = 1000;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (int v = 0; v < 4; v++) {
            clconv_desc d;
            const int h = sizes[i][0], w = sizes[i][1];
            const int k = v == 3 && h >= 5 && w >= 5 ? 5 : 3;
            dw(&d, 2 + (int)(i % 3), 1 + v % 2, k, 2, k / 2);
            d.padding_mode = (clconv_padding_mode)v;
            if (v != 0) { /* reflect needs pad < size; keep every mode valid on tiny maps */
                const int ph = h > 1 ? (k / 2 < h ? k / 2 : h - 1) : 0;
                const int pw = w > 1 ? (k / 2 < w ? k / 2 : w - 1) : 0;
                d.pad_top = d.pad_bottom = ph;
                d.pad_left = d.pad_right = pw;
                if (h < k - 2 * ph + 0 + 1 || w < k - 2 * pw + 1) /* no room: 1x1 kernel */
                    d.kernel_h = d.kernel_w = 1, d.pad_top = d.pad_bottom = 0,
                    d.pad_left = d.pad_right = 0;
            }
            if (v == 2 && w >= 9) { /* dilated columns: every tap in one column phase */
                d.dilation_w = 2;
                d.pad_left = d.pad_right = 2;
            }
            d.bias = (int)(i + (size_t)v) & 1;
            d.dtype = (i + (size_t)v) % 3 == 0 ? CLCONV_FLOAT16 : CLCONV_FLOAT32;
            int in[4] = {1 + (v == 1), d.in_channels, h, w};
            run_forced(&d, in, S2, seed++);
        }
    clconv_desc d;
    dw(&d, 3, 1, 3, 2, 1); /* rows in several chunks, split from global (W >= 64) */
    int in[4] = {1, 3, 112, 112};
    run_forced(&d, in, S2, 1050);
    d.dtype = CLCONV_FLOAT16;
    run_forced(&d, in, S2, 1051);
    dw(&d, 1, 2, 3, 2, 1); /* circular and reflect rows from outside a chunk's copy */
    in[1] = 1;
    in[2] = in[3] = 96;
    d.padding_mode = CLCONV_PADDING_CIRCULAR;
    run_forced(&d, in, S2, 1052);
    d.padding_mode = CLCONV_PADDING_REFLECT;
    d.pad_top = 0;
    run_forced(&d, in, S2, 1053);
    d.padding_mode = CLCONV_PADDING_CIRCULAR; /* the same through the row copy (W < 64) */
    d.pad_top = 1;
    in[2] = 200;
    in[3] = 40;
    run_forced(&d, in, S2, 1058);
    dw(&d, 4, 1, 2, 2, 0); /* 2x4 kernel, padding at one end only */
    d.kernel_w = 4;
    d.pad_left = 3;
    d.pad_bottom = 1;
    d.bias = 0;
    in[1] = 4;
    in[2] = 9;
    in[3] = 10;
    run_forced(&d, in, S2, 1054);
    dw(&d, 2, 1, 1, 2, 0); /* 1x33: lanes past the last row read far past their phase */
    d.kernel_w = 33;
    d.pad_left = d.pad_right = 16;
    in[1] = 2;
    in[2] = 5;
    in[3] = 40;
    run_forced(&d, in, S2, 1061);
    dw(&d, 2, 1, 3, 2, 16); /* left padding at the copy's margin, then past it (row kernel) */
    in[1] = 2;
    in[2] = in[3] = 11;
    run_forced(&d, in, S2, 1055);
    d.pad_left = d.pad_top = 17;
    expect_refusal(&d, in, S2, "pad_left = 17");
    run_with_rows(&d, in, 1056);
    dw(&d, 1, 2, 3, 2,
       1); /* rows too wide for the phase planes: the row kernel's stride-2 strips */
    in[1] = 1;
    in[2] = 3;
    in[3] = 1100;
    d.padding_mode = CLCONV_PADDING_REPLICATE;
    expect_refusal(&d, in, S2, "input width = 1100");
    run_with_rows(&d, in, 1059);
    d.dtype = CLCONV_FLOAT16;
    run_with_rows(&d, in, 1060);
    dw(&d, 576, 1, 3, 2, 1); /* MobileNetV2's last stride-2 layer, batch 2, float16 */
    d.dtype = CLCONV_FLOAT16;
    int in2[4] = {2, 576, 14, 14};
    run_forced(&d, in2, S2, 1057);
}
END_TEST

/* The flat and stride-2 kernels convert half input with integer operations: every half bit
 * pattern through a 1x1 kernel of weight 1 (exact) comes out as it went in; NaN stays NaN, -0
 * may become +0. Stride 1: a 256x256 plane of the 65536 values; stride 2: value i at the even
 * position (2 (i / 16), 2 (i % 16)) of an 8192x32 plane (rows narrow enough for the row copy). */
static void half_identity(const char *variant, int stride)
{
    clconv_context *ctx = test_context();
    ck_assert_ptr_nonnull(ctx);
    clconv_desc d;
    dw(&d, 1, 1, 1, stride, 0);
    d.bias = 0;
    d.dtype = CLCONV_FLOAT16;
    const int in[4] = {1, 1, stride == 1 ? 256 : 8192, stride == 1 ? 256 : 32};
    const size_t count = (size_t)in[2] * in[3];
    uint16_t *x = calloc(count, sizeof *x), *y = malloc(65536 * sizeof *y);
    ck_assert_ptr_nonnull(x);
    ck_assert_ptr_nonnull(y);
    for (uint32_t i = 0; i < 65536; i++)
        x[stride == 1 ? i : (i / 16) * 2 * 32 + (i % 16) * 2] = (uint16_t)i;
    const uint16_t one = 0x3c00;
    cl_context cl = clconv_context_get_cl_context(ctx);
    cl_command_queue q = clconv_context_get_queue(ctx);
    cl_int err;
    cl_mem bi = clCreateBuffer(cl, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, count * 2, x, &err);
    cl_mem bw = clCreateBuffer(cl, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, 2, (void *)&one, &err);
    cl_mem bo = clCreateBuffer(cl, CL_MEM_READ_WRITE, 65536 * 2, NULL, &err);
    ck_assert(bi && bw && bo);
    clconv_plan *plan = NULL;
    ck_assert_int_eq(clconv_plan_create_variant(ctx, &d, in, variant, &plan), CLCONV_SUCCESS);
    ck_assert_str_eq(clconv_plan_get_variant_name(plan), variant);
    ck_assert_int_eq(clconv_plan_enqueue(plan, bi, bw, NULL, bo, NULL, 0, NULL, NULL),
                     CLCONV_SUCCESS);
    ck_assert_int_eq(clEnqueueReadBuffer(q, bo, CL_TRUE, 0, 65536 * 2, y, 0, NULL, NULL),
                     CL_SUCCESS);
    int bad = 0;
    for (uint32_t i = 0; i < 65536 && bad < 5; i++) {
        const bool nan = (i & 0x7c00u) == 0x7c00u && (i & 0x3ffu);
        const bool ok = nan ? ((y[i] & 0x7c00u) == 0x7c00u && (y[i] & 0x3ffu))
                            : (y[i] == i || (i == 0x8000u && y[i] == 0));
        if (!ok)
            fprintf(stderr, "%s: half 0x%04x came out as 0x%04x\n", variant, (unsigned)i,
                    (unsigned)y[i]);
        bad += !ok;
    }
    ck_assert_int_eq(bad, 0);
    clconv_plan_destroy(plan);
    clReleaseMemObject(bi);
    clReleaseMemObject(bw);
    clReleaseMemObject(bo);
    free(x);
    free(y);
}

START_TEST(half_conversion_every_value)
{
    half_identity(FLAT, 1);
    half_identity(S2, 2);
}
END_TEST

START_TEST(declines_other_cases_with_reason)
{
    clconv_context *ctx = test_context();
    ck_assert_ptr_nonnull(ctx);
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 8, 8, 3, 3);
    d.groups = 4;
    int in[4] = {1, 8, 6, 6};
    clconv_plan *plan = NULL;
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_DEPTHWISE, &plan),
                     CLCONV_ERROR_UNSUPPORTED);
    ck_assert_ptr_null(plan);
    ck_assert_msg(strstr(clconv_context_last_error(ctx), "groups = 4 with in_channels = 8"),
                  "message: %s", clconv_context_last_error(ctx));
    clconv_desc_init(&d, CLCONV_CONV_TRANSPOSE2D, 8, 8, 3, 3);
    d.groups = 8;
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_DEPTHWISE, &plan),
                     CLCONV_ERROR_UNSUPPORTED);
    ck_assert_msg(strstr(clconv_context_last_error(ctx), "kind = ConvTranspose2d"), "message: %s",
                  clconv_context_last_error(ctx));
}
END_TEST

START_TEST(auto_picks_depthwise_for_mobilenet_layer)
{
    /* Which algorithm wins depends on the device (depthwise on the CPU profile, direct on an
     * H100): those choices are pinned for fixed profiles in test_select. On the device that
     * runs this, AUTO's choice must be an available algorithm that computes the layer right. */
    clconv_desc d;
    dw(&d, 64, 1, 3, 1, 1);
    int in[4] = {1, 64, 56, 56};
    test_outcome r;
    bool ok = test_run_case(&d, in, CLCONV_ALGO_AUTO, 801, &r);
    ck_assert_msg(ok, "%s", r.message);
    ck_assert_msg(r.algo != CLCONV_ALGO_AUTO && clconv_algo_available(r.algo), "AUTO chose %d",
                  (int)r.algo);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("depthwise");
    TCase *grid = tcase_create("grid");
    tcase_set_timeout(grid, 300);
    tcase_add_loop_test(grid, random_grid_f32, 0, 6); /* 300 cases */
    tcase_add_loop_test(grid, random_grid_f16, 0, 2); /* 100 cases */
    tcase_add_loop_test(grid, forced_random, 0, 6);   /* each variant, float32 and float16 */
    suite_add_tcase(s, grid);
    TCase *edge = tcase_create("edges");
    tcase_set_timeout(edge, 300);
    tcase_add_test(edge, interior_and_border_tiles);
    tcase_add_test(edge, depth_multiplier_and_kernels);
    tcase_add_test(edge, mobilenet_shapes);
    tcase_add_test(edge, narrow_rows_padded_copy);
    tcase_add_test(edge, flat_path_shapes);
    tcase_add_test(edge, half_conversion_every_value);
    tcase_add_test(edge, stride2_phase_path);
    tcase_add_test(edge, declines_other_cases_with_reason);
    tcase_add_test(edge, forced_refusals);
    tcase_add_test(edge, auto_takes_calibrated_variants);
    tcase_add_test(edge, auto_picks_depthwise_for_mobilenet_layer);
    suite_add_tcase(s, edge);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK); /* one context, one program cache */
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    test_context_release();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
