/* Kernel variants: the unit clconv chooses, forces, tunes and calibrates.
 *
 * A variant is one kernel family at one tile configuration ("tiled.chanvec_c16p8"), run by one
 * algorithm. Every variant is a row of the table in src/variants.c: its stable name, its
 * algorithm, its family's operations (clconv_variant_ops) and the family's tile parameters.
 *
 * The plan/variant contract (what is set at prepare and at enqueue, the one output writer,
 * release after a half-done prepare) is written down in src/internal.h.
 */
#ifndef CLCONV_VARIANT_H
#define CLCONV_VARIANT_H

#include <stdalign.h>
#include <stddef.h>

#include "src/calibration.h"
#include "src/internal.h"

/* What applies() computed for a plan: the workspace, and the family's own configuration
 * (tile sizes, launch shape) in data, read through CLCONV_CONFIG(type, cfg). */
#define CLCONV_CONFIG_BYTES 768
typedef struct clconv_config {
    size_t workspace; /* bytes the enqueue needs; 0: none */
    alignas(max_align_t) unsigned char data[CLCONV_CONFIG_BYTES];
} clconv_config;

/* The family's configuration type inside a clconv_config. */
#define CLCONV_CONFIG(type, cfg) ((type *)(void *)(cfg)->data)
#define CLCONV_CONFIG_CONST(type, cfg) ((const type *)(const void *)(cfg)->data)
#define CLCONV_CONFIG_FITS(type)                                                                   \
    _Static_assert(sizeof(type) <= CLCONV_CONFIG_BYTES, #type " does not fit a clconv_config")

typedef struct clconv_variant clconv_variant;

/* The operations of one kernel family; its variants differ by name and params. */
typedef struct clconv_variant_ops {
    /* false with a reason when the variant cannot run p on dev within workspace_limit bytes;
     * else fills cfg (the workspace included) */
    bool (*applies)(const clconv_variant *v, const clconv_problem *p, const clconv_device_info *dev,
                    size_t workspace_limit, clconv_config *cfg, char *reason, size_t reason_size);
    /* optional: false with a reason where AUTO should not consider the variant */
    bool (*auto_domain)(const clconv_variant *v, const clconv_problem *p,
                        const clconv_device_info *dev, const clconv_config *cfg, char *reason,
                        size_t reason_size);
    /* estimated seconds on the cost model (src/cost-model.h) with the variant's calibration */
    double (*estimate)(const clconv_variant *v, const clconv_problem *p,
                       const clconv_device_info *dev, const clconv_config *cfg,
                       const clconv_calibration *cal);
    clconv_status (*prepare)(clconv_plan *plan);
    clconv_status (*enqueue)(clconv_plan *plan, const clconv_enqueue_args *args);
    /* optional: after clconv_plan_set_weights copied the weights into plan->weights, re-lays
     * them out (or transforms them) once into buffers of the plan's state, so that enqueues
     * with args->weights_packed skip that step; runs after prepare, on the context's queue.
     * Called again when the weights are replaced. */
    clconv_status (*pack_weights)(clconv_plan *plan);
    /* optional: the floating-point operations the variant executes for p (transforms
     * included), where they differ from the direct-equivalent count of clconv_count_ops;
     * NULL: the counted ones */
    double (*executed_flops)(const clconv_variant *v, const clconv_problem *p,
                             const clconv_config *cfg);
    void (*release)(clconv_plan *plan);
    /* the family computes through transforms (Winograd), not by direct summation: its
     * rounding differs, so AUTO leaves it out under clconv_exact_summation */
    bool transform_based;
} clconv_variant_ops;

struct clconv_variant {
    const char *name; /* "family.kernel_tile": stable, used by CLCONV_VARIANT and tuning files */
    clconv_algo algo;
    const clconv_variant_ops *ops;
    int param[4]; /* the family's tile parameters (see its file) */
};

/* A plan: one problem, one variant, its configuration; state is the variant's, made by
 * prepare. */
struct clconv_plan {
    clconv_context *ctx;
    clconv_problem problem;
    const clconv_variant *variant;
    clconv_config config;    /* from applies() at creation; read-only afterwards */
    size_t workspace_size;   /* config.workspace, as reported to the caller */
    size_t workspace_limit;  /* the context's cap when the plan was created */
    bool prepared;           /* prepare ran successfully (bake or first enqueue) */
    struct {                 /* clconv_plan_set_weights: the plan's own copies */
        cl_mem weight, bias; /* NULL until set; bias NULL without desc->bias */
        bool packed;         /* the variant's pack_weights ran on them */
    } weights;
    void *state; /* owned by the variant; set by prepare */
};

/* ---- plans (plan.c, plan-weights.c) ----------------------------------------------------- */

/* How a plan uses a buffer: its kernels read it, write it, or both. */
enum { CLCONV_USE_READ = 1, CLCONV_USE_WRITE = 2 };

/* One buffer argument: a buffer object (not an image), of ctx's context, at least needed
 * bytes, created with flags that let the kernels access it as use says. */
clconv_status clconv_check_buffer(clconv_context *ctx, const char *name, cl_mem buf, size_t needed,
                                  int use);

/* Runs the variant's prepare once; a failure leaves the plan unprepared so a later call
 * retries. */
clconv_status clconv_plan_ensure_prepared(clconv_plan *plan);

/* Releases the plan's set weights (nothing when none were set). */
void clconv_plan_release_weights(clconv_plan *plan);

/* The operations plan's variant executes (its executed_flops op) into *flops: true; false
 * when the variant does not report them (they are the counted FLOPs). For the tools. */
bool clconv_plan_executed_flops(const clconv_plan *plan, uint64_t *flops);

/* ---- the registry (variants.c) ---------------------------------------------------------- */

/* Number of variants in this build, and the i-th (registry order: simpler ones first, which
 * breaks ties between equal estimates). */
size_t clconv_variant_registry_size(void);
const clconv_variant *clconv_variant_at(size_t i);

/* The variant named name (case-sensitive), or NULL. */
const clconv_variant *clconv_variant_lookup(const char *name);

/* True when name is a variant of the full registry that this build leaves out (GEMM without
 * CLBlast); *algo is then its algorithm. */
bool clconv_variant_known_elsewhere(const char *name, clconv_algo *algo);

/* ---- selection (select.c) --------------------------------------------------------------- */

/* Whether v can run p on ctx's device under its workspace limit; fills cfg. */
bool clconv_variant_can_run(const clconv_context *ctx, const clconv_variant *v,
                            const clconv_problem *p, clconv_config *cfg, char *reason,
                            size_t reason_size);

/* Chooses the variant for p: the forced variant (argument, else $CLCONV_VARIANT when the algo
 * is AUTO), else among the forced algorithm's variants (argument, else $CLCONV_ALGO), else
 * among all: the tuning database's measured choice, else the lowest estimate. Fills *cfg with
 * the chosen variant's configuration. Logs the candidates when $CLCONV_VERBOSE is set. */
clconv_status clconv_select_variant(clconv_context *ctx, const clconv_problem *p,
                                    clconv_algo requested, const char *requested_variant,
                                    const clconv_variant **chosen, clconv_config *cfg);

#endif
