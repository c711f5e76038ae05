/* The fused epilogue's host side: validation, build options, the residual argument and the
 * reference arithmetic. The device side is cl/prelude.cl (clconv_act, EPI_STORE). */
#include <math.h>
#include <stdio.h>
#include <strings.h>

#include "src/epilogue.h"
#include "src/variant.h"

/* Per activation: its name and which parameters it reads (bit 0 alpha, bit 1 beta). */
static const struct {
    const char *name;
    unsigned params;
} activations[CLCONV_ACTIVATION_COUNT_] = {
    [CLCONV_ACTIVATION_NONE] = {"none", 0},   [CLCONV_ACTIVATION_RELU] = {"relu", 0},
    [CLCONV_ACTIVATION_RELU6] = {"relu6", 0}, [CLCONV_ACTIVATION_LEAKY_RELU] = {"leaky_relu", 1},
    [CLCONV_ACTIVATION_CLAMP] = {"clamp", 3}, [CLCONV_ACTIVATION_SIGMOID] = {"sigmoid", 0},
    [CLCONV_ACTIVATION_TANH] = {"tanh", 0},   [CLCONV_ACTIVATION_SILU] = {"silu", 0},
    [CLCONV_ACTIVATION_GELU] = {"gelu", 0},   [CLCONV_ACTIVATION_HARDSWISH] = {"hardswish", 0},
};

const char *clconv_activation_name(clconv_activation activation)
{
    return (unsigned)activation < CLCONV_ACTIVATION_COUNT_ ? activations[activation].name
                                                           : "unknown";
}

clconv_status clconv_activation_from_name(const char *name, clconv_activation *activation)
{
    if (!name || !activation)
        return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT, "%s is NULL",
                           !name ? "name" : "activation");
    for (int i = 0; i < CLCONV_ACTIVATION_COUNT_; i++)
        if (!strcasecmp(name, activations[i].name)) {
            *activation = (clconv_activation)i;
            return CLCONV_SUCCESS;
        }
    return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT,
                       "activation \"%s\": not one of none, relu, relu6, leaky_relu, clamp, "
                       "sigmoid, tanh, silu, gelu, hardswish",
                       name);
}

clconv_status clconv_check_epilogue(const clconv_desc *d)
{
    if ((unsigned)d->activation >= CLCONV_ACTIVATION_COUNT_)
        return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT,
                           "activation = %d: not a clconv_activation (0 to %d)", (int)d->activation,
                           CLCONV_ACTIVATION_COUNT_ - 1);
    if (!isfinite(d->activation_alpha))
        return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT,
                           "activation_alpha = %g: must be finite", (double)d->activation_alpha);
    if (!isfinite(d->activation_beta))
        return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT,
                           "activation_beta = %g: must be finite", (double)d->activation_beta);
    if (d->activation == CLCONV_ACTIVATION_CLAMP && d->activation_alpha > d->activation_beta)
        return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT,
                           "activation_alpha = %g > activation_beta = %g: clamp needs min <= max",
                           (double)d->activation_alpha, (double)d->activation_beta);
    return CLCONV_SUCCESS;
}

bool clconv_has_epilogue(const clconv_problem *p)
{
    return p->desc.activation != CLCONV_ACTIVATION_NONE || p->desc.residual;
}

bool clconv_epilogue_options(const clconv_problem *p, char *buf, size_t size)
{
    const clconv_desc *d = &p->desc;
    const unsigned params = activations[d->activation].params;
    char alpha[48] = "", beta[48] = "";
    /* hexadecimal float literals: the kernel sees the exact float values */
    if (params & 1)
        snprintf(alpha, sizeof alpha, " -D CLCONV_ACT_ALPHA=%af", (double)d->activation_alpha);
    if (params & 2)
        snprintf(beta, sizeof beta, " -D CLCONV_ACT_BETA=%af", (double)d->activation_beta);
    int n = 0;
    if (d->activation != CLCONV_ACTIVATION_NONE || d->residual)
        n = snprintf(buf, size, " -D CLCONV_ACT=%d%s%s%s", (int)d->activation, alpha, beta,
                     d->residual ? " -D CLCONV_RESIDUAL" : "");
    else if (size)
        buf[0] = '\0';
    return n >= 0 && (size_t)n < size;
}

cl_uint clconv_arg_residual(clconv_kernel_args *a, const clconv_problem *p)
{
    return p->desc.residual ? clconv_arg_slot(a, "residual") : CLCONV_NO_SLOT;
}

clconv_status clconv_set_residual_arg(clconv_context *ctx, cl_kernel kernel, cl_uint slot,
                                      const clconv_enqueue_args *a)
{
    if (slot == CLCONV_NO_SLOT)
        return CLCONV_SUCCESS;
    return clconv_set_mem_arg(ctx, kernel, slot, a->residual);
}

clconv_status clconv_enqueue_one_kernel(clconv_context *ctx, cl_kernel kernel,
                                        const cl_uint slots[4], cl_uint residual_slot,
                                        const clconv_launch *launch, const clconv_enqueue_args *a)
{
    const cl_mem bufs[4] = {a->input, a->weight, a->bias ? a->bias : a->weight, a->output};
    for (int i = 0; i < 4; i++) {
        clconv_status st = clconv_set_mem_arg(ctx, kernel, slots[i], bufs[i]);
        if (st != CLCONV_SUCCESS)
            return st;
    }
    clconv_status st = clconv_set_residual_arg(ctx, kernel, residual_slot, a);
    if (st != CLCONV_SUCCESS)
        return st;
    return clconv_enqueue_launch(ctx, a->queue, kernel, launch, a->num_wait_events, a->wait_events,
                                 a->event);
}

double clconv_activate_double(const clconv_desc *d, double v)
{
    const double alpha = d->activation_alpha, beta = d->activation_beta;
    switch (d->activation) {
    case CLCONV_ACTIVATION_RELU:
        return v < 0 ? 0 : v;
    case CLCONV_ACTIVATION_RELU6:
        return v < 0 ? 0 : v > 6 ? 6 : v;
    case CLCONV_ACTIVATION_LEAKY_RELU:
        return v > 0 ? v : v * alpha;
    case CLCONV_ACTIVATION_CLAMP:
        return v < alpha ? alpha : v > beta ? beta : v;
    case CLCONV_ACTIVATION_SIGMOID:
        return 1 / (1 + exp(-v));
    case CLCONV_ACTIVATION_TANH:
        return tanh(v);
    case CLCONV_ACTIVATION_SILU:
        return v / (1 + exp(-v));
    case CLCONV_ACTIVATION_GELU:
        return 0.5 * v * (1 + erf(v / sqrt(2.0)));
    case CLCONV_ACTIVATION_HARDSWISH: {
        const double t = v + 3 < 0 ? 0 : v + 3 > 6 ? 6 : v + 3;
        return v * t / 6;
    }
    default:
        return v;
    }
}
