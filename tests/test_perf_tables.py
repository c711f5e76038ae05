#!/usr/bin/env python3
"""tools/perf_tables.py on synthetic clconv-bench and PyTorch JSON with known answers: the
ratio to PyTorch and to CLBlast's convgemm per layer and as geometric means, the depthwise /
other split of mobilenetv2, and the float16 pairs' speed-up over the memory-bound pairs."""
import json
import os
import subprocess
import sys
import tempfile

script = sys.argv[1]


def row(suite, name, mode, algo, gflops, ms, groups=1, c=8, dtype="f32", bound="compute"):
    shape = {"n": 1, "c": c, "h": 8, "w": 8, "oc": c, "kh": 3, "kw": 3, "groups": groups,
             "dtype": dtype}
    return {"suite": suite, "name": name, "mode": mode, "algo": algo, "gflops": gflops,
            "median_s": ms / 1e3, "roof_pct": 50.0, "bound": bound, "kind": "conv",
            "shape": shape}


rows = [
    row("resnet50", "r.a", "auto", "tiled", 100, 1), row("resnet50", "r.a", "forced", "tiled", 100, 1),
    row("resnet50", "r.a", "forced", "direct", 10, 10), row("resnet50", "r.a", "baseline", "convgemm", 10, 10),
    row("resnet50", "r.b", "auto", "tiled", 40, 1), row("resnet50", "r.b", "forced", "tiled", 40, 1),
    row("resnet50", "r.b", "baseline", "convgemm", 10, 4),
    row("mobilenetv2", "m.dw", "auto", "depthwise", 9, 1, groups=8),
    row("mobilenetv2", "m.pw", "auto", "tiled", 50, 1),
    # float16 pairs: 2x and 0.5x faster, memory-bound; a compute-bound pair is left out
    row("float16", "h.a_f32", "auto", "depthwise", 10, 2.0, bound="memory"),
    row("float16", "h.a_f16", "auto", "depthwise", 20, 1.0, dtype="f16", bound="memory"),
    row("float16", "h.b_f32", "auto", "depthwise", 10, 1.0, c=16, bound="memory"),
    row("float16", "h.b_f16", "auto", "depthwise", 5, 2.0, c=16, dtype="f16", bound="memory"),
    row("float16", "h.c_f32", "auto", "tiled", 10, 9.0, c=32),
    row("float16", "h.c_f16", "auto", "tiled", 10, 1.0, c=32, dtype="f16"),
]
bench = {"device": {"name": "dev", "platform": "plat", "driver_version": "1",
                    "compute_units": 2}, "ceilings": {"gflops": 100.0, "gbps": 10.0},
         "rows": rows}
torch = {"torch": "x", "threads": 2, "layers": [
    {"name": "r.a", "gflops": 50}, {"name": "r.b", "gflops": 160},
    {"name": "m.dw", "gflops": 3}, {"name": "m.pw", "gflops": 100}]}

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what, file=sys.stderr)


with tempfile.TemporaryDirectory() as tmp:
    paths = []
    for name, data in (("bench.json", bench), ("torch.json", torch)):
        paths.append(os.path.join(tmp, name))
        with open(paths[-1], "w") as f:
            json.dump(data, f)
    run = subprocess.run([sys.executable, script] + paths, capture_output=True, text=True)
    check(run.returncode == 0, f"exit status {run.returncode}: {run.stderr}")
    out = run.stdout
    lines = out.splitlines()

    def line(prefix):
        hits = [l for l in lines if l.startswith(prefix)]
        check(len(hits) == 1, f"one line starting {prefix!r}, found {len(hits)}")
        return [c.strip() for c in hits[0].split("|")] if hits else []

    # r.a: 2.00x PyTorch, 10.0x convgemm; r.b: 0.25x, 4.0x; means 0.71x and 6.3x
    check(line("| r.a |")[9:11] == ["2.00", "10.0"], "r.a ratios")
    check(line("| r.b |")[9:11] == ["0.25", "4.0"], "r.b ratios")
    check(line("| resnet50 |")[2:4] == ["0.71", "6.3"], "resnet50 summary")
    check(line("| mobilenetv2 (depthwise layers) |")[2] == "3.00", "depthwise split")
    check(line("| mobilenetv2 (other layers) |")[2] == "0.50", "other layers split")
    check(line("| h.a |")[4] == "2.00" and line("| h.b |")[4] == "0.50", "float16 pairs")
    check(line("| h.c |")[4] == "9.00", "compute-bound pair listed")
    check(line("| geometric mean (memory-bound pairs) |")[4] == "1.00", "float16 mean")
    check("float16 storage runs 1.00x the speed of float32" in out, "float16 summary line")
    check("| float16 |" not in out, "float16 suite kept out of the PyTorch summary")

    # a second pair: clconv's r.a faster (200 GFLOP/s), PyTorch's r.a faster too (80): each
    # side keeps its best, 200 / 80; r.b slower on both sides: unchanged
    bench2 = dict(bench, rows=[row("resnet50", "r.a", "auto", "tiled", 200, 0.5),
                               row("resnet50", "r.b", "auto", "tiled", 20, 2)])
    torch2 = dict(torch, layers=[{"name": "r.a", "gflops": 80}, {"name": "r.b", "gflops": 100}])
    more = []
    for name, data in (("bench2.json", bench2), ("torch2.json", torch2)):
        more.append(os.path.join(tmp, name))
        with open(more[-1], "w") as f:
            json.dump(data, f)
    run = subprocess.run([sys.executable, script] + paths + ["--also"] + more,
                         capture_output=True, text=True)
    check(run.returncode == 0, f"--also: exit status {run.returncode}: {run.stderr}")
    lines = run.stdout.splitlines()
    check(line("| r.a |")[3] == "200.0" and line("| r.a |")[9] == "2.50", "--also: best of both")
    check(line("| r.b |")[9:11] == ["0.25", "4.0"], "--also: r.b keeps its faster run")

    bad = subprocess.run([sys.executable, script, paths[0], os.path.join(tmp, "missing.json")],
                         capture_output=True, text=True)
    check(bad.returncode != 0, "a missing PyTorch JSON fails")

print("perf_tables: %d failures" % len(failures))
sys.exit(1 if failures else 0)
