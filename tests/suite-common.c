/* The suites' shared context and the case runners and tallies built on it (common.h). */
#include "tests/common.h"

#include <stdio.h>
#include <string.h>

static clconv_context *shared_ctx;

clconv_context *test_context(void)
{
    if (!shared_ctx && clconv_context_create(NULL, &shared_ctx) != CLCONV_SUCCESS) {
        fprintf(stderr, "test_context: %s\n", clconv_last_error());
        shared_ctx = NULL;
    }
    return shared_ctx;
}

void test_context_release(void)
{
    clconv_context_destroy(shared_ctx);
    shared_ctx = NULL;
}

bool test_run_case(const clconv_desc *desc, const int in_shape[4], clconv_algo algo, uint64_t seed,
                   test_outcome *r)
{
    return test_run_case_on(test_context(), desc, in_shape, algo, seed, r);
}

bool test_run_variant(const clconv_desc *desc, const int in_shape[4], const char *variant,
                      uint64_t seed, test_outcome *r)
{
    return test_run_variant_on(test_context(), desc, in_shape, variant, seed, r);
}

bool test_tally_run(test_tally *t, const char *label, const clconv_desc *desc, const int in[4],
                    clconv_algo algo, uint64_t seed)
{
    test_outcome r;
    bool ok = test_run_case(desc, in, algo, seed, &r);
    t->run++;
    if (!ok) {
        t->failed++;
        char what[256];
        test_describe(desc, in, what, sizeof what);
        size_t used = strlen(t->failures);
        if (t->failed <= 4 && used < sizeof t->failures)
            snprintf(t->failures + used, sizeof t->failures - used, "\n  %s [%s]: %s", label, what,
                     r.message);
    }
    return ok;
}

void test_tally_grid(test_tally *tally, const test_grid *g)
{
    for (int i = 0; i < g->count; i += g->step) {
        test_rng rng;
        test_rng_seed(&rng, g->rng_seed + (uint64_t)i);
        clconv_desc d;
        int in[4];
        if (g->kind == CLCONV_CONV2D)
            test_random_conv2d(&rng, g->dtype, &d, in);
        else
            test_random_conv_transpose2d(&rng, g->dtype, &d, in);
        if (g->seen)
            g->seen(g->arg, &d, in);
        char label[32];
        snprintf(label, sizeof label, "random %d%s", i,
                 g->algo == CLCONV_ALGO_AUTO ? " (auto)" : "");
        const bool via_auto = g->auto_every > 0 && i % g->auto_every == 0;
        test_tally_run(tally, label, &d, in, via_auto ? CLCONV_ALGO_AUTO : g->algo,
                       g->data_seed + (uint64_t)i);
    }
}

bool test_plan_variant(const clconv_desc *d, const int in[4], clconv_algo algo, const char *variant,
                       const char *expect, char *msg, size_t msg_size)
{
    clconv_context *ctx = test_context();
    clconv_plan *plan = NULL;
    const clconv_status st = variant ? clconv_plan_create_variant(ctx, d, in, variant, &plan)
                                     : clconv_plan_create(ctx, d, in, algo, &plan);
    char what[256];
    test_describe(d, in, what, sizeof what);
    bool ok = st == CLCONV_SUCCESS;
    if (!ok)
        snprintf(msg, msg_size, "%s: %s", what, clconv_context_last_error(ctx));
    else if (strcmp(clconv_plan_get_variant_name(plan), expect) ||
             clconv_plan_get_workspace_size(plan) != 0) {
        snprintf(msg, msg_size, "%s: ran %s with %zu bytes of workspace, expected %s and none",
                 what, clconv_plan_get_variant_name(plan), clconv_plan_get_workspace_size(plan),
                 expect);
        ok = false;
    }
    clconv_plan_destroy(plan);
    return ok;
}
