/* Disk cache of program binaries: hit, miss, corrupt and foreign entries, concurrent
 * writers, eviction, and the end-to-end effect on program builds. */
#include <check.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/binary-cache.h"
#include "src/kernels.h"
#include "tests/common.h"

static const char *SOURCE = "__kernel void twice(__global float *x) {\n"
                            "    size_t i = get_global_id(0);\n"
                            "    x[i] = 2.0f * x[i] + OFFSET;\n"
                            "}\n";
static char cache_dir[256];

static void fresh_cache_dir(void)
{
    snprintf(cache_dir, sizeof cache_dir, "/tmp/clconv-test-cache-%ld", (long)getpid());
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", cache_dir);
    ck_assert_int_eq(system(cmd), 0);
    setenv("CLCONV_CACHE_DIR", cache_dir, 1);
    unsetenv("CLCONV_CACHE");
    unsetenv("CLCONV_CACHE_MAX_MB");
}

static int count_entries(void)
{
    DIR *d = opendir(cache_dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".clbin") && !strstr(e->d_name, ".tmp"))
            n++;
    closedir(d);
    return n;
}

static char *entry_file(void)
{
    static char path[512];
    DIR *d = opendir(cache_dir);
    ck_assert_ptr_nonnull(d);
    struct dirent *e;
    path[0] = 0;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".clbin"))
            snprintf(path, sizeof path, "%s/%s", cache_dir, e->d_name);
    closedir(d);
    ck_assert_msg(path[0], "no cache entry in %s", cache_dir);
    return path;
}

static cl_program build_from_source(clconv_context *ctx, const char *options)
{
    cl_int err;
    cl_program p =
        clCreateProgramWithSource(clconv_context_get_cl_context(ctx), 1, &SOURCE, NULL, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    cl_device_id dev = clconv_context_get_device(ctx);
    ck_assert_int_eq(clBuildProgram(p, 1, &dev, options, NULL, NULL), CL_SUCCESS);
    return p;
}

/* Runs the program's kernel on 4 values and checks 2x + offset. */
static void check_runs(clconv_context *ctx, cl_program p, float offset)
{
    cl_int err;
    cl_kernel k = clCreateKernel(p, "twice", &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    float data[4] = {1, 2, 3, 4};
    cl_mem buf = clCreateBuffer(clconv_context_get_cl_context(ctx),
                                CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof data, data, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    clSetKernelArg(k, 0, sizeof buf, &buf);
    size_t global = 4;
    cl_command_queue q = clconv_context_get_queue(ctx);
    ck_assert_int_eq(clEnqueueNDRangeKernel(q, k, 1, NULL, &global, NULL, 0, NULL, NULL),
                     CL_SUCCESS);
    ck_assert_int_eq(clEnqueueReadBuffer(q, buf, CL_TRUE, 0, sizeof data, data, 0, NULL, NULL),
                     CL_SUCCESS);
    for (int i = 0; i < 4; i++)
        ck_assert_float_eq(data[i], 2.0f * (float)(i + 1) + offset);
    clReleaseMemObject(buf);
    clReleaseKernel(k);
}

START_TEST(miss_then_hit)
{
    fresh_cache_dir();
    clconv_context *ctx = test_context();
    ck_assert_ptr_nonnull(ctx);
    char *key = clconv_binary_cache_key(ctx, SOURCE, "-D OFFSET=1.0f");
    ck_assert_ptr_nonnull(key);
    ck_assert_ptr_nonnull(strstr(key, "-D OFFSET=1.0f"));
    cl_program p = NULL;
    ck_assert(!clconv_binary_cache_load(ctx, key, "-D OFFSET=1.0f", &p)); /* empty cache */
    cl_program built = build_from_source(ctx, "-D OFFSET=1.0f");
    clconv_binary_cache_store(ctx, key, built);
    ck_assert_int_eq(count_entries(), 1);
    ck_assert(clconv_binary_cache_load(ctx, key, "-D OFFSET=1.0f", &p));
    check_runs(ctx, p, 1.0f);
    clReleaseProgram(p);
    clReleaseProgram(built);
    /* other options: another key, a miss */
    char *key2 = clconv_binary_cache_key(ctx, SOURCE, "-D OFFSET=2.0f");
    ck_assert_str_ne(key, key2);
    ck_assert(!clconv_binary_cache_load(ctx, key2, "-D OFFSET=2.0f", &p));
    free(key);
    free(key2);
}
END_TEST

START_TEST(disabled_by_environment)
{
    fresh_cache_dir();
    setenv("CLCONV_CACHE", "0", 1);
    char dir[256];
    ck_assert(!clconv_binary_cache_dir(dir, sizeof dir));
    ck_assert_ptr_null(clconv_binary_cache_key(test_context(), SOURCE, ""));
    unsetenv("CLCONV_CACHE");
    ck_assert(clconv_binary_cache_dir(dir, sizeof dir));
    ck_assert_str_eq(dir, cache_dir);
}
END_TEST

/* Rewrites the one entry with a change; returns after the change is on disk. */
static void damage_entry(long offset_from_end, int truncate_bytes)
{
    char *path = entry_file();
    FILE *f = fopen(path, "r+b");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    if (offset_from_end > 0) {
        fseek(f, size - offset_from_end, SEEK_SET);
        int c = fgetc(f);
        fseek(f, size - offset_from_end, SEEK_SET);
        fputc(c ^ 0x5a, f);
    }
    fclose(f);
    if (truncate_bytes)
        ck_assert_int_eq(truncate(path, size - truncate_bytes), 0);
}

static void store_one(clconv_context *ctx, const char *key)
{
    cl_program built = build_from_source(ctx, "-D OFFSET=3.0f");
    clconv_binary_cache_store(ctx, key, built);
    clReleaseProgram(built);
    ck_assert_int_eq(count_entries(), 1);
}

START_TEST(corrupt_truncated_and_foreign_entries_are_misses)
{
    clconv_context *ctx = test_context();
    const char *opts = "-D OFFSET=3.0f";
    char *key = clconv_binary_cache_key(ctx, SOURCE, opts);
    cl_program p;
    for (int variant = 0; variant < 3; variant++) {
        fresh_cache_dir();
        store_one(ctx, key);
        if (variant == 0)
            damage_entry(5, 0); /* a flipped byte in the binary */
        else if (variant == 1)
            damage_entry(0, 7); /* truncated */
        else {                  /* another key hashed to the same file name */
            char *path = entry_file();
            FILE *f = fopen(path, "r+b");
            fseek(f, 8 + 4 + 8 + 8, SEEK_SET); /* first byte of the stored key */
            fputc('X', f);
            fclose(f);
        }
        ck_assert_msg(!clconv_binary_cache_load(ctx, key, opts, &p), "variant %d loaded", variant);
        ck_assert_int_eq(count_entries(), 0); /* removed, to be rebuilt */
    }
    free(key);
}
END_TEST

typedef struct writer_args {
    clconv_context *ctx;
    const char *key;
    cl_program program;
} writer_args;

static void *writer(void *arg)
{
    writer_args *a = arg;
    for (int i = 0; i < 20; i++)
        clconv_binary_cache_store(a->ctx, a->key, a->program);
    return NULL;
}

START_TEST(concurrent_writers_leave_a_whole_entry)
{
    fresh_cache_dir();
    clconv_context *ctx = test_context();
    const char *opts = "-D OFFSET=4.0f";
    char *key = clconv_binary_cache_key(ctx, SOURCE, opts);
    cl_program built = build_from_source(ctx, opts);
    pthread_t threads[8];
    writer_args args = {ctx, key, built};
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(pthread_create(&threads[i], NULL, writer, &args), 0);
    /* a reader racing the writers sees either nothing or a whole entry */
    for (int i = 0; i < 50; i++) {
        cl_program p;
        if (clconv_binary_cache_load(ctx, key, opts, &p)) {
            check_runs(ctx, p, 4.0f);
            clReleaseProgram(p);
        }
    }
    for (int i = 0; i < 8; i++)
        pthread_join(threads[i], NULL);
    ck_assert_int_eq(count_entries(), 1);
    cl_program p;
    ck_assert(clconv_binary_cache_load(ctx, key, opts, &p));
    check_runs(ctx, p, 4.0f);
    clReleaseProgram(p);
    clReleaseProgram(built);
    free(key);
}
END_TEST

START_TEST(eviction_keeps_recently_used_entries)
{
    fresh_cache_dir();
    clconv_context *ctx = test_context();
    cl_program built = build_from_source(ctx, "-D OFFSET=5.0f");
    size_t bin_len = 0;
    clGetProgramInfo(built, CL_PROGRAM_BINARY_SIZES, sizeof bin_len, &bin_len, NULL);
    ck_assert_uint_gt(bin_len, 0);
    /* a cap of about 2.5 entries */
    char cap[64];
    snprintf(cap, sizeof cap, "%.6f", 2.5 * (double)(bin_len + 200) / (1024.0 * 1024.0));
    setenv("CLCONV_CACHE_MAX_MB", cap, 1);
    char *keys[4];
    for (int i = 0; i < 4; i++) {
        char opts[64];
        snprintf(opts, sizeof opts, "-D OFFSET=5.0f -D ENTRY=%d", i);
        keys[i] = clconv_binary_cache_key(ctx, SOURCE, opts);
        clconv_binary_cache_store(ctx, keys[i], built);
        if (i == 1) { /* use entry 0 again: entry 1 is now the least recently used */
            sleep(1);
            cl_program p;
            ck_assert(clconv_binary_cache_load(ctx, keys[0], "-D OFFSET=5.0f", &p));
            clReleaseProgram(p);
        }
        sleep(1); /* distinct modification times */
    }
    ck_assert_int_eq(count_entries(), 2);
    cl_program p;
    ck_assert(!clconv_binary_cache_load(ctx, keys[1], "-D OFFSET=5.0f", &p));
    ck_assert(clconv_binary_cache_load(ctx, keys[3], "-D OFFSET=5.0f", &p));
    clReleaseProgram(p);
    for (int i = 0; i < 4; i++)
        free(keys[i]);
    clReleaseProgram(built);
    unsetenv("CLCONV_CACHE_MAX_MB");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cache");
    TCase *tc = tcase_create("binary");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, miss_then_hit);
    tcase_add_test(tc, disabled_by_environment);
    tcase_add_test(tc, corrupt_truncated_and_foreign_entries_are_misses);
    tcase_add_test(tc, concurrent_writers_leave_a_whole_entry);
    tcase_add_test(tc, eviction_keeps_recently_used_entries);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    test_context_release();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
