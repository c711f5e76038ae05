/* What a hostile user tried: coordinates that overflow int, a tiny workspace limit, buffers of
 * the wrong kind, and a program cache folder holding other files, FIFOs, swapped or foreign
 * entries and odd size caps. Each case failed (crash, wrong result, lost files, hang) before
 * the fix it tests. */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/binary-cache.h"
#include "src/kernels.h"
#include "src/tuning.h"
#include "tests/common.h"

/* ---- coordinates that leave int ---- */

START_TEST(padded_extent_overflow_is_refused)
{
    /* 1x1 256->256, stride_h = pad_top = pad_bottom = INT_MAX on 1x256x7x3: H + pads wraps */
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 256, 256, 1, 1);
    d.stride_h = d.pad_top = d.pad_bottom = INT_MAX;
    const int in[4] = {1, 256, 7, 3};
    int out[4];
    ck_assert_int_eq(clconv_output_shape(&d, in, out), CLCONV_ERROR_TOO_LARGE);
    ck_assert_msg(strstr(clconv_last_error(), "pad_top = 2147483647"), "%s", clconv_last_error());
    clconv_plan *plan = NULL;
    ck_assert_int_eq(clconv_plan_create(test_context(), &d, in, CLCONV_ALGO_AUTO, &plan),
                     CLCONV_ERROR_TOO_LARGE);
    ck_assert_ptr_null(plan);
    for (int i = 0; i < clconv_variant_count(); i++) {
        ck_assert_int_eq(
            clconv_plan_create_variant(test_context(), &d, in, clconv_variant_name(i), &plan),
            CLCONV_ERROR_TOO_LARGE);
        ck_assert_ptr_null(plan);
    }
}
END_TEST

START_TEST(replicate_overflow_is_refused)
{
    /* kernel (2, 1), stride_h = INT_MAX, replicate with pad_bottom = INT_MAX: the padded row
     * wrapped and replicated row 0 in the reference and every algorithm */
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 1, 1, 2, 1);
    d.stride_h = INT_MAX;
    d.pad_bottom = INT_MAX;
    d.padding_mode = CLCONV_PADDING_REPLICATE;
    const int in[4] = {1, 1, 2, 1};
    const float x[2] = {1, 2}, w[2] = {10, 1}, b[1] = {0};
    float y[4] = {-1, -1, -1, -1};
    ck_assert_int_eq(clconv_reference(&d, in, x, w, b, y), CLCONV_ERROR_TOO_LARGE);
    ck_assert_msg(strstr(clconv_last_error(), "pad_bottom = 2147483647"), "%s",
                  clconv_last_error());
    ck_assert(y[0] == -1 && y[1] == -1); /* nothing written */
    /* the same layer within int runs: rows {1*10+2, 2*10+2} */
    d.stride_h = 1;
    d.pad_bottom = 1;
    ck_assert_int_eq(clconv_reference(&d, in, x, w, b, y), CLCONV_SUCCESS);
    ck_assert(y[0] == 12 && y[1] == 22);
    /* transposed: (H - 1) * stride + span past int */
    clconv_desc t;
    clconv_desc_init(&t, CLCONV_CONV_TRANSPOSE2D, 1, 1, 1, 1);
    t.stride_w = INT_MAX;
    const int tin[4] = {1, 1, 1, 3};
    int out[4];
    ck_assert_int_eq(clconv_output_shape(&t, tin, out), CLCONV_ERROR_TOO_LARGE);
    ck_assert_msg(strstr(clconv_last_error(), "stride_w = 2147483647"), "%s", clconv_last_error());
}
END_TEST

/* ---- the workspace limit binds every variant ---- */

START_TEST(workspace_limit_binds_every_variant)
{
    clconv_context *ctx = NULL;
    ck_assert_int_eq(clconv_context_create(getenv("CLCONV_DEVICE"), &ctx), CLCONV_SUCCESS);
    ck_assert_int_eq(clconv_context_set_workspace_limit(ctx, 1024), CLCONV_SUCCESS);
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 16, 32, 3, 3);
    d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
    const int in[4] = {1, 16, 16, 16};
    clconv_plan *plan = NULL;
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_AUTO, &plan), CLCONV_SUCCESS);
    ck_assert_uint_le(clconv_plan_get_workspace_size(plan), 1024);
    clconv_plan_destroy(plan);
    int refused = 0;
    for (int i = 0; i < clconv_variant_count(); i++) {
        const char *name = clconv_variant_name(i);
        clconv_status st = clconv_plan_create_variant(ctx, &d, in, name, &plan);
        if (st == CLCONV_SUCCESS) {
            ck_assert_msg(clconv_plan_get_workspace_size(plan) <= 1024, "%s: %zu bytes", name,
                          clconv_plan_get_workspace_size(plan));
            clconv_plan_destroy(plan);
        } else if (strstr(clconv_context_last_error(ctx), "workspace limit = 1024")) {
            refused++;
        }
    }
    ck_assert_int_gt(refused, 0); /* padded copies, re-layouts, Winograd's tiles need > 1 KB */
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_WINOGRAD, &plan),
                     CLCONV_ERROR_UNSUPPORTED);
    ck_assert_msg(strstr(clconv_context_last_error(ctx), "workspace limit = 1024"), "%s",
                  clconv_context_last_error(ctx));
    clconv_context_destroy(ctx);
}
END_TEST

/* ---- buffers of the wrong kind ---- */

static clconv_status enqueue_with(clconv_plan *plan, cl_mem in, cl_mem w, cl_mem out)
{
    return clconv_plan_enqueue(plan, in, w, NULL, out, NULL, 0, NULL, NULL);
}

START_TEST(buffer_flags_and_host_aliases)
{
    clconv_context *ctx = test_context();
    cl_context cl = clconv_context_get_cl_context(ctx);
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 2, 2, 1, 1);
    d.bias = 0;
    const int in[4] = {1, 2, 4, 4};
    clconv_plan *plan = NULL;
    ck_assert_int_eq(clconv_plan_create(ctx, &d, in, CLCONV_ALGO_DIRECT, &plan), CLCONV_SUCCESS);
    cl_int err;
    const size_t bytes = 2 * 16 * sizeof(float);
    cl_mem rw = clCreateBuffer(cl, CL_MEM_READ_WRITE, bytes, NULL, &err);
    cl_mem w = clCreateBuffer(cl, CL_MEM_READ_WRITE, 16, NULL, &err);
    cl_mem ro = clCreateBuffer(cl, CL_MEM_READ_ONLY, bytes, NULL, &err);
    cl_mem wo = clCreateBuffer(cl, CL_MEM_WRITE_ONLY, bytes, NULL, &err);
    ck_assert_int_eq(enqueue_with(plan, rw, w, ro), CLCONV_ERROR_INVALID_BUFFER);
    ck_assert_msg(strstr(clconv_last_error(), "output buffer was created CL_MEM_READ_ONLY"), "%s",
                  clconv_last_error());
    ck_assert_int_eq(enqueue_with(plan, wo, w, rw), CLCONV_ERROR_INVALID_BUFFER);
    ck_assert_msg(strstr(clconv_last_error(), "input buffer was created CL_MEM_WRITE_ONLY"), "%s",
                  clconv_last_error());
    /* input and output on the same host memory are one buffer in disguise */
    float *host = calloc(64, sizeof(float));
    cl_mem a = clCreateBuffer(cl, CL_MEM_READ_WRITE | CL_MEM_USE_HOST_PTR, bytes, host, &err);
    cl_mem b = clCreateBuffer(cl, CL_MEM_READ_WRITE | CL_MEM_USE_HOST_PTR, bytes, host + 8, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    ck_assert_int_eq(enqueue_with(plan, a, w, b), CLCONV_ERROR_INVALID_BUFFER);
    ck_assert_msg(strstr(clconv_last_error(), "overlaps the input"), "%s", clconv_last_error());
    /* an image is no buffer */
    cl_bool images = CL_FALSE;
    clGetDeviceInfo(clconv_context_get_device(ctx), CL_DEVICE_IMAGE_SUPPORT, sizeof images, &images,
                    NULL);
    if (images) {
        const cl_image_format fmt = {CL_RGBA, CL_FLOAT};
        cl_image_desc idesc;
        memset(&idesc, 0, sizeof idesc);
        idesc.image_type = CL_MEM_OBJECT_IMAGE2D;
        idesc.image_width = idesc.image_height = 8;
        cl_mem img = clCreateImage(cl, CL_MEM_READ_WRITE, &fmt, &idesc, NULL, &err);
        ck_assert_int_eq(err, CL_SUCCESS);
        ck_assert_int_eq(enqueue_with(plan, img, w, rw), CLCONV_ERROR_INVALID_BUFFER);
        ck_assert_msg(strstr(clconv_last_error(), "input buffer is an image"), "%s",
                      clconv_last_error());
        clReleaseMemObject(img);
    }
    ck_assert_int_eq(enqueue_with(plan, rw, w, wo), CLCONV_SUCCESS); /* write-only output is fine */
    clFinish(clconv_context_get_queue(ctx));
    clReleaseMemObject(a);
    clReleaseMemObject(b);
    free(host);
    clReleaseMemObject(rw);
    clReleaseMemObject(w);
    clReleaseMemObject(ro);
    clReleaseMemObject(wo);
    clconv_plan_destroy(plan);
}
END_TEST

START_TEST(workspace_overlap_is_named)
{
    clconv_context *ctx = test_context();
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 4, 16, 3, 3);
    d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
    const int in[4] = {1, 4, 8, 8};
    clconv_plan *plan = NULL;
    /* any variant with a workspace */
    for (int i = 0; i < clconv_variant_count() && !plan; i++) {
        if (clconv_plan_create_variant(ctx, &d, in, clconv_variant_name(i), &plan) ==
                CLCONV_SUCCESS &&
            !clconv_plan_get_workspace_size(plan)) {
            clconv_plan_destroy(plan);
            plan = NULL;
        }
    }
    ck_assert_ptr_nonnull(plan);
    cl_int err;
    const size_t big = 1 << 20;
    cl_mem x =
        clCreateBuffer(clconv_context_get_cl_context(ctx), CL_MEM_READ_WRITE, big, NULL, &err);
    cl_mem y =
        clCreateBuffer(clconv_context_get_cl_context(ctx), CL_MEM_READ_WRITE, big, NULL, &err);
    cl_mem w =
        clCreateBuffer(clconv_context_get_cl_context(ctx), CL_MEM_READ_WRITE, big, NULL, &err);
    ck_assert_int_eq(clconv_plan_enqueue(plan, x, w, w, y, y, 0, NULL, NULL),
                     CLCONV_ERROR_INVALID_BUFFER);
    ck_assert_msg(strstr(clconv_last_error(), "overlaps the workspace buffer: the workspace"), "%s",
                  clconv_last_error());
    clReleaseMemObject(x);
    clReleaseMemObject(y);
    clReleaseMemObject(w);
    clconv_plan_destroy(plan);
}
END_TEST

/* ---- the program cache folder ---- */

static char dir[256];

static void fresh_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/clconv-hardening-%ld", (long)getpid());
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    setenv("CLCONV_CACHE_DIR", dir, 1);
    unsetenv("CLCONV_CACHE");
    unsetenv("CLCONV_CACHE_MAX_MB");
}

static int count_entries(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strlen(e->d_name) == 22 && strstr(e->d_name, ".clbin"))
            n++;
    if (d)
        closedir(d);
    return n;
}

/* Builds a few programs on a fresh context (entries are stored as they are built). */
static void bake_some(void)
{
    clconv_context *ctx = NULL;
    ck_assert_int_eq(clconv_context_create(getenv("CLCONV_DEVICE"), &ctx), CLCONV_SUCCESS);
    cl_program p;
    ck_assert_int_eq(clconv_get_program(ctx, "im2col.cl", "-D PAD_MODE=0", &p), CLCONV_SUCCESS);
    ck_assert_int_eq(clconv_get_program(ctx, "im2col.cl", "-D PAD_MODE=1", &p), CLCONV_SUCCESS);
    cl_kernel k;
    ck_assert_int_eq(clconv_create_kernel(ctx, "im2col.cl", "-D PAD_MODE=0", "im2col", &k),
                     CLCONV_SUCCESS);
    clReleaseKernel(k);
    ck_assert_int_eq(clconv_create_kernel(ctx, "im2col.cl", "-D PAD_MODE=1", "im2col", &k),
                     CLCONV_SUCCESS);
    clReleaseKernel(k);
    clconv_context_destroy(ctx);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

START_TEST(cache_cap_parsing)
{
    static const struct {
        const char *text;
        bool ok;
        uint64_t cap;
    } cases[] = {{NULL, true, 256ull << 20},     {"", true, 256ull << 20},
                 {"64", true, 64ull << 20},      {"0.5", true, 512ull << 10},
                 {"1e14", true, UINT64_MAX},     {"1e30", true, UINT64_MAX},
                 {"inf", true, UINT64_MAX},      {"unlimited", true, UINT64_MAX},
                 {"0", false, 256ull << 20},     {"-1", false, 256ull << 20},
                 {"1GB", false, 256ull << 20},   {"nan", false, 256ull << 20},
                 {"12 MB", false, 256ull << 20}, {"abc", false, 256ull << 20}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t cap = 1;
        ck_assert_msg(clconv_binary_cache_cap(cases[i].text, &cap) == cases[i].ok, "\"%s\"",
                      cases[i].text ? cases[i].text : "(null)");
        ck_assert_msg(cap == cases[i].cap, "\"%s\": %llu", cases[i].text ? cases[i].text : "(null)",
                      (unsigned long long)cap);
    }
}
END_TEST

START_TEST(cache_huge_or_bad_caps_keep_entries)
{
    /* each of these emptied the whole cache after every store */
    static const char *const caps[] = {"1e14", "1e30", "inf", "unlimited", "0", "-1"};
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        fresh_dir();
        setenv("CLCONV_CACHE_MAX_MB", caps[i], 1);
        bake_some();
        ck_assert_msg(count_entries() == 2, "CLCONV_CACHE_MAX_MB=%s: %d entries", caps[i],
                      count_entries());
    }
    unsetenv("CLCONV_CACHE_MAX_MB");
}
END_TEST

START_TEST(cache_eviction_spares_other_files)
{
    fresh_dir();
    char foreign[600], named[600], notes[600];
    snprintf(foreign, sizeof foreign, "%s/0123456789abcdef.clbin", dir); /* our name, not magic */
    snprintf(named, sizeof named, "%s/report.clbin", dir);
    snprintf(notes, sizeof notes, "%s/notes.txt", dir);
    write_file(foreign, "someone else's data, named like an entry\n");
    write_file(named, "another program's binary\n");
    write_file(notes, "keep me\n");
    setenv("CLCONV_CACHE_MAX_MB", "0.000001", 1); /* evicts every entry of clconv's */
    bake_some();
    unsetenv("CLCONV_CACHE_MAX_MB");
    ck_assert_int_eq(access(foreign, F_OK), 0);
    ck_assert_int_eq(access(named, F_OK), 0);
    ck_assert_int_eq(access(notes, F_OK), 0);
    ck_assert_int_eq(count_entries(), 1); /* the foreign one alone */
}
END_TEST

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "hung on a FIFO in the cache folder\n";
    ssize_t n = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)n;
    _exit(3);
}

START_TEST(cache_fifo_and_links_are_not_opened)
{
    fresh_dir();
    clconv_context *ctx = NULL;
    ck_assert_int_eq(clconv_context_create(getenv("CLCONV_DEVICE"), &ctx), CLCONV_SUCCESS);
    char *key = clconv_program_cache_key(ctx, "im2col.cl", "-D PAD_MODE=2");
    ck_assert_ptr_nonnull(key);
    char path[4200];
    ck_assert(clconv_binary_cache_entry_path(key, path, sizeof path));
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    signal(SIGALRM, on_alarm);
    alarm(60);
    cl_program p;
    ck_assert_int_eq(clconv_get_program(ctx, "im2col.cl", "-D PAD_MODE=2", &p), CLCONV_SUCCESS);
    alarm(0);
    struct stat st;
    ck_assert_int_eq(lstat(path, &st), 0);
    /* a link to a file elsewhere is not followed either */
    char *key3 = clconv_program_cache_key(ctx, "im2col.cl", "-D PAD_MODE=3");
    char path3[4200], target[600];
    ck_assert(clconv_binary_cache_entry_path(key3, path3, sizeof path3));
    snprintf(target, sizeof target, "%s/../clconv-hardening-target-%ld", dir, (long)getpid());
    write_file(target, "not a cache entry\n");
    ck_assert_int_eq(symlink(target, path3), 0);
    ck_assert_int_eq(clconv_get_program(ctx, "im2col.cl", "-D PAD_MODE=3", &p), CLCONV_SUCCESS);
    ck_assert_int_eq(access(target, F_OK), 0);
    unlink(target);
    free(key);
    free(key3);
    clconv_context_destroy(ctx);
}
END_TEST

START_TEST(cache_entries_are_tied_to_their_key)
{
    fresh_dir();
    clconv_context *ctx = NULL;
    ck_assert_int_eq(clconv_context_create(getenv("CLCONV_DEVICE"), &ctx), CLCONV_SUCCESS);
    /* another program's binary stored under im2col's key, with a valid entry around it (a
     * buggy or hostile writer): the bake failed forever, as no im2col kernel is in it */
    cl_program other;
    ck_assert_int_eq(clconv_get_program(ctx, "col2im.cl", "-D NO_OVERLAP=0", &other),
                     CLCONV_SUCCESS);
    char *key = clconv_program_cache_key(ctx, "im2col.cl", "-D PAD_MODE=0");
    ck_assert_ptr_nonnull(key);
    clconv_binary_cache_store(ctx, key, other);
    clconv_context_destroy(ctx);
    ck_assert_int_eq(clconv_context_create(getenv("CLCONV_DEVICE"), &ctx), CLCONV_SUCCESS);
    cl_kernel k;
    ck_assert_int_eq(clconv_create_kernel(ctx, "im2col.cl", "-D PAD_MODE=0", "im2col", &k),
                     CLCONV_SUCCESS);
    clReleaseKernel(k);
    clconv_context_destroy(ctx);
    free(key);
    /* entry B's binary and checksum moved under key A (a swap of the binaries alone):
     * refused, as the checksum covers the key */
    bake_some();
    ck_assert_int_eq(clconv_context_create(getenv("CLCONV_DEVICE"), &ctx), CLCONV_SUCCESS);
    char *ka = clconv_program_cache_key(ctx, "im2col.cl", "-D PAD_MODE=0");
    char *kb = clconv_program_cache_key(ctx, "im2col.cl", "-D PAD_MODE=1");
    clconv_context_destroy(ctx);
    char pa[4200], pb[4200];
    ck_assert(clconv_binary_cache_entry_path(ka, pa, sizeof pa));
    ck_assert(clconv_binary_cache_entry_path(kb, pb, sizeof pb));
    static unsigned char eb[1 << 22], swapped[1 << 22];
    FILE *f = fopen(pb, "rb");
    ck_assert_ptr_nonnull(f);
    const size_t nb = fread(eb, 1, sizeof eb, f);
    fclose(f);
    const unsigned char *bin;
    size_t len;
    ck_assert(clconv_binary_cache_parse(eb, nb, kb, &bin, &len));
    const size_t header = 28, la = strlen(ka);
    memcpy(swapped, eb, header);
    for (int i = 0; i < 4; i++)
        swapped[8 + i] = (unsigned char)(la >> (8 * i));
    memcpy(swapped + header, ka, la);
    memcpy(swapped + header + la, bin, len);
    ck_assert(!clconv_binary_cache_parse(swapped, header + la + len, ka, &bin, &len));
    free(ka);
    free(kb);
}
END_TEST

START_TEST(cache_folder_must_be_private)
{
    fresh_dir();
    ck_assert_int_eq(chmod(dir, 0777), 0);
    bake_some();
    ck_assert_int_eq(count_entries(), 0); /* not used: anyone could plant native code there */
    ck_assert_int_eq(chmod(dir, 0700), 0);
    bake_some();
    ck_assert_int_eq(count_entries(), 2);
}
END_TEST

/* ---- errors ---- */

START_TEST(malformed_device_specs)
{
    static const char *const specs[] = {"0:", ":0", "-1:0", "1:x", "0:-1", "+:1", "7:1001"};
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        clconv_context *ctx = NULL;
        ck_assert_msg(clconv_context_create(specs[i], &ctx) == CLCONV_ERROR_INVALID_ARGUMENT,
                      "\"%s\": %s", specs[i], clconv_last_error());
        ck_assert_ptr_null(ctx);
        ck_assert_msg(strstr(clconv_last_error(), specs[i]) && strstr(clconv_last_error(), "P:D"),
                      "%s", clconv_last_error());
    }
    /* a well-formed index with no such device is still DEVICE_NOT_FOUND */
    clconv_context *ctx = NULL;
    ck_assert_int_eq(clconv_context_create("999:0", &ctx), CLCONV_ERROR_DEVICE_NOT_FOUND);
}
END_TEST

START_TEST(ignored_tuning_file_leaves_no_error)
{
    char path[] = "/tmp/clconv-hardening-tuning-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "not a database\n", 15), 15);
    close(fd);
    setenv("CLCONV_TUNING_FILE", path, 1);
    int out[4];
    ck_assert_int_eq(clconv_output_shape(NULL, out, out), CLCONV_ERROR_INVALID_ARGUMENT);
    char before[256];
    snprintf(before, sizeof before, "%s", clconv_last_error());
    clconv_context *ctx = NULL;
    ck_assert_int_eq(clconv_context_create(getenv("CLCONV_DEVICE"), &ctx), CLCONV_SUCCESS);
    ck_assert_str_eq(clconv_last_error(), before);
    ck_assert_str_eq(clconv_context_last_error(ctx), "");
    ck_assert_ptr_nonnull(strstr(clconv_context_tuning_info(ctx), "ignored"));
    clconv_context_destroy(ctx);
    unsetenv("CLCONV_TUNING_FILE");
    unlink(path);
}
END_TEST

/* ---- the tuning database file ---- */

START_TEST(tuning_file_must_be_regular_text)
{
    char fifo[256], nul[256];
    snprintf(fifo, sizeof fifo, "/tmp/clconv-hardening-fifo-%ld", (long)getpid());
    snprintf(nul, sizeof nul, "/tmp/clconv-hardening-nul-%ld", (long)getpid());
    unlink(fifo);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    setenv("CLCONV_TUNING_FILE", fifo, 1);
    signal(SIGALRM, on_alarm);
    alarm(60); /* a FIFO blocked context creation forever */
    clconv_context *ctx = NULL;
    ck_assert_int_eq(clconv_context_create(getenv("CLCONV_DEVICE"), &ctx), CLCONV_SUCCESS);
    alarm(0);
    ck_assert_msg(strstr(clconv_context_tuning_info(ctx), "not a regular file"), "%s",
                  clconv_context_tuning_info(ctx));
    unsetenv("CLCONV_TUNING_FILE");
    /* bytes after a NUL were silently ignored */
    FILE *f = fopen(nul, "wb");
    ck_assert_ptr_nonnull(f);
    fputs("clconv-tuning 2\ndevice x\ndriver y\n", f);
    fputc(0, f);
    fputs("layer conv 1 8 8 8 8 3 3 1 1 1 1 1 1 1 1 1 0 0 1 zeros f32 direct.conv2d=1\n", f);
    fclose(f);
    ck_assert_int_eq(clconv_context_load_tuning(ctx, nul), CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(clconv_last_error(), "NUL byte at offset 34"), "%s", clconv_last_error());
    /* the default path is never written truncated */
    char tiny[8] = "unset";
    ck_assert_int_ne(clconv_context_default_tuning_path(ctx, tiny, sizeof tiny), CLCONV_SUCCESS);
    ck_assert_str_eq(tiny, "");
    clconv_context_destroy(ctx);
    unlink(fifo);
    unlink(nul);
}
END_TEST

START_TEST(tuning_save_writes_regular_files_only)
{
    clconv_tuning t;
    memset(&t, 0, sizeof t);
    snprintf(t.device, sizeof t.device, "d");
    snprintf(t.driver, sizeof t.driver, "v");
    char err[512];
    /* a device node or FIFO was replaced by a regular file (as root: /dev/full) */
    char fifo[256];
    snprintf(fifo, sizeof fifo, "/tmp/clconv-hardening-save-%ld", (long)getpid());
    unlink(fifo);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    ck_assert(!clconv_tuning_save(&t, fifo, err, sizeof err));
    ck_assert_msg(strstr(err, "not a regular file"), "%s", err);
    struct stat st;
    ck_assert_int_eq(lstat(fifo, &st), 0);
    ck_assert(S_ISFIFO(st.st_mode));
    unlink(fifo);
    ck_assert(!clconv_tuning_save(&t, "/dev/null", err, sizeof err));
    ck_assert_int_eq(lstat("/dev/null", &st), 0);
    ck_assert(S_ISCHR(st.st_mode));
    /* a missing folder is not made */
    ck_assert(!clconv_tuning_save(&t, "/tmp/clconv-hardening-no-such-dir/db.txt", err, sizeof err));
    ck_assert_int_ne(access("/tmp/clconv-hardening-no-such-dir", F_OK), 0);
}
END_TEST

START_TEST(tuning_repeated_shapes_keep_the_last)
{
    /* one shape repeated, others between: the last line of a shape wins, order kept */
    const char *text =
        "clconv-tuning 2\ndevice d\ndriver v\n"
        "layer conv 1 8 8 8 8 3 3 1 1 1 1 1 1 1 1 1 0 0 1 zeros f32 direct.conv2d=3\n"
        "layer conv 1 8 9 9 8 3 3 1 1 1 1 1 1 1 1 1 0 0 1 zeros f32 direct.conv2d=2\n"
        "layer conv 1 8 8 8 8 3 3 1 1 1 1 1 1 1 1 1 0 0 1 zeros f32 direct.conv2d=1\n";
    clconv_tuning t;
    char err[256];
    ck_assert_msg(clconv_tuning_parse(text, NULL, &t, err, sizeof err), "%s", err);
    ck_assert_uint_eq(t.count, 2);
    ck_assert_int_eq(t.entries[0].in[2], 9);
    ck_assert_int_eq(t.entries[1].in[2], 8);
    ck_assert(t.entries[1].seconds[0] == 1);
    clconv_tuning_clear(&t);
}
END_TEST

static Suite *hardening_suite(void)
{
    Suite *s = suite_create("hardening");
    TCase *host = tcase_create("host");
    tcase_add_test(host, cache_cap_parsing);
    tcase_add_test(host, tuning_save_writes_regular_files_only);
    tcase_add_test(host, tuning_repeated_shapes_keep_the_last);
    suite_add_tcase(s, host);
    TCase *tc = tcase_create("device");
    tcase_set_timeout(tc, 0);
    tcase_add_test(tc, padded_extent_overflow_is_refused);
    tcase_add_test(tc, replicate_overflow_is_refused);
    tcase_add_test(tc, workspace_limit_binds_every_variant);
    tcase_add_test(tc, buffer_flags_and_host_aliases);
    tcase_add_test(tc, workspace_overlap_is_named);
    tcase_add_test(tc, cache_huge_or_bad_caps_keep_entries);
    tcase_add_test(tc, cache_eviction_spares_other_files);
    tcase_add_test(tc, cache_fifo_and_links_are_not_opened);
    tcase_add_test(tc, cache_entries_are_tied_to_their_key);
    tcase_add_test(tc, cache_folder_must_be_private);
    tcase_add_test(tc, malformed_device_specs);
    tcase_add_test(tc, ignored_tuning_file_leaves_no_error);
    tcase_add_test(tc, tuning_file_must_be_regular_text);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(hardening_suite());
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    test_context_release();
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (dir[0] && system(cmd) != 0)
        failed++;
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
