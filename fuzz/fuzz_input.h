/* Turns fuzzer bytes into integers: mostly small values (so that valid layers are common and
 * the deep paths get exercised), sometimes raw 32-bit values (to hit the int limits). */
#ifndef CLCONV_FUZZ_INPUT_H
#define CLCONV_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <clconv.h>

typedef struct fuzz_input {
    const uint8_t *data;
    size_t size;
} fuzz_input;

static inline uint8_t fuzz_byte(fuzz_input *in)
{
    if (!in->size)
        return 0;
    in->size--;
    return *in->data++;
}

/* Tag byte < 0xe0: a small value in [-2, 29]; 0xe0-0xef: an extreme (INT_MIN, INT_MAX and
 * their neighbours, 2^15, 2^16, 46341 = ceil(sqrt(2^31))); >= 0xf0: four raw bytes. */
static inline int fuzz_int(fuzz_input *in)
{
    static const int64_t extremes[16] = {
        INT32_MIN, INT32_MIN + 1, INT32_MAX,     INT32_MAX - 1, 0,         -1,
        1 << 15,   1 << 16,       46341,         65535,         (1 << 30), (1 << 30) + 1,
        (1 << 20), 1 << 24,       (1 << 16) + 1, 1000000};
    uint8_t tag = fuzz_byte(in);
    if (tag < 0xe0)
        return (int)(tag % 32) - 2;
    if (tag < 0xf0)
        return (int)extremes[tag - 0xe0];
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v = (v << 8) | fuzz_byte(in);
    int32_t s;
    memcpy(&s, &v, sizeof s);
    return s;
}

/* A descriptor and an input shape: enums mostly valid, every int field from fuzz_int. */
static inline void fuzz_read_desc(fuzz_input *in, clconv_desc *d, int shape[4])
{
    int *fields[] = {&d->in_channels, &d->out_channels,     &d->groups,           &d->kernel_h,
                     &d->kernel_w,    &d->stride_h,         &d->stride_w,         &d->pad_top,
                     &d->pad_bottom,  &d->pad_left,         &d->pad_right,        &d->dilation_h,
                     &d->dilation_w,  &d->output_padding_h, &d->output_padding_w, &d->bias};
    uint8_t head = fuzz_byte(in);
    /* enums: mostly valid values, sometimes out of range */
    d->kind = (clconv_kind)(head & 0x80 ? (head & 3) : (head & 1));
    d->padding_mode = (clconv_padding_mode)((head >> 2) & 7);
    d->dtype = (clconv_dtype)((head >> 5) & 3);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        *fields[i] = fuzz_int(in);
    for (int i = 0; i < 4; i++)
        shape[i] = fuzz_int(in);
    /* channels usually consistent, so that validation goes past the first checks */
    if (!(head & 0x40))
        shape[1] = d->in_channels;
}

#endif
