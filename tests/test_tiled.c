/* The tiled algorithm forced (AUTO's choice among the tiled variants) against the CPU reference:
 * the randomized Conv2d grid in float32 and float16 storage, hand-picked edges of the tiling
 * (channel tails, pixel tails, unpadded inputs read in place, every padding mode), the edges of
 * the pixel-vector, flat and scatter variants forced by name, the randomized ConvTranspose2d
 * grid and its stride phases, the cases it declines, its workspace; and the suite, with the
 * variant tests of test_tiled_variants.c. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/internal.h"
#include "src/variant.h"
#include "tests/common.h"
#include "tests/test_tiled.h"

static void run_case(const clconv_desc *d, const int in[4], uint64_t seed)
{
    ck_assert_case_runs(d, in, CLCONV_ALGO_TILED, seed);
}

/* Runs the case with the variant forced: clconv_plan_create_variant must give a plan of that
 * variant, and the variant must match the reference (run by the shared runner, which takes
 * it from $CLCONV_VARIANT: the same forcing path). */
void run_variant(const char *name, const clconv_desc *d, const int in[4], uint64_t seed)
{
    char case_[512];
    test_describe(d, in, case_, sizeof case_);
    clconv_context *ctx = test_context();
    ck_assert_ptr_nonnull(ctx);
    clconv_plan *plan = NULL;
    const clconv_status st = clconv_plan_create_variant(ctx, d, in, name, &plan);
    ck_assert_msg(st == CLCONV_SUCCESS, "%s on %s: %s: %s", name, case_, clconv_status_name(st),
                  clconv_context_last_error(ctx));
    ck_assert_str_eq(clconv_plan_get_variant_name(plan), name);
    clconv_plan_destroy(plan);
    setenv("CLCONV_VARIANT", name, 1);
    test_outcome r;
    const bool ok = test_run_case(d, in, CLCONV_ALGO_AUTO, seed, &r);
    unsetenv("CLCONV_VARIANT"); /* before any assertion, which leaves the test */
    ck_assert_msg(ok, "%s on %s (seed %llu): %s", name, case_, (unsigned long long)seed, r.message);
    ck_assert_int_eq(r.algo, CLCONV_ALGO_TILED);
}

/* _i of the loop tests: one batch of the grid per test, so a failure names its batch. */
#define GRID_BATCH 50

static void run_grid(clconv_kind kind, clconv_dtype dtype, uint64_t base_seed, int batch)
{
    test_rng rng;
    test_rng_seed(&rng, base_seed + (uint64_t)batch);
    for (int i = 0; i < GRID_BATCH; i++) {
        clconv_desc d;
        int in[4];
        if (kind == CLCONV_CONV2D)
            test_random_conv2d(&rng, dtype, &d, in);
        else
            test_random_conv_transpose2d(&rng, dtype, &d, in);
        run_case(&d, in, base_seed * 1000 + (uint64_t)(batch * GRID_BATCH + i));
    }
}

START_TEST(random_grid_f32)
{
    run_grid(CLCONV_CONV2D, CLCONV_FLOAT32, 61, _i);
}
END_TEST

START_TEST(random_grid_f16)
{
    run_grid(CLCONV_CONV2D, CLCONV_FLOAT16, 62, _i);
}
END_TEST

START_TEST(random_transposed_grid_f32)
{
    run_grid(CLCONV_CONV_TRANSPOSE2D, CLCONV_FLOAT32, 63, _i);
}
END_TEST

START_TEST(random_transposed_grid_f16)
{
    run_grid(CLCONV_CONV_TRANSPOSE2D, CLCONV_FLOAT16, 64, _i);
}
END_TEST

static void conv(clconv_desc *d, int cin, int cout, int k, int stride, int pad, int groups)
{
    clconv_desc_init(d, CLCONV_CONV2D, cin, cout, k, k);
    d->stride_h = d->stride_w = stride;
    d->pad_top = d->pad_bottom = d->pad_left = d->pad_right = pad;
    d->groups = groups;
}

START_TEST(channel_and_pixel_tails)
{
    /* out channels per group around the vector widths 4, 8, 16; pixel counts around the
     * tile of 8 */
    static const int couts[] = {1, 3, 4, 5, 8, 9, 15, 16, 17, 33};
    static const int sizes[][2] = {{1, 1}, {2, 4}, {3, 3}, {4, 5}, {7, 7}};
    uint64_t seed = 700;
    for (size_t c = 0; c < sizeof couts / sizeof couts[0]; c++)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            clconv_desc d;
            conv(&d, 5, couts[c], 3, 1, 1, 1);
            d.bias = (int)(c & 1);
            int in[4] = {2, 5, sizes[s][0], sizes[s][1]};
            run_case(&d, in, seed++);
        }
}
END_TEST

START_TEST(unpadded_reads_input_in_place)
{
    clconv_desc d;
    conv(&d, 24, 40, 1, 1, 0, 1); /* 1x1: no padded copy, workspace holds weights only */
    int in[4] = {2, 24, 9, 11};
    run_case(&d, in, 801);
    conv(&d, 16, 32, 3, 2, 0, 2); /* strided, grouped, unpadded */
    in[1] = 16;
    run_case(&d, in, 802);
    d.dtype = CLCONV_FLOAT16;
    run_case(&d, in, 803);
}
END_TEST

START_TEST(padding_modes_and_dilation)
{
    for (int mode = 0; mode < 4; mode++) {
        clconv_desc d;
        conv(&d, 6, 20, 3, 1, 2, 1);
        d.dilation_h = 2;
        d.dilation_w = 3;
        d.pad_top = 1;
        d.pad_right = 3;
        d.padding_mode = (clconv_padding_mode)mode;
        int in[4] = {1, 6, 8, 9};
        run_case(&d, in, 900 + (uint64_t)mode);
        /* asymmetric 'same' padding of an even kernel */
        conv(&d, 6, 8, 4, 1, 0, 1);
        d.padding_mode = (clconv_padding_mode)mode;
        ck_assert_int_eq(clconv_desc_set_padding_same(&d), CLCONV_SUCCESS);
        run_case(&d, in, 910 + (uint64_t)mode);
    }
}
END_TEST

START_TEST(network_shapes)
{
    clconv_desc d;
    conv(&d, 64, 64, 3, 1, 1, 1); /* ResNet 3x3 on a small map */
    int in[4] = {1, 64, 14, 14};
    run_case(&d, in, 1001);
    conv(&d, 128, 128, 3, 2, 1, 32); /* ResNeXt grouped, stride 2 */
    in[1] = 128;
    in[2] = in[3] = 12;
    run_case(&d, in, 1002);
    conv(&d, 3, 32, 7, 2, 3, 1); /* stem: few input channels, big kernel */
    in[1] = 3;
    in[2] = in[3] = 30;
    run_case(&d, in, 1003);
    conv(&d, 32, 32, 3, 1, 1, 32); /* depthwise also runs here (slowly) */
    in[1] = 32;
    in[2] = in[3] = 10;
    run_case(&d, in, 1004);
    d.dtype = CLCONV_FLOAT16;
    run_case(&d, in, 1005);
}
END_TEST

START_TEST(pixel_vector_variant)
{
    /* tiled.pixvec_c4r4 (AUTO's for groups of at most 4 output channels): 8-column vectors,
     * 4 rows.
     * Widths around 8 and 16 exercise the vector reads, the gathered right edge and the
     * partial stores; strides 1, 2 (even lanes of a 16-wide read), 3 (gathered); dilation;
     * padded and in-place inputs; channel tails of the 4-channel tile; both dtypes. */
    static const int widths[] = {5, 8, 9, 16, 17, 23};
    static const int strides[][2] = {{1, 1}, {2, 2}, {3, 1}, {1, 3}};
    uint64_t seed = 1200;
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++)
        for (size_t st = 0; st < sizeof strides / sizeof strides[0]; st++) {
            clconv_desc d;
            const int cout = (int)(w % 3) + 2; /* 2, 3, 4 channels per group */
            conv(&d, 4, 2 * cout, 3, 1, (int)((w + st) & 1), 2);
            d.stride_h = strides[st][0];
            d.stride_w = strides[st][1];
            d.dilation_w = w == 3 ? 2 : 1;
            d.bias = (int)(st & 1);
            d.dtype = (w + st) % 3 == 0 ? CLCONV_FLOAT16 : CLCONV_FLOAT32;
            int in[4] = {2, 4, (int)(w % 4) + 7, widths[w]};
            run_variant("tiled.pixvec_c4r4", &d, in, seed++);
        }
    for (int mode = 0; mode < 4; mode++) { /* every padding mode through the padded copy */
        clconv_desc d;
        conv(&d, 6, 3, 3, 2, 1, 3);
        d.pad_right = 2;
        d.padding_mode = (clconv_padding_mode)mode;
        int in[4] = {1, 6, 13, 19};
        run_variant("tiled.pixvec_c4r4", &d, in, 1300 + (uint64_t)mode);
    }
}
END_TEST

START_TEST(flat_pixel_vectors)
{
    /* tiled.flat_c4v4 (AUTO's on CPUs for 1x1 kernels and maps of at most 64 pixels at
     * stride 1) and tiled.flat_sampled_c4v4 (strided 1x1 kernels, through a sampled copy).
     * Widths around the 16-pixel vector; channel tails of the 4- and 8-channel tiles; the
     * gathered reads of the last channels when a vector would run past the input (unpadded
     * inputs read in place); batches; bias; both dtypes. */
    static const int cases[][10] = {
        /* cin, cout, k, stride_h, stride_w, pad, groups, n, h, w */
        {24, 40, 1, 1, 1, 0, 1, 2, 9, 11},  /* 1x1 in place, gathered tail */
        {16, 13, 1, 1, 1, 0, 1, 1, 4, 8},   /* one tile of 32 pixels */
        {32, 64, 1, 1, 1, 0, 2, 2, 7, 7},   /* 7x7, grouped 1x1 */
        {12, 20, 1, 2, 2, 0, 1, 2, 13, 17}, /* strided 1x1: sampled copy, odd sizes */
        {8, 9, 1, 3, 2, 0, 1, 1, 11, 23},   /* unequal strides */
        {16, 32, 1, 2, 2, 0, 4, 1, 14, 14}, /* strided grouped */
        {8, 8, 1, 1, 1, 1, 1, 1, 5, 6},     /* padded 1x1 */
        {20, 24, 3, 1, 1, 1, 1, 2, 7, 7},   /* small map, whole map per item */
        {9, 17, 3, 1, 1, 0, 1, 1, 8, 8},    /* small map read in place: gathered tail */
        {6, 10, 5, 1, 1, 2, 1, 1, 6, 5},    /* small map, 5x5 taps at run time */
        {3, 5, 3, 1, 1, 1, 1, 1, 2, 3},     /* map narrower than a vector's rows */
        {16, 16, 3, 1, 1, 1, 4, 2, 7, 9},   /* 4-channel groups, small map */
        {18, 12, 3, 1, 1, 1, 6, 1, 17, 16}, /* 2-channel groups (8-column kernel) */
        {12, 9, 1, 1, 1, 0, 3, 1, 9, 33},   /* 3-channel groups, 1x1 */
        /* the last tile computes only its vectors that hold outputs, one at a time */
        {40, 24, 1, 1, 1, 0, 1, 2, 14, 14}, /* 196 = 3 x 64 + 4: a 1-vector tail, gathered */
        {16, 12, 1, 1, 1, 0, 1, 1, 4, 5},   /* 20 pixels: a 2-vector tail is the only tile */
        {12, 20, 1, 1, 1, 0, 1, 1, 13, 8},  /* 104 = 64 + 40: a 3-vector tail */
        {10, 12, 3, 1, 1, 1, 1, 2, 5, 6},   /* 3x3 small map, 40 pixels over the padded rows */
        {8, 8, 1, 2, 2, 0, 1, 1, 6, 40},    /* stride-2 copy: 8-wide loads, then elements */
        {8, 8, 1, 2, 2, 0, 1, 1, 5, 33},    /* odd width: the last 16-wide load fits */
    };
    uint64_t seed = 1400;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const int *c = cases[i];
        clconv_desc d;
        conv(&d, c[0], c[1], c[2], 1, c[5], c[6]);
        d.stride_h = c[3];
        d.stride_w = c[4];
        d.bias = (int)(i & 1);
        int in[4] = {c[7], c[0], c[8], c[9]};
        const char *v = c[3] == 1 && c[4] == 1 ? "tiled.flat_c4v4" : "tiled.flat_sampled_c4v4";
        run_variant(v, &d, in, seed++);
        d.dtype = CLCONV_FLOAT16;
        run_variant(v, &d, in, seed++);
    }
    for (int mode = 0; mode < 4; mode++) { /* a small map through every padding mode */
        clconv_desc d;
        conv(&d, 5, 8, 3, 1, 2, 1);
        d.dilation_h = 2;
        d.pad_left = 1;
        d.padding_mode = (clconv_padding_mode)mode;
        int in[4] = {1, 5, 6, 7};
        run_variant("tiled.flat_c4v4", &d, in, 1450 + (uint64_t)mode);
    }
}
END_TEST

START_TEST(repeated_enqueue_reuses_workspace)
{
    /* the weight re-layout and the padded copy are redone each enqueue: a second run with
     * other data must not see the first run's */
    clconv_desc d;
    conv(&d, 8, 16, 3, 1, 1, 1);
    d.padding_mode = CLCONV_PADDING_REFLECT;
    int in[4] = {1, 8, 6, 6};
    run_case(&d, in, 1101);
    run_case(&d, in, 1102);
}
END_TEST

START_TEST(transposed_phases)
{
    /* stride phases with no taps (kernel < stride), more taps than stride, dilation sharing
     * a factor with the stride, output padding, cropping padding, groups */
    static const int cases[][9] = {
        /* k, s, pad, dil, out_pad, groups, cin, cout, hw */
        {1, 3, 0, 1, 2, 1, 4, 5, 4},  {2, 2, 0, 1, 0, 1, 8, 16, 5}, {3, 2, 1, 1, 1, 1, 6, 20, 6},
        {4, 2, 1, 1, 0, 1, 16, 8, 4}, {5, 3, 2, 2, 1, 2, 4, 6, 5},  {3, 2, 2, 2, 1, 2, 8, 8, 6},
        {16, 8, 4, 1, 0, 1, 3, 3, 3}, {4, 2, 3, 3, 2, 4, 8, 12, 4}, {3, 1, 1, 1, 0, 1, 5, 7, 6},
    };
    uint64_t seed = 1200;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const int *c = cases[i];
        clconv_desc d;
        clconv_desc_init(&d, CLCONV_CONV_TRANSPOSE2D, c[6], c[7], c[0], c[0]);
        d.stride_h = d.stride_w = c[1];
        d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = c[2];
        d.dilation_h = d.dilation_w = c[3];
        d.output_padding_h = d.output_padding_w = c[4];
        d.groups = c[5];
        d.bias = (int)(i & 1);
        int in[4] = {2, c[6], c[8], c[8] + 1};
        run_case(&d, in, seed++);
        d.dtype = CLCONV_FLOAT16;
        run_case(&d, in, seed++);
    }
}
END_TEST

/* Workspace bytes of the plan of variant (NULL: AUTO's choice among the tiled variants). */
static size_t tiled_workspace_of(const clconv_desc *d, const int in[4], const char *variant)
{
    clconv_plan *plan = NULL;
    ck_assert_int_eq(variant ? clconv_plan_create_variant(test_context(), d, in, variant, &plan)
                             : clconv_plan_create(test_context(), d, in, CLCONV_ALGO_TILED, &plan),
                     CLCONV_SUCCESS);
    const size_t bytes = clconv_plan_get_workspace_size(plan);
    clconv_plan_destroy(plan);
    return bytes;
}

START_TEST(transposed_kernel_equals_stride)
{
    /* tiled.scatter_c4v4 (AUTO's on CPUs for kernel == stride, dilation 1, no padding, no
     * output padding) runs a 1x1 convolution with Cout*kh*kw channels stored strided, its
     * weights in place and no padded copy (no workspace): 2x2, 4x4, 3x3 (channel tiles
     * across taps), unequal axes; odd and 1x1 maps and rows past the
     * 16-pixel vector (scattered lane by lane); channel tails; groups; batches; bias; both
     * dtypes. */
    static const int cases[][9] = {
        /* kh, kw, groups, cin, cout, n, h, w, bias */
        {2, 2, 1, 8, 16, 1, 5, 7, 1},  {2, 2, 1, 24, 12, 2, 16, 16, 0}, {4, 4, 1, 6, 5, 1, 3, 9, 1},
        {3, 3, 1, 7, 3, 2, 9, 17, 0},  {2, 2, 1, 5, 7, 2, 1, 1, 1},     {3, 3, 2, 4, 6, 1, 1, 1, 0},
        {2, 3, 1, 9, 4, 1, 11, 13, 1}, {2, 2, 4, 16, 8, 2, 6, 33, 1},   {2, 2, 3, 6, 9, 1, 7, 5, 0},
        {1, 1, 1, 10, 6, 1, 8, 9, 1},  {2, 2, 1, 40, 3, 1, 14, 14, 1},
    };
    uint64_t seed = 1600;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const int *c = cases[i];
        clconv_desc d;
        clconv_desc_init(&d, CLCONV_CONV_TRANSPOSE2D, c[3], c[4], c[0], c[1]);
        d.stride_h = c[0];
        d.stride_w = c[1];
        d.groups = c[2];
        d.bias = c[8];
        int in[4] = {c[5], c[3], c[6], c[7]};
        ck_assert_uint_eq(tiled_workspace_of(&d, in, "tiled.scatter_c4v4"), 0);
        run_variant("tiled.scatter_c4v4", &d, in, seed++);
        d.dtype = CLCONV_FLOAT16;
        run_variant("tiled.scatter_c4v4", &d, in, seed++);
    }
    /* where one output gets no tap or another mapping, the layer stays on the phases (their
     * re-laid-out weights take workspace) and stays exact */
    for (int v = 0; v < 5; v++) {
        clconv_desc d;
        clconv_desc_init(&d, CLCONV_CONV_TRANSPOSE2D, 6, 10, 2, 2);
        d.stride_h = d.stride_w = 2;
        if (v == 0)
            d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
        else if (v == 1)
            d.pad_left = 1;
        else if (v == 2)
            d.output_padding_h = 1;
        else if (v == 3)
            d.dilation_w = 2;
        else
            d.stride_h = 3; /* kernel 2 < stride 3: rows without taps */
        int in[4] = {2, 6, 5, 6};
        ck_assert_uint_gt(tiled_workspace_of(&d, in, NULL), 0);
        run_case(&d, in, 1700 + (uint64_t)v);
    }
}
END_TEST

START_TEST(declines_what_it_cannot_index)
{
    /* 1 x 1 x 46000 x 46000 fits int indexing; with 300 of padding on every side the padded
     * copy does not. Asked of the variants directly: buffers that size cannot be made. */
    clconv_context *ctx = test_context();
    ck_assert_ptr_nonnull(ctx);
    clconv_desc d;
    conv(&d, 1, 1, 3, 1, 300, 1);
    int in[4] = {1, 1, 46000, 46000};
    clconv_problem p;
    ck_assert_int_eq(clconv_problem_init(&d, in, &p), CLCONV_SUCCESS);
    static const char *const padded[] = {"tiled.chanvec_c4p8", "tiled.chanvec_c16p8",
                                         "tiled.pixvec_c4r4", "tiled.flat_c4v4"};
    clconv_config cfg;
    char reason[512] = "";
    for (size_t i = 0; i < sizeof padded / sizeof padded[0]; i++) {
        const clconv_variant *v = clconv_variant_lookup(padded[i]);
        ck_assert_ptr_nonnull(v);
        ck_assert(!clconv_variant_can_run(ctx, v, &p, &cfg, reason, sizeof reason));
        ck_assert_msg(strstr(reason, "padded input of 2171560000 elements") &&
                          strstr(reason, padded[i]),
                      "%s: %s", padded[i], reason);
    }
    /* the same layer at a size that fits runs */
    in[2] = in[3] = 64;
    ck_assert_int_eq(clconv_problem_init(&d, in, &p), CLCONV_SUCCESS);
    for (size_t i = 0; i < sizeof padded / sizeof padded[0]; i++)
        ck_assert_msg(clconv_variant_can_run(ctx, clconv_variant_lookup(padded[i]), &p, &cfg,
                                             reason, sizeof reason),
                      "%s: %s", padded[i], reason);
}
END_TEST

START_TEST(workspace_is_required)
{
    clconv_context *ctx = test_context();
    ck_assert_ptr_nonnull(ctx);
    clconv_desc d;
    conv(&d, 4, 8, 3, 1, 1, 1);
    int in[4] = {1, 4, 5, 5};
    clconv_plan *plan = NULL;
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_TILED, &plan), CLCONV_SUCCESS);
    /* the padded 7x7 copy (plus the re-laid-out weights where the channel-vector kernel
     * runs) */
    ck_assert_uint_ge(clconv_plan_get_workspace_size(plan), 4 * 7 * 7 * 4);
    cl_context cl = clconv_context_get_cl_context(ctx);
    cl_int err;
    cl_mem buf = clCreateBuffer(cl, CL_MEM_READ_WRITE, 4096, NULL, &err);
    cl_mem out = clCreateBuffer(cl, CL_MEM_READ_WRITE, 4096, NULL, &err);
    ck_assert_int_eq(clconv_plan_enqueue(plan, buf, buf, buf, out, NULL, 0, NULL, NULL),
                     CLCONV_ERROR_INVALID_BUFFER);
    ck_assert_msg(strstr(clconv_context_last_error(ctx), "workspace"), "message: %s",
                  clconv_context_last_error(ctx));
    clReleaseMemObject(buf);
    clReleaseMemObject(out);
    clconv_plan_destroy(plan);
}
END_TEST
int main(void)
{
    Suite *s = suite_create("tiled");
    TCase *grid = tcase_create("grid");
    tcase_set_timeout(grid, 300);
    tcase_add_loop_test(grid, random_grid_f32, 0, 6);            /* 300 cases */
    tcase_add_loop_test(grid, random_grid_f16, 0, 2);            /* 100 cases */
    tcase_add_loop_test(grid, random_transposed_grid_f32, 0, 6); /* 300 cases */
    tcase_add_loop_test(grid, random_transposed_grid_f16, 0, 1); /* 50 cases */
    suite_add_tcase(s, grid);
    TCase *edge = tcase_create("edges");
    tcase_set_timeout(edge, 300);
    tcase_add_test(edge, channel_and_pixel_tails);
    tcase_add_test(edge, unpadded_reads_input_in_place);
    tcase_add_test(edge, padding_modes_and_dilation);
    tcase_add_test(edge, network_shapes);
    tcase_add_test(edge, pixel_vector_variant);
    tcase_add_test(edge, flat_pixel_vectors);
    tcase_add_test(edge, repeated_enqueue_reuses_workspace);
    tcase_add_test(edge, transposed_phases);
    tcase_add_test(edge, transposed_kernel_equals_stride);
    tcase_add_test(edge, declines_what_it_cannot_index);
    tcase_add_test(edge, workspace_is_required);
    tiled_variants_add_edge_tests(edge);
    suite_add_tcase(s, edge);
    TCase *forced = tcase_create("forced");
    tcase_set_timeout(forced, 300);
    tiled_variants_add_forced_tests(forced);
    suite_add_tcase(s, forced);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK); /* one context, one program cache */
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    test_context_release();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
