#!/usr/bin/env python3
"""Roofline chart of a clconv-bench run (PNG and SVG), with Debian's python3-matplotlib.

  roofline_plot.py BENCH_JSON [--peak PEAK_JSON] [--out PREFIX] [--label N] [--title TEXT]

Log-log axes: arithmetic intensity (FLOP/byte) against GFLOP/s. The measured roofs are solid
(compute ceiling, memory slope, ridge point marked); theoretical roofs, when the ceilings
carry them, are dashed. One dot per layer: its AUTO run, coloured by suite, marker by the
algorithm AUTO chose. The N layers furthest below their roof are labelled; dots above their
roof (a ceiling that is too low) are ringed in red. Writes PREFIX.png and PREFIX.svg.
"""
import argparse
import json
import math
import os
import sys

MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "<", ">"]


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def theoretical_gflops(bench, peak):
    """The theoretical float32 peak (GFLOP/s) and its basis, from the peak file or the bench
    file's own measured ceilings; (None, None) when not computable."""
    for doc in (peak, bench.get("ceilings", {}).get("peak") if bench else None):
        if doc and isinstance(doc.get("theoretical"), dict):
            t = doc["theoretical"]
            if t.get("gflops_f32"):
                return float(t["gflops_f32"]), t.get("basis", "")
    return None, None


def auto_rows(bench):
    return [r for r in bench["rows"] if r["mode"] == "auto" and r["gflops"] and r["intensity"]]


def plot(bench, peak, prefix, label_count=5, title=None):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ceil = bench["ceilings"]
    gflops, gbps = float(ceil["gflops"]), float(ceil["gbps"])
    ridge = gflops / gbps
    rows = auto_rows(bench)
    theo, _ = theoretical_gflops(bench, peak)

    xs = [r["intensity"] for r in rows] + [ridge]
    ys = [r["gflops"] for r in rows] + [gflops]
    if theo:
        ys.append(theo)
    x_lo, x_hi = min(xs) / 3, max(xs) * 3
    y_lo, y_hi = min(ys) / 3, max(ys) * 3

    fig, ax = plt.subplots(figsize=(10, 6.5))
    ax.set_xscale("log")
    ax.set_yscale("log")
    # measured roof: min(peak, bandwidth * intensity)
    steps = 200
    grid = [x_lo * (x_hi / x_lo) ** (i / steps) for i in range(steps + 1)]
    gbps_from = ((peak or {}).get("roof") or {}).get("gbps_from") or ceil.get("gbps_from", "")
    ax.plot(grid, [min(gflops, gbps * x) for x in grid], color="black", lw=2,
            label=f"measured roof: {gflops:.1f} GFLOP/s, {gbps:.1f} GB/s ({gbps_from})")
    ax.plot([ridge], [gflops], marker="o", color="black", ms=6, ls="none")
    ax.annotate(f"ridge {ridge:.2f} FLOP/B", (ridge, gflops), textcoords="offset points",
                xytext=(6, -14), fontsize=8)
    if theo:
        ax.axhline(theo, color="grey", ls="--", lw=1.2,
                   label=f"theoretical compute (estimate): {theo:.1f} GFLOP/s")
    if peak and peak.get("flops_f16", {}).get("measured"):
        f16 = float(peak["flops_f16"]["gflops"])
        ax.axhline(f16, color="tab:purple", ls=":", lw=1.2,
                   label=f"measured float16 compute: {f16:.1f} GFLOP/s")

    suites = sorted({r["suite"] for r in rows})
    algos = sorted({r["algo"] for r in rows})
    cmap = plt.get_cmap("tab10")
    colour = {s: cmap(i % 10) for i, s in enumerate(suites)}
    marker = {a: MARKERS[i % len(MARKERS)] for i, a in enumerate(algos)}
    for r in rows:
        ax.scatter(r["intensity"], r["gflops"], color=colour[r["suite"]], marker=marker[r["algo"]],
                   s=42, edgecolors="black", linewidths=0.4, zorder=3)
        if r.get("exceeds_roof"):
            ax.scatter(r["intensity"], r["gflops"], s=160, facecolors="none",
                       edgecolors="red", linewidths=1.5, zorder=4)
    # the layers furthest below their roof
    worst = sorted(rows, key=lambda r: r["roof_pct"])[:label_count]
    for r in worst:
        ax.annotate(f"{r['name']} ({r['roof_pct']:.1f}%)", (r["intensity"], r["gflops"]),
                    textcoords="offset points", xytext=(5, 4), fontsize=7)

    # legends: roofs, suites (colour), algorithms (marker)
    from matplotlib.lines import Line2D

    roof_legend = ax.legend(loc="lower right", fontsize=8)
    ax.add_artist(roof_legend)
    handles = [Line2D([], [], color=colour[s], marker="o", ls="none", label=s) for s in suites]
    handles += [Line2D([], [], color="grey", marker=marker[a], ls="none", label=f"algo: {a}")
                for a in algos]
    if any(r.get("exceeds_roof") for r in rows):
        handles.append(Line2D([], [], color="red", marker="o", mfc="none", ls="none",
                              label="above its roof: ceiling too low"))
    ax.legend(handles=handles, loc="upper left", fontsize=8)

    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    ax.set_xlabel("arithmetic intensity (FLOP / byte of compulsory traffic)")
    ax.set_ylabel("GFLOP/s")
    dev = bench.get("device", {})
    ax.set_title(title or f"clconv roofline: {dev.get('name', '?')} ({dev.get('platform', '?')})",
                 fontsize=10)
    ax.grid(True, which="both", ls=":", lw=0.5, alpha=0.6)
    fig.tight_layout()
    paths = [prefix + ".png", prefix + ".svg"]
    fig.savefig(paths[0], dpi=130)
    fig.savefig(paths[1])
    plt.close(fig)
    return paths


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bench_json")
    ap.add_argument("--peak", help="clconv-peak JSON (theoretical and float16 roofs)")
    ap.add_argument("--out", default="roofline", help="output prefix (default: roofline)")
    ap.add_argument("--label", type=int, default=5, help="label the N layers furthest below "
                    "their roof (default 5)")
    ap.add_argument("--title")
    args = ap.parse_args(argv)
    bench = load_json(args.bench_json)
    peak = load_json(args.peak) if args.peak else None
    if not auto_rows(bench):
        sys.exit(f"roofline_plot: {args.bench_json} has no AUTO rows to plot")
    if os.path.dirname(args.out):
        os.makedirs(os.path.dirname(args.out), exist_ok=True)
    for p in plot(bench, peak, args.out, args.label, args.title):
        print(p)


if __name__ == "__main__":
    main()
