/* Descriptor defaults, validation with torch's rules, output shapes and tensor sizes. */
#include <limits.h>
#include <stdint.h>

#include "src/epilogue.h"
#include "src/internal.h"

void clconv_desc_init(clconv_desc *desc, clconv_kind kind, int in_channels, int out_channels,
                      int kernel_h, int kernel_w)
{
    if (!desc)
        return;
    *desc = (clconv_desc){
        .kind = kind,
        .in_channels = in_channels,
        .out_channels = out_channels,
        .groups = 1,
        .kernel_h = kernel_h,
        .kernel_w = kernel_w,
        .stride_h = 1,
        .stride_w = 1,
        .dilation_h = 1,
        .dilation_w = 1,
        .bias = 1,
        .padding_mode = CLCONV_PADDING_ZEROS,
        .dtype = CLCONV_FLOAT32,
    };
}

size_t clconv_dtype_size(clconv_dtype dtype)
{
    switch (dtype) {
    case CLCONV_FLOAT32:
        return 4;
    case CLCONV_FLOAT16:
        return 2;
    default:
        return 0;
    }
}

clconv_status clconv_desc_set_padding_same(clconv_desc *desc)
{
    if (!desc)
        return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT, "desc is NULL");
    if (desc->kind != CLCONV_CONV2D)
        return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT,
                           "kind = %d: padding='same' applies to Conv2d only", (int)desc->kind);
    if (desc->stride_h != 1 || desc->stride_w != 1)
        return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT,
                           "%s = %d: padding='same' needs stride 1",
                           desc->stride_h != 1 ? "stride_h" : "stride_w",
                           desc->stride_h != 1 ? desc->stride_h : desc->stride_w);
    const struct {
        const char *name;
        int value;
    } positive[] = {{"kernel_h", desc->kernel_h},
                    {"kernel_w", desc->kernel_w},
                    {"dilation_h", desc->dilation_h},
                    {"dilation_w", desc->dilation_w}};
    for (size_t i = 0; i < sizeof positive / sizeof positive[0]; i++)
        if (positive[i].value < 1)
            return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT, "%s = %d: must be >= 1",
                               positive[i].name, positive[i].value);
    int64_t total_h = (int64_t)desc->dilation_h * (desc->kernel_h - 1);
    int64_t total_w = (int64_t)desc->dilation_w * (desc->kernel_w - 1);
    if (total_h > INT_MAX || total_w > INT_MAX)
        return clconv_fail(NULL, CLCONV_ERROR_TOO_LARGE,
                           "dilation * (kernel - 1) overflows int for padding='same'");
    /* torch puts the odd remainder at the end (bottom/right) */
    desc->pad_top = (int)(total_h / 2);
    desc->pad_bottom = (int)(total_h - total_h / 2);
    desc->pad_left = (int)(total_w / 2);
    desc->pad_right = (int)(total_w - total_w / 2);
    return CLCONV_SUCCESS;
}

#define REJECT(...) return clconv_fail(NULL, CLCONV_ERROR_INVALID_ARGUMENT, __VA_ARGS__)

/* Checks that do not depend on the input shape. */
static clconv_status check_desc(const clconv_desc *d)
{
    if (d->kind != CLCONV_CONV2D && d->kind != CLCONV_CONV_TRANSPOSE2D)
        REJECT("kind = %d: must be CLCONV_CONV2D or CLCONV_CONV_TRANSPOSE2D", (int)d->kind);
    if (d->dtype != CLCONV_FLOAT32 && d->dtype != CLCONV_FLOAT16)
        REJECT("dtype = %d: must be CLCONV_FLOAT32 or CLCONV_FLOAT16", (int)d->dtype);
    if ((unsigned)d->padding_mode > CLCONV_PADDING_CIRCULAR)
        REJECT("padding_mode = %d: must be zeros, reflect, replicate or circular",
               (int)d->padding_mode);
    clconv_status st = clconv_check_epilogue(d);
    if (st != CLCONV_SUCCESS)
        return st;
    const struct {
        const char *name;
        int value;
    } positive[] = {{"in_channels", d->in_channels}, {"out_channels", d->out_channels},
                    {"groups", d->groups},           {"kernel_h", d->kernel_h},
                    {"kernel_w", d->kernel_w},       {"stride_h", d->stride_h},
                    {"stride_w", d->stride_w},       {"dilation_h", d->dilation_h},
                    {"dilation_w", d->dilation_w}};
    for (size_t i = 0; i < sizeof positive / sizeof positive[0]; i++)
        if (positive[i].value < 1)
            REJECT("%s = %d: must be >= 1", positive[i].name, positive[i].value);
    const struct {
        const char *name;
        int value;
    } non_negative[] = {{"pad_top", d->pad_top},
                        {"pad_bottom", d->pad_bottom},
                        {"pad_left", d->pad_left},
                        {"pad_right", d->pad_right},
                        {"output_padding_h", d->output_padding_h},
                        {"output_padding_w", d->output_padding_w}};
    for (size_t i = 0; i < sizeof non_negative / sizeof non_negative[0]; i++)
        if (non_negative[i].value < 0)
            REJECT("%s = %d: must be >= 0", non_negative[i].name, non_negative[i].value);
    if (d->in_channels % d->groups)
        REJECT("in_channels = %d: must be divisible by groups = %d", d->in_channels, d->groups);
    if (d->out_channels % d->groups)
        REJECT("out_channels = %d: must be divisible by groups = %d", d->out_channels, d->groups);
    if (d->kind == CLCONV_CONV2D) {
        if (d->output_padding_h || d->output_padding_w)
            REJECT("output_padding_%s = %d: only ConvTranspose2d has output padding",
                   d->output_padding_h ? "h" : "w",
                   d->output_padding_h ? d->output_padding_h : d->output_padding_w);
    } else {
        if (d->padding_mode != CLCONV_PADDING_ZEROS)
            REJECT("padding_mode = %d: ConvTranspose2d supports only zeros padding (as torch)",
                   (int)d->padding_mode);
        if (d->output_padding_h >= d->stride_h && d->output_padding_h >= d->dilation_h)
            REJECT("output_padding_h = %d: must be smaller than stride_h = %d or dilation_h = %d",
                   d->output_padding_h, d->stride_h, d->dilation_h);
        if (d->output_padding_w >= d->stride_w && d->output_padding_w >= d->dilation_w)
            REJECT("output_padding_w = %d: must be smaller than stride_w = %d or dilation_w = %d",
                   d->output_padding_w, d->stride_w, d->dilation_w);
    }
    return CLCONV_SUCCESS;
}

/* Checks a padding pair against one input extent for the non-zero modes. */
static clconv_status check_mode_padding(const clconv_desc *d, const char *lo_name, int lo,
                                        const char *hi_name, int hi, const char *extent_name,
                                        int extent)
{
    if (d->padding_mode == CLCONV_PADDING_REFLECT) {
        if (lo >= extent)
            REJECT("%s = %d: reflect padding must be < input %s = %d", lo_name, lo, extent_name,
                   extent);
        if (hi >= extent)
            REJECT("%s = %d: reflect padding must be < input %s = %d", hi_name, hi, extent_name,
                   extent);
    } else if (d->padding_mode == CLCONV_PADDING_CIRCULAR) {
        if (lo > extent)
            REJECT("%s = %d: circular padding must be <= input %s = %d", lo_name, lo, extent_name,
                   extent);
        if (hi > extent)
            REJECT("%s = %d: circular padding must be <= input %s = %d", hi_name, hi, extent_name,
                   extent);
    }
    return CLCONV_SUCCESS;
}

/* Output extent along one axis, in 64 bits; may be <= 0 for an empty output. */
static int64_t output_extent(const clconv_desc *d, int64_t in, int k, int s, int pad_lo, int pad_hi,
                             int dil, int out_pad)
{
    int64_t span = (int64_t)dil * (k - 1);
    if (d->kind == CLCONV_CONV2D) {
        int64_t padded = in + pad_lo + pad_hi;
        if (padded < span + 1)
            return 0;
        return (padded - span - 1) / s + 1;
    }
    return (in - 1) * s - pad_lo - pad_hi + span + out_pad + 1;
}

/* Every coordinate a kernel forms must fit int: the padded input's (Conv2d: -pad_lo up to
 * extent - 1 + pad_hi) or the scattered output's (ConvTranspose2d: up to (extent - 1) * stride
 * + dilation * (kernel - 1) + output padding). Layers beyond that are refused, not wrapped. */
static clconv_status check_coordinate_range(const clconv_desc *d, const int in[4])
{
    const struct {
        const char *axis, *lo_name, *hi_name;
        int extent, lo, hi, k, s, dil, out_pad;
    } axes[2] = {{"H", "pad_top", "pad_bottom", in[2], d->pad_top, d->pad_bottom, d->kernel_h,
                  d->stride_h, d->dilation_h, d->output_padding_h},
                 {"W", "pad_left", "pad_right", in[3], d->pad_left, d->pad_right, d->kernel_w,
                  d->stride_w, d->dilation_w, d->output_padding_w}};
    for (int i = 0; i < 2; i++) {
        const int64_t padded = (int64_t)axes[i].extent + axes[i].lo + axes[i].hi;
        if (d->kind == CLCONV_CONV2D && padded > INT_MAX)
            return clconv_fail(NULL, CLCONV_ERROR_TOO_LARGE,
                               "%s = %d, %s = %d with input %s = %d: the padded input (%lld) "
                               "overflows int",
                               axes[i].lo_name, axes[i].lo, axes[i].hi_name, axes[i].hi,
                               axes[i].axis, axes[i].extent, (long long)padded);
        const int64_t reach = (int64_t)(axes[i].extent - 1) * axes[i].s +
                              (int64_t)axes[i].dil * (axes[i].k - 1) + axes[i].out_pad + 1;
        if (d->kind == CLCONV_CONV_TRANSPOSE2D && reach > INT_MAX)
            return clconv_fail(NULL, CLCONV_ERROR_TOO_LARGE,
                               "stride_%c = %d with input %s = %d: the transposed output's "
                               "extent (%lld) overflows int",
                               i ? 'w' : 'h', axes[i].s, axes[i].axis, axes[i].extent,
                               (long long)reach);
    }
    return CLCONV_SUCCESS;
}

clconv_status clconv_problem_init(const clconv_desc *desc, const int input_nchw[4],
                                  clconv_problem *p)
{
    if (!desc)
        REJECT("desc is NULL");
    if (!input_nchw)
        REJECT("input_nchw is NULL");
    clconv_status st = check_desc(desc);
    if (st != CLCONV_SUCCESS)
        return st;
    static const char *const dims[4] = {"input N", "input C", "input H", "input W"};
    for (int i = 0; i < 4; i++)
        if (input_nchw[i] < 1)
            REJECT("%s = %d: must be >= 1", dims[i], input_nchw[i]);
    if (input_nchw[1] != desc->in_channels)
        REJECT("input C = %d: must equal in_channels = %d", input_nchw[1], desc->in_channels);
    const clconv_desc *d = desc;
    if (d->kind == CLCONV_CONV2D) {
        st = check_mode_padding(d, "pad_top", d->pad_top, "pad_bottom", d->pad_bottom, "H",
                                input_nchw[2]);
        if (st == CLCONV_SUCCESS)
            st = check_mode_padding(d, "pad_left", d->pad_left, "pad_right", d->pad_right, "W",
                                    input_nchw[3]);
        if (st != CLCONV_SUCCESS)
            return st;
    }
    if ((st = check_coordinate_range(d, input_nchw)) != CLCONV_SUCCESS)
        return st;
    int64_t oh = output_extent(d, input_nchw[2], d->kernel_h, d->stride_h, d->pad_top,
                               d->pad_bottom, d->dilation_h, d->output_padding_h);
    int64_t ow = output_extent(d, input_nchw[3], d->kernel_w, d->stride_w, d->pad_left,
                               d->pad_right, d->dilation_w, d->output_padding_w);
    if (oh < 1 || ow < 1)
        REJECT("output would be empty (%lld x %lld): the kernel (%d x %d, dilation %d x %d) "
               "does not fit the padded input (%d x %d)",
               (long long)oh, (long long)ow, d->kernel_h, d->kernel_w, d->dilation_h, d->dilation_w,
               input_nchw[2], input_nchw[3]);
    if (oh > INT_MAX || ow > INT_MAX)
        return clconv_fail(NULL, CLCONV_ERROR_TOO_LARGE, "output extent %lld x %lld overflows int",
                           (long long)oh, (long long)ow);

    clconv_problem q = {.desc = *desc};
    for (int i = 0; i < 4; i++)
        q.in[i] = input_nchw[i];
    q.out[0] = input_nchw[0];
    q.out[1] = d->out_channels;
    q.out[2] = (int)oh;
    q.out[3] = (int)ow;
    q.cin_per_group = d->in_channels / d->groups;
    q.cout_per_group = d->out_channels / d->groups;
    int weight_rows = d->kind == CLCONV_CONV2D ? d->out_channels : d->in_channels;
    int weight_cols = d->kind == CLCONV_CONV2D ? q.cin_per_group : q.cout_per_group;
    bool ok = clconv_mul_size((size_t)q.in[0], (size_t)q.in[1], &q.input_count) &&
              clconv_mul_size(q.input_count, (size_t)q.in[2], &q.input_count) &&
              clconv_mul_size(q.input_count, (size_t)q.in[3], &q.input_count) &&
              clconv_mul_size((size_t)q.out[0], (size_t)q.out[1], &q.output_count) &&
              clconv_mul_size(q.output_count, (size_t)q.out[2], &q.output_count) &&
              clconv_mul_size(q.output_count, (size_t)q.out[3], &q.output_count) &&
              clconv_mul_size((size_t)weight_rows, (size_t)weight_cols, &q.weight_count) &&
              clconv_mul_size(q.weight_count, (size_t)d->kernel_h, &q.weight_count) &&
              clconv_mul_size(q.weight_count, (size_t)d->kernel_w, &q.weight_count);
    /* byte sizes must fit too: element counts up to SIZE_MAX / 4 */
    size_t limit = SIZE_MAX / 4;
    if (!ok || q.input_count > limit || q.output_count > limit || q.weight_count > limit)
        return clconv_fail(NULL, CLCONV_ERROR_TOO_LARGE,
                           "tensor sizes overflow size_t (input %d x %d x %d x %d, output "
                           "%d x %d x %d x %d)",
                           q.in[0], q.in[1], q.in[2], q.in[3], q.out[0], q.out[1], q.out[2],
                           q.out[3]);
    q.bias_count = d->bias ? (size_t)d->out_channels : 0;
    *p = q;
    return CLCONV_SUCCESS;
}

clconv_status clconv_output_shape(const clconv_desc *desc, const int input_nchw[4],
                                  int output_nchw[4])
{
    if (!output_nchw)
        REJECT("output_nchw is NULL");
    clconv_problem p;
    clconv_status st = clconv_problem_init(desc, input_nchw, &p);
    if (st != CLCONV_SUCCESS)
        return st;
    for (int i = 0; i < 4; i++)
        output_nchw[i] = p.out[i];
    return CLCONV_SUCCESS;
}

clconv_status clconv_tensor_sizes(const clconv_desc *desc, const int input_nchw[4],
                                  size_t *input_count, size_t *weight_count, size_t *bias_count,
                                  size_t *output_count)
{
    clconv_problem p;
    clconv_status st = clconv_problem_init(desc, input_nchw, &p);
    if (st != CLCONV_SUCCESS)
        return st;
    if (input_count)
        *input_count = p.input_count;
    if (weight_count)
        *weight_count = p.weight_count;
    if (bias_count)
        *bias_count = p.bias_count;
    if (output_count)
        *output_count = p.output_count;
    return CLCONV_SUCCESS;
}
