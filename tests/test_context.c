/* Contexts: device choice, recorded device information, adopted queues; the context suite. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <clconv.h>

#include "tests/common.h"
#include "tests/test_context.h"

/* Name of device d of platform p as OpenCL reports it ("" if there is none). */
static void device_name_at(cl_uint p, cl_uint d, char *buf, size_t size)
{
    buf[0] = 0;
    cl_platform_id platforms[16];
    cl_uint np = 0;
    if (clGetPlatformIDs(16, platforms, &np) != CL_SUCCESS || p >= np)
        return;
    cl_device_id devices[64];
    cl_uint nd = 0;
    if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 64, devices, &nd) != CL_SUCCESS || d >= nd)
        return;
    clGetDeviceInfo(devices[d], CL_DEVICE_NAME, size, buf, NULL);
}

/* Platform and device index of the first device (in_order 0) or the last one (1) that
 * OpenCL lists; false if there is none. Platform 0 may have no device (e.g. Mesa's rusticl
 * without RUSTICL_ENABLE, or Clover), so tests find the devices rather than assume "0:0". */
static bool device_at_end(bool last, cl_uint *p_out, cl_uint *d_out)
{
    cl_platform_id platforms[16];
    cl_uint np = 0;
    bool found = false;
    if (clGetPlatformIDs(16, platforms, &np) != CL_SUCCESS)
        return false;
    for (cl_uint p = 0; p < np && p < 16; p++) {
        cl_uint nd = 0;
        if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 0, NULL, &nd) != CL_SUCCESS || !nd)
            continue;
        *p_out = p;
        *d_out = last ? nd - 1 : 0;
        found = true;
        if (!last)
            break;
    }
    return found;
}

/* "P:D" of the first or last device, and its name. */
static void device_spec_at_end(bool last, char *spec, size_t spec_size, char *name,
                               size_t name_size)
{
    cl_uint p = 0, d = 0;
    ck_assert_msg(device_at_end(last, &p, &d), "no OpenCL device");
    snprintf(spec, spec_size, "%u:%u", p, d);
    device_name_at(p, d, name, name_size);
}

/* Whether any platform has a device of type. */
static bool have_device_type(cl_device_type type)
{
    cl_platform_id platforms[16];
    cl_uint np = 0;
    if (clGetPlatformIDs(16, platforms, &np) != CL_SUCCESS)
        return false;
    for (cl_uint p = 0; p < np && p < 16; p++) {
        cl_uint nd = 0;
        if (clGetDeviceIDs(platforms[p], type, 0, NULL, &nd) == CL_SUCCESS && nd > 0)
            return true;
    }
    return false;
}

static void ctx_device_name(clconv_context *ctx, char *buf, size_t size)
{
    clconv_device_info info;
    ck_assert_int_eq(clconv_context_get_device_info(ctx, &info), CLCONV_SUCCESS);
    snprintf(buf, size, "%s", info.device_name);
}

START_TEST(test_create_specs)
{
    unsetenv("CLCONV_DEVICE"); /* the checked teardown puts it back */
    clconv_context *ctx = NULL;
    char name[128], expected[128], first_spec[32], first_name[128];
    device_spec_at_end(false, first_spec, sizeof first_spec, first_name, sizeof first_name);

    /* NULL and "": the first GPU, else the first device */
    ck_assert_int_eq(clconv_context_create(NULL, &ctx), CLCONV_SUCCESS);
    ck_assert_ptr_nonnull(clconv_context_get_cl_context(ctx));
    ck_assert_ptr_nonnull(clconv_context_get_queue(ctx));
    ck_assert_ptr_nonnull(clconv_context_get_device(ctx));
    clconv_device_info info;
    ck_assert_int_eq(clconv_context_get_device_info(ctx, &info), CLCONV_SUCCESS);
    if (have_device_type(CL_DEVICE_TYPE_GPU))
        ck_assert_msg(info.type & CL_DEVICE_TYPE_GPU, "default is not a GPU though one exists");
    else
        ck_assert_str_eq(info.device_name, first_name);
    ck_assert_int_eq(info.queue_profiling, 1);
    snprintf(name, sizeof name, "%s", info.device_name);
    clconv_context_destroy(ctx);
    ctx = NULL;
    ck_assert_int_eq(clconv_context_create("", &ctx), CLCONV_SUCCESS);
    ctx_device_name(ctx, expected, sizeof expected);
    ck_assert_str_eq(expected, name);
    clconv_context_destroy(ctx);
    ctx = NULL;

    /* "P:D", the first device and the last */
    for (int last = 0; last < 2; last++) {
        char spec[32];
        device_spec_at_end(last, spec, sizeof spec, expected, sizeof expected);
        ck_assert_msg(clconv_context_create(spec, &ctx) == CLCONV_SUCCESS, "\"%s\": %s", spec,
                      clconv_last_error());
        ctx_device_name(ctx, name, sizeof name);
        ck_assert_str_eq(name, expected);
        clconv_context_destroy(ctx);
        ctx = NULL;
    }

    /* device types */
    clconv_status st = clconv_context_create("cpu", &ctx);
    if (have_device_type(CL_DEVICE_TYPE_CPU)) {
        ck_assert_msg(st == CLCONV_SUCCESS, "cpu: %s", clconv_last_error());
        ck_assert_int_eq(clconv_context_get_device_info(ctx, &info), CLCONV_SUCCESS);
        ck_assert(info.type & CL_DEVICE_TYPE_CPU);
    } else {
        ck_assert_int_eq(st, CLCONV_ERROR_DEVICE_NOT_FOUND);
    }
    clconv_context_destroy(ctx);
    ctx = NULL;

    /* a fragment of the first device's name, in another case */
    snprintf(expected, sizeof expected, "%s", first_name);
    ck_assert_uint_gt(strlen(expected), 2);
    char fragment[8] = {0};
    size_t len = strlen(expected) < 6 ? strlen(expected) - 1 : 5;
    for (size_t i = 0; i < len; i++) {
        char c = expected[1 + i];
        fragment[i] = (char)(c >= 'a' && c <= 'z' ? c - 32 : c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    ck_assert_msg(clconv_context_create(fragment, &ctx) == CLCONV_SUCCESS, "\"%s\": %s", fragment,
                  clconv_last_error());
    ctx_device_name(ctx, name, sizeof name);
    ck_assert_str_eq(name, expected); /* the first device is the first to match its name */
    clconv_context_destroy(ctx);
    ctx = NULL;

    /* nothing matches */
    static const char *const bad[] = {"no-such-device", "99:0", "0:99", "gpu-and-more"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ctx = (clconv_context *)(uintptr_t)0x1;
        st = clconv_context_create(bad[i], &ctx);
        ck_assert_msg(st == CLCONV_ERROR_DEVICE_NOT_FOUND, "\"%s\": %s", bad[i],
                      clconv_status_name(st));
        ck_assert_msg(strstr(clconv_last_error(), bad[i]) != NULL, "\"%s\": message \"%s\"", bad[i],
                      clconv_last_error());
        ck_assert(ctx == (clconv_context *)(uintptr_t)0x1);
    }
    ck_assert_int_eq(clconv_context_create(NULL, NULL), CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "ctx is NULL"));
}
END_TEST

START_TEST(test_device_environment)
{
    /* the checked teardown puts CLCONV_DEVICE back */
    clconv_context *ctx = NULL;
    char first[32], last[32], name[128], expected[128];
    device_spec_at_end(false, first, sizeof first, name, sizeof name);
    device_spec_at_end(true, last, sizeof last, expected, sizeof expected);
    ck_assert_int_eq(setenv("CLCONV_DEVICE", "no-such-device", 1), 0);
    ck_assert_int_eq(clconv_context_create(NULL, &ctx), CLCONV_ERROR_DEVICE_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "no-such-device"));
    ck_assert_int_eq(clconv_context_create("", &ctx), CLCONV_ERROR_DEVICE_NOT_FOUND);
    ck_assert_ptr_null(ctx);
    /* an explicit spec wins over the environment */
    ck_assert_int_eq(clconv_context_create(first, &ctx), CLCONV_SUCCESS);
    clconv_context_destroy(ctx);
    ctx = NULL;
    /* the environment picks the device: the last one, which is not the default where there
     * are several */
    ck_assert_int_eq(setenv("CLCONV_DEVICE", last, 1), 0);
    ck_assert_int_eq(clconv_context_create(NULL, &ctx), CLCONV_SUCCESS);
    ctx_device_name(ctx, name, sizeof name);
    ck_assert_str_eq(name, expected);
    clconv_context_destroy(ctx);
}
END_TEST

START_TEST(test_device_info)
{
    clconv_context *ctx = test_context();
    ck_assert_ptr_nonnull(ctx);
    clconv_device_info info;
    ck_assert_int_eq(clconv_context_get_device_info(ctx, &info), CLCONV_SUCCESS);
    cl_device_id dev = clconv_context_get_device(ctx);
    ck_assert_uint_gt(strlen(info.device_name), 0);
    ck_assert_uint_gt(strlen(info.platform_name), 0);
    ck_assert_uint_gt(strlen(info.vendor), 0);
    ck_assert_uint_gt(strlen(info.device_version), 0);
    ck_assert_uint_gt(strlen(info.extensions), 0);
    ck_assert_uint_ge(info.compute_units, 1);
    ck_assert_uint_ge(info.max_work_group_size, 1);
    for (int i = 0; i < 3; i++)
        ck_assert_uint_ge(info.max_work_item_sizes[i], 1);
    ck_assert_uint_gt(info.local_mem_size, 0);
    ck_assert_uint_gt(info.max_alloc_size, 0);
    ck_assert_uint_ge(info.global_mem_size, info.max_alloc_size);
    ck_assert_int_eq(info.queue_profiling, 1);

    /* the record agrees with what OpenCL says now */
    cl_uint cu = 0;
    size_t wg = 0;
    cl_ulong local = 0, alloc = 0;
    cl_device_local_mem_type local_type = CL_GLOBAL;
    clGetDeviceInfo(dev, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof cu, &cu, NULL);
    clGetDeviceInfo(dev, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof wg, &wg, NULL);
    clGetDeviceInfo(dev, CL_DEVICE_LOCAL_MEM_SIZE, sizeof local, &local, NULL);
    clGetDeviceInfo(dev, CL_DEVICE_LOCAL_MEM_TYPE, sizeof local_type, &local_type, NULL);
    clGetDeviceInfo(dev, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof alloc, &alloc, NULL);
    ck_assert_uint_eq(info.compute_units, cu);
    ck_assert_uint_eq(info.max_work_group_size, wg);
    ck_assert_uint_eq(info.local_mem_size, local);
    ck_assert_uint_eq(info.max_alloc_size, alloc);
    ck_assert_int_eq(info.local_mem_dedicated, local_type == CL_LOCAL);
    char name[128];
    clGetDeviceInfo(dev, CL_DEVICE_NAME, sizeof name, name, NULL);
    ck_assert_str_eq(info.device_name, name);

    /* half support follows the full extension string (the record may be truncated) */
    size_t ext_size = 0;
    clGetDeviceInfo(dev, CL_DEVICE_EXTENSIONS, 0, NULL, &ext_size);
    char *ext = malloc(ext_size + 1);
    ck_assert_ptr_nonnull(ext);
    clGetDeviceInfo(dev, CL_DEVICE_EXTENSIONS, ext_size, ext, NULL);
    ext[ext_size] = 0;
    ck_assert_int_eq(info.has_fp16, strstr(ext, "cl_khr_fp16") != NULL);
    ck_assert_int_eq(info.has_fp64, strstr(ext, "cl_khr_fp64") != NULL);
    ck_assert_int_eq(strncmp(info.extensions, ext, strlen(info.extensions)), 0);
    free(ext);

    ck_assert_int_eq(clconv_context_get_device_info(NULL, &info), CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "ctx is NULL"));
    ck_assert_int_eq(clconv_context_get_device_info(ctx, NULL), CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "info is NULL"));
}
END_TEST

static cl_uint queue_refs(cl_command_queue q)
{
    cl_uint n = 0;
    ck_assert_int_eq(clGetCommandQueueInfo(q, CL_QUEUE_REFERENCE_COUNT, sizeof n, &n, NULL),
                     CL_SUCCESS);
    return n;
}

static cl_uint context_refs(cl_context c)
{
    cl_uint n = 0;
    ck_assert_int_eq(clGetContextInfo(c, CL_CONTEXT_REFERENCE_COUNT, sizeof n, &n, NULL),
                     CL_SUCCESS);
    return n;
}

/* Some drivers (PoCL) drop their internal references of finished commands asynchronously:
 * waits up to 2 s for a count to come down to want, returning the last count seen. */
static cl_uint settle(cl_uint (*refs)(void *), void *obj, cl_uint want)
{
    cl_uint n = refs(obj);
    for (int i = 0; i < 200 && n > want; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
        n = refs(obj);
    }
    return n;
}

static cl_uint queue_refs_any(void *q)
{
    return queue_refs((cl_command_queue)q);
}

static cl_uint context_refs_any(void *c)
{
    return context_refs((cl_context)c);
}

START_TEST(test_create_from_queue)
{
    /* the application's own context and queue, without profiling, on the device the suite
     * runs on ($CLCONV_DEVICE or the default) */
    clconv_context *chooser = NULL;
    ck_assert_msg(clconv_context_create(NULL, &chooser) == CLCONV_SUCCESS, "%s",
                  clconv_last_error());
    cl_device_id dev = clconv_context_get_device(chooser); /* root devices outlive contexts */
    clconv_context_destroy(chooser);
    cl_platform_id platform;
    ck_assert_int_eq(clGetDeviceInfo(dev, CL_DEVICE_PLATFORM, sizeof platform, &platform, NULL),
                     CL_SUCCESS);
    cl_int err;
    const cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)platform, 0};
    cl_context app_ctx = clCreateContext(props, 1, &dev, NULL, NULL, &err);
    ck_assert_ptr_nonnull(app_ctx);
    cl_command_queue app_q = clCreateCommandQueue(app_ctx, dev, 0, &err);
    ck_assert_ptr_nonnull(app_q);
    const cl_uint q0 = queue_refs(app_q), c0 = context_refs(app_ctx);

    clconv_context *ctx = NULL;
    ck_assert_int_eq(clconv_context_create_from_queue(app_q, &ctx), CLCONV_SUCCESS);
    ck_assert_ptr_eq(clconv_context_get_queue(ctx), app_q);
    ck_assert_ptr_eq(clconv_context_get_cl_context(ctx), app_ctx);
    ck_assert_ptr_eq(clconv_context_get_device(ctx), dev);
    ck_assert_uint_eq(queue_refs(app_q), q0 + 1);
    ck_assert_uint_ge(context_refs(app_ctx), c0 + 1);
    clconv_device_info info;
    ck_assert_int_eq(clconv_context_get_device_info(ctx, &info), CLCONV_SUCCESS);
    ck_assert_int_eq(info.queue_profiling, 0);
    ck_assert_uint_ge(info.compute_units, 1);

    /* a plan runs on the adopted queue */
    clconv_desc d;
    clconv_desc_init(&d, CLCONV_CONV2D, 3, 4, 3, 3);
    d.pad_top = d.pad_left = 1;
    const int in[4] = {2, 3, 6, 7};
    test_outcome r;
    ck_assert_msg(test_run_case_on(ctx, &d, in, CLCONV_ALGO_DIRECT, 3, &r), "%s", r.message);
    clconv_desc_init(&d, CLCONV_CONV_TRANSPOSE2D, 4, 2, 3, 3);
    d.stride_h = d.stride_w = 2;
    const int tin[4] = {1, 4, 4, 3};
    ck_assert_msg(test_run_case_on(ctx, &d, tin, CLCONV_ALGO_AUTO, 4, &r), "%s", r.message);
    clFinish(app_q);

    clconv_context_destroy(ctx);
    ck_assert_uint_eq(settle(queue_refs_any, app_q, q0), q0);
    ck_assert_uint_eq(settle(context_refs_any, app_ctx, c0), c0);
    /* the application's objects still work */
    float data[4] = {1, 2, 3, 4}, back[4] = {0};
    cl_mem m =
        clCreateBuffer(app_ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof data, data, &err);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(clEnqueueReadBuffer(app_q, m, CL_TRUE, 0, sizeof back, back, 0, NULL, NULL),
                     CL_SUCCESS);
    ck_assert(back[3] == 4.0f);
    clReleaseMemObject(m);
    ck_assert_int_eq(clReleaseCommandQueue(app_q), CL_SUCCESS);
    ck_assert_int_eq(clReleaseContext(app_ctx), CL_SUCCESS);

    ck_assert_int_eq(clconv_context_create_from_queue(NULL, &ctx), CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "queue is NULL"));
    ck_assert_int_eq(clconv_context_create_from_queue(app_q, NULL), CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "ctx is NULL"));
}
END_TEST

START_TEST(test_null_context)
{
    clconv_context_destroy(NULL);
    ck_assert_ptr_null(clconv_context_get_cl_context(NULL));
    ck_assert_ptr_null(clconv_context_get_queue(NULL));
    ck_assert_ptr_null(clconv_context_get_device(NULL));
    ck_assert_ptr_nonnull(clconv_context_last_error(NULL));
}
END_TEST

/* The environment variables the tests change, as the suite found them: the checked teardown
 * puts them back after every test, failed ones included (CK_FORK=no runs all in one
 * process), so that every test runs on the device $CLCONV_DEVICE chose. */
static char *initial_device, *initial_kernel_dir;

static void put_env(const char *name, const char *value)
{
    if (value)
        setenv(name, value, 1);
    else
        unsetenv(name);
}

static void restore_env(void)
{
    put_env("CLCONV_DEVICE", initial_device);
    put_env("CLCONV_KERNEL_DIR", initial_kernel_dir);
}

static char *copy_env(const char *name)
{
    const char *v = getenv(name);
    return v ? strdup(v) : NULL;
}

static Suite *context_suite(void)
{
    initial_device = copy_env("CLCONV_DEVICE");
    initial_kernel_dir = copy_env("CLCONV_KERNEL_DIR");
    Suite *s = suite_create("context");
    TCase *tc = tcase_create("device");
    tcase_set_timeout(tc, 0);
    tcase_add_checked_fixture(tc, NULL, restore_env);
    tcase_add_test(tc, test_create_specs);
    tcase_add_test(tc, test_device_environment);
    tcase_add_test(tc, test_device_info);
    tcase_add_test(tc, test_create_from_queue);
    tcase_add_test(tc, test_null_context);
    context_kernels_add_tests(tc);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(context_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    test_context_release();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
