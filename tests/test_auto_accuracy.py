#!/usr/bin/env python3
"""tools/auto_accuracy.py on a synthetic clconv-bench JSON with known answers: the per-layer
ratio uses the forced run of AUTO's algorithm, the fraction within the tolerance, a layer
without forced rows is left out, and unreadable input exits 2."""
import json
import os
import subprocess
import sys
import tempfile

script = sys.argv[1]


def row(name, mode, algo, ms):
    return {"name": name, "mode": mode, "algo": algo, "median_s": ms / 1e3}


rows = [
    # AUTO chose the fastest: ratio 1.00 even though its own run was slower
    row("a", "auto", "tiled", 3.0), row("a", "forced", "direct", 9.0),
    row("a", "forced", "tiled", 2.0),
    # AUTO chose an algorithm 5% slower than the fastest: within 10%
    row("b", "auto", "direct", 1.0), row("b", "forced", "direct", 1.05),
    row("b", "forced", "depthwise", 1.0),
    # AUTO chose one 2x slower: a miss
    row("c", "auto", "gemm", 4.0), row("c", "forced", "gemm", 4.0),
    row("c", "forced", "tiled", 2.0),
    # no forced rows: not counted
    row("d", "auto", "direct", 1.0),
]
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "bench.json")
    with open(path, "w") as f:
        json.dump({"tool": "clconv-bench", "rows": rows}, f)
    out = subprocess.run([sys.executable, script, path], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    lines = {l.split()[0]: l.split() for l in out.stdout.splitlines() if l[:2] in ("a ", "b ", "c ")}
    assert lines["a"][5] == "1.00" and lines["b"][5] == "1.05" and lines["c"][5] == "2.00", out.stdout
    assert "<-- over" in " ".join(lines["c"]) and "<-- over" not in " ".join(lines["b"]), out.stdout
    assert "2/3 layers (67%)" in out.stdout and "outright: 1/3" in out.stdout, out.stdout
    md = subprocess.run([sys.executable, script, "--markdown", "--tolerance", "0.01", path],
                        capture_output=True, text=True)
    assert md.returncode == 0 and "| b | direct |" in md.stdout, md.stdout
    assert "1/3 layers" in md.stdout, md.stdout
    with open(path, "w") as f:
        f.write("{not json")
    bad = subprocess.run([sys.executable, script, path], capture_output=True, text=True)
    assert bad.returncode == 2 and "auto_accuracy" in bad.stderr, bad.stderr
print("auto_accuracy: ok")
