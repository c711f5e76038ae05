#!/usr/bin/env python3
"""clconv-bench --constant-weights: every plan timed with its weights set once.

  test_bench_weights.py CLCONV_BENCH

1. On layers whose variants prepare weights (Winograd's filter transform, the channel-vector
   re-layout) and one that reads them in place, a verified run exits 0, its JSON says
   "weights": "set", every clconv row was verified against clconv_reference and passed, and
   AUTO and every forced algorithm that accepts a layer has its row.
2. Without the option the JSON says "per_enqueue".
3. --constant-weights with --fused or --set-weights is a usage error (exit 2) that names both.
"""
import json
import os
import subprocess
import sys
import tempfile

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what, file=sys.stderr)
    return cond


LAYERS = [
    # 3x3 stride 1 with enough channels: Winograd accepts it
    "--input 1x16x12x12 --out-channels 16 --kernel 3 --padding 1 --name wino",
    # strided 3x3 with bias and an epilogue: the channel-vector kernels re-lay out weights
    "--input 2x8x11x9 --out-channels 12 --kernel 3 --stride 2 --padding 1 --bias "
    "--activation relu --residual --name strided",
    # depthwise, float16 storage
    "--input 1x8x10x10 --out-channels 8 --kernel 3 --padding 1 --groups 8 --dtype f16 "
    "--name dw",
]
CEILINGS = ["--ceiling-gflops", "100", "--ceiling-gbps", "10", "--repeats", "5"]


def bench(exe, extra, out):
    return subprocess.run([exe, "--no-baseline", "--verify", "--json", out] + CEILINGS + extra +
                          LAYERS, capture_output=True, text=True, timeout=600)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: test_bench_weights.py CLCONV_BENCH")
    exe = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="clconv-bench-weights-") as tmp:
        out = os.path.join(tmp, "set.json")
        p = bench(exe, ["--constant-weights"], out)
        if check(p.returncode == 0, f"--constant-weights --verify: exit {p.returncode}\n"
                 f"{p.stderr[-3000:]}"):
            check("weights set once per plan" in p.stderr, "stderr says the weights are set")
            with open(out, encoding="utf-8") as f:
                j = json.load(f)
            check(j.get("weights") == "set", f"JSON weights: {j.get('weights')!r}")
            rows = j["rows"]
            for name in ("wino", "strided", "dw"):
                mine = [r for r in rows if r["name"] == name]
                check(any(r["mode"] == "auto" for r in mine), f"{name}: an AUTO row")
                check(len(mine) >= 2, f"{name}: AUTO and forced rows ({len(mine)})")
            check(any(r["algo"] == "winograd" for r in rows if r["name"] == "wino"),
                  "wino: a Winograd row")
            for r in rows:
                check(r.get("verified") is True,
                      f"{r['name']} {r['mode']} {r['algo']}: verified ({r.get('verified')})")
        out2 = os.path.join(tmp, "per.json")
        p = subprocess.run([exe, "--no-baseline", "--json", out2] + CEILINGS + LAYERS[:1],
                           capture_output=True, text=True, timeout=600)
        if check(p.returncode == 0, f"plain run: exit {p.returncode}\n{p.stderr[-2000:]}"):
            with open(out2, encoding="utf-8") as f:
                check(json.load(f).get("weights") == "per_enqueue", "plain run: per_enqueue")
        for other in ("--fused", "--set-weights"):
            p = subprocess.run([exe, "--constant-weights", other, LAYERS[0]], capture_output=True,
                               text=True, timeout=120)
            check(p.returncode == 2 and "--constant-weights" in p.stderr and other in p.stderr,
                  f"--constant-weights {other}: exit 2 naming both ({p.returncode}: "
                  f"{p.stderr.strip()[:200]})")
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
