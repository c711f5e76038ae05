#!/usr/bin/env python3
"""Markdown performance tables from one clconv-bench run and one PyTorch peer run.

  perf_tables.py BENCH_JSON TORCH_JSON [--also BENCH_JSON TORCH_JSON]...

BENCH_JSON is clconv-bench's (or clconv-report's bench.json) output; TORCH_JSON is written by
tools/peers/torch_bench.py --json. Prints, per suite, each layer's AUTO result (algorithm, GFLOP/s,
% of roof), the direct kernels' and the fastest forced algorithm's GFLOP/s, PyTorch's GFLOP/s
and the ratios to PyTorch and to CLBlast's convgemm; then the geometric means against the
targets of the performance work. A suite with float16 layers (tools/suites/float16.txt) is
shown as float32/float16 pairs of the same shape instead: the speed-up of float16 storage.
Ratios are only meaningful when both runs were taken back to back on the same machine. On a
noisy shared host, take several such pairs and pass the others with --also: each side then
keeps, per layer and run, its fastest median over the pairs, and % of roof is recomputed
against the highest ceilings measured.
"""
import argparse
import json
import math
import sys


def geomean(values):
    values = [v for v in values if v]
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


def fmt(value, spec):
    return "–" if value is None else format(value, spec)


def is_depthwise(row):
    shape = row["shape"]
    return row["kind"] == "conv" and shape["groups"] == shape["c"] and shape["groups"] > 1


def peer_where(torch):
    """Where the peer ran: CPU threads, or the CUDA device (cuDNN, TF32 off)."""
    if torch.get("peer") == "pytorch-cuda":
        return f"on {torch.get('device', 'CUDA')} (cuDNN {torch.get('cudnn', '?')}, TF32 off)"
    return f"with {torch.get('threads', '?')} threads"


def layer_table(suite, layers, torch_gflops):
    lines = [f"**{suite}**", "",
             "| layer | AUTO algo | GFLOP/s | % of roof | bound | direct GFLOP/s "
             "| fastest forced | PyTorch GFLOP/s | x PyTorch | x CLBlast convgemm |",
             "|---|---|---:|---:|---|---:|---|---:|---:|---:|"]
    for name, runs in layers.items():
        auto = runs["auto"]
        forced = runs["forced"]
        direct = forced.get("direct")
        best = max(forced.values(), key=lambda r: r["gflops"]) if forced else None
        baseline = runs["baseline"]
        torch = torch_gflops.get(name)
        lines.append(
            f"| {name} | {auto['algo']} | {auto['gflops']:.1f} | {auto['roof_pct']:.0f}% "
            f"| {auto['bound']} | {fmt(direct and direct['gflops'], '.1f')} "
            f"| {best['algo'] + ' ' + format(best['gflops'], '.1f') if best else '–'} "
            f"| {fmt(torch, '.1f')} | {fmt(torch and auto['gflops'] / torch, '.2f')} "
            f"| {fmt(baseline and auto['gflops'] / baseline['gflops'], '.1f')} |")
    gm = geomean([r["auto"]["gflops"] for r in layers.values()])
    gm_torch = geomean([r["auto"]["gflops"] / torch_gflops[n]
                        for n, r in layers.items() if torch_gflops.get(n)])
    gm_blas = geomean([r["auto"]["gflops"] / r["baseline"]["gflops"]
                       for r in layers.values() if r["baseline"]])
    lines.append(f"| geometric mean | | {fmt(gm, '.1f')} | | | | | | {fmt(gm_torch, '.2f')} "
                 f"| {fmt(gm_blas, '.1f')} |")
    return lines, gm_torch, gm_blas


def half_pairs_table(suite, layers):
    """float32 / float16 pairs of one layer (same shape, dtype apart), AUTO's runs: the speed-up
    float16 storage brings, and its geometric mean over the memory-bound pairs."""
    by_shape = {}
    for name, runs in layers.items():
        shape = dict(runs["auto"]["shape"])
        dtype = shape.pop("dtype", "f32")
        by_shape.setdefault(json.dumps(shape, sort_keys=True), {})[dtype] = (name, runs["auto"])
    lines = [f"**{suite}** (float16 storage against float32, AUTO)", "",
             "| layer | float32 ms | float16 ms | float16 speed-up | float32 bound "
             "| float32 % of roof |", "|---|---:|---:|---:|---|---:|"]
    speedups = []
    for pair in by_shape.values():
        if "f32" not in pair or "f16" not in pair:
            continue
        (name, f32), (_, f16) = pair["f32"], pair["f16"]
        speedup = f32["median_s"] / f16["median_s"]
        if f32["bound"] == "memory":
            speedups.append(speedup)
        label = name[:-4] if name.endswith("_f32") else name
        lines.append(f"| {label} | {f32['median_s'] * 1e3:.3f} | {f16['median_s'] * 1e3:.3f} "
                     f"| {speedup:.2f} | {f32['bound']} | {f32['roof_pct']:.0f}% |")
    gm = geomean(speedups)
    lines.append(f"| geometric mean (memory-bound pairs) | | | {fmt(gm, '.2f')} | | |")
    return lines, gm


def merge_bench(benches):
    """One bench run from several: per (layer, mode, algorithm) the fastest median, with the
    highest ceilings measured and % of roof recomputed against them."""
    if len(benches) == 1:
        return benches[0]
    merged = dict(benches[0])
    gflops = max(b.get("ceilings", {}).get("gflops") or 0 for b in benches)
    gbps = max(b.get("ceilings", {}).get("gbps") or 0 for b in benches)
    merged["ceilings"] = dict(benches[0].get("ceilings", {}), gflops=gflops, gbps=gbps)
    best = {}
    for b in benches:
        for row in b["rows"]:
            key = (row["name"], row["mode"], row["algo"])
            if key not in best or row["median_s"] < best[key]["median_s"]:
                best[key] = dict(row)
    for row in best.values():
        if gflops and gbps and "intensity" in row:
            roof = min(gflops, row["intensity"] * gbps)
            row["roof_gflops"] = roof
            row["roof_pct"] = 100.0 * row["gflops"] / roof
            row["bound"] = "memory" if row["intensity"] * gbps < gflops else "compute"
    merged["rows"] = list(best.values())
    return merged


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("bench")
    ap.add_argument("torch")
    ap.add_argument("--also", nargs=2, action="append", default=[],
                    metavar=("BENCH_JSON", "TORCH_JSON"),
                    help="another back-to-back pair of runs (repeatable)")
    args = ap.parse_args()
    benches, torches = [], []
    for bench_path, torch_path in [(args.bench, args.torch)] + args.also:
        with open(bench_path) as f:
            benches.append(json.load(f))
        with open(torch_path) as f:
            torches.append(json.load(f))
    bench, torch = merge_bench(benches), torches[0]
    torch_gflops = {}
    for t in torches:
        for row in t["layers"]:
            torch_gflops[row["name"]] = max(row["gflops"], torch_gflops.get(row["name"], 0))

    suites = {}
    for row in bench["rows"]:
        layer = suites.setdefault(row["suite"], {}).setdefault(
            row["name"], {"auto": None, "forced": {}, "baseline": None, "row": row})
        if row["mode"] == "auto":
            layer["auto"] = row
        elif row["mode"] == "forced":
            layer["forced"][row["algo"]] = row
        else:
            layer["baseline"] = row
    dev = bench["device"]
    ceil = bench.get("ceilings", {})
    out = [f"Device: {dev['name']} ({dev['platform']} {dev['driver_version']}), "
           f"{dev['compute_units']} compute units; ceilings {fmt(ceil.get('gflops'), '.0f')} "
           f"GFLOP/s, {fmt(ceil.get('gbps'), '.1f')} GB/s; PyTorch {torch.get('torch', '?')} "
           f"{peer_where(torch)}.", ""]
    summary, half_summary = [], []
    for suite, layers in suites.items():
        layers = {n: r for n, r in layers.items() if r["auto"]}
        if any(r["auto"]["shape"].get("dtype") == "f16" for r in layers.values()):
            lines, gm_half = half_pairs_table(suite, layers)
            out += lines + [""]
            half_summary.append((suite, gm_half))
            continue
        lines, gm_torch, gm_blas = layer_table(suite, layers, torch_gflops)
        out += lines + [""]
        summary.append((suite, gm_torch, gm_blas))
        if suite == "mobilenetv2":
            for label, pick in (("depthwise layers", True), ("other layers", False)):
                part = [r["auto"]["gflops"] / torch_gflops[n] for n, r in layers.items()
                        if is_depthwise(r["auto"]) == pick and torch_gflops.get(n)]
                summary.append((f"mobilenetv2 ({label})", geomean(part), None))
    out += ["**Summary** (geometric means of AUTO's ratios)", "",
            "| suite | x PyTorch | x CLBlast convgemm |", "|---|---:|---:|"]
    for suite, gm_torch, gm_blas in summary:
        out.append(f"| {suite} | {fmt(gm_torch, '.2f')} | {fmt(gm_blas, '.1f')} |")
    for suite, gm_half in half_summary:
        out += ["", f"{suite}: float16 storage runs {fmt(gm_half, '.2f')}x the speed of float32 "
                "(geometric mean over the memory-bound pairs)."]
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
