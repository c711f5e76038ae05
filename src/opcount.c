/* Op-counting model: MACs, FLOPs, exact operations, compulsory bytes and intensity.
 * Conventions (docs/op-counting.md): Conv2d counts every tap at every output,
 * padded taps included; ConvTranspose2d MACs are input-centric, its exact operations count
 * only the products that land inside the output. Everything is closed form: O(kh + kw). */
#include <stdbool.h>
#include <stdint.h>

#include "src/internal.h"

/* *acc *= b; false on uint64 overflow (acc is then unspecified). */
static bool mul_u64(uint64_t *acc, uint64_t b)
{
    if (b != 0 && *acc > UINT64_MAX / b)
        return false;
    *acc *= b;
    return true;
}

static bool add_u64(uint64_t *acc, uint64_t b)
{
    if (*acc > UINT64_MAX - b)
        return false;
    *acc += b;
    return true;
}

/* Product of n factors, false on overflow. */
static bool product_u64(uint64_t *out, int n, const uint64_t *f)
{
    uint64_t p = 1;
    for (int i = 0; i < n; i++)
        if (!mul_u64(&p, f[i]))
            return false;
    *out = p;
    return true;
}

static int64_t floor_div(int64_t a, int64_t b) /* b > 0 */
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

static int64_t gcd64(int64_t a, int64_t b)
{
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* One spatial axis of a transposed convolution: input index i and tap k write output
 * o = i*s - pad + k*d. Writes
 *   *landing = sum over taps of the inputs whose target lies in [0, out) (taps cropped by
 *              padding excluded), i.e. the sum over outputs of their contribution counts;
 *   *covered = outputs that receive at least one contribution.
 * Taps k and k + P (P = s / gcd(s, d)) hit the same residue class mod s, the later one shifted
 * by D = d / gcd(s, d) input steps; all taps cover H consecutive class members, so what tap k
 * adds to the earlier taps' union is its last min(H, D) inputs (all H for k < P). */
static void tconv_axis(int64_t in, int64_t out, int64_t kernel, int64_t s, int64_t pad, int64_t d,
                       uint64_t *landing, uint64_t *covered)
{
    const int64_t g = gcd64(s, d), P = s / g, D = d / g;
    uint64_t land = 0, cov = 0;
    for (int64_t k = 0; k < kernel; k++) {
        const int64_t off = k * d - pad; /* o = off + s*i */
        int64_t lo = -floor_div(off, s); /* ceil(-off / s): first i with o >= 0 */
        int64_t hi = floor_div(out - 1 - off, s);
        lo = lo > 0 ? lo : 0;
        hi = hi < in - 1 ? hi : in - 1;
        if (hi >= lo)
            land += (uint64_t)(hi - lo + 1);
        int64_t first_new = (k >= P && in > D) ? in - D : 0;
        int64_t nlo = first_new > lo ? first_new : lo;
        if (hi >= nlo)
            cov += (uint64_t)(hi - nlo + 1);
    }
    *landing = land;
    *covered = cov;
}

/* Operations per output of each activation (docs/epilogue.md): comparisons, arithmetic and
 * each exp, erf or tanh as one, as the kernels evaluate them (cl/prelude.cl's clconv_act). */
static const unsigned activation_ops[CLCONV_ACTIVATION_COUNT_] = {
    [CLCONV_ACTIVATION_NONE] = 0,      [CLCONV_ACTIVATION_RELU] = 1,
    [CLCONV_ACTIVATION_RELU6] = 2,     [CLCONV_ACTIVATION_LEAKY_RELU] = 2,
    [CLCONV_ACTIVATION_CLAMP] = 2,     [CLCONV_ACTIVATION_SIGMOID] = 3, /* exp, add, divide */
    [CLCONV_ACTIVATION_TANH] = 1,      [CLCONV_ACTIVATION_SILU] = 3,    /* exp, add, divide */
    [CLCONV_ACTIVATION_GELU] = 5,      /* scale, erf, add, two multiplies */
    [CLCONV_ACTIVATION_HARDSWISH] = 5, /* add, two clamps, multiply, divide */
};

static clconv_status too_large(const char *what, const clconv_problem *p)
{
    return clconv_fail(NULL, CLCONV_ERROR_TOO_LARGE,
                       "%s overflows uint64 (input %d x %d x %d x %d, output %d x %d x %d x %d)",
                       what, p->in[0], p->in[1], p->in[2], p->in[3], p->out[0], p->out[1],
                       p->out[2], p->out[3]);
}

clconv_status clconv_count_ops(const clconv_desc *desc, const int input_nchw[4],
                               clconv_op_count *count)
{
    if (!count)
        return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT, "count is NULL");
    clconv_problem p;
    clconv_status st = clconv_problem_init(desc, input_nchw, &p);
    if (st != CLCONV_SUCCESS)
        return st;
    const clconv_desc *d = &p.desc;
    const uint64_t N = (uint64_t)p.in[0], cin = (uint64_t)p.in[1], cout = (uint64_t)p.out[1];
    const uint64_t cinpg = (uint64_t)p.cin_per_group, coutpg = (uint64_t)p.cout_per_group;
    const uint64_t kh = (uint64_t)d->kernel_h, kw = (uint64_t)d->kernel_w;
    const uint64_t outputs = (uint64_t)p.output_count; /* N*Cout*Hout*Wout */
    const uint64_t bias_adds = d->bias ? outputs : 0;
    clconv_op_count c = {0};

    /* MACs: Conv2d output-centric, every tap of every output; ConvTranspose2d input-centric,
     * every input element times every tap of its filters */
    uint64_t taps; /* Conv2d taps per output */
    const uint64_t ft[3] = {cinpg, kh, kw};
    if (!product_u64(&taps, 3, ft))
        return too_large("macs", &p);
    if (d->kind == CLCONV_CONV2D) {
        c.macs = outputs;
        if (!mul_u64(&c.macs, taps))
            return too_large("macs", &p);
    } else {
        const uint64_t f[6] = {N, cin, coutpg, kh, kw, (uint64_t)p.in[2] * (uint64_t)p.in[3]};
        if (!product_u64(&c.macs, 6, f))
            return too_large("macs", &p);
    }
    c.flops = c.macs;
    if (!mul_u64(&c.flops, 2) || !add_u64(&c.flops, bias_adds))
        return too_large("flops", &p);

    if (d->kind == CLCONV_CONV2D) {
        /* every output: taps products, merged with as many adds when a bias starts the sum,
         * one fewer without */
        if (taps > UINT64_MAX / 2)
            return too_large("exact_ops", &p);
        c.exact_ops = outputs;
        if (!mul_u64(&c.exact_ops, 2 * taps - (d->bias ? 0 : 1)))
            return too_large("exact_ops", &p);
    } else {
        uint64_t ly, zy, lx, zx;
        tconv_axis(p.in[2], p.out[2], d->kernel_h, d->stride_h, d->pad_top, d->dilation_h, &ly,
                   &zy);
        tconv_axis(p.in[3], p.out[3], d->kernel_w, d->stride_w, d->pad_left, d->dilation_w, &lx,
                   &zx);
        /* per (n, co): landing products = Cin/g * ly * lx; an output with c >= 1
         * contributions costs c products and c - 1 merging adds, plus 1 for the bias */
        uint64_t products, covered;
        const uint64_t fp[5] = {N, cout, cinpg, ly, lx};
        const uint64_t fc[4] = {N, cout, zy, zx};
        if (!product_u64(&products, 5, fp) || !product_u64(&covered, 4, fc) ||
            !mul_u64(&products, 2))
            return too_large("exact_ops", &p);
        c.exact_ops = products - (d->bias ? 0 : covered); /* covered <= products */
    }

    uint64_t elements = (uint64_t)p.input_count;
    if (!add_u64(&elements, (uint64_t)p.weight_count) ||
        !add_u64(&elements, (uint64_t)p.bias_count) || !add_u64(&elements, outputs))
        return too_large("bytes", &p);
    c.bytes = elements;
    if (!mul_u64(&c.bytes, (uint64_t)clconv_dtype_size(d->dtype)))
        return too_large("bytes", &p);
    c.intensity = (double)c.flops / (double)c.bytes;
    c.epilogue_ops = outputs;
    if (!mul_u64(&c.epilogue_ops, activation_ops[d->activation] + (d->residual ? 1u : 0u)))
        return too_large("epilogue_ops", &p);
    c.epilogue_bytes = d->residual ? outputs : 0;
    if (!mul_u64(&c.epilogue_bytes, (uint64_t)clconv_dtype_size(d->dtype)))
        return too_large("epilogue_bytes", &p);
    *count = c;
    return CLCONV_SUCCESS;
}

clconv_status clconv_count_ops_moduleprofiler_tconv(const clconv_desc *desc,
                                                    const int input_nchw[4], uint64_t *ops,
                                                    int64_t *additions_per_filter)
{
    if (!ops)
        return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT, "ops is NULL");
    clconv_problem p;
    clconv_status st = clconv_problem_init(desc, input_nchw, &p);
    if (st != CLCONV_SUCCESS)
        return st;
    const clconv_desc *d = &p.desc;
    if (d->kind != CLCONV_CONV_TRANSPOSE2D)
        return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT,
                           "desc->kind = %d: the moduleprofiler formula is for ConvTranspose2d "
                           "(CLCONV_CONV_TRANSPOSE2D = %d)",
                           (int)d->kind, (int)CLCONV_CONV_TRANSPOSE2D);
    uint64_t ly, zy, lx, zx;
    tconv_axis(p.in[2], p.out[2], d->kernel_h, d->stride_h, d->pad_top, d->dilation_h, &ly, &zy);
    tconv_axis(p.in[3], p.out[3], d->kernel_w, d->stride_w, d->pad_left, d->dilation_w, &lx, &zx);
    (void)zy;
    (void)zx;
    const uint64_t hw = (uint64_t)p.out[2] * (uint64_t)p.out[3]; /* each < 2^31 */
    /* sum over one filter's all-ones output of (value - 1): each value is its number of
     * landing contributions, so the sum is ly*lx - Hout*Wout (negative where many outputs
     * receive nothing) */
    uint64_t land = ly;
    if (!mul_u64(&land, lx))
        return too_large("additions_per_filter", &p);
    if (land > (uint64_t)INT64_MAX)
        return too_large("additions_per_filter", &p);
    const int64_t apf = (int64_t)land - (int64_t)hw;

    /* N * Cin*Cout/g * (Hout*Wout*(kh*kw + 1) + apf), minus N*Cout*Hout*Wout without bias.
     * Hout*Wout*(kh*kw + 1) + apf = Hout*Wout*kh*kw + ly*lx >= 0. */
    uint64_t per_filter = hw;
    if (!mul_u64(&per_filter, (uint64_t)d->kernel_h * (uint64_t)d->kernel_w) ||
        !add_u64(&per_filter, land))
        return too_large("moduleprofiler ops", &p);
    uint64_t total;
    const uint64_t f[4] = {(uint64_t)p.in[0], (uint64_t)p.in[1], (uint64_t)p.cout_per_group,
                           per_filter};
    if (!product_u64(&total, 4, f))
        return too_large("moduleprofiler ops", &p);
    if (!d->bias)
        total -= (uint64_t)p.output_count; /* <= total: Cin/g >= 1 and kh*kw >= 1 */
    *ops = total;
    if (additions_per_filter)
        *additions_per_filter = apf;
    return CLCONV_SUCCESS;
}
