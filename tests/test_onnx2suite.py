#!/usr/bin/env python3
"""clconv-onnx2suite on models this test writes with onnx.helper, and on torchvision exports.

  test_onnx2suite.py CLCONV_ONNX2SUITE CLCONV_COUNT

Every attribute the tool maps (group, dilations, strides, asymmetric pads, auto_pad SAME_UPPER,
SAME_LOWER and VALID, no bias, float16, ConvTranspose output_padding and output_shape, Pad of
mode reflect/edge/wrap/constant folded) is in a small model; each layer's output shape, as
clconv-count computes it from the suite line, must equal the shape ONNX's own shape inference
gives the node, and the folded padding the Pad's. Nodes that cannot map (3-D convolution, a
Pad followed by zero padding, a dynamic input without --input) must be listed with a reason.
With torchvision installed, ResNet-18 and MobileNetV3-Small exports must list every Conv2d
(20 and 52) with the MACs of the shapes PyTorch runs them with.
"""
import json
import os
import subprocess
import sys
import tempfile

import onnx
from onnx import TensorProto, helper

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what, file=sys.stderr)
    return cond


def run(cmd):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True)


def weight(name, dims, dtype=TensorProto.FLOAT):
    count = 1
    for d in dims:
        count *= d
    return helper.make_tensor(name, dtype, dims, [0.0] * count)


def conv_node(op, name, x, w, y, b=None, **attrs):
    return helper.make_node(op, [x, w] + ([b] if b else []), [y], name=name, **attrs)


# (node name, op, input shape NCHW, weight dims, bias, attributes, dtype)
CASES = [
    ("grouped", "Conv", [1, 8, 12, 12], [8, 2, 3, 3], True,
     {"group": 4, "pads": [1, 1, 1, 1]}, TensorProto.FLOAT),
    ("dilated", "Conv", [2, 4, 17, 15], [6, 4, 3, 3], False,
     {"dilations": [2, 3], "strides": [2, 1], "pads": [2, 3, 2, 3]}, TensorProto.FLOAT),
    ("asym", "Conv", [1, 4, 9, 10], [4, 4, 3, 3], True,
     {"strides": [2, 2], "pads": [0, 1, 1, 2]}, TensorProto.FLOAT),
    ("same_upper", "Conv", [1, 3, 11, 11], [5, 3, 4, 4], True,
     {"strides": [2, 3], "auto_pad": "SAME_UPPER"}, TensorProto.FLOAT),
    ("same_lower", "Conv", [1, 3, 11, 11], [5, 3, 4, 4], True,
     {"strides": [2, 3], "auto_pad": "SAME_LOWER"}, TensorProto.FLOAT),
    ("valid", "Conv", [1, 3, 10, 11], [5, 3, 3, 3], False,
     {"auto_pad": "VALID", "pads": [0, 0, 0, 0]}, TensorProto.FLOAT),
    ("half", "Conv", [1, 8, 8, 8], [8, 8, 1, 1], True, {}, TensorProto.FLOAT16),
    ("tconv_outpad", "ConvTranspose", [1, 8, 5, 6], [8, 4, 3, 3], True,
     {"strides": [2, 2], "pads": [1, 1, 1, 1], "output_padding": [1, 0]}, TensorProto.FLOAT),
    ("tconv_outshape", "ConvTranspose", [1, 4, 7, 7], [4, 6, 4, 4], False,
     {"strides": [2, 2], "output_shape": [15, 14]}, TensorProto.FLOAT),
    ("tconv_grouped", "ConvTranspose", [1, 6, 4, 4], [6, 2, 3, 3], True,
     {"strides": [3, 3], "group": 3, "dilations": [1, 2]}, TensorProto.FLOAT),
]
# expected pads (top, bottom, left, right) from the ONNX operator definitions
EXPECT_PADS = {"asym": (0, 1, 1, 2), "same_upper": (1, 2, 1, 1), "same_lower": (2, 1, 1, 1),
               "valid": (0, 0, 0, 0), "dilated": (2, 2, 3, 3)}
PAD_CASES = [("reflect", "reflect"), ("edge", "replicate"), ("wrap", "circular"),
             ("constant", "zeros")]


def attribute_model():
    nodes, inits, inputs, outputs = [], [], [], []
    for name, op, xs, ws, bias, attrs, dtype in CASES:
        x, y = name + "_x", name + "_y"
        inputs.append(helper.make_tensor_value_info(x, dtype, xs))
        inits.append(weight(name + "_w", ws, dtype))
        oc = ws[1] * attrs.get("group", 1) if op == "ConvTranspose" else ws[0]
        if bias:
            inits.append(weight(name + "_b", [oc], dtype))
        nodes.append(conv_node(op, name, x, name + "_w", y, name + "_b" if bias else None,
                               **attrs))
        outputs.append(helper.make_tensor_value_info(y, dtype, None))
    for mode, _ in PAD_CASES:  # Pad (opset 13: pads as an input) then an unpadded Conv
        x, p, y = f"pad_{mode}_x", f"pad_{mode}_p", f"pad_{mode}_y"
        inputs.append(helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, 3, 9, 9]))
        inits.append(helper.make_tensor(p + "s", TensorProto.INT64, [8],
                                        [0, 0, 1, 2, 0, 0, 3, 1]))
        inits.append(weight(f"pad_{mode}_w", [4, 3, 3, 3]))
        nodes.append(helper.make_node("Pad", [x, p + "s"], [p], mode=mode, name=f"pad_{mode}"))
        nodes.append(conv_node("Conv", f"padded_{mode}", p, f"pad_{mode}_w", y))
        outputs.append(helper.make_tensor_value_info(y, TensorProto.FLOAT, None))
    # an activation and a residual after a convolution (the act= and residual columns)
    inputs.append(helper.make_tensor_value_info("epi_x", TensorProto.FLOAT, [1, 4, 6, 6]))
    inits.append(weight("epi_w", [4, 4, 3, 3]))
    nodes += [conv_node("Conv", "epi_conv", "epi_x", "epi_w", "epi_c", pads=[1, 1, 1, 1]),
              helper.make_node("Add", ["epi_c", "epi_x"], ["epi_s"], name="epi_add"),
              helper.make_node("Relu", ["epi_s"], ["epi_y"], name="epi_relu")]
    outputs.append(helper.make_tensor_value_info("epi_y", TensorProto.FLOAT, None))
    # HardSwish as opsets below 14 export it: x * HardSigmoid(x, alpha 1/6, beta 0.5)
    inputs.append(helper.make_tensor_value_info("hs_x", TensorProto.FLOAT, [1, 4, 6, 6]))
    inits.append(weight("hs_w", [4, 4, 1, 1]))
    nodes += [conv_node("Conv", "hs_conv", "hs_x", "hs_w", "hs_c"),
              helper.make_node("HardSigmoid", ["hs_c"], ["hs_h"], alpha=1 / 6, beta=0.5),
              helper.make_node("Mul", ["hs_c", "hs_h"], ["hs_y"])]
    outputs.append(helper.make_tensor_value_info("hs_y", TensorProto.FLOAT, None))
    # cannot map: a 3-D convolution, and a reflect Pad followed by zero padding
    inputs.append(helper.make_tensor_value_info("c3_x", TensorProto.FLOAT, [1, 2, 4, 4, 4]))
    inits.append(weight("c3_w", [2, 2, 3, 3, 3]))
    nodes.append(conv_node("Conv", "conv3d", "c3_x", "c3_w", "c3_y"))
    outputs.append(helper.make_tensor_value_info("c3_y", TensorProto.FLOAT, None))
    inputs.append(helper.make_tensor_value_info("pz_x", TensorProto.FLOAT, [1, 3, 9, 9]))
    inits.append(helper.make_tensor("pz_ps", TensorProto.INT64, [8], [0, 0, 1, 1, 0, 0, 1, 1]))
    inits.append(weight("pz_w", [4, 3, 3, 3]))
    nodes += [helper.make_node("Pad", ["pz_x", "pz_ps"], ["pz_p"], mode="reflect", name="pz_pad"),
              conv_node("Conv", "reflect_then_zeros", "pz_p", "pz_w", "pz_y", pads=[1, 1, 1, 1])]
    outputs.append(helper.make_tensor_value_info("pz_y", TensorProto.FLOAT, None))
    graph = helper.make_graph(nodes, "attributes", inputs, outputs, inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def dynamic_model():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, "h", "w"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    graph = helper.make_graph([conv_node("Conv", "dyn", "x", "w", "y", pads=[1, 1, 1, 1])],
                              "dynamic", [x], [y], [weight("w", [8, 3, 3, 3])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def counted(count, suite):
    r = run([count, "--json", suite])
    if not check(r.returncode == 0, f"clconv-count {suite}: {r.stderr.strip()}"):
        return {}
    return {L["name"]: L for L in json.loads(r.stdout)["layers"]}


def suite_lines(path):
    with open(path, encoding="utf-8") as f:
        return [line.split() for line in f if line.strip() and not line.startswith("#")]


def test_attributes(tool, count, tmp):
    model = attribute_model()
    path = os.path.join(tmp, "attrs.onnx")
    onnx.save(model, path)
    inferred = onnx.shape_inference.infer_shapes(model)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in list(inferred.graph.value_info) + list(inferred.graph.output)}
    suite = os.path.join(tmp, "attrs.txt")
    r = run([sys.executable, tool, path, "--name", "t", "--out", suite])
    check(r.returncode == 0, f"attribute model: exit {r.returncode}: {r.stderr}")
    layers = counted(count, suite)
    cols = {line[0]: line for line in suite_lines(suite)}
    for name, op, _, _, bias, attrs, dtype in CASES:
        L = layers.get("t." + name)
        if not check(L is not None, f"{name}: no layer in the suite"):
            continue
        check(L["output"] == shapes[name + "_y"],
              f"{name}: clconv output {L['output']} != ONNX {shapes[name + '_y']}")
        check(L["kind"] == ("tconv" if op == "ConvTranspose" else "conv"), f"{name}: kind")
        check(L["dtype"] == ("f16" if dtype == TensorProto.FLOAT16 else "f32"), f"{name}: dtype")
        line = cols["t." + name]
        check(line[18] == str(int(bias)), f"{name}: bias column {line[18]}")
        if name in EXPECT_PADS:
            t, b, l, r_ = EXPECT_PADS[name]
            want_ph = str(t) if t == b else f"{t},{b}"
            want_pw = str(l) if l == r_ else f"{l},{r_}"
            check(line[11] == want_ph and line[12] == want_pw,
                  f"{name}: pads {line[11]} {line[12]}, expected {want_ph} {want_pw}")
        if "group" in attrs:
            check(line[15] == str(attrs["group"]), f"{name}: groups {line[15]}")
    for mode, clmode in PAD_CASES:
        L = layers.get(f"t.padded_{mode}")
        if not check(L is not None, f"Pad {mode}: no layer"):
            continue
        line = cols[f"t.padded_{mode}"]
        check(line[19] == clmode, f"Pad {mode}: mode {line[19]}, expected {clmode}")
        check(line[11] == "1,3" and line[12] == "2,1", f"Pad {mode}: pads {line[11]} {line[12]}")
        check(L["input"] == [1, 3, 9, 9], f"Pad {mode}: input {L['input']} is not the Pad's")
        check(L["output"] == shapes[f"pad_{mode}_y"], f"Pad {mode}: output {L['output']}")
    with open(suite, encoding="utf-8") as f:
        text = f.read()
    for name, want, spec in (("epi_conv", "act=relu residual", "--activation relu --residual"),
                             ("hs_conv", "act=hardswish", "--activation hardswish")):
        L = layers.get("t." + name)
        line = [w for w in text.splitlines() if w.startswith(f"t.{name} ")]
        check(line and line[0].endswith(f" {want}") and L is not None and spec in L["spec"],
              f"{name}: {want} in the suite and read back by clconv-count ({line})")
    check("# residual: epi_x" in text, "the residual tensor named in a comment")
    for node in ("conv3d", "reflect_then_zeros"):
        check(f"# not mapped: {node} (Conv):" in text and f"not mapped: {node}" in r.stderr,
              f"{node}: not listed as not mapped")


def test_dynamic(tool, count, tmp):
    path = os.path.join(tmp, "dyn.onnx")
    onnx.save(dynamic_model(), path)
    r = run([sys.executable, tool, path])
    check(r.returncode == 1 and "no static shape" in r.stderr and "--input" in r.stderr,
          f"dynamic input without --input: exit {r.returncode}, {r.stderr.strip()}")
    suite = os.path.join(tmp, "dyn.txt")
    r = run([sys.executable, tool, path, "--input", "x=2x3x20x24", "--out", suite])
    layers = counted(count, suite) if check(r.returncode == 0, f"--input: {r.stderr}") else {}
    L = layers.get("dyn.dyn")
    check(L is not None and L["input"] == [2, 3, 20, 24] and L["output"] == [2, 8, 20, 24],
          f"--input x=2x3x20x24: {L}")


def test_cli(tool, tmp):
    r = run([sys.executable, tool, "--version"])
    check(r.returncode == 0 and r.stdout.startswith("clconv-onnx2suite "), "--version")
    r = run([sys.executable, tool, "--help"])
    check(r.returncode == 0 and "--input" in r.stdout, "--help")
    for args, code, needle in ([["/nonexistent.onnx"], 2, "no such file"],
                               [[tool, "--input", "x=3y"], 2, "NAME=NxCxHxW"],
                               [[tool], 1, "cannot read the model"],
                               [[os.path.join(tmp, "attrs.onnx"), "--input", "nope=1x1"], 2,
                                "no input of that name"],
                               [[os.path.join(tmp, "attrs.onnx"), "--out", "/dev/full"], 1,
                                "cannot write"]):
        r = run([sys.executable, tool] + args)
        check(r.returncode == code and needle in r.stderr and "Traceback" not in r.stderr,
              f"{args}: exit {r.returncode} (expected {code}), stderr {r.stderr.strip()!r}")


def torch_conv_shapes(model, x):
    """(input shape, module) of every Conv2d in the order it runs."""
    import torch

    seen = []
    hooks = [m.register_forward_hook(lambda m, i, o: seen.append((list(i[0].shape), m,
                                                                  list(o.shape))))
             for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    return seen


def test_torchvision(tool, count, tmp):
    import torch
    import torchvision

    for name, convs in (("resnet18", 20), ("mobilenet_v3_small", 52)):
        model = getattr(torchvision.models, name)().eval()
        x = torch.randn(1, 3, 224, 224)
        path = os.path.join(tmp, name + ".onnx")
        torch.onnx.export(model, x, path, opset_version=13)
        suite = os.path.join(tmp, name + ".txt")
        r = run([sys.executable, tool, path, "--out", suite])
        check(r.returncode == 0 and "0 not mapped" in r.stderr, f"{name}: {r.stderr.strip()}")
        layers = list(counted(count, suite).values())
        runs = torch_conv_shapes(model, x)
        check(len(runs) == convs, f"{name}: PyTorch ran {len(runs)} Conv2d, expected {convs}")
        check(len(layers) == len(runs), f"{name}: {len(layers)} layers, PyTorch {len(runs)}")
        for L, (shape, m, out) in zip(layers, runs):
            macs = (out[0] * out[1] * out[2] * out[3] * (m.in_channels // m.groups) *
                    m.kernel_size[0] * m.kernel_size[1])
            check(L["input"] == shape and L["output"] == out and L["macs"] == macs,
                  f"{name} {L['name']}: {L['input']}->{L['output']} {L['macs']} MACs, "
                  f"PyTorch {shape}->{out} {macs}")


def main():
    tool, count = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        test_attributes(tool, count, tmp)
        test_dynamic(tool, count, tmp)
        test_cli(tool, tmp)
        try:
            import torchvision  # noqa: F401  (python3-torchvision: the export test runs)
            have_torchvision = True
        except ImportError:
            have_torchvision = False
        if have_torchvision:
            test_torchvision(tool, count, tmp)
        else:
            print("torchvision is not installed: the export part is not part of this run",
                  file=sys.stderr)
    if failures:
        print(f"{len(failures)} failure(s)", file=sys.stderr)
        return 1
    print("ok", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
