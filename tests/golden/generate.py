#!/usr/bin/python3
"""Generates the golden cases that pin clconv's reference to PyTorch.

Run by hand, once, with a Python that has torch (Debian's python3-torch):

    /usr/bin/python3 tests/golden/generate.py [OUTDIR]

OUTDIR defaults to this script's folder. The tests read the committed outputs; they never
run this script. Data is drawn from a fixed seed; torch computes in float64 and the expected
output is stored rounded to float32, so the comparison tolerance can be tight.

File format (one file per case, NAME.bin, all little-endian):

    char     magic[8]      "CLCVGOLD"
    int32    version       1
    int32    nparams       27 (number of int32 fields that follow)
    int32    kind, in_channels, out_channels, groups, kernel_h, kernel_w,
             stride_h, stride_w, pad_top, pad_bottom, pad_left, pad_right,
             dilation_h, dilation_w, output_padding_h, output_padding_w,
             bias, padding_mode,                   (clconv_desc fields, clconv's enum values)
             same,                                 (1: torch ran padding='same'; the pads above
                                                    are the ones torch applied)
             in_n, in_c, in_h, in_w, out_n, out_c, out_h, out_w
    float32  input[in_n*in_c*in_h*in_w]
    float32  weight[...]   Conv2d (Cout, Cin/g, kh, kw); ConvTranspose2d (Cin, Cout/g, kh, kw)
    float32  bias[out_c]   only when bias != 0
    float32  output[out_n*out_c*out_h*out_w]   torch's result

Version 2 (the fused epilogue's cases, EPILOGUE_CASES) has nparams 31: the 27 above, then

    int32    activation, alpha_bits, beta_bits, residual
             (clconv_activation's value; activation_alpha and _beta as float32 bit patterns;
              1: output = activation(conv + bias + residual))

and, when residual != 0, float32 residual[out_n*out_c*out_h*out_w] after the bias.

index.txt lists the case files, one per line, in generation order.
"""

import os
import struct
import sys
import warnings

import torch
import torch.nn.functional as F

MAGIC = b"CLCVGOLD"
VERSION = 1
KIND = {"conv": 0, "tconv": 1}
MODES = {"zeros": 0, "reflect": 1, "replicate": 2, "circular": 3}
SEED = 20261122


def pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


# Each case: name, kind, N, Cin, H, W, Cout, kernel, and optional fields.
# pads = (top, bottom, left, right); padding = symmetric (ph, pw) as torch's module takes it.
CASES = [
    # Conv2d: every padding mode, symmetric through nn.Conv2d, asymmetric through F.pad.
    dict(name="conv_zeros_basic", kind="conv", n=1, cin=3, h=7, w=8, cout=4, k=3, padding=1),
    dict(name="conv_zeros_asym", kind="conv", n=1, cin=2, h=6, w=7, cout=3, k=3, stride=(2, 1),
         pads=(0, 2, 1, 3)),
    dict(name="conv_reflect_sym", kind="conv", n=1, cin=2, h=6, w=5, cout=3, k=3, padding=(2, 1),
         mode="reflect"),
    dict(name="conv_reflect_asym", kind="conv", n=1, cin=2, h=5, w=6, cout=2, k=(2, 3),
         pads=(1, 2, 3, 0), mode="reflect"),
    dict(name="conv_reflect_max", kind="conv", n=1, cin=1, h=4, w=5, cout=2, k=3,
         pads=(3, 3, 4, 4), mode="reflect"),
    dict(name="conv_replicate_stride", kind="conv", n=1, cin=3, h=7, w=9, cout=2, k=3,
         stride=2, padding=(1, 2), mode="replicate"),
    dict(name="conv_replicate_asym_dil", kind="conv", n=1, cin=2, h=6, w=7, cout=3, k=(3, 2),
         dilation=(2, 1), pads=(0, 3, 2, 1), mode="replicate"),
    dict(name="conv_circular_sym", kind="conv", n=1, cin=2, h=5, w=6, cout=2, k=5, padding=2,
         mode="circular"),
    dict(name="conv_circular_asym_full", kind="conv", n=1, cin=2, h=4, w=5, cout=3, k=3,
         stride=(1, 2), pads=(4, 1, 0, 5), mode="circular"),
    dict(name="conv_stride_dilation", kind="conv", n=1, cin=3, h=9, w=11, cout=2, k=3,
         stride=(2, 3), dilation=(2, 1), padding=(1, 2)),
    dict(name="conv_groups", kind="conv", n=1, cin=4, h=5, w=5, cout=6, k=3, groups=2,
         padding=1),
    dict(name="conv_depthwise_mult", kind="conv", n=1, cin=3, h=7, w=7, cout=6, k=3, groups=3,
         stride=2, padding=1),
    dict(name="conv_depthwise_reflect", kind="conv", n=1, cin=4, h=6, w=6, cout=4, k=3,
         groups=4, padding=1, mode="reflect"),
    dict(name="conv_nobias", kind="conv", n=1, cin=3, h=4, w=6, cout=5, k=2, bias=False),
    dict(name="conv_same_even", kind="conv", n=1, cin=2, h=6, w=7, cout=3, k=(4, 2),
         dilation=(1, 2), same=True),
    dict(name="conv_same_reflect", kind="conv", n=1, cin=2, h=5, w=6, cout=2, k=(4, 3),
         same=True, mode="reflect"),
    dict(name="conv_batch2_circular", kind="conv", n=2, cin=4, h=6, w=5, cout=4, k=3, groups=2,
         stride=2, padding=1, mode="circular"),
    dict(name="conv_1x1_stride", kind="conv", n=1, cin=5, h=5, w=6, cout=3, k=1, stride=2),
    dict(name="conv_kernel_eq_padded", kind="conv", n=2, cin=2, h=4, w=4, cout=2, k=6,
         padding=1),
    # ConvTranspose2d: zeros padding only (torch's rule), symmetric padding.
    dict(name="tconv_stride_pad_op", kind="tconv", n=1, cin=3, h=4, w=5, cout=2, k=3, stride=2,
         padding=1, output_padding=1),
    dict(name="tconv_dilation_op", kind="tconv", n=1, cin=2, h=3, w=4, cout=3, k=(3, 2),
         stride=(3, 1), padding=(2, 0), dilation=(2, 3), output_padding=(2, 1)),
    dict(name="tconv_groups", kind="tconv", n=1, cin=4, h=3, w=3, cout=6, k=3, stride=2,
         groups=2),
    dict(name="tconv_depthwise", kind="tconv", n=1, cin=3, h=4, w=4, cout=6, k=4, stride=2,
         padding=1, groups=3),
    dict(name="tconv_nobias_batch2", kind="tconv", n=2, cin=3, h=3, w=4, cout=2, k=(2, 3),
         stride=(1, 2), padding=1, bias=False),
    dict(name="tconv_crop", kind="tconv", n=1, cin=2, h=4, w=4, cout=2, k=3, stride=3,
         padding=3),
    dict(name="tconv_stride_gt_kernel", kind="tconv", n=1, cin=2, h=3, w=3, cout=2, k=(2, 1),
         stride=(3, 4), output_padding=(1, 3)),
]


# The fused epilogue: output = activation(conv + bias + residual), one case per activation
# (clconv_activation's order), Conv2d and ConvTranspose2d, with and without a residual.
ACTIVATIONS = {"none": 0, "relu": 1, "relu6": 2, "leaky_relu": 3, "clamp": 4, "sigmoid": 5,
               "tanh": 6, "silu": 7, "gelu": 8, "hardswish": 9}
EPILOGUE_CASES = [
    dict(name="epi_relu_residual", kind="conv", n=1, cin=3, h=6, w=7, cout=4, k=3, padding=1,
         act="relu", residual=True),
    dict(name="epi_relu6", kind="conv", n=1, cin=2, h=5, w=6, cout=3, k=3, padding=1,
         act="relu6", scale=8.0),
    dict(name="epi_leaky_relu_residual", kind="tconv", n=1, cin=3, h=4, w=4, cout=2, k=3,
         stride=2, padding=1, act="leaky_relu", alpha=0.125, residual=True),
    dict(name="epi_clamp", kind="conv", n=2, cin=2, h=5, w=5, cout=2, k=3, padding=1,
         act="clamp", alpha=-0.5, beta=0.75),
    dict(name="epi_sigmoid_residual", kind="conv", n=1, cin=4, h=5, w=5, cout=4, k=3, padding=1,
         groups=4, act="sigmoid", residual=True),
    dict(name="epi_tanh", kind="tconv", n=1, cin=2, h=4, w=5, cout=3, k=2, stride=2,
         act="tanh"),
    dict(name="epi_silu_residual", kind="conv", n=1, cin=3, h=6, w=6, cout=5, k=1,
         act="silu", residual=True),
    dict(name="epi_gelu", kind="conv", n=1, cin=3, h=5, w=6, cout=4, k=3, stride=2, padding=1,
         act="gelu"),
    dict(name="epi_hardswish_residual", kind="conv", n=1, cin=2, h=6, w=5, cout=3, k=3,
         padding=1, act="hardswish", residual=True, scale=4.0),
    dict(name="epi_none_residual", kind="tconv", n=1, cin=2, h=3, w=4, cout=2, k=3, stride=1,
         act="none", residual=True),
]


def activate(c, v):
    """torch's own modules for each activation (float64)."""
    act, alpha, beta = c["act"], c.get("alpha", 0.0), c.get("beta", 0.0)
    modules = {
        "none": lambda: (lambda t: t),
        "relu": torch.nn.ReLU,
        "relu6": torch.nn.ReLU6,
        "leaky_relu": lambda: torch.nn.LeakyReLU(negative_slope=alpha),
        "clamp": lambda: torch.nn.Hardtanh(min_val=alpha, max_val=beta),
        "sigmoid": lambda: torch.sigmoid,
        "tanh": lambda: torch.tanh,
        "silu": torch.nn.SiLU,
        "gelu": torch.nn.GELU,
        "hardswish": torch.nn.Hardswish,
    }
    return modules[act]()(v)


def float_bits(f):
    return struct.unpack("<i", struct.pack("<f", f))[0]


def run_epilogue_case(c, gen):
    """A version 2 case: the convolution as run_case computes it (its input times the case's
    power-of-two scale, to reach the activation's bends), then the residual and the
    activation, in float64 on torch's float64 convolution output."""
    blob, _, exact = run_case(c, gen)
    nparams = struct.unpack("<i", blob[12:16])[0]
    params = list(struct.unpack(f"<{nparams}i", blob[16:16 + 4 * nparams]))
    floats = torch.frombuffer(bytearray(blob[16 + 4 * nparams:]), dtype=torch.float32)
    out_shape = params[-4:]
    count = out_shape[0] * out_shape[1] * out_shape[2] * out_shape[3]
    head, out = floats[:-count], exact
    residual = rand(gen, *out_shape) if c.get("residual") else None
    if residual is not None:
        out = out + residual.double()
    out = activate(c, out)
    params += [ACTIVATIONS[c["act"]], float_bits(c.get("alpha", 0.0)),
               float_bits(c.get("beta", 0.0)), int(bool(c.get("residual")))]
    blob = MAGIC + struct.pack("<ii", 2, len(params)) + struct.pack(f"<{len(params)}i", *params)
    blob += head.numpy().astype("<f4").tobytes()
    if residual is not None:
        blob += residual.contiguous().numpy().astype("<f4").tobytes()
    blob += out.float().contiguous().numpy().astype("<f4").tobytes()
    return blob, tuple(out.shape)


def rand(gen, *shape):
    """Uniform in [-1, 1), drawn as float32 so the stored inputs are exactly what torch used."""
    return torch.rand(*shape, generator=gen, dtype=torch.float32) * 2 - 1


def run_case(c, gen):
    kind = c["kind"]
    n, cin, h, w, cout = c["n"], c["cin"], c["h"], c["w"], c["cout"]
    kh, kw = pair(c["k"])
    sh, sw = pair(c.get("stride", 1))
    dh, dw = pair(c.get("dilation", 1))
    oph, opw = pair(c.get("output_padding", 0))
    groups = c.get("groups", 1)
    has_bias = c.get("bias", True)
    mode = c.get("mode", "zeros")
    same = c.get("same", False)

    x = rand(gen, n, cin, h, w) * c.get("scale", 1.0)
    if kind == "conv":
        weight = rand(gen, cout, cin // groups, kh, kw)
    else:
        weight = rand(gen, cin, cout // groups, kh, kw)
    bias = rand(gen, cout) if has_bias else None
    xd, wd = x.double(), weight.double()
    bd = bias.double() if bias is not None else None

    if same:
        # torch's own padding='same': the odd remainder goes to the end (bottom/right).
        th, tw = dh * (kh - 1), dw * (kw - 1)
        pads = (th // 2, th - th // 2, tw // 2, tw - tw // 2)
        m = torch.nn.Conv2d(cin, cout, (kh, kw), stride=1, padding="same", dilation=(dh, dw),
                            groups=groups, bias=has_bias, padding_mode=mode,
                            dtype=torch.float64)
        with torch.no_grad():
            m.weight.copy_(wd)
            if has_bias:
                m.bias.copy_(bd)
            out = m(xd)
        # Cross-check against the explicit pad-then-convolve formulation.
        fmode = "constant" if mode == "zeros" else mode
        alt = F.conv2d(F.pad(xd, (pads[2], pads[3], pads[0], pads[1]), mode=fmode), wd, bd,
                       dilation=(dh, dw), groups=groups)
        assert torch.equal(out, alt), c["name"]
    elif kind == "conv" and "pads" in c:
        pads = c["pads"]
        fmode = "constant" if mode == "zeros" else mode
        xp = F.pad(xd, (pads[2], pads[3], pads[0], pads[1]), mode=fmode)
        out = F.conv2d(xp, wd, bd, stride=(sh, sw), dilation=(dh, dw), groups=groups)
    elif kind == "conv":
        ph, pw = pair(c.get("padding", 0))
        pads = (ph, ph, pw, pw)
        m = torch.nn.Conv2d(cin, cout, (kh, kw), stride=(sh, sw), padding=(ph, pw),
                            dilation=(dh, dw), groups=groups, bias=has_bias, padding_mode=mode,
                            dtype=torch.float64)
        with torch.no_grad():
            m.weight.copy_(wd)
            if has_bias:
                m.bias.copy_(bd)
            out = m(xd)
    else:
        assert mode == "zeros"
        ph, pw = pair(c.get("padding", 0))
        pads = (ph, ph, pw, pw)
        m = torch.nn.ConvTranspose2d(cin, cout, (kh, kw), stride=(sh, sw), padding=(ph, pw),
                                     output_padding=(oph, opw), groups=groups, bias=has_bias,
                                     dilation=(dh, dw), dtype=torch.float64)
        with torch.no_grad():
            m.weight.copy_(wd)
            if has_bias:
                m.bias.copy_(bd)
            out = m(xd)

    params = [KIND[kind], cin, cout, groups, kh, kw, sh, sw, pads[0], pads[1], pads[2], pads[3],
              dh, dw, oph, opw, int(has_bias), MODES[mode], int(same), n, cin, h, w,
              *out.shape]
    blob = MAGIC + struct.pack("<ii", VERSION, len(params)) + struct.pack(f"<{len(params)}i",
                                                                          *params)
    tensors = [x, weight] + ([bias] if has_bias else []) + [out.float()]
    for t in tensors:
        blob += t.contiguous().numpy().astype("<f4").tobytes()
    return blob, tuple(out.shape), out


def main():
    # torch notes that even kernels with padding='same' pad a copy: expected here.
    warnings.filterwarnings("ignore", message="Using padding='same'")
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    torch.use_deterministic_algorithms(True)
    gen = torch.Generator().manual_seed(SEED)
    names, total = [], 0
    for c in CASES + EPILOGUE_CASES:
        blob, shape = run_epilogue_case(c, gen) if "act" in c else run_case(c, gen)[:2]
        fname = c["name"] + ".bin"
        with open(os.path.join(outdir, fname), "wb") as f:
            f.write(blob)
        names.append(fname)
        total += len(blob)
        print(f"{fname:34s} out {shape} {len(blob)} bytes")
    with open(os.path.join(outdir, "index.txt"), "w") as f:
        f.write("\n".join(names) + "\n")
    print(f"{len(names)} cases, {total} bytes (torch {torch.__version__})")


if __name__ == "__main__":
    main()
