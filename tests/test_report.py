#!/usr/bin/env python3
"""The roofline report pipeline on the tiny suite: structure, not timings.

  test_report.py CLCONV_REPORT SUITE_FILE

Runs clconv-report twice into a temporary folder: once with measured (quick) ceilings, once
with a fake ceiling file far below anything measured. Checks the JSON and CSV schemas, that
every layer has its AUTO row and every algorithm a row or a skip with a reason, that every
clconv row names the kernel variant its plan ran ("variant"; null for the baseline), that the
chart files are written, that the ceilings are positive, and that every run above a ceiling
is flagged (all of them with the fake file; bandwidth against the memory level a layer's bytes
fit in). Checks the memory levels and the launch floor of clconv-peak, the timing mode every
row states, executed and counted operations, that a theoretical estimate below the measured
peak is called wrong, --compare on the two runs (per-layer speed-ups) and --onnx on a model
written with onnx.helper where python3-onnx is installed. Also checks that the tools reject
bad arguments with a message naming the option.
"""
import csv
import json
import os
import subprocess
import sys
import tempfile

ROW_KEYS = {"name": str, "suite": str, "kind": str, "params": str, "mode": str, "algo": str,
            "median_s": float, "min_s": float, "macs": int, "flops": int, "bytes": int,
            "intensity": float, "gflops": float, "gbps": float, "roof_gflops": float,
            "roof_pct": float, "bound": str, "exceeds_roof": bool}
CSV_COLUMNS = ["name", "suite", "kind", "params", "mode", "algo", "median_s", "min_s", "macs",
               "flops", "bytes", "intensity", "gflops", "gbps", "roof_gflops", "roof_pct",
               "bound", "variant"]

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what, file=sys.stderr)
    return cond


def close(a, b, rel=1e-3):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-30)


def suite_layers(path):
    names = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if line:
                names.append(line[0])
    return names


def run_report(report, out, extra):
    cmd = [sys.executable, report, "--out", out] + extra
    print("$ " + " ".join(cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def check_peak(peak):
    f32 = peak.get("flops_f32", {})
    check(set(peak.get("device", {})) >= {"name", "platform", "driver_version", "compute_units"},
          "peak.json: device has name, platform, driver_version, compute_units")
    check(f32.get("measured") is True and f32.get("gflops", 0) > 0,
          "peak.json: flops_f32.gflops > 0")
    widths = [w["width"] for w in f32.get("widths", [])]
    check(widths == [1, 2, 4, 8, 16], f"peak.json: widths 1..16 reported ({widths})")
    ok = [w for w in f32.get("widths", []) if w.get("gflops")]
    check(ok and f32["gflops"] == max(w["gflops"] for w in ok)
          and f32["best_width"] == max(ok, key=lambda w: w["gflops"])["width"],
          "peak.json: gflops and best_width are the best width's")
    f16 = peak.get("flops_f16", {})
    check(f16.get("measured") is False and f16.get("note") or f16.get("gflops", 0) > 0,
          "peak.json: flops_f16 measured or a note saying why not")
    bw = peak.get("bandwidth", {})
    check(bw.get("read_gbps", 0) > 0 and bw.get("copy_gbps", 0) > 0,
          "peak.json: read and copy bandwidth > 0")
    levels = peak.get("bandwidth_levels") or []
    check(levels and all(L.get("name") and L.get("bytes", 0) > 0 and L.get("gbps", 0) > 0
                         for L in levels) and levels[-1]["name"] == "DRAM"
          and [L["bytes"] for L in levels] == sorted(L["bytes"] for L in levels),
          f"peak.json: bandwidth_levels ascending, the last DRAM ({levels})")
    check(len(peak.get("sweep") or []) >= len(levels), "peak.json: the sweep behind the levels")
    check((peak.get("launch_floor") or {}).get("seconds", 0) > 0, "peak.json: launch floor > 0")
    check((peak.get("timing") or {}).get("mode") in ("events", "host"), "peak.json: timing mode")
    theo = peak.get("theoretical", {})
    check("basis" in theo and (not theo.get("gflops_f32") or theo.get("estimate") is True),
          "peak.json: theoretical figures carry their basis and are labelled estimates")


def check_bench(bench, layers, out, fake):
    ceil = bench.get("ceilings", {})
    check(ceil.get("gflops", 0) > 0 and ceil.get("gbps", 0) > 0, "bench.json: ceilings > 0")
    check(close(ceil["ridge_flops_per_byte"], ceil["gflops"] / ceil["gbps"]),
          "bench.json: ridge = gflops / gbps")
    rows = bench.get("rows", [])
    check(rows, "bench.json: rows present")
    mode = bench.get("timing_mode")
    check(mode in ("events", "host") and bench.get("timing_check"),
          f"bench.json: timing_mode ({mode}) and the check behind it")
    check("counted" in (bench.get("flops_used") or ""), "bench.json: says which FLOPs it uses")
    for r in rows:
        tag = f"row {r.get('name')}/{r.get('mode')}/{r.get('algo')}"
        check(r.get("timing") == mode, f"{tag}: timing {r.get('timing')} is the run's {mode}")
        check(r.get("executed_from") in ("variant", "counted") and r.get("executed_flops", 0) > 0
              and (r["executed_from"] == "variant" or r["executed_flops"] == r["flops"]),
              f"{tag}: executed_flops ({r.get('executed_flops')}, {r.get('executed_from')})")
    for r in rows:
        for k, t in ROW_KEYS.items():
            v = r.get(k)
            ok = isinstance(v, t) or (t is float and isinstance(v, int) and not isinstance(v, bool))
            check(ok, f"row {r.get('name')}/{r.get('algo')}: {k} is {t.__name__} ({v!r})")
        check("variant" in r, f"row {r.get('name')}/{r.get('algo')}: has a variant field")
        if r.get("mode") == "baseline":
            check(r.get("variant") is None, f"row {r.get('name')}: baseline variant is null")
        else:
            v = r.get("variant")
            check(isinstance(v, str) and v and " " not in v,
                  f"row {r.get('name')}/{r.get('mode')}/{r.get('algo')}: variant names the "
                  f"kernel variant ({v!r})")
        if not all(isinstance(r.get(k), (int, float)) for k in ("median_s", "min_s", "flops")):
            continue
        tag = f"row {r['name']}/{r['mode']}/{r['algo']}"
        check(r["mode"] in ("auto", "forced", "baseline"), f"{tag}: mode")
        check(r["bound"] in ("compute", "memory"), f"{tag}: bound")
        check(0 < r["min_s"] <= r["median_s"], f"{tag}: 0 < min_s <= median_s")
        check(r["flops"] >= 2 * r["macs"] > 0, f"{tag}: flops >= 2 macs > 0")
        check(close(r["intensity"], r["flops"] / r["bytes"]), f"{tag}: intensity = flops/bytes")
        check(close(r["gflops"], r["flops"] / r["median_s"] * 1e-9, 1e-3), f"{tag}: gflops")
        check(close(r["gbps"], r["bytes"] / r["median_s"] * 1e-9, 1e-3), f"{tag}: gbps")
        roof = min(ceil["gflops"], ceil["gbps"] * r["intensity"])
        check(close(r["roof_gflops"], roof), f"{tag}: roof_gflops = min(peak, bw x intensity)")
        check(close(r["roof_pct"], 100 * r["gflops"] / roof, 1e-3), f"{tag}: roof_pct")
        check(r["bound"] == ("compute" if r["intensity"] >= ceil["ridge_flops_per_byte"]
                             else "memory"), f"{tag}: bound agrees with the ridge")
        check(r["exceeds_roof"] == (r["gflops"] > r["roof_gflops"]), f"{tag}: exceeds_roof")
        if fake:
            check(r["exceeds_roof"], f"{tag}: flagged above the fake ceiling")
    skipped = bench.get("skipped", [])
    for s in skipped:
        check(s.get("reason"), f"skip {s.get('name')}/{s.get('algo')}: has a reason")
    # every layer: one AUTO row; every algorithm either ran or was skipped with a reason
    algos_per_layer = {}
    for name in layers:
        auto = [r for r in rows if r["name"] == name and r["mode"] == "auto"]
        check(len(auto) == 1, f"{name}: exactly one AUTO row ({len(auto)})")
        if auto:
            check(any(r["mode"] == "forced" and r["algo"] == auto[0]["algo"] for r in rows
                      if r["name"] == name), f"{name}: AUTO's algorithm also has a forced row")
        ran = {r["algo"] for r in rows if r["name"] == name and r["mode"] == "forced"}
        skip = {s["algo"] for s in skipped if s["name"] == name and s["algo"] != "clblast-convgemm"}
        check(not ran & skip, f"{name}: no algorithm both ran and skipped")
        algos_per_layer[name] = ran | skip
        base = [r for r in rows if r["name"] == name and r["mode"] == "baseline"]
        base_skip = [s for s in skipped if s["name"] == name and s["algo"] == "clblast-convgemm"]
        if bench["baseline"]["available"]:
            check(len(base) + len(base_skip) == 1,
                  f"{name}: the CLBlast baseline ran or was skipped with a reason")
            check(all(r["algo"] == "clblast-convgemm" for r in base), f"{name}: baseline algo")
    sets = list(algos_per_layer.values())
    check(sets and all(s == sets[0] for s in sets) and "direct" in sets[0],
          f"every layer accounts for the same algorithms, direct included ({sets})")
    if bench["baseline"]["available"]:
        check(any(r["mode"] == "baseline" for r in rows),
              "a baseline row for the layer convgemm supports (tiny.conv3x3)")
    else:
        check(bench["baseline"].get("note"), "no baseline: the note says why")

    # CSV: same rows, required columns
    with open(os.path.join(out, "bench.csv"), encoding="utf-8", newline="") as f:
        rd = csv.DictReader(f)
        check(set(CSV_COLUMNS) <= set(rd.fieldnames or []),
              f"bench.csv: columns {CSV_COLUMNS} present ({rd.fieldnames})")
        csv_rows = list(rd)
    check(len(csv_rows) == len(rows), f"bench.csv: {len(csv_rows)} rows, JSON {len(rows)}")
    for c, r in zip(csv_rows, rows):
        check(c["name"] == r["name"] and c["algo"] == r["algo"] and c["mode"] == r["mode"],
              f"bench.csv row {c.get('name')}/{c.get('algo')} matches the JSON")
        check(c.get("variant") == (r.get("variant") or ""),
              f"bench.csv row {c.get('name')}/{c.get('algo')}: variant matches the JSON")
        check(close(float(c["gflops"]), r["gflops"], 1e-4), f"bench.csv {c['name']}: gflops")


def check_outputs(out, layers, fake):
    for name in ("roofline.png", "roofline.svg", "report.md", "peak.json", "bench.json",
                 "bench.csv", "summary.json"):
        p = os.path.join(out, name)
        check(os.path.isfile(p) and os.path.getsize(p) > 0, f"{name} written and non-empty")
    with open(os.path.join(out, "roofline.png"), "rb") as f:
        check(f.read(8) == b"\x89PNG\r\n\x1a\n", "roofline.png is a PNG")
    with open(os.path.join(out, "roofline.svg"), encoding="utf-8") as f:
        check("<svg" in f.read(), "roofline.svg is an SVG")
    peak = load(os.path.join(out, "peak.json"))
    bench = load(os.path.join(out, "bench.json"))
    summary = load(os.path.join(out, "summary.json"))
    if not fake:
        check_peak(peak)
    check_bench(bench, layers, out, fake)
    # the flags: exactly the runs above a ceiling; bandwidth against the level the layer's
    # bytes fit in (the smallest level that holds them, else the last)
    ceil = bench["ceilings"]
    levels = sorted(peak.get("bandwidth_levels") or [], key=lambda L: L["bytes"])

    def level_gbps(r):
        fits = [L for L in levels if r["bytes"] <= L["bytes"]] or levels[-1:]
        return fits[0]["gbps"] if fits else 0

    def explained(r):  # above the compute roof in counted FLOPs, within it as executed
        ex = r.get("executed_flops")
        return bool(ex and ex < r["flops"] and r["gflops"] * ex / r["flops"] <= ceil["gflops"])

    expected = sum((r["gflops"] > ceil["gflops"] and not explained(r)) +
                   (r["gbps"] > max(ceil["gbps"], level_gbps(r))) for r in bench["rows"])
    flags = summary.get("ceiling_flags", [])
    check(len(flags) == expected, f"summary.json: {len(flags)} ceiling flags, expected {expected}")
    s = summary.get("suites", {}).get("tiny", {})
    check(s.get("layers") == len(layers), "summary.json: tiny has every layer")
    check(s.get("geomean_gflops", 0) > 0 and s.get("geomean_roof_pct", 0) > 0,
          "summary.json: geometric means > 0")
    with open(os.path.join(out, "report.md"), encoding="utf-8") as f:
        md = f.read()
    for name in layers:
        check(f"| {name} |" in md, f"report.md: a table row for {name}")
    for heading in ("## Device", "## Ceilings", "### Ceiling check", "## Suite tiny",
                    "![roofline](roofline.png)"):
        check(heading in md, f"report.md: has {heading}")
    check(("FLAG:" in md) == bool(flags), "report.md: FLAG present exactly when runs exceed")
    check(summary.get("ceilings", {}).get("bandwidth_levels") == levels,
          "summary.json: ceilings.bandwidth_levels are clconv-peak's")
    check("| launch floor |" in md and "Timing:" in md, "report.md: launch floor and timing")
    check(("host-clock time" in md) == (bench.get("timing_mode") == "host"),
          "report.md: says host-clock timing exactly when it was used")
    theo = peak.get("theoretical", {})
    if theo.get("gflops_f32"):
        below = theo["gflops_f32"] < peak["flops_f32"]["gflops"]
        check(("wrong, not drawn as a ceiling" in md) == below,
              "report.md: a theoretical estimate below the measured peak is called wrong")
    if fake:
        check(len(flags) >= len(bench["rows"]), "fake ceilings: every run flagged")


def check_compare(report, a, b, tmp):
    out = os.path.join(tmp, "compare")
    cmd = [sys.executable, report, "--compare", os.path.join(a, "bench.json"),
           os.path.join(b, "bench.json"), "--out", out]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    if not check(p.returncode == 0, f"--compare: exit {p.returncode}: {p.stdout[-500:]}"):
        return
    for name in ("compare.png", "compare.md", "compare.json"):
        check(os.path.isfile(os.path.join(out, name)), f"--compare: {name} written")
    doc = load(os.path.join(out, "compare.json"))
    auto = [{(r["suite"], r["name"]): r for r in load(os.path.join(d, "bench.json"))["rows"]
             if r["mode"] == "auto"} for d in (a, b)]
    check(len(doc["layers"]) == len(auto[0]), "--compare: every layer compared")
    with open(os.path.join(out, "compare.md"), encoding="utf-8") as f:
        md = f.read()
    for r in doc["layers"]:
        ta, tb = (x[(r["suite"], r["name"])]["median_s"] for x in auto)
        check(close(r["speedup"], ta / tb), f"--compare {r['name']}: speed-up = A / B time")
        check(f"| {r['name']} |" in md, f"compare.md: a row for {r['name']}")


def check_onnx(report, peak_path, tmp):
    try:
        import onnx
        from onnx import TensorProto, helper
    except ImportError:
        print("python3-onnx is not installed: --onnx is not part of this run", file=sys.stderr)
        return
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 12, 12])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    w1 = helper.make_tensor("w1", TensorProto.FLOAT, [8, 4, 3, 3], [0.0] * 288)
    w2 = helper.make_tensor("w2", TensorProto.FLOAT, [8, 1, 3, 3], [0.0] * 72)
    nodes = [helper.make_node("Conv", ["x", "w1"], ["a"], name="first", pads=[1, 1, 1, 1]),
             helper.make_node("Conv", ["a", "w2"], ["y"], name="dw", group=8, strides=[2, 2],
                              pads=[0, 0, 1, 1])]
    model = helper.make_model(helper.make_graph(nodes, "m", [x], [y], [w1, w2]),
                              opset_imports=[helper.make_opsetid("", 13)])
    path = os.path.join(tmp, "tinynet.onnx")
    onnx.save(model, path)
    out = os.path.join(tmp, "onnx")
    p = run_report(report, out, ["--onnx", path, "--ceilings", peak_path, "--no-baseline"])
    if not check(p.returncode == 0, f"--onnx: exit {p.returncode}: {p.stdout[-800:]}"):
        return
    check(os.path.isfile(os.path.join(out, "tinynet.txt")), "--onnx: the suite file is kept")
    with open(os.path.join(out, "report.md"), encoding="utf-8") as f:
        md = f.read()
    check("## Suite tinynet" in md and "| tinynet.first |" in md and "| tinynet.dw |" in md,
          "--onnx: the report has the model's suite and both layers")


def check_rejections(report_dir, suite):
    bench = os.path.join(report_dir, "clconv-bench")
    peak = os.path.join(report_dir, "clconv-peak")
    cases = [([bench, "--repeats", "2", "x.txt"], "--repeats 2"),
             ([bench, "--input 1x3x8x8 --out-channels 0 --kernel 3"], "out"),
             ([bench, "/nonexistent/suite.txt"], "/nonexistent/suite.txt"),
             ([bench, "--ceiling-gflops", "10", suite], "--ceiling-gbps"),
             ([peak, "--budget", "0"], "--budget 0")]
    for cmd, needle in cases:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True)
        check(p.returncode == 2 and needle in p.stdout,
              f"{' '.join(cmd[1:])}: exit 2 naming {needle!r} (got {p.returncode}: "
              f"{p.stdout.strip()[:200]})")


def check_explained_flags(tools_dir):
    """A run above the compute roof in counted FLOPs that executes fewer operations (Winograd)
    is explained when its executed rate is within the roof, and flagged when it is not."""
    sys.path.insert(0, tools_dir)
    import roofline_model
    base = {"name": "w", "algo": "winograd", "mode": "forced", "gbps": 0.1}
    bench = {"ceilings": {"gflops": 100.0, "gbps": 10.0}, "rows": [
        dict(base, gflops=150.0, flops=1000, executed_flops=500),   # 75 executed: explained
        dict(base, gflops=300.0, flops=1000, executed_flops=500),   # 150 executed: a flag
        dict(base, gflops=150.0, flops=1000)]}                      # no executed count: a flag
    got = [(f["ceiling"], bool(f.get("explained"))) for f in roofline_model.ceiling_check(bench)]
    check(got == [("compute", True), ("compute", False), ("compute", False)],
          f"ceiling_check: executed operations explain only runs within the roof ({got})")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: test_report.py CLCONV_REPORT SUITE_FILE")
    report, suite = sys.argv[1], sys.argv[2]
    check_explained_flags(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
    layers = suite_layers(suite)
    check_rejections(os.path.dirname(os.path.abspath(report)), suite)
    with tempfile.TemporaryDirectory(prefix="clconv-report-test-") as tmp:
        real = os.path.join(tmp, "real")
        p = run_report(report, real, ["--suite", suite, "--quick-peak"])
        print(p.stdout, file=sys.stderr)
        if check(p.returncode == 0, f"clconv-report exit status {p.returncode}"):
            check_outputs(real, layers, fake=False)
        # a ceiling file far below anything measured: every run must be flagged
        peak = load(os.path.join(real, "peak.json")) if os.path.isfile(
            os.path.join(real, "peak.json")) else None
        if peak:
            peak["flops_f32"]["gflops"] = 1e-4
            peak["bandwidth"]["read_gbps"] = peak["bandwidth"]["copy_gbps"] = 1e-6
            peak["roof"] = {"gflops": 1e-4, "gbps": 1e-6, "gbps_from": "read",
                            "ridge_flops_per_byte": 100.0}
            peak["bandwidth_levels"] = [{"name": "L1", "bytes": 65536, "gbps": 2e-6},
                                        {"name": "DRAM", "bytes": 1 << 28, "gbps": 1e-6}]
            peak["theoretical"] = {"gflops_f32": 5e-5, "estimate": True, "basis": "fake"}
            fake_path = os.path.join(tmp, "fake-peak.json")
            with open(fake_path, "w", encoding="utf-8") as f:
                json.dump(peak, f)
            fake = os.path.join(tmp, "fake")
            p = run_report(report, fake, ["--suite", suite, "--ceilings", fake_path])
            print(p.stdout, file=sys.stderr)
            if check(p.returncode == 0, f"clconv-report (fake ceilings) exit {p.returncode}"):
                check_outputs(fake, layers, fake=True)
                check_compare(report, real, fake, tmp)
            check_onnx(report, fake_path, tmp)
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("report pipeline: all checks passed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
