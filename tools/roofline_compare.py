"""clconv-report --compare: two clconv-bench runs (two devices, or before and after a change)
on one chart, and the per-layer speed-ups of their AUTO runs (A time / B time)."""
import json
import math
import os
import sys


def geomean(values):
    vals = [v for v in values if v and v > 0 and math.isfinite(v)]
    return math.exp(sum(math.log(v) for v in vals) / len(vals)) if vals else None


def fmt(v, digits=2, suffix=""):
    return "–" if v is None else f"{v:.{digits}f}{suffix}"


def auto_by_layer(bench):
    return {(r["suite"], r["name"]): r for r in bench["rows"] if r["mode"] == "auto"}


def compare(paths, out):
    """Writes compare.png/.svg, compare.md and compare.json into out; the exit status."""
    benches = []
    for p in paths:
        try:
            with open(p, encoding="utf-8") as f:
                b = json.load(f)
            b["rows"], b["ceilings"]["gflops"]  # noqa: B018  (the fields the comparison reads)
        except (OSError, ValueError, KeyError, TypeError) as e:
            print(f"clconv-report: --compare {p}: not a clconv-bench JSON ({e})",
                  file=sys.stderr)
            return 1
        benches.append(b)
    labels = []
    for p, b in zip(paths, benches):
        d = os.path.basename(os.path.dirname(os.path.abspath(p)))
        labels.append(f"{d or p} ({b.get('device', {}).get('name', '?')})")
    if labels[0] == labels[1]:
        labels = [f"A: {labels[0]}", f"B: {labels[1]}"]
    os.makedirs(out, exist_ok=True)
    a, b = (auto_by_layer(x) for x in benches)
    common = [k for k in a if k in b]
    rows = []
    for k in common:
        ta, tb = a[k]["median_s"], b[k]["median_s"]
        rows.append({"suite": k[0], "name": k[1], "a_s": ta, "b_s": tb,
                     "a_algo": a[k]["variant"] or a[k]["algo"],
                     "b_algo": b[k]["variant"] or b[k]["algo"],
                     "speedup": ta / tb if tb > 0 else None})
    plot_ok = True
    try:
        import roofline_plot

        roofline_plot.plot_compare(list(zip(labels, benches)), os.path.join(out, "compare"))
    except ImportError as e:
        plot_ok = False
        print(f"clconv-report: no chart: {e}", file=sys.stderr)
    g = geomean([r["speedup"] for r in rows])
    L = ["# clconv comparison\n", f"A: `{paths[0]}` — {labels[0]}  ", f"B: `{paths[1]}` — "
         f"{labels[1]}\n", "Speed-up = A's median time / B's median time of the AUTO run (> 1: "
         "B is faster).\n"]
    if plot_ok:
        L.append("![comparison](compare.png)\n")
    L.append("| suite | layer | A ms | B ms | speed-up | A variant | B variant |\n"
             "|---|---|---:|---:|---:|---|---|")
    for r in rows:
        L.append(f"| {r['suite']} | {r['name']} | {r['a_s'] * 1e3:.4f} | {r['b_s'] * 1e3:.4f} | "
                 f"{fmt(r['speedup'], 2, 'x')} | {r['a_algo']} | {r['b_algo']} |")
    only = [k for k in a if k not in b] + [k for k in b if k not in a]
    L.append(f"\nGeometric mean speed-up over {len(rows)} layers: {fmt(g, 3, 'x')}."
             + (f" {len(only)} layer(s) appear in one run only." if only else "") + "\n")
    with open(os.path.join(out, "compare.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(L))
    with open(os.path.join(out, "compare.json"), "w", encoding="utf-8") as f:
        json.dump({"a": paths[0], "b": paths[1], "labels": labels, "layers": rows,
                   "geomean_speedup": g, "only_in_one": [list(k) for k in only]}, f, indent=2)
        f.write("\n")
    print(f"clconv-report: {len(rows)} layers compared, geomean speed-up {fmt(g, 3, 'x')}; "
          f"wrote {out}/compare.md", file=sys.stderr)
    return 0 if (plot_ok and rows) else 1
