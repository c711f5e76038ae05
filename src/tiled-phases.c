/* The stride phases of ConvTranspose2d for the channel-vector variants (src/tiled-common.h):
 * which outputs, taps and inputs each phase has. */
#include "src/tiled-common.h"

static int gcd(int a, int b)
{
    while (b) {
        int t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Phase r of one ConvTranspose2d axis: out extent, kernel, stride, pad, dilation. */
static phase_axis axis_phase(int r, int out, int k, int s, int pad, int dil)
{
    phase_axis a = {0, 0, 0, 0, 0, 0};
    a.count = r < out ? (out - r + s - 1) / s : 0;
    const int g = gcd(s, dil);
    a.kstep = s / g;
    a.step = dil / g;
    for (int kk = k - 1; kk >= 0; kk--) /* the largest tap of the phase comes first */
        if ((((r + pad - kk * dil) % s) + s) % s == 0) {
            a.k0 = kk;
            a.taps = kk / a.kstep + 1;
            a.c0 = (r + pad - kk * dil) / s;
            break;
        }
    return a;
}

phase_axis tiled_phase_y(const clconv_problem *p, int r)
{
    const clconv_desc *d = &p->desc;
    return axis_phase(r, p->out[2], d->kernel_h, d->stride_h, d->pad_top, d->dilation_h);
}

phase_axis tiled_phase_x(const clconv_problem *p, int r)
{
    const clconv_desc *d = &p->desc;
    return axis_phase(r, p->out[3], d->kernel_w, d->stride_w, d->pad_left, d->dilation_w);
}

/* Zero padding the phases read outside the input on one axis: before and after. */
void tiled_axis_padding(const clconv_problem *p, bool y, int *lo, int *hi)
{
    const int in = y ? p->in[2] : p->in[3], s = y ? p->desc.stride_h : p->desc.stride_w;
    *lo = *hi = 0;
    for (int r = 0; r < s; r++) {
        phase_axis a = y ? tiled_phase_y(p, r) : tiled_phase_x(p, r);
        if (!a.count || !a.taps)
            continue;
        if (-a.c0 > *lo)
            *lo = -a.c0;
        int last = a.count - 1 + a.c0 + (a.taps - 1) * a.step - (in - 1);
        if (last > *hi)
            *hi = last;
    }
}
