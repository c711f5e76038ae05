#!/usr/bin/env python3
"""Roofline chart of a clconv-bench run (PNG and SVG), with Debian's python3-matplotlib.

  roofline_plot.py BENCH_JSON [--peak PEAK_JSON] [--out PREFIX] [--label N] [--title TEXT]

Log-log axes: arithmetic intensity (FLOP/byte) against GFLOP/s. The measured roofs are solid
(compute ceiling, memory slope, ridge point marked); one dashed roof per memory level of
clconv-peak's working-set sweep; a theoretical compute estimate only where it lies above the
measured peak (an estimate below a measurement is wrong, and is said so in the legend, not
drawn). One dot per layer: its AUTO run, coloured by suite, marker by the algorithm AUTO chose.
The N layers furthest below their roof are labelled; dots above the roof of the memory level
their compulsory bytes fit in are ringed in red. A second panel shows each layer's time
against its FLOPs with the launch floor (an empty kernel) as a line; layers within 2x of it
are ringed in grey on both panels. Writes PREFIX.png and PREFIX.svg.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import roofline_model  # noqa: E402  (next to this file, in the source and the install tree)

MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "<", ">"]


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def auto_rows(bench):
    return [r for r in bench["rows"] if r["mode"] == "auto" and r["gflops"] and r["intensity"]]


def plot(bench, peak, prefix, label_count=5, title=None):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    ceil = bench["ceilings"]
    gflops, gbps = float(ceil["gflops"]), float(ceil["gbps"])
    ridge = gflops / gbps
    levels, floor = roofline_model.annotate(bench, peak)
    rows = auto_rows(bench)
    theo, _, theo_is_ceiling = roofline_model.theoretical(bench, peak)

    xs = [r["intensity"] for r in rows] + [ridge]
    ys = [r["gflops"] for r in rows] + [gflops]
    if theo and theo_is_ceiling:
        ys.append(theo)
    x_lo, x_hi = min(xs) / 3, max(xs) * 3
    y_lo, y_hi = min(ys) / 3, max(ys) * 3

    fig, (ax, tax) = plt.subplots(1, 2, figsize=(14, 6.5),
                                  gridspec_kw={"width_ratios": [2.2, 1]})
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
    level_colours = plt.get_cmap("Dark2")
    for i, L in enumerate(levels):
        ax.plot(grid, [min(gflops, L["gbps"] * x) for x in grid], color=level_colours(i % 8),
                lw=1.2, ls="--",
                label=f"{L['name']} roof: {L['gbps']:.1f} GB/s (working sets <= "
                      f"{L['bytes'] / 1024:.0f} KiB)")
    if theo and theo_is_ceiling:
        ax.axhline(theo, color="grey", ls="--", lw=1.2,
                   label=f"theoretical compute (estimate): {theo:.1f} GFLOP/s")
    elif theo:
        ax.plot([], [], ls="none",
                label=f"theoretical estimate {theo:.1f} GFLOP/s is below the measured peak: "
                      "wrong, not drawn")
    if peak and peak.get("flops_f16", {}).get("measured"):
        f16 = float(peak["flops_f16"]["gflops"])
        ax.axhline(f16, color="tab:purple", ls=":", lw=1.2,
                   label=f"measured float16 compute: {f16:.1f} GFLOP/s")

    suites = sorted({r["suite"] for r in rows})
    algos = sorted({r["algo"] for r in rows})
    cmap = plt.get_cmap("tab10")
    colour = {s: cmap(i % 10) for i, s in enumerate(suites)}
    marker = {a: MARKERS[i % len(MARKERS)] for i, a in enumerate(algos)}
    above = lambda r: r.get("exceeds_level_roof", r.get("exceeds_roof"))
    for r in rows:
        for axis, x in ((ax, r["intensity"]), (tax, r["flops"])):
            y = r["gflops"] if axis is ax else r["median_s"] * 1e3
            axis.scatter(x, y, color=colour[r["suite"]], marker=marker[r["algo"]], s=42,
                         edgecolors="black", linewidths=0.4, zorder=3)
            if r.get("near_launch_floor"):
                axis.scatter(x, y, s=220, facecolors="none", edgecolors="grey", linewidths=1.2,
                             zorder=4)
        if above(r):
            ax.scatter(r["intensity"], r["gflops"], s=160, facecolors="none",
                       edgecolors="red", linewidths=1.5, zorder=4)
    # the layers furthest below their roof
    pct = lambda r: r.get("level_roof_pct") or r["roof_pct"]
    worst = sorted(rows, key=pct)[:label_count]
    for r in worst:
        ax.annotate(f"{r['name']} ({pct(r):.1f}%)", (r["intensity"], r["gflops"]),
                    textcoords="offset points", xytext=(5, 4), fontsize=7)

    # legends: roofs, suites (colour), algorithms (marker)
    roof_legend = ax.legend(loc="lower right", fontsize=7)
    ax.add_artist(roof_legend)
    handles = [Line2D([], [], color=colour[s], marker="o", ls="none", label=s) for s in suites]
    handles += [Line2D([], [], color="grey", marker=marker[a], ls="none", label=f"algo: {a}")
                for a in algos]
    if any(above(r) for r in rows):
        handles.append(Line2D([], [], color="red", marker="o", mfc="none", ls="none",
                              label="above its level's roof: ceiling too low"))
    if any(r.get("near_launch_floor") for r in rows):
        handles.append(Line2D([], [], color="grey", marker="o", mfc="none", ls="none", ms=10,
                              label="within 2x of the launch floor"))
    ax.legend(handles=handles, loc="upper left", fontsize=8)

    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    ax.set_xlabel("arithmetic intensity (FLOP / byte of compulsory traffic)")
    ax.set_ylabel("GFLOP/s (counted FLOPs)")
    dev = bench.get("device", {})
    ax.set_title(title or f"clconv roofline: {dev.get('name', '?')} ({dev.get('platform', '?')})",
                 fontsize=10)
    ax.grid(True, which="both", ls=":", lw=0.5, alpha=0.6)

    tax.set_xscale("log")
    tax.set_yscale("log")
    if floor:
        tax.axhline(floor * 1e3, color="black", lw=1.5,
                    label=f"launch floor: {floor * 1e6:.1f} us (empty kernel)")
        tax.axhline(roofline_model.NEAR_FLOOR * floor * 1e3, color="grey", ls="--", lw=1,
                    label=f"{roofline_model.NEAR_FLOOR:g}x the launch floor")
        tax.legend(loc="upper left", fontsize=7)
    tax.set_xlabel("counted FLOPs of the layer")
    tax.set_ylabel("median time (ms)")
    tax.set_title(f"time against work (timing: {bench.get('timing_mode', 'events')})",
                  fontsize=10)
    tax.grid(True, which="both", ls=":", lw=0.5, alpha=0.6)
    fig.tight_layout()
    paths = [prefix + ".png", prefix + ".svg"]
    fig.savefig(paths[0], dpi=130)
    fig.savefig(paths[1])
    plt.close(fig)
    return paths


def plot_compare(benches, prefix, title=None):
    """Both runs' AUTO rows on one roofline: (label, bench) pairs; each run's measured roof,
    a line from a layer's first dot to its second."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 6.5))
    ax.set_xscale("log")
    ax.set_yscale("log")
    allrows = [r for _, b in benches for r in auto_rows(b)]
    ceils = [b["ceilings"] for _, b in benches]
    xs = [r["intensity"] for r in allrows] + [c["gflops"] / c["gbps"] for c in ceils]
    ys = [r["gflops"] for r in allrows] + [c["gflops"] for c in ceils]
    x_lo, x_hi = min(xs) / 3, max(xs) * 3
    grid = [x_lo * (x_hi / x_lo) ** (i / 200) for i in range(201)]
    styles = [("tab:blue", "o", "-"), ("tab:orange", "^", "--")]
    points = []
    for (label, b), (col, mk, ls) in zip(benches, styles):
        c = b["ceilings"]
        ax.plot(grid, [min(c["gflops"], c["gbps"] * x) for x in grid], color=col, lw=1.8,
                ls=ls, label=f"{label} roof: {c['gflops']:.1f} GFLOP/s, {c['gbps']:.1f} GB/s")
        rows = {(r["suite"], r["name"]): r for r in auto_rows(b)}
        points.append(rows)
        ax.scatter([r["intensity"] for r in rows.values()], [r["gflops"] for r in rows.values()],
                   color=col, marker=mk, s=40, edgecolors="black", linewidths=0.4, zorder=3,
                   label=f"{label}: AUTO runs")
    for key in points[0].keys() & points[1].keys():
        a, b = points[0][key], points[1][key]
        ax.plot([a["intensity"], b["intensity"]], [a["gflops"], b["gflops"]], color="grey",
                lw=0.6, zorder=2)
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(min(ys) / 3, max(ys) * 3)
    ax.set_xlabel("arithmetic intensity (FLOP / byte of compulsory traffic)")
    ax.set_ylabel("GFLOP/s (counted FLOPs)")
    ax.set_title(title or "clconv roofline: " + " vs ".join(l for l, _ in benches), fontsize=10)
    ax.grid(True, which="both", ls=":", lw=0.5, alpha=0.6)
    ax.legend(loc="lower right", fontsize=8)
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
