/* One context used from many threads at once: plans created, baked and enqueued concurrently on
 * the shared queue and on per-thread queues give bit-identical results to a single-threaded
 * run; the program cache and the disk cache of binaries hold up under that load. Run under
 * ThreadSanitizer in CI (.ci/run builds it with -Db_sanitize=thread). */
#include <check.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/kernels.h"
#include "tests/common.h"

#define THREADS 8
#define ROUNDS 2
#define MAX_LAYERS 8

typedef struct layer {
    const char *name;
    clconv_desc desc;
    int in[4];
    clconv_algo algo;
    test_tensors t;
    float *expected; /* the single-threaded result */
    size_t out_bytes;
} layer;

static layer layers[MAX_LAYERS];
static int nlayers;

static void add_layer(const char *name, clconv_kind kind, int cin, int cout, int k, int stride,
                      int pad, int groups, int n, int h, int w, clconv_algo algo)
{
    layer *L = &layers[nlayers];
    L->name = name;
    clconv_desc_init(&L->desc, kind, cin, cout, k, k);
    L->desc.stride_h = L->desc.stride_w = stride;
    L->desc.pad_top = L->desc.pad_bottom = L->desc.pad_left = L->desc.pad_right = pad;
    L->desc.groups = groups;
    const int in[4] = {n, cin, h, w};
    memcpy(L->in, in, sizeof in);
    L->algo = algo;
    ck_assert(test_tensors_alloc(&L->t, &L->desc, L->in, 100 + (uint64_t)nlayers));
    L->out_bytes = L->t.output_count * sizeof(float);
    nlayers++;
}

/* Small layers covering every algorithm's enqueue (forced, so each path runs on caller
 * queues) and AUTO. */
static void make_layers(void)
{
    nlayers = 0;
    add_layer("direct 3x3", CLCONV_CONV2D, 6, 8, 3, 1, 1, 1, 2, 11, 9, CLCONV_ALGO_DIRECT);
    add_layer("tiled 3x3", CLCONV_CONV2D, 8, 8, 3, 1, 1, 1, 1, 12, 12, CLCONV_ALGO_TILED);
    add_layer("depthwise s2", CLCONV_CONV2D, 8, 8, 3, 2, 1, 8, 1, 13, 13, CLCONV_ALGO_DEPTHWISE);
    add_layer("transposed s2", CLCONV_CONV_TRANSPOSE2D, 4, 6, 3, 2, 1, 1, 1, 7, 6,
              CLCONV_ALGO_DIRECT);
    add_layer("auto 5x5", CLCONV_CONV2D, 4, 4, 5, 1, 2, 2, 1, 10, 10, CLCONV_ALGO_AUTO);
    if (clconv_algo_available(CLCONV_ALGO_GEMM) && !getenv("CLCONV_TEST_THREADS_NO_GEMM"))
        add_layer("gemm 1x1", CLCONV_CONV2D, 16, 8, 1, 1, 0, 1, 1, 8, 8, CLCONV_ALGO_GEMM);
}

static void free_layers(void)
{
    for (int i = 0; i < nlayers; i++) {
        test_tensors_free(&layers[i].t);
        free(layers[i].expected);
        layers[i].expected = NULL;
    }
    nlayers = 0;
}

/* Runs layer L on ctx through queue (NULL: the context's), baking first when bake is set,
 * and reads the output into out. Returns an error text, or NULL. */
static const char *run_layer(clconv_context *ctx, cl_command_queue queue, const layer *L, bool bake,
                             float *out, char *err, size_t err_size)
{
    cl_context cl = clconv_context_get_cl_context(ctx);
    cl_command_queue q = queue ? queue : clconv_context_get_queue(ctx);
    clconv_plan *plan = NULL;
    cl_mem bin = NULL, bw = NULL, bb = NULL, bout = NULL, bws = NULL;
    const char *fail = NULL;
    clconv_status st = clconv_plan_create(ctx, &L->desc, L->in, L->algo, &plan);
    if (st == CLCONV_SUCCESS && bake)
        st = clconv_plan_bake(plan);
    if (st != CLCONV_SUCCESS) {
        snprintf(err, err_size, "%s: plan: %s: %s", L->name, clconv_status_name(st),
                 clconv_last_error());
        fail = err;
        goto done;
    }
    cl_int e1, e2, e3, e4, e5 = CL_SUCCESS;
    bin = clCreateBuffer(cl, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                         L->t.input_count * sizeof(float), L->t.input, &e1);
    bw = clCreateBuffer(cl, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                        L->t.weight_count * sizeof(float), L->t.weight, &e2);
    bb = clCreateBuffer(cl, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                        L->t.bias_count * sizeof(float), L->t.bias, &e3);
    bout = clCreateBuffer(cl, CL_MEM_READ_WRITE, L->out_bytes, NULL, &e4);
    size_t ws = clconv_plan_get_workspace_size(plan);
    if (ws)
        bws = clCreateBuffer(cl, CL_MEM_READ_WRITE, ws, NULL, &e5);
    if (!bin || !bw || !bb || !bout || (ws && !bws)) {
        snprintf(err, err_size, "%s: clCreateBuffer failed (%d %d %d %d %d)", L->name, e1, e2, e3,
                 e4, e5);
        fail = err;
        goto done;
    }
    st = queue ? clconv_plan_enqueue_on_queue(plan, queue, bin, bw, bb, bout, bws, 0, NULL, NULL)
               : clconv_plan_enqueue(plan, bin, bw, bb, bout, bws, 0, NULL, NULL);
    if (st != CLCONV_SUCCESS) {
        snprintf(err, err_size, "%s: enqueue: %s: %s", L->name, clconv_status_name(st),
                 clconv_last_error());
        fail = err;
        goto done;
    }
    cl_int e = clEnqueueReadBuffer(q, bout, CL_TRUE, 0, L->out_bytes, out, 0, NULL, NULL);
    if (e != CL_SUCCESS) {
        snprintf(err, err_size, "%s: clEnqueueReadBuffer: %d", L->name, e);
        fail = err;
    }
done:
    if (bin)
        clReleaseMemObject(bin);
    if (bw)
        clReleaseMemObject(bw);
    if (bb)
        clReleaseMemObject(bb);
    if (bout)
        clReleaseMemObject(bout);
    if (bws)
        clReleaseMemObject(bws);
    clconv_plan_destroy(plan);
    return fail;
}

typedef struct worker {
    clconv_context *ctx;
    int id;
    pthread_barrier_t *start;
    int runs, mismatches;
    char error[1024];
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    cl_int err;
    /* odd threads also own a queue of the same context and device */
    cl_command_queue own = clCreateCommandQueue(clconv_context_get_cl_context(w->ctx),
                                                clconv_context_get_device(w->ctx), 0, &err);
    float *out = malloc(64 * 1024 * sizeof(float));
    pthread_barrier_wait(w->start); /* every thread creates its first plan at the same time */
    if (!own || !out) {
        snprintf(w->error, sizeof w->error, "thread %d: setup failed (%d)", w->id, err);
        goto done;
    }
    for (int r = 0; r < ROUNDS && !w->error[0]; r++)
        for (int j = 0; j < nlayers && !w->error[0]; j++) {
            /* each thread starts at another layer, so plans of all layers race */
            const layer *L = &layers[(j + w->id) % nlayers];
            const bool on_own = (w->id + r) % 2 == 1;
            if (run_layer(w->ctx, on_own ? own : NULL, L, (w->id + j) % 2 == 0, out, w->error,
                          sizeof w->error))
                break;
            w->runs++;
            if (memcmp(out, L->expected, L->out_bytes) != 0) {
                w->mismatches++;
                snprintf(w->error, sizeof w->error,
                         "thread %d round %d: %s on the %s queue differs from one thread's "
                         "result",
                         w->id, r, L->name, on_own ? "thread's own" : "shared");
            }
        }
done:
    if (own)
        clReleaseCommandQueue(own);
    free(out);
    return NULL;
}

/* Runs every layer from THREADS threads on ctx at once; asserts results and no errors. */
static void hammer(clconv_context *ctx)
{
    pthread_t threads[THREADS];
    worker workers[THREADS];
    pthread_barrier_t start;
    ck_assert_int_eq(pthread_barrier_init(&start, NULL, THREADS), 0);
    for (int i = 0; i < THREADS; i++) {
        memset(&workers[i], 0, sizeof workers[i]);
        workers[i].ctx = ctx;
        workers[i].id = i;
        workers[i].start = &start;
        ck_assert_int_eq(pthread_create(&threads[i], NULL, work, &workers[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < THREADS; i++) {
        ck_assert_msg(!workers[i].error[0], "%s", workers[i].error);
        ck_assert_int_eq(workers[i].runs, ROUNDS * nlayers);
        ck_assert_int_eq(workers[i].mismatches, 0);
    }
}

static char cache_dir[256];

static int count_cache_entries(void)
{
    DIR *d = opendir(cache_dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strstr(e->d_name, ".clbin") != NULL;
    closedir(d);
    return n;
}

static void fresh_cache(const char *tag)
{
    snprintf(cache_dir, sizeof cache_dir, "/tmp/clconv-threads-%s-%ld", tag, (long)getpid());
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", cache_dir);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(setenv("CLCONV_CACHE_DIR", cache_dir, 1), 0);
    unsetenv("CLCONV_CACHE");
}

static void remove_cache(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", cache_dir);
    ck_assert_int_eq(system(cmd), 0);
}

static clconv_context *new_context(void)
{
    clconv_context *ctx = NULL;
    ck_assert_msg(clconv_context_create(NULL, &ctx) == CLCONV_SUCCESS, "%s", clconv_last_error());
    return ctx;
}

/* The reference results: every layer once, from one thread, in its own context. */
static size_t single_threaded(void)
{
    clconv_context *ctx = new_context();
    char err[1024];
    for (int i = 0; i < nlayers; i++) {
        layer *L = &layers[i];
        L->expected = malloc(L->out_bytes);
        ck_assert_ptr_nonnull(L->expected);
        const char *fail = run_layer(ctx, NULL, L, true, L->expected, err, sizeof err);
        ck_assert_msg(!fail, "%s", fail);
    }
    size_t programs = clconv_program_cache_size(ctx);
    clconv_context_destroy(ctx);
    return programs;
}

START_TEST(test_shared_context)
{
    unsetenv("CLCONV_KERNEL_DIR");
    unsetenv("CLCONV_ALGO");
    make_layers();
    /* disk cache empty: the threads build from source and write binaries concurrently */
    fresh_cache("build");
    const size_t programs = single_threaded();
    remove_cache();
    fresh_cache("build");
    clconv_context *ctx = new_context();
    hammer(ctx);
    /* racing builds of one program leave one cache entry, not one per thread */
    ck_assert_uint_eq(clconv_program_cache_size(ctx), programs);
    clconv_context_destroy(ctx);
    const int entries = count_cache_entries();
    ck_assert_int_eq(entries, (int)programs);

    /* a new context loads those binaries, again from all threads at once */
    ctx = new_context();
    hammer(ctx);
    ck_assert_uint_eq(clconv_program_cache_size(ctx), programs);
    clconv_context_destroy(ctx);
    ck_assert_int_eq(count_cache_entries(), entries);
    remove_cache();
    free_layers();
}
END_TEST

START_TEST(test_foreign_queue_rejected)
{
    make_layers();
    clconv_context *a = new_context(), *b = new_context();
    clconv_plan *plan = NULL;
    const layer *L = &layers[0];
    ck_assert_int_eq(clconv_plan_create(a, &L->desc, L->in, L->algo, &plan), CLCONV_SUCCESS);
    cl_int err;
    cl_context cl = clconv_context_get_cl_context(a);
    cl_mem in = clCreateBuffer(cl, CL_MEM_READ_WRITE, L->t.input_count * 4, NULL, &err);
    cl_mem w = clCreateBuffer(cl, CL_MEM_READ_WRITE, L->t.weight_count * 4, NULL, &err);
    cl_mem bias = clCreateBuffer(cl, CL_MEM_READ_WRITE, L->t.bias_count * 4, NULL, &err);
    cl_mem out = clCreateBuffer(cl, CL_MEM_READ_WRITE, L->out_bytes, NULL, &err);
    ck_assert(in && w && bias && out);
    ck_assert_int_eq(
        clconv_plan_enqueue_on_queue(plan, NULL, in, w, bias, out, NULL, 0, NULL, NULL),
        CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "queue is NULL"));
    /* a queue of another OpenCL context */
    ck_assert_int_eq(clconv_plan_enqueue_on_queue(plan, clconv_context_get_queue(b), in, w, bias,
                                                  out, NULL, 0, NULL, NULL),
                     CLCONV_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clconv_last_error(), "another OpenCL context"));
    /* a rejected call built nothing */
    ck_assert(!clconv_plan_is_baked(plan));
    ck_assert_int_eq(clconv_plan_enqueue_on_queue(plan, clconv_context_get_queue(a), in, w, bias,
                                                  out, NULL, 0, NULL, NULL),
                     CLCONV_SUCCESS);
    ck_assert(clconv_plan_is_baked(plan));
    clFinish(clconv_context_get_queue(a));
    clReleaseMemObject(in);
    clReleaseMemObject(w);
    clReleaseMemObject(bias);
    clReleaseMemObject(out);
    clconv_plan_destroy(plan);
    clconv_context_destroy(a);
    clconv_context_destroy(b);
    free_layers();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("threads");
    TCase *tc = tcase_create("threads");
    tcase_set_timeout(tc, 0);
    tcase_add_test(tc, test_foreign_queue_rejected);
    tcase_add_test(tc, test_shared_context);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
