#!/usr/bin/env python3
"""AUTO's accuracy from a clconv-bench JSON: per layer, AUTO's time over the fastest forced
algorithm's time, and the fraction of layers where AUTO is within a tolerance (default 10%).

    tools/auto_accuracy.py BENCH.json [--tolerance 0.10] [--markdown]

Times are the medians clconv-bench recorded. AUTO's own run and the forced run of the same
algorithm are timed separately, so on a noisy machine AUTO can come out slower than the
forced run of the algorithm it chose; the "chose best" column says whether AUTO picked the
algorithm that measured fastest, independent of that noise. Exit status 0, or 2 for
unreadable input.
"""
import argparse
import json
import sys


def load_rows(path):
    with open(path) as f:
        data = json.load(f)
    rows = data.get("rows") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise ValueError(f"{path}: no 'rows' list (not a clconv-bench JSON?)")
    return rows


def analyse(rows):
    """Returns [(layer, auto_algo, auto_s, best_algo, best_s, ratio, chose_best)], in order."""
    layers = {}
    order = []
    for r in rows:
        name = r.get("name")
        if name not in layers:
            layers[name] = {"auto": None, "forced": {}}
            order.append(name)
        t = r.get("median_s")
        if not isinstance(t, (int, float)) or t <= 0:
            continue
        if r.get("mode") == "auto":
            layers[name]["auto"] = (r.get("algo"), t)
        elif r.get("mode") == "forced":
            layers[name]["forced"][r.get("algo")] = t
    out = []
    for name in order:
        auto, forced = layers[name]["auto"], layers[name]["forced"]
        if not auto or not forced:
            continue
        best_algo = min(forced, key=forced.get)
        best_s = forced[best_algo]
        # AUTO's choice is judged by the forced run of the same algorithm when there is one
        # (same measurement conditions as the others); its own run is shown alongside.
        chosen_s = forced.get(auto[0], auto[1])
        out.append((name, auto[0], auto[1], best_algo, best_s, chosen_s / best_s,
                    auto[0] == best_algo))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("json")
    ap.add_argument("--tolerance", type=float, default=0.10)
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = ap.parse_args()
    try:
        res = analyse(load_rows(args.json))
    except (OSError, ValueError) as e:
        print(f"auto_accuracy: {e}", file=sys.stderr)
        return 2
    if not res:
        print("auto_accuracy: no layer has both an AUTO and a forced row", file=sys.stderr)
        return 2
    lim = 1 + args.tolerance
    if args.markdown:
        print("| layer | AUTO algo | AUTO ms | fastest | fastest ms | chosen / fastest | within |")
        print("|---|---|---:|---|---:|---:|---|")
    else:
        print(f"{'layer':32s} {'auto':9s} {'auto ms':>9s} {'fastest':9s} {'best ms':>9s} "
              f"{'ratio':>6s}")
    within = 0
    for name, aa, at, ba, bt, ratio, _ in res:
        ok = ratio <= lim
        within += ok
        if args.markdown:
            print(f"| {name} | {aa} | {at * 1e3:.3f} | {ba} | {bt * 1e3:.3f} | {ratio:.2f} | "
                  f"{'yes' if ok else '**no**'} |")
        else:
            print(f"{name:32s} {aa:9s} {at * 1e3:9.3f} {ba:9s} {bt * 1e3:9.3f} {ratio:6.2f}"
                  f"{'' if ok else '  <-- over ' + format(args.tolerance, '.0%')}")
    n = len(res)
    chose = sum(1 for r in res if r[6])
    print(f"\nAUTO within {args.tolerance:.0%} of the fastest forced algorithm: {within}/{n} "
          f"layers ({within / n:.0%}); picked the fastest outright: {chose}/{n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
