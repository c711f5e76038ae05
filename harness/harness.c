/* The test harness shared by the Check suites and the tools (harness.h). */
#include "harness/harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void test_rng_seed(test_rng *rng, uint64_t seed)
{
    rng->state = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
    if (!rng->state)
        rng->state = 1;
}

uint32_t test_rng_u32(test_rng *rng)
{
    uint64_t x = rng->state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng->state = x;
    return (uint32_t)((x * 0x2545F4914F6CDD1Dull) >> 32);
}

int test_rng_range(test_rng *rng, int lo, int hi)
{
    return lo + (int)(test_rng_u32(rng) % (uint32_t)(hi - lo + 1));
}

float test_rng_float(test_rng *rng)
{
    return (float)(test_rng_u32(rng) >> 8) / 8388608.0f - 1.0f;
}

void test_fill(test_rng *rng, float *data, size_t count)
{
    for (size_t i = 0; i < count; i++)
        data[i] = test_rng_float(rng);
}

bool test_tensors_alloc(test_tensors *t, const clconv_desc *desc, const int in_shape[4],
                        uint64_t seed)
{
    memset(t, 0, sizeof *t);
    if (clconv_tensor_sizes(desc, in_shape, &t->input_count, &t->weight_count, &t->bias_count,
                            &t->output_count) != CLCONV_SUCCESS ||
        clconv_output_shape(desc, in_shape, t->out_shape) != CLCONV_SUCCESS)
        return false;
    t->input = malloc(t->input_count * sizeof(float));
    t->weight = malloc(t->weight_count * sizeof(float));
    t->bias = malloc((t->bias_count ? t->bias_count : 1) * sizeof(float));
    t->output = malloc(t->output_count * sizeof(float));
    if (!t->input || !t->weight || !t->bias || !t->output) {
        test_tensors_free(t);
        return false;
    }
    test_rng rng;
    test_rng_seed(&rng, seed);
    test_fill(&rng, t->input, t->input_count);
    test_fill(&rng, t->weight, t->weight_count);
    test_fill(&rng, t->bias, t->bias_count);
    return true;
}

void test_tensors_free(test_tensors *t)
{
    free(t->input);
    free(t->weight);
    free(t->bias);
    free(t->output);
    memset(t, 0, sizeof *t);
}

uint16_t test_float_to_half(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u;
    int32_t exp = (int32_t)((x >> 23) & 0xff) - 127 + 15;
    uint32_t mant = x & 0x7fffffu;
    if (((x >> 23) & 0xff) == 0xff) /* inf or nan */
        return (uint16_t)(sign | 0x7c00u | (mant ? 0x200u : 0));
    if (exp >= 31)
        return (uint16_t)(sign | 0x7c00u);
    if (exp <= 0) { /* subnormal half or zero */
        if (exp < -10)
            return (uint16_t)sign;
        mant |= 0x800000u;
        uint32_t shift = (uint32_t)(14 - exp);
        uint32_t half_mant = mant >> shift;
        uint32_t rem = mant & ((1u << shift) - 1), halfway = 1u << (shift - 1);
        if (rem > halfway || (rem == halfway && (half_mant & 1)))
            half_mant++;
        return (uint16_t)(sign | half_mant);
    }
    uint32_t h = sign | ((uint32_t)exp << 10) | (mant >> 13);
    uint32_t rem = mant & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1)))
        h++; /* may carry into the exponent, which is still correct rounding */
    return (uint16_t)h;
}

float test_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ffu, x;
    if (exp == 0) {
        if (!mant) {
            x = sign;
        } else { /* normalise the subnormal */
            exp = 127 - 15 + 1;
            while (!(mant & 0x400u)) {
                mant <<= 1;
                exp--;
            }
            x = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
        }
    } else if (exp == 31) {
        x = sign | 0x7f800000u | (mant << 13);
    } else {
        x = sign | ((exp - 15 + 127) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &x, 4);
    return f;
}

void test_round_to_half(float *data, size_t count)
{
    for (size_t i = 0; i < count; i++)
        data[i] = test_half_to_float(test_float_to_half(data[i]));
}

void test_describe(const clconv_desc *d, const int in[4], char *buf, size_t size)
{
    static const char *const modes[] = {"zeros", "reflect", "replicate", "circular"};
    snprintf(buf, size,
             "%s in %dx%dx%dx%d oc %d k %dx%d s %dx%d pad t%d b%d l%d r%d dil %dx%d g %d op "
             "%dx%d bias %d %s %s",
             d->kind == CLCONV_CONV2D ? "conv" : "tconv", in[0], in[1], in[2], in[3],
             d->out_channels, d->kernel_h, d->kernel_w, d->stride_h, d->stride_w, d->pad_top,
             d->pad_bottom, d->pad_left, d->pad_right, d->dilation_h, d->dilation_w, d->groups,
             d->output_padding_h, d->output_padding_w, d->bias,
             (unsigned)d->padding_mode < 4 ? modes[d->padding_mode] : "?",
             d->dtype == CLCONV_FLOAT16 ? "f16" : "f32");
}

void test_abs_copy(float *dst, const float *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = fabsf(src[i]);
}

bool test_compare_outputs(const clconv_desc *desc, const float *got, const float *ref,
                          const float *scale, size_t count, test_outcome *r)
{
    r->worst_ratio = 0;
    for (size_t i = 0; i < count; i++) {
        double err = fabs((double)got[i] - (double)ref[i]);
        double ratio = isnan(got[i]) ? INFINITY : err / test_tolerance(desc, scale[i], ref[i]);
        if (ratio > r->worst_ratio || (i == 0 && isnan(ratio))) {
            r->worst_ratio = ratio;
            r->worst_index = i;
            r->worst_dev = got[i];
            r->worst_ref = ref[i];
        }
    }
    return r->worst_ratio <= 1.0;
}

bool test_check_output(const clconv_desc *desc, const int in_shape[4], const float *input,
                       const float *weight, const float *bias, const float *got, test_outcome *r)
{
    size_t n_in, n_w, n_b, n_out;
    memset(r, 0, sizeof *r);
    r->status = clconv_tensor_sizes(desc, in_shape, &n_in, &n_w, &n_b, &n_out);
    if (r->status != CLCONV_SUCCESS) {
        snprintf(r->message, sizeof r->message, "%s", clconv_last_error());
        return false;
    }
    float *ref = malloc((n_out ? n_out : 1) * sizeof(float));
    float *scale = malloc((n_out ? n_out : 1) * sizeof(float));
    float *ain = malloc((n_in ? n_in : 1) * sizeof(float));
    float *aw = malloc((n_w ? n_w : 1) * sizeof(float));
    float *ab = malloc((n_b ? n_b : 1) * sizeof(float));
    bool ok = false;
    if (!ref || !scale || !ain || !aw || !ab) {
        r->status = CLCONV_ERROR_OUT_OF_HOST_MEMORY;
        snprintf(r->message, sizeof r->message, "host allocation failed");
        goto done;
    }
    test_abs_copy(ain, input, n_in);
    test_abs_copy(aw, weight, n_w);
    if (desc->bias)
        test_abs_copy(ab, bias, n_b);
    r->status = clconv_reference(desc, in_shape, input, weight, desc->bias ? bias : NULL, ref);
    if (r->status == CLCONV_SUCCESS)
        r->status = clconv_reference(desc, in_shape, ain, aw, desc->bias ? ab : NULL, scale);
    if (r->status != CLCONV_SUCCESS) {
        snprintf(r->message, sizeof r->message, "reference: %s", clconv_last_error());
        goto done;
    }
    ok = test_compare_outputs(desc, got, ref, scale, n_out, r);
    if (!ok)
        snprintf(r->message, sizeof r->message,
                 "output[%zu] = %.9g, reference %.9g: error %.3g x tolerance", r->worst_index,
                 r->worst_dev, r->worst_ref, r->worst_ratio);
done:
    free(ref);
    free(scale);
    free(ain);
    free(aw);
    free(ab);
    return ok;
}

/* Channels and groups: plain, grouped, or depthwise with a depth multiplier. */
static void random_channels(test_rng *rng, clconv_desc *d)
{
    switch (test_rng_range(rng, 0, 3)) {
    case 0: { /* depthwise, depth multiplier 1-3 */
        int c = test_rng_range(rng, 1, 8);
        d->groups = c;
        d->in_channels = c;
        d->out_channels = c * test_rng_range(rng, 1, 3);
        break;
    }
    case 1: { /* grouped */
        int g = test_rng_range(rng, 2, 4);
        d->groups = g;
        d->in_channels = g * test_rng_range(rng, 1, 12 / g);
        d->out_channels = g * test_rng_range(rng, 1, 12 / g);
        break;
    }
    default:
        d->groups = 1;
        d->in_channels = test_rng_range(rng, 1, 12);
        d->out_channels = test_rng_range(rng, 1, 12);
        break;
    }
}

/* Dilation 1 half of the time (the common case), else 2-3. */
static int random_dilation(test_rng *rng)
{
    return test_rng_range(rng, 0, 1) ? 1 : test_rng_range(rng, 2, 3);
}

static int min_int(int a, int b)
{
    return a < b ? a : b;
}

/* Shrinks dilation, then the kernel, until the kernel's span fits the padded extent. */
static void fit_kernel(int padded, int *k, int *dil)
{
    while (padded < *dil * (*k - 1) + 1) {
        if (*dil > 1)
            (*dil)--;
        else
            (*k)--;
    }
}

/* Channels, strides, dilations and paddings, drawn in the order both generators share (the
 * same seeds must keep giving the same cases). */
static void random_geometry(test_rng *rng, clconv_desc *d)
{
    random_channels(rng, d);
    d->stride_h = test_rng_range(rng, 1, 3);
    d->stride_w = test_rng_range(rng, 1, 3);
    d->dilation_h = random_dilation(rng);
    d->dilation_w = random_dilation(rng);
    d->pad_top = test_rng_range(rng, 0, 3);
    d->pad_bottom = test_rng_range(rng, 0, 3);
    d->pad_left = test_rng_range(rng, 0, 3);
    d->pad_right = test_rng_range(rng, 0, 3);
}

void test_random_conv2d(test_rng *rng, clconv_dtype dtype, clconv_desc *d, int in[4])
{
    clconv_desc_init(d, CLCONV_CONV2D, 1, 1, test_rng_range(rng, 1, 5), test_rng_range(rng, 1, 5));
    random_geometry(rng, d);
    d->padding_mode = (clconv_padding_mode)test_rng_range(rng, 0, 3);
    d->bias = test_rng_range(rng, 0, 1);
    d->dtype = dtype;
    in[0] = test_rng_range(rng, 1, 3);
    in[1] = d->in_channels;
    in[2] = test_rng_range(rng, 1, 12);
    in[3] = test_rng_range(rng, 1, 12);
    /* torch's limits: reflect pad < size, circular pad <= size */
    if (d->padding_mode == CLCONV_PADDING_REFLECT || d->padding_mode == CLCONV_PADDING_CIRCULAR) {
        int extra = d->padding_mode == CLCONV_PADDING_CIRCULAR;
        d->pad_top = min_int(d->pad_top, in[2] - 1 + extra);
        d->pad_bottom = min_int(d->pad_bottom, in[2] - 1 + extra);
        d->pad_left = min_int(d->pad_left, in[3] - 1 + extra);
        d->pad_right = min_int(d->pad_right, in[3] - 1 + extra);
    }
    fit_kernel(in[2] + d->pad_top + d->pad_bottom, &d->kernel_h, &d->dilation_h);
    fit_kernel(in[3] + d->pad_left + d->pad_right, &d->kernel_w, &d->dilation_w);
}

/* Output extent of ConvTranspose2d along one axis. */
static int tconv_extent(int in, int k, int s, int pad_lo, int pad_hi, int dil, int out_pad)
{
    return (in - 1) * s - pad_lo - pad_hi + dil * (k - 1) + out_pad + 1;
}

/* Output padding below stride or dilation (torch's rule), 0 half of the time. */
static int random_output_padding(test_rng *rng, int stride, int dil)
{
    int limit = (stride > dil ? stride : dil) - 1;
    return test_rng_range(rng, 0, 1) ? test_rng_range(rng, 0, limit) : 0;
}

void test_random_conv_transpose2d(test_rng *rng, clconv_dtype dtype, clconv_desc *d, int in[4])
{
    clconv_desc_init(d, CLCONV_CONV_TRANSPOSE2D, 1, 1, test_rng_range(rng, 1, 5),
                     test_rng_range(rng, 1, 5));
    random_geometry(rng, d);
    d->output_padding_h = random_output_padding(rng, d->stride_h, d->dilation_h);
    d->output_padding_w = random_output_padding(rng, d->stride_w, d->dilation_w);
    d->bias = test_rng_range(rng, 0, 1);
    d->dtype = dtype;
    in[0] = test_rng_range(rng, 1, 3);
    in[1] = d->in_channels;
    in[2] = test_rng_range(rng, 1, 10);
    in[3] = test_rng_range(rng, 1, 10);
    /* padding crops the output; give it back until at least one row and column remain */
    while (tconv_extent(in[2], d->kernel_h, d->stride_h, d->pad_top, d->pad_bottom, d->dilation_h,
                        d->output_padding_h) < 1) {
        if (d->pad_top > d->pad_bottom)
            d->pad_top--;
        else
            d->pad_bottom--;
    }
    while (tconv_extent(in[3], d->kernel_w, d->stride_w, d->pad_left, d->pad_right, d->dilation_w,
                        d->output_padding_w) < 1) {
        if (d->pad_left > d->pad_right)
            d->pad_left--;
        else
            d->pad_right--;
    }
}

void test_spec_desc(const test_spec *s, clconv_kind kind, clconv_dtype dtype, clconv_desc *d,
                    int in[4])
{
    clconv_desc_init(d, kind, s->cin, s->cout, s->kh, s->kw);
    d->stride_h = s->sh;
    d->stride_w = s->sw;
    d->pad_top = s->pt;
    d->pad_bottom = s->pb;
    d->pad_left = s->pl;
    d->pad_right = s->pr;
    d->dilation_h = s->dh;
    d->dilation_w = s->dw;
    d->groups = s->groups;
    d->bias = s->bias;
    d->dtype = dtype;
    if (kind == CLCONV_CONV2D) {
        d->padding_mode = (clconv_padding_mode)s->mode;
    } else {
        d->output_padding_h = s->oph;
        d->output_padding_w = s->opw;
    }
    in[0] = s->n;
    in[1] = s->cin;
    in[2] = s->h;
    in[3] = s->w;
}

void test_random_depthwise(test_rng *rng, clconv_dtype dtype, clconv_desc *d, int in[4])
{
    static const int kernels[] = {1, 3, 3, 5, 7};
    const int k = kernels[test_rng_range(rng, 0, 4)], c = test_rng_range(rng, 1, 16);
    clconv_desc_init(d, CLCONV_CONV2D, c, c * test_rng_range(rng, 1, 2), k, k);
    d->groups = c;
    d->stride_h = d->stride_w = test_rng_range(rng, 1, 2);
    const int pad = test_rng_range(rng, 0, 3) ? k / 2 : 0;
    d->pad_top = d->pad_bottom = d->pad_left = d->pad_right = pad;
    /* H, W >= k: the kernel fits and reflect's pad < size holds */
    d->padding_mode = test_rng_range(rng, 0, 3) ? CLCONV_PADDING_ZEROS : CLCONV_PADDING_REFLECT;
    d->bias = test_rng_range(rng, 0, 1);
    d->dtype = dtype;
    in[0] = test_rng_range(rng, 1, 2);
    in[1] = c;
    in[2] = test_rng_range(rng, k, 14);
    in[3] = test_rng_range(rng, k, 14);
}
