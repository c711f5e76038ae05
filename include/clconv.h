/*
 * clconv — portable OpenCL 2-D convolution (torch.nn.Conv2d / ConvTranspose2d semantics).
 *
 * Lifecycle: create a context (or adopt the application's queue), describe the layer with a
 * clconv_desc, create a plan for one input shape, enqueue the plan on cl_mem buffers as often
 * as needed, destroy the plan and the context.
 *
 * Layouts are PyTorch's, contiguous NCHW:
 *   input   (N, Cin, H, W)
 *   weight  Conv2d (Cout, Cin/groups, kh, kw); ConvTranspose2d (Cin, Cout/groups, kh, kw)
 *   bias    (Cout)
 *   output  (N, Cout, Hout, Wout)
 *
 * Errors: every function that can fail returns a clconv_status and never aborts. The text
 * of the most recent failure on the calling thread is available from clconv_last_error(),
 * and the most recent failure involving a context from clconv_context_last_error(). Rejected
 * calls write nothing to their outputs.
 *
 * Threads: the functions without a context argument are reentrant. May be shared between
 * threads: a context (plans may be created, baked and enqueued on it from any number of
 * threads at once; its program cache is locked, the disk cache of binaries is written
 * atomically and the tuning database is read-only after creation), its queue (OpenCL queues
 * are thread-safe), and different plans (each enqueue on the context's queue or on a queue of
 * the caller's, clconv_plan_enqueue_on_queue). Must not be shared without the caller's own
 * locking: one plan (its kernels' arguments are set at enqueue, so bake, enqueue and destroy
 * of one plan must not overlap), clconv_context_set_workspace_limit against plan creation, and
 * the context's destruction against anything else on it or its plans. Environment variables
 * are read at context and plan creation: do not change them from another thread meanwhile.
 * clconv_context_last_error() is per context, so under concurrent use prefer
 * clconv_last_error(), which is per thread.
 */
#ifndef CLCONV_H
#define CLCONV_H

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>
#include <stddef.h>
#include <stdint.h>

#include "clconv_version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && !defined(CLCONV_STATIC)
#ifdef CLCONV_BUILDING
#define CLCONV_API __declspec(dllexport)
#else
#define CLCONV_API __declspec(dllimport)
#endif
#elif defined(__GNUC__)
#define CLCONV_API __attribute__((visibility("default")))
#else
#define CLCONV_API
#endif

/* ---------------------------------------------------------------------------------------
 * Status codes. One table gives the enum values and their messages.
 * ------------------------------------------------------------------------------------- */
#define CLCONV_STATUS_TABLE(X)                                                                     \
    X(CLCONV_SUCCESS, "success")                                                                   \
    X(CLCONV_ERROR_INVALID_ARGUMENT, "invalid argument")                                           \
    X(CLCONV_ERROR_UNSUPPORTED, "valid but unsupported request")                                   \
    X(CLCONV_ERROR_TOO_LARGE, "size overflows or exceeds the device's limits")                     \
    X(CLCONV_ERROR_INVALID_BUFFER, "buffer missing, too small, aliased or of another context")     \
    X(CLCONV_ERROR_OUT_OF_HOST_MEMORY, "host memory allocation failed")                            \
    X(CLCONV_ERROR_DEVICE_NOT_FOUND, "no matching OpenCL device")                                  \
    X(CLCONV_ERROR_BUILD, "OpenCL program build failed")                                           \
    X(CLCONV_ERROR_KERNEL_SOURCE, "kernel source not found or unreadable")                         \
    X(CLCONV_ERROR_OPENCL, "an OpenCL call failed")

typedef enum clconv_status {
#define CLCONV_STATUS_ENUM_(name, message) name,
    CLCONV_STATUS_TABLE(CLCONV_STATUS_ENUM_)
#undef CLCONV_STATUS_ENUM_
        CLCONV_STATUS_COUNT_ /* number of statuses; not a status */
} clconv_status;

/* Static text for a status ("invalid argument", ...); "unknown status" for other values. */
CLCONV_API const char *clconv_status_string(clconv_status status);

/* Symbolic name of a status ("CLCONV_ERROR_BUILD", ...); "unknown" for other values. */
CLCONV_API const char *clconv_status_name(clconv_status status);

/* Detail of the most recent failure on the calling thread ("" if none yet). The text names
 * the offending field and value, e.g. "stride_h = 0: must be >= 1". Valid until the next
 * clconv call on this thread. */
CLCONV_API const char *clconv_last_error(void);

/* ---------------------------------------------------------------------------------------
 * Layer description
 * ------------------------------------------------------------------------------------- */
typedef enum clconv_kind { CLCONV_CONV2D, CLCONV_CONV_TRANSPOSE2D } clconv_kind;

typedef enum clconv_padding_mode {
    CLCONV_PADDING_ZEROS,
    CLCONV_PADDING_REFLECT,
    CLCONV_PADDING_REPLICATE,
    CLCONV_PADDING_CIRCULAR
} clconv_padding_mode;

/* float16 is storage only: half buffers, float arithmetic (vload_half/vstore_half). */
typedef enum clconv_dtype { CLCONV_FLOAT32, CLCONV_FLOAT16 } clconv_dtype;

typedef enum clconv_algo {
    CLCONV_ALGO_AUTO = 0,  /* let clconv choose per shape and device */
    CLCONV_ALGO_DIRECT,    /* direct gather kernels, every case */
    CLCONV_ALGO_GEMM,      /* im2col / col2im + GEMM (CLBlast) */
    CLCONV_ALGO_TILED,     /* register-blocked direct kernels (implicit GEMM, stride phases) */
    CLCONV_ALGO_DEPTHWISE, /* sliding-window kernel for depthwise convolution */
    CLCONV_ALGO_WINOGRAD,  /* Winograd minimal filtering F(2x2 or 4x4, 3x3): 3x3 stride 1 */
    CLCONV_ALGO_COUNT_     /* number of values; not an algorithm */
} clconv_algo;

/* The activation of a fused epilogue (output = activation(conv + bias + residual)), each
 * with PyTorch's meaning; computed in float after the sum. */
typedef enum clconv_activation {
    CLCONV_ACTIVATION_NONE = 0,
    CLCONV_ACTIVATION_RELU,       /* torch.nn.ReLU */
    CLCONV_ACTIVATION_RELU6,      /* torch.nn.ReLU6 */
    CLCONV_ACTIVATION_LEAKY_RELU, /* torch.nn.LeakyReLU(negative_slope = activation_alpha) */
    CLCONV_ACTIVATION_CLAMP,      /* torch.nn.Hardtanh(min_val = activation_alpha,
                                     max_val = activation_beta) */
    CLCONV_ACTIVATION_SIGMOID,    /* torch.sigmoid */
    CLCONV_ACTIVATION_TANH,       /* torch.tanh */
    CLCONV_ACTIVATION_SILU,       /* torch.nn.SiLU */
    CLCONV_ACTIVATION_GELU,       /* torch.nn.GELU(), the exact erf form */
    CLCONV_ACTIVATION_HARDSWISH,  /* torch.nn.Hardswish */
    CLCONV_ACTIVATION_COUNT_      /* number of values; not an activation */
} clconv_activation;

typedef struct clconv_desc {
    clconv_kind kind;
    int in_channels, out_channels, groups;
    int kernel_h, kernel_w;
    int stride_h, stride_w;
    int pad_top, pad_bottom, pad_left, pad_right;
    int dilation_h, dilation_w;
    int output_padding_h, output_padding_w; /* ConvTranspose2d only */
    int bias;                               /* nonzero: bias of out_channels is added */
    clconv_padding_mode padding_mode;
    clconv_dtype dtype;
    /* Fused epilogue, run by the command that writes the output:
     *   output = activation(conv(input) + bias + residual)
     * activation_alpha/beta are the activation's parameters (LEAKY_RELU: alpha is the
     * negative slope; CLAMP: alpha = min, beta = max); other activations ignore them.
     * residual nonzero: a tensor of the output's shape and dtype is added before the
     * activation (clconv_plan_enqueue_buffers; it may be the output buffer itself). */
    clconv_activation activation;
    float activation_alpha, activation_beta;
    int residual;
} clconv_desc;

/* Fills desc with torch's defaults: stride 1, padding 0, dilation 1, groups 1, output
 * padding 0, bias on, zeros padding, float32, no activation (alpha = beta = 0), no residual.
 * A NULL desc is ignored. Nothing is validated
 * here: validation happens in clconv_output_shape and clconv_plan_create. */
CLCONV_API void clconv_desc_init(clconv_desc *desc, clconv_kind kind, int in_channels,
                                 int out_channels, int kernel_h, int kernel_w);

/* torch's padding='same' for Conv2d: total padding dilation*(kernel-1) per axis, the odd
 * remainder going to the bottom/right as torch does for even kernels.
 * Errors: CLCONV_ERROR_INVALID_ARGUMENT for a NULL desc, a transposed desc, a stride other
 * than 1, or kernel/dilation < 1; CLCONV_ERROR_TOO_LARGE when dilation*(kernel-1) overflows
 * int. desc is left unchanged on any error. */
CLCONV_API clconv_status clconv_desc_set_padding_same(clconv_desc *desc);

/* Validates desc for an input of shape input_nchw and writes the output shape.
 * Errors: CLCONV_ERROR_INVALID_ARGUMENT (bad field; the message names it),
 * CLCONV_ERROR_TOO_LARGE (a tensor's element count overflows). output_nchw is untouched on
 * error. */
CLCONV_API clconv_status clconv_output_shape(const clconv_desc *desc, const int input_nchw[4],
                                             int output_nchw[4]);

/* Size in bytes of one element of dtype (4 or 2); 0 for an invalid dtype. */
CLCONV_API size_t clconv_dtype_size(clconv_dtype dtype);

/* Element counts of the four tensors of a valid (desc, input shape); weight_count is
 * in_channels-or-out_channels x .../groups x kh x kw, bias_count is out_channels or 0.
 * Any pointer may be NULL. Errors as clconv_output_shape. */
CLCONV_API clconv_status clconv_tensor_sizes(const clconv_desc *desc, const int input_nchw[4],
                                             size_t *input_count, size_t *weight_count,
                                             size_t *bias_count, size_t *output_count);

/* ---------------------------------------------------------------------------------------
 * Context: one OpenCL device, context and in-order queue, plus the program cache.
 * ------------------------------------------------------------------------------------- */
typedef struct clconv_context clconv_context;

/* Creates a context on a device chosen by device_spec:
 *   NULL or ""  -> $CLCONV_DEVICE if set, else the first GPU, else the first device;
 *   "P:D"       -> platform index P, device index D (as clinfo -l lists them);
 *   other text  -> the first device whose platform or device name contains it
 *                  (case-insensitive); "gpu", "cpu" and "accelerator" match device types.
 * The queue is created with profiling enabled. The caller owns *ctx and releases it with
 * clconv_context_destroy.
 * Errors: CLCONV_ERROR_INVALID_ARGUMENT (NULL ctx or malformed spec: one that starts with a
 * digit, '-', '+' or ':' and has a ':' but is not two indices, e.g. "0:", ":0", "-1:0"),
 * CLCONV_ERROR_DEVICE_NOT_FOUND, CLCONV_ERROR_OPENCL, CLCONV_ERROR_OUT_OF_HOST_MEMORY. */
CLCONV_API clconv_status clconv_context_create(const char *device_spec, clconv_context **ctx);

/* Adopts an application's command queue (and its context and device). The queue and its
 * context are retained and released again by clconv_context_destroy. Work is enqueued on
 * this queue; out-of-order queues are supported through events. Timing APIs need the queue
 * to have CL_QUEUE_PROFILING_ENABLE.
 * Errors: CLCONV_ERROR_INVALID_ARGUMENT (NULL), CLCONV_ERROR_OPENCL (not a valid queue). */
CLCONV_API clconv_status clconv_context_create_from_queue(cl_command_queue queue,
                                                          clconv_context **ctx);

/* Releases the context, its programs, and its references on the OpenCL objects. Plans made
 * from it must be destroyed first. NULL is a no-op. */
CLCONV_API void clconv_context_destroy(clconv_context *ctx);

/* The OpenCL objects in use (not retained for the caller). */
CLCONV_API cl_context clconv_context_get_cl_context(const clconv_context *ctx);
CLCONV_API cl_command_queue clconv_context_get_queue(const clconv_context *ctx);
CLCONV_API cl_device_id clconv_context_get_device(const clconv_context *ctx);

/* Detail of the last failure of a call made with this context (build log included for
 * CLCONV_ERROR_BUILD); "" if none. Valid until the next failing call on this context. */
CLCONV_API const char *clconv_context_last_error(const clconv_context *ctx);

/* Tuning database (docs/selection.md, "Tuning"; written by clconv-tune). Context creation loads
 * $CLCONV_TUNING_FILE, else the device's default file in the cache folder when it exists; a
 * missing, corrupt, other-version or other-device file is ignored (AUTO then uses its
 * heuristic) and clconv_context_tuning_info says why. With a database, AUTO takes the fastest
 * measured algorithm of the exact layer shape, else of the nearest comparable tuned shape,
 * else the heuristic decides; CLCONV_VERBOSE=1 logs which. */

/* Loads the database at path into ctx, replacing the one it had. Not thread-safe against
 * plan creation on ctx. On error ctx keeps its previous database.
 * Errors: CLCONV_ERROR_INVALID_ARGUMENT for NULL arguments, an unreadable file, a malformed
 * file (the message names the line), another format version, or a database of another device
 * name or driver version (the message names both). */
CLCONV_API clconv_status clconv_context_load_tuning(clconv_context *ctx, const char *path);

/* One line on the context's tuning database: the file and its layer count, or why there is
 * none. Owned by ctx; valid until the next load. */
CLCONV_API const char *clconv_context_tuning_info(const clconv_context *ctx);

/* The file clconv-tune writes by default and contexts load for this device:
 * <cache folder>/tuning-<hash of device name and driver version>.txt, into path (size bytes).
 * Errors: CLCONV_ERROR_INVALID_ARGUMENT (NULL), CLCONV_ERROR_UNSUPPORTED (no cache folder,
 * e.g. CLCONV_CACHE=0, or path too small). */
CLCONV_API clconv_status clconv_context_default_tuning_path(const clconv_context *ctx, char *path,
                                                            size_t size);

/* What clconv recorded about the device at context creation. */
typedef struct clconv_device_info {
    char platform_name[128];
    char platform_version[128];
    char device_name[128];
    char vendor[128];
    char driver_version[128];
    char device_version[128];
    char extensions[4096]; /* truncated if longer */
    cl_device_type type;
    cl_uint vendor_id;
    cl_uint compute_units;
    cl_uint max_clock_mhz;
    size_t max_work_group_size;
    size_t max_work_item_sizes[3];
    cl_ulong local_mem_size;
    int local_mem_dedicated; /* 1: CL_LOCAL; 0: emulated in global memory */
    cl_ulong global_mem_size;
    cl_ulong max_alloc_size;
    cl_uint preferred_vector_width_float;
    int has_fp16;        /* cl_khr_fp16: half arithmetic (storage works without it) */
    int has_fp64;        /* cl_khr_fp64 */
    int queue_profiling; /* the queue has CL_QUEUE_PROFILING_ENABLE */
} clconv_device_info;

/* Copies the recorded device information into *info.
 * Errors: CLCONV_ERROR_INVALID_ARGUMENT for NULL arguments. */
CLCONV_API clconv_status clconv_context_get_device_info(const clconv_context *ctx,
                                                        clconv_device_info *info);

/* ---------------------------------------------------------------------------------------
 * Plans: one layer, one input shape, one algorithm, ready to enqueue.
 * ------------------------------------------------------------------------------------- */
typedef struct clconv_plan clconv_plan;

/* Validates desc for input_nchw and chooses (AUTO: tuning database, else heuristic) or checks
 * (forced) the algorithm, and the kernel variant within it. CLCONV_VARIANT=<variant name> in
 * the environment overrides AUTO (CLCONV_ALGO=<name> too, when CLCONV_VARIANT is unset). Nothing is
 * compiled here: the plan's programs are built by clconv_plan_bake, or by the first enqueue
 * if the plan was not baked, so creation is cheap. The workspace size is final at creation.
 * The plan keeps a pointer to ctx, which must outlive it.
 * Errors: CLCONV_ERROR_INVALID_ARGUMENT, CLCONV_ERROR_TOO_LARGE, CLCONV_ERROR_UNSUPPORTED
 * (forced algorithm cannot run this case; the message says why),
 * CLCONV_ERROR_OUT_OF_HOST_MEMORY. */
CLCONV_API clconv_status clconv_plan_create(clconv_context *ctx, const clconv_desc *desc,
                                            const int input_nchw[4], clconv_algo algo,
                                            clconv_plan **plan);

/* Compiles ahead: builds the plan's programs and kernels (from the program cache, the disk
 * cache of binaries, or source) so that the first enqueue does no compiling. Calling it again
 * after success does nothing; after a failure it retries. Optional: an unbaked plan is baked
 * by its first enqueue, which then returns these errors.
 * Errors: CLCONV_ERROR_INVALID_ARGUMENT (NULL plan), CLCONV_ERROR_BUILD (the build log is in
 * clconv_context_last_error and clconv_last_error), CLCONV_ERROR_KERNEL_SOURCE,
 * CLCONV_ERROR_OPENCL, CLCONV_ERROR_OUT_OF_HOST_MEMORY, CLCONV_ERROR_UNSUPPORTED. */
CLCONV_API clconv_status clconv_plan_bake(clconv_plan *plan);

/* 1 when the plan's programs are built (baked or enqueued once), else 0 (also for NULL). */
CLCONV_API int clconv_plan_is_baked(const clconv_plan *plan);

/* As clconv_plan_create, with one kernel variant forced by name (clconv_variant_name lists
 * them; names are stable across releases, e.g. "tiled.chanvec_c16p8"): the environment's
 * CLCONV_VARIANT and CLCONV_ALGO are not read. The tuning database and the cost model are
 * skipped; the variant's own configuration (tiles, workspace) is used.
 * Errors: CLCONV_ERROR_INVALID_ARGUMENT (NULL or unknown name, or the clconv_plan_create
 * errors), CLCONV_ERROR_UNSUPPORTED (the variant cannot run this layer on this device or under
 * the workspace limit, or is not in this build; the message says why). */
CLCONV_API clconv_status clconv_plan_create_variant(clconv_context *ctx, const clconv_desc *desc,
                                                    const int input_nchw[4], const char *variant,
                                                    clconv_plan **plan);

/* The algorithm the plan runs (never CLCONV_ALGO_AUTO); CLCONV_ALGO_AUTO for NULL. */
CLCONV_API clconv_algo clconv_plan_get_algo(const clconv_plan *plan);

/* The name of the kernel variant the plan runs ("depthwise.s2_phases"), static storage;
 * NULL for a NULL plan. */
CLCONV_API const char *clconv_plan_get_variant_name(const clconv_plan *plan);

/* Number of kernel variants in this build, and the name of the index-th (0-based, registry
 * order; NULL out of range). The name says its algorithm ("tiled.") and its kernel and tile. */
CLCONV_API int clconv_variant_count(void);
CLCONV_API const char *clconv_variant_name(int index);

/* The algorithm a variant belongs to; CLCONV_ALGO_AUTO for NULL or an unknown name. */
CLCONV_API clconv_algo clconv_variant_get_algo(const char *name);

/* Output shape of the plan. Errors: CLCONV_ERROR_INVALID_ARGUMENT for NULL arguments. */
CLCONV_API clconv_status clconv_plan_get_output_shape(const clconv_plan *plan, int output_nchw[4]);

/* Lower-case name of an activation as the tools write it ("none", "relu", "relu6",
 * "leaky_relu", "clamp", "sigmoid", "tanh", "silu", "gelu", "hardswish"); "unknown" otherwise. */
CLCONV_API const char *clconv_activation_name(clconv_activation activation);

/* Parses an activation name as clconv_activation_name writes it (case-insensitive).
 * Errors: CLCONV_ERROR_INVALID_ARGUMENT for NULL arguments or an unknown name. */
CLCONV_API clconv_status clconv_activation_from_name(const char *name,
                                                     clconv_activation *activation);

/* Lower-case name of an algorithm ("auto", "direct", "gemm", "tiled", "depthwise",
 * "winograd"); "unknown" otherwise. */
CLCONV_API const char *clconv_algo_name(clconv_algo algo);

/* Parses an algorithm name as clconv_algo_name writes it (case-insensitive).
 * Errors: CLCONV_ERROR_INVALID_ARGUMENT for NULL or an unknown name. */
CLCONV_API clconv_status clconv_algo_from_name(const char *name, clconv_algo *algo);

/* 1 when this build has the algorithm (e.g. "gemm" needs the library built with CLBlast),
 * 0 otherwise and for CLCONV_ALGO_AUTO; says nothing about whether it supports a given layer. */
CLCONV_API int clconv_algo_available(clconv_algo algo);

/* Bytes of device workspace the plan needs; 0: none, pass NULL as workspace. */
CLCONV_API size_t clconv_plan_get_workspace_size(const clconv_plan *plan);

/* Default cap on a plan's workspace: 256 MiB. */
#define CLCONV_DEFAULT_WORKSPACE_LIMIT ((size_t)256 << 20)

/* Sets the most workspace, in bytes, that plans created afterwards on ctx may ask for
 * (plans already created keep theirs); 0 restores CLCONV_DEFAULT_WORKSPACE_LIMIT. The device's
 * max allocation caps it too. Algorithms that need scratch memory (GEMM's im2col/col2im
 * matrices) split the batch and the rows into chunks to stay under it, with identical
 * results; a plan whose smallest chunk does not fit is rejected (forced) or not chosen (AUTO)
 * with CLCONV_ERROR_UNSUPPORTED naming the limit. Not thread-safe against concurrent
 * clconv_plan_create calls on the same context.
 * Errors: CLCONV_ERROR_INVALID_ARGUMENT for a NULL ctx. */
CLCONV_API clconv_status clconv_context_set_workspace_limit(clconv_context *ctx, size_t bytes);

/* Keeps AUTO (the cost model and the tuning database) off transform-based variants (Winograd)
 * for plans created afterwards on ctx, when exact is nonzero: their rounding differs from
 * direct summation (docs/winograd.md bounds it). Forcing such a variant or its algorithm still
 * works. The environment variable CLCONV_EXACT set to a nonzero number has the same effect on
 * every context. Not thread-safe against concurrent clconv_plan_create calls on the same
 * context.
 * Errors: CLCONV_ERROR_INVALID_ARGUMENT for a NULL ctx. */
CLCONV_API clconv_status clconv_context_set_exact_summation(clconv_context *ctx, int exact);

/* 1 when plans created now on ctx keep AUTO to direct summation (the setting or
 * CLCONV_EXACT), else 0; 0 for a NULL ctx. */
CLCONV_API int clconv_context_get_exact_summation(const clconv_context *ctx);

/* Tells AUTO, for plans created afterwards on ctx, that the application gives them their
 * weights once with clconv_plan_set_weights (constant nonzero): the cost model then leaves out
 * the weight preparation a variant otherwise runs in every enqueue (Winograd's filter
 * transform, the channel-vector re-layout), which can change the variant chosen. Such a plan
 * still runs correctly when an enqueue passes weights, preparing them then. The tuning
 * database, which records per-enqueue times, still decides the layers it has. The environment
 * variable CLCONV_CONSTANT_WEIGHTS set to a nonzero number has the same effect on every
 * context. Not thread-safe against concurrent clconv_plan_create calls on the same context.
 * Errors: CLCONV_ERROR_INVALID_ARGUMENT for a NULL ctx. */
CLCONV_API clconv_status clconv_context_set_constant_weights(clconv_context *ctx, int constant);

/* 1 when AUTO costs plans created now on ctx with their weights set once (the setting or
 * CLCONV_CONSTANT_WEIGHTS), else 0; 0 for a NULL ctx. */
CLCONV_API int clconv_context_get_constant_weights(const clconv_context *ctx);

/* The workspace cap in effect for plans created on ctx (the setting or the default, capped by
 * the device's max allocation); 0 for a NULL ctx. */
CLCONV_API size_t clconv_context_get_workspace_limit(const clconv_context *ctx);

/* Enqueues the convolution on the context's queue after the wait events.
 * Buffers hold the layouts above in the plan's dtype; bias may be NULL when desc->bias == 0;
 * workspace may be NULL when its size is 0; event may be NULL, otherwise the caller owns and
 * releases the returned event, which completes when the output is written.
 * Every buffer is checked (non-NULL, CL_MEM_SIZE large enough, the output's bytes disjoint
 * from the inputs' and the workspace's, sub-buffers resolved to their parent) before anything
 * is enqueued, so a rejected call leaves the output untouched. A failed call leaves it
 * untouched too when an OpenCL call fails after part of a plan of several commands was
 * queued (status CLCONV_ERROR_OPENCL or CLCONV_ERROR_OUT_OF_HOST_MEMORY): every plan writes
 * its output with its last command only (the GEMM path stages results in the workspace when
 * it would otherwise write the output in parts). The commands already queued still run and
 * use the workspace.
 * An unbaked plan is baked first (see clconv_plan_bake), so the first enqueue may also
 * return the errors of clconv_plan_bake.
 * Errors: CLCONV_ERROR_INVALID_ARGUMENT (NULL plan, wait list inconsistent),
 * CLCONV_ERROR_INVALID_BUFFER, CLCONV_ERROR_OPENCL. */
CLCONV_API clconv_status clconv_plan_enqueue(clconv_plan *plan, cl_mem input, cl_mem weight,
                                             cl_mem bias, cl_mem output, cl_mem workspace,
                                             cl_uint num_wait_events, const cl_event *wait_events,
                                             cl_event *event);

/* As clconv_plan_enqueue, on queue instead of the context's: any command queue of the same
 * OpenCL context and device (in-order or out-of-order), e.g. one per application thread.
 * The queue is not retained; the caller keeps it valid until the work completes.
 * Errors: as clconv_plan_enqueue; CLCONV_ERROR_INVALID_ARGUMENT for a NULL queue, an invalid
 * one, or one of another context or device (the message says which). */
CLCONV_API clconv_status clconv_plan_enqueue_on_queue(clconv_plan *plan, cl_command_queue queue,
                                                      cl_mem input, cl_mem weight, cl_mem bias,
                                                      cl_mem output, cl_mem workspace,
                                                      cl_uint num_wait_events,
                                                      const cl_event *wait_events, cl_event *event);

/* The buffers of one enqueue (clconv_plan_enqueue_buffers). weight and bias may be NULL
 * after clconv_plan_set_weights (the plan's copies are used); bias is ignored without
 * desc->bias; residual is required exactly when desc->residual is set, has the output's
 * layout and may be the output buffer itself (in-place accumulate: the old output is added),
 * but no other overlap with the output; workspace as clconv_plan_enqueue. */
typedef struct clconv_buffers {
    cl_mem input, weight, bias, residual, output, workspace;
} clconv_buffers;

/* Enqueues the convolution with its epilogue on queue (NULL: the context's queue; otherwise
 * as clconv_plan_enqueue_on_queue), after the wait events; buffers as clconv_buffers says,
 * checked as clconv_plan_enqueue checks them, before anything is enqueued.
 * Errors: as clconv_plan_enqueue_on_queue; CLCONV_ERROR_INVALID_ARGUMENT for NULL buffers;
 * CLCONV_ERROR_INVALID_BUFFER for a NULL weight (or bias) without set weights, a NULL
 * residual when desc->residual is set, a residual given to a plan without one, a residual
 * smaller than the output or overlapping it other than exactly. */
CLCONV_API clconv_status clconv_plan_enqueue_buffers(clconv_plan *plan, cl_command_queue queue,
                                                     const clconv_buffers *buffers,
                                                     cl_uint num_wait_events,
                                                     const cl_event *wait_events, cl_event *event);

/* Copies the weights (and the bias, when desc->bias is set) once into device memory the plan
 * owns, and lets the plan's variant prepare them (re-layout, packing, transforms), so that
 * enqueues passing weight (and bias) NULL use them and re-lay out nothing. Builds the plan
 * if it was not baked. Runs on the context's queue and returns when the copies are done: the
 * caller's buffers may be changed or released afterwards. Calling it again replaces them.
 * Errors: CLCONV_ERROR_INVALID_ARGUMENT (NULL plan), CLCONV_ERROR_INVALID_BUFFER (NULL,
 * too small or unreadable weight, or bias for a plan with bias), the clconv_plan_bake
 * errors, CLCONV_ERROR_OPENCL. On error the plan keeps the weights it had. */
CLCONV_API clconv_status clconv_plan_set_weights(clconv_plan *plan, cl_mem weight, cl_mem bias);

/* 1 when clconv_plan_set_weights has given the plan its weights, else 0 (also for NULL). */
CLCONV_API int clconv_plan_has_weights(const clconv_plan *plan);

/* Releases the plan. NULL is a no-op. */
CLCONV_API void clconv_plan_destroy(clconv_plan *plan);

/* ---------------------------------------------------------------------------------------
 * Operation counts (conventions: docs/op-counting.md)
 * ------------------------------------------------------------------------------------- */
typedef struct clconv_op_count {
    uint64_t macs;      /* multiply-accumulates (convention below) */
    uint64_t flops;     /* 2*macs + bias additions: the figure a roofline uses */
    uint64_t exact_ops; /* multiplies + adds a direct evaluation really executes */
    uint64_t bytes;     /* compulsory traffic: input + weight + bias + output, once each */
    double intensity;   /* flops / bytes */
    /* the fused epilogue, apart so that flops, bytes and intensity stay the convolution's
     * (as fvcore and torch's FlopCounterMode count it, activations and adds ignored): */
    uint64_t epilogue_ops;   /* per output: 1 add with desc->residual, plus the activation's
                              * count (docs/epilogue.md: relu 1, relu6 2, leaky_relu 2, clamp
                              * 2, sigmoid 3, tanh 1, silu 3, gelu 5, hardswish 5) */
    uint64_t epilogue_bytes; /* the residual read (output elements * dtype size), else 0 */
} clconv_op_count;

/* Counts the operations of one layer, in closed form (nothing is run; O(kh + kw)):
 *   macs       Conv2d: N*Cout*Hout*Wout*(Cin/groups)*kh*kw, padded taps included;
 *              ConvTranspose2d: input-centric N*Cin*(Cout/groups)*kh*kw*Hin*Win.
 *   flops      2*macs + N*Cout*Hout*Wout when desc->bias is set.
 *   exact_ops  multiplies + adds of a direct evaluation. Conv2d: N*Cout*Hout*Wout times
 *              2*kh*kw*Cin/groups with bias, one less per output without. ConvTranspose2d:
 *              per output with c >= 1 landing contributions (taps cropped by padding or
 *              falling between strided inputs excluded) c multiplies + c - 1 merging adds
 *              + 1 bias add; outputs with no contribution cost nothing.
 *   bytes      (input + weight + bias + output elements) * clconv_dtype_size(desc->dtype).
 *   intensity  flops / bytes.
 *   epilogue_ops, epilogue_bytes  the epilogue's operations and residual traffic (above);
 *              a fused layer's roofline uses (flops + epilogue_ops) / (bytes + epilogue_bytes).
 * Errors: as clconv_output_shape; CLCONV_ERROR_INVALID_ARGUMENT for a NULL count;
 * CLCONV_ERROR_TOO_LARGE when a count overflows uint64 (the message names it). *count is
 * untouched on error. */
CLCONV_API clconv_status clconv_count_ops(const clconv_desc *desc, const int input_nchw[4],
                                          clconv_op_count *count);

/* For comparison only: the ConvTranspose2d operation count of the moduleprofiler
 * documentation,
 *   ops = N * Cin*Cout/groups * (Hout*Wout*(kh*kw + 1) + additions_per_filter)
 *         - (bias ? 0 : N*Cout*Hout*Wout),
 * where additions_per_filter is the sum of (value - 1) over the output of a one-channel
 * ConvTranspose2d of the same geometry (N = Cin = Cout = groups = 1, no bias) run on all-ones
 * input and weights. Here it is in closed form: ly*lx - Hout*Wout, with ly (lx) the number
 * of (input row, kernel row) pairs whose target row lies inside the output; it is negative
 * when many outputs receive no contribution (stride > kernel).
 * How it over-counts: it charges kh*kw multiplies at every output, but only the products
 * that land execute, so
 *   ops - exact_ops = N*Cout*(Cin/groups)*(Hout*Wout*kh*kw - ly*lx)
 *                     - (bias ? 0 : N*Cout*(outputs receiving nothing per channel)).
 * Its additions are exact wherever every output receives a contribution. The excess is
 * about (1 - 1/(sh*sw)) of its multiplies for large inputs, plus the taps that fall off the
 * border: its own example (1 channel, 2x2 input, 2x2 kernel, stride 1, bias) gives
 * 52 = 9*(4+1) + 7 where the direct evaluation executes 32 = 16 multiplies + 16 adds.
 * *ops and *additions_per_filter (which may be NULL) are written on success.
 * Errors: as clconv_count_ops; CLCONV_ERROR_INVALID_ARGUMENT for a Conv2d desc or NULL ops. */
CLCONV_API clconv_status clconv_count_ops_moduleprofiler_tconv(const clconv_desc *desc,
                                                               const int input_nchw[4],
                                                               uint64_t *ops,
                                                               int64_t *additions_per_filter);

/* ---------------------------------------------------------------------------------------
 * CPU reference
 * ------------------------------------------------------------------------------------- */

/* float32 CPU reference with double accumulation; same layouts as the device path (desc
 * dtype is ignored: data is float). bias may be NULL when desc->bias == 0. Slow: for tests,
 * tools and self-checks.
 * Errors: CLCONV_ERROR_INVALID_ARGUMENT (invalid desc/shape or NULL data),
 * CLCONV_ERROR_TOO_LARGE. */
CLCONV_API clconv_status clconv_reference(const clconv_desc *desc, const int input_nchw[4],
                                          const float *input, const float *weight,
                                          const float *bias, float *output);

/* As clconv_reference, with the epilogue's residual: residual has the output's layout and
 * may be NULL when desc->residual == 0, or equal output (in place: output is read first).
 * clconv_reference itself rejects a desc with residual set. Both apply desc->activation.
 * Errors: as clconv_reference; CLCONV_ERROR_INVALID_ARGUMENT for a NULL residual with
 * desc->residual set. */
CLCONV_API clconv_status clconv_reference_residual(const clconv_desc *desc, const int input_nchw[4],
                                                   const float *input, const float *weight,
                                                   const float *bias, const float *residual,
                                                   float *output);

#ifdef __cplusplus
}
#endif

#endif /* CLCONV_H */
