/* Kernel sources from $CLCONV_KERNEL_DIR and the program cache, each on a fresh context. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <clconv.h>

#include "src/kernels.h"
#include "tests/common.h"
#include "tests/test_context.h"

#ifndef CLCONV_TEST_CL_DIR
#error "meson passes CLCONV_TEST_CL_DIR, the source cl/ folder"
#endif

/* A fresh folder under /tmp holding copies of the source cl/ files; broken names one file
 * to spoil. Returns the folder (static storage). */
static const char *kernel_dir_copy(const char *broken)
{
    static char dir[] = "/tmp/clconv-kernels-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    DIR *src = opendir(CLCONV_TEST_CL_DIR);
    ck_assert_ptr_nonnull(src);
    struct dirent *e;
    int copied = 0;
    while ((e = readdir(src)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 4 || strcmp(e->d_name + n - 3, ".cl"))
            continue;
        char from[1024], to[1024];
        snprintf(from, sizeof from, "%s/%s", CLCONV_TEST_CL_DIR, e->d_name);
        snprintf(to, sizeof to, "%s/%s", dir, e->d_name);
        FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
        ck_assert(in && out);
        char buf[4096];
        size_t got;
        while ((got = fread(buf, 1, sizeof buf, in)) > 0)
            ck_assert_uint_eq(fwrite(buf, 1, got, out), got);
        if (broken && !strcmp(e->d_name, broken))
            fputs("\nclconv_broken_on_purpose this_does_not_compile;\n", out);
        fclose(in);
        fclose(out);
        copied++;
    }
    closedir(src);
    ck_assert_int_ge(copied, 2);
    return dir;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static clconv_context *fresh_context(void)
{
    clconv_context *ctx = NULL;
    ck_assert_msg(clconv_context_create(NULL, &ctx) == CLCONV_SUCCESS, "%s", clconv_last_error());
    return ctx;
}

START_TEST(test_kernel_dir_broken_file)
{
    const char *dir = kernel_dir_copy("conv2d_direct.cl");
    ck_assert_int_eq(setenv("CLCONV_KERNEL_DIR", dir, 1), 0);
    clconv_context *ctx = fresh_context();
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 2, 2, 3, 3);
    const int in[4] = {1, 2, 5, 5};
    clconv_plan *plan = NULL;
    /* creation compiles nothing: the build failure surfaces at bake */
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_DIRECT, &plan), CLCONV_SUCCESS);
    ck_assert_int_eq(clconv_plan_bake(plan), CLCONV_ERROR_BUILD);
    ck_assert(!clconv_plan_is_baked(plan));
    /* a failed bake is retried, and fails the same way */
    ck_assert_int_eq(clconv_plan_bake(plan), CLCONV_ERROR_BUILD);
    clconv_plan_destroy(plan);
    const char *msg = clconv_context_last_error(ctx);
    ck_assert_msg(strstr(msg, "conv2d_direct.cl") != NULL, "message: %s", msg);
    /* the compiler's log, which names the offending identifier */
    ck_assert_msg(strstr(msg, "clconv_broken_on_purpose") != NULL, "no build log in: %s", msg);
    ck_assert_uint_eq(clconv_program_cache_size(ctx), 0); /* a failed build is not cached */
    /* the other files of the folder still build */
    clconv_desc_init(&d, CLCONV_CONV_TRANSPOSE2D, 2, 2, 3, 3);
    test_outcome r;
    ck_assert_msg(test_run_case_on(ctx, &d, in, CLCONV_ALGO_DIRECT, 1, &r), "%s", r.message);
    clconv_context_destroy(ctx);
    unsetenv("CLCONV_KERNEL_DIR");
    remove_dir(dir);
}
END_TEST

START_TEST(test_kernel_dir_empty)
{
    char dir[] = "/tmp/clconv-empty-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(setenv("CLCONV_KERNEL_DIR", dir, 1), 0);
    clconv_context *ctx = fresh_context();
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 2, 2, 3, 3);
    const int in[4] = {1, 2, 5, 5};
    clconv_plan *plan = NULL;
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_DIRECT, &plan), CLCONV_SUCCESS);
    ck_assert_int_eq(clconv_plan_bake(plan), CLCONV_ERROR_KERNEL_SOURCE);
    const char *msg = clconv_context_last_error(ctx);
    ck_assert_msg(strstr(msg, "conv2d_direct.cl") && strstr(msg, dir), "message: %s", msg);
    /* an unbaked plan's first enqueue reports the same failure, before touching anything */
    cl_int err;
    cl_context cl = clconv_context_get_cl_context(ctx);
    cl_mem buf = clCreateBuffer(cl, CL_MEM_READ_WRITE, 4096, NULL, &err);
    cl_mem outb = clCreateBuffer(cl, CL_MEM_READ_WRITE, 4096, NULL, &err);
    ck_assert_ptr_nonnull(buf);
    ck_assert_ptr_nonnull(outb);
    ck_assert_int_eq(clconv_plan_enqueue(plan, buf, buf, buf, outb, NULL, 0, NULL, NULL),
                     CLCONV_ERROR_KERNEL_SOURCE);
    clReleaseMemObject(buf);
    clReleaseMemObject(outb);
    clconv_plan_destroy(plan);
    clconv_context_destroy(ctx);
    unsetenv("CLCONV_KERNEL_DIR");
    rmdir(dir);
}
END_TEST

START_TEST(test_kernel_dir_real)
{
    ck_assert_int_eq(setenv("CLCONV_KERNEL_DIR", CLCONV_TEST_CL_DIR, 1), 0);
    clconv_context *ctx = fresh_context();
    test_outcome r;
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 3, 4, 3, 3);
    d.padding_mode = CLCONV_PADDING_REFLECT;
    d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
    const int in[4] = {2, 3, 6, 7};
    ck_assert_msg(test_run_case_on(ctx, &d, in, CLCONV_ALGO_DIRECT, 1, &r), "%s", r.message);
    clconv_desc_init(&d, CLCONV_CONV_TRANSPOSE2D, 3, 4, 3, 3);
    d.stride_h = 2;
    ck_assert_msg(test_run_case_on(ctx, &d, in, CLCONV_ALGO_DIRECT, 2, &r), "%s", r.message);
    ck_assert_uint_eq(clconv_program_cache_size(ctx), 2);
    clconv_context_destroy(ctx);
    unsetenv("CLCONV_KERNEL_DIR");
}
END_TEST

START_TEST(test_program_cache)
{
    unsetenv("CLCONV_KERNEL_DIR");
    clconv_context *ctx = fresh_context();
    ck_assert_uint_eq(clconv_program_cache_size(ctx), 0);
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 4, 8, 3, 3);
    const int in[4] = {1, 4, 6, 6};
    clconv_plan *a = NULL, *b = NULL, *c = NULL;
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_DIRECT, &a), CLCONV_SUCCESS);
    ck_assert_uint_eq(clconv_program_cache_size(ctx), 0); /* creation builds nothing */
    ck_assert(!clconv_plan_is_baked(a));
    ck_assert_int_eq(clconv_plan_bake(a), CLCONV_SUCCESS);
    ck_assert(clconv_plan_is_baked(a));
    ck_assert_int_eq(clconv_plan_bake(a), CLCONV_SUCCESS); /* idempotent */
    ck_assert_uint_eq(clconv_program_cache_size(ctx), 1);
    /* another shape and stride, same build options: the program is reused */
    d.stride_h = 2;
    const int in2[4] = {2, 4, 9, 7};
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in2, CLCONV_ALGO_DIRECT, &b), CLCONV_SUCCESS);
    ck_assert_int_eq(clconv_plan_bake(b), CLCONV_SUCCESS);
    ck_assert_uint_eq(clconv_program_cache_size(ctx), 1);
    /* another padding mode is another program */
    d.padding_mode = CLCONV_PADDING_REPLICATE;
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in2, CLCONV_ALGO_DIRECT, &c), CLCONV_SUCCESS);
    ck_assert_int_eq(clconv_plan_bake(c), CLCONV_SUCCESS);
    ck_assert_uint_eq(clconv_program_cache_size(ctx), 2);
    /* the cache hands out the same cl_program for the same (file, options) */
#define PROBE_OPTIONS "-D PAD_MODE=0 -D OC_TILE=1 -D X_TILE=4 -D PROBE="
    cl_program p1 = NULL, p2 = NULL, p3 = NULL;
    ck_assert_int_eq(clconv_get_program(ctx, "conv2d_direct.cl", PROBE_OPTIONS "1", &p1),
                     CLCONV_SUCCESS);
    ck_assert_int_eq(clconv_get_program(ctx, "conv2d_direct.cl", PROBE_OPTIONS "1", &p2),
                     CLCONV_SUCCESS);
    ck_assert_int_eq(clconv_get_program(ctx, "conv2d_direct.cl", PROBE_OPTIONS "2", &p3),
                     CLCONV_SUCCESS);
    ck_assert_ptr_eq(p1, p2);
    ck_assert_ptr_ne(p1, p3);
    ck_assert_uint_eq(clconv_program_cache_size(ctx), 4);
    /* an unknown file is a source error, not a cache entry */
    ck_assert_int_eq(clconv_get_program(ctx, "no_such_kernel.cl", "", &p1),
                     CLCONV_ERROR_KERNEL_SOURCE);
    ck_assert_ptr_nonnull(strstr(clconv_context_last_error(ctx), "no_such_kernel.cl"));
    ck_assert_uint_eq(clconv_program_cache_size(ctx), 4);
    /* plans keep working while sharing programs */
    clconv_plan_destroy(a);
    test_outcome r;
    ck_assert_msg(test_run_case_on(ctx, &d, in2, CLCONV_ALGO_DIRECT, 9, &r), "%s", r.message);
    clconv_plan_destroy(b);
    clconv_plan_destroy(c);
    clconv_context_destroy(ctx);
}
END_TEST

void context_kernels_add_tests(TCase *tc)
{
    tcase_add_test(tc, test_kernel_dir_broken_file);
    tcase_add_test(tc, test_kernel_dir_empty);
    tcase_add_test(tc, test_kernel_dir_real);
    tcase_add_test(tc, test_program_cache);
}
