#!/usr/bin/env python3
"""clconv-tune end to end, and its care for an existing database.

  test_tune.py CLCONV_TUNE CLCONV_BENCH SUITE_FILE

1. Tunes the suite into a fresh file: format version 2, the device's header, one layer line
   per suite layer with variant=seconds times, fastest first; then AUTO uses that file
   (clconv-bench with CLCONV_TUNING_FILE: every AUTO row runs the layer's tuned variant and
   CLCONV_VERBOSE says "tuning database exact match").
2. Never overwrites a file it cannot read or parse: a corrupt file, a version-1 file and a
   file of another device are left byte for byte unchanged, with exit status 1 and a message
   naming --fresh; --fresh replaces one.
3. Keeps what is there: a valid database larger than 4 MiB (comment lines) gains the newly
   tuned layer and keeps its own entries.
"""
import json
import os
import stat
import subprocess
import sys
import tempfile

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what, file=sys.stderr)
    return cond


def run(cmd, env=None):
    print("$ " + " ".join(cmd), file=sys.stderr, flush=True)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, env=env)
    return p


def read(path):
    with open(path, "rb") as f:
        return f.read()


def layer_lines(text):
    return [l for l in text.splitlines() if l.startswith("layer ")]


def layer_key(words):
    """The 22 shape fields of a layer line (after "layer")."""
    return tuple(words[:22])


def row_key(r):
    s = r["shape"]
    return (r["kind"], str(s["n"]), str(s["c"]), str(s["h"]), str(s["w"]), str(s["oc"]),
            str(s["kh"]), str(s["kw"]), str(s["sh"]), str(s["sw"])) + tuple(
                str(p) for p in s["pad"]) + (str(s["dh"]), str(s["dw"]), str(s["groups"]),
                                             str(s["oph"]), str(s["opw"]), str(s["bias"]),
                                             s["padding_mode"], s["dtype"])


def check_database(path, nlayers):
    """Checks the file written by the first run; returns (device line, driver line, times)."""
    text = read(path).decode("utf-8")
    lines = text.splitlines()
    check(lines and lines[0] == "clconv-tuning 2", f"first line 'clconv-tuning 2' ({lines[:1]})")
    check(len(lines) > 2 and lines[1].startswith("device ") and lines[2].startswith("driver "),
          "device and driver lines")
    layers = layer_lines(text)
    check(len(layers) == nlayers, f"{len(layers)} layer lines, {nlayers} layers in the suite")
    times = {}
    for line in layers:
        words = line.split()[1:]
        check(len(words) > 22, f"a layer line has times: {line}")
        pairs = [w.split("=", 1) for w in words[22:]]
        ok = all(len(p) == 2 and p[0] and float(p[1]) > 0 for p in pairs)
        check(ok, f"times are variant=seconds: {line}")
        if not ok:
            continue
        names = [p[0] for p in pairs]
        secs = [float(p[1]) for p in pairs]
        check(secs == sorted(secs), f"fastest first: {line}")
        check(len(set(names)) == len(names), f"each variant once: {line}")
        times[layer_key(words)] = names
    return (lines[1] if len(lines) > 1 else "", lines[2] if len(lines) > 2 else "", times)


def check_auto_uses(bench, suite, db, times, tmp, env):
    out = os.path.join(tmp, "bench.json")
    e = dict(env, CLCONV_TUNING_FILE=db, CLCONV_VERBOSE="1")
    p = run([bench, "--no-baseline", "--ceiling-gflops", "100", "--ceiling-gbps", "10", "--json",
             out, suite], env=e)
    if not check(p.returncode == 0, f"clconv-bench with the database: exit {p.returncode}\n"
                 f"{p.stderr[-3000:]}"):
        return
    with open(out, encoding="utf-8") as f:
        rows = json.load(f)["rows"]
    auto = [r for r in rows if r["mode"] == "auto"]
    check(len(auto) == len(times), f"{len(auto)} AUTO rows, {len(times)} tuned layers")
    for r in auto:
        tuned = times.get(row_key(r))
        if check(tuned, f"{r['name']}: its shape is in the database ({row_key(r)})"):
            check(r.get("variant") == tuned[0],
                  f"{r['name']}: AUTO ran the tuned variant {tuned[0]} ({r.get('variant')})")
    n = p.stderr.count("tuning database exact match")
    check(n >= len(times), f"CLCONV_VERBOSE: {n} exact matches, {len(times)} layers")


def check_refused(tune, path, content, expect, env, spec):
    with open(path, "wb") as f:
        f.write(content)
    p = run([tune, "--repeats", "1", "--output", path, spec], env=env)
    check(p.returncode == 1, f"{os.path.basename(path)}: exit 1 ({p.returncode})")
    check(read(path) == content, f"{os.path.basename(path)}: left unchanged")
    check(expect in p.stderr and "--fresh" in p.stderr and "left unchanged" in p.stderr,
          f"{os.path.basename(path)}: message says {expect!r}, left unchanged, --fresh "
          f"({p.stderr.strip()[:300]})")
    check("tuning " not in p.stdout, f"{os.path.basename(path)}: refused before timing")


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: test_tune.py CLCONV_TUNE CLCONV_BENCH SUITE_FILE")
    tune, bench, suite = sys.argv[1:]
    env = dict(os.environ)
    for k in ("CLCONV_TUNING_FILE", "CLCONV_ALGO", "CLCONV_VARIANT", "CLCONV_VERBOSE"):
        env.pop(k, None)
    with open(suite, encoding="utf-8") as f:
        nlayers = sum(1 for l in f if l.split("#", 1)[0].split())
    spec = "--input 1x4x6x6 --out-channels 4 --kernel 1 --name small"
    small_key = ("conv", "1", "4", "6", "6", "4", "1", "1", "1", "1", "0", "0", "0", "0", "1",
                 "1", "1", "0", "0", "1", "zeros", "f32")
    with tempfile.TemporaryDirectory(prefix="clconv-tune-test-") as tmp:
        # 1. a fresh database, then AUTO on it; --output never makes folders
        db = os.path.join(tmp, "sub", "db.txt")
        p = run([tune, "--repeats", "1", "--output", db, spec], env=env)
        check(p.returncode == 1 and not os.path.exists(os.path.dirname(db)),
              f"--output into a missing folder: exit 1, no folder made ({p.returncode})")
        os.mkdir(os.path.dirname(db))
        p = run([tune, "--repeats", "1", "--output", db, suite], env=env)
        print(p.stdout + p.stderr, file=sys.stderr)
        if not check(p.returncode == 0, f"clconv-tune: exit {p.returncode}"):
            return 1
        device, driver, times = check_database(db, nlayers)
        check(f"wrote {nlayers} layer(s)" in p.stdout, "clconv-tune says what it wrote")
        check_auto_uses(bench, suite, db, times, tmp, env)

        # 2. files it must not overwrite
        check_refused(tune, os.path.join(tmp, "corrupt.txt"), b"\x7fELF not a database\n",
                      "not a clconv tuning database", env, spec)
        v1 = (f"clconv-tuning 1\n{device}\n{driver}\nlayer conv 1 4 9 9 4 3 3 1 1 0 0 0 0 1 1 "
              "1 0 0 1 zeros f32 direct=0.001\n").encode()
        check_refused(tune, os.path.join(tmp, "v1.txt"), v1, "run clconv-tune again", env, spec)
        other = read(db).replace(device.encode(), b"device Some Other GPU", 1)
        check_refused(tune, os.path.join(tmp, "other.txt"), other, "Some Other GPU", env, spec)
        fresh = os.path.join(tmp, "corrupt.txt")
        p = run([tune, "--repeats", "1", "--fresh", "--output", fresh, spec], env=env)
        check(p.returncode == 0, f"--fresh over a corrupt file: exit {p.returncode}")
        check(read(fresh).startswith(b"clconv-tuning 2\n")
              and len(layer_lines(read(fresh).decode())) == 1,
              "--fresh: a new database with the one layer")

        # only regular files are written: a FIFO stays a FIFO, a link is written through
        fifo = os.path.join(tmp, "fifo")
        os.mkfifo(fifo)
        p = run([tune, "--repeats", "1", "--fresh", "--output", fifo, spec], env=env)
        check(p.returncode == 1 and stat.S_ISFIFO(os.stat(fifo).st_mode)
              and "not a regular file" in p.stderr,
              f"--output FIFO: refused, left a FIFO ({p.returncode}, {p.stderr.strip()[:200]})")
        target, link = os.path.join(tmp, "target.txt"), os.path.join(tmp, "link.txt")
        with open(target, "w", encoding="utf-8") as f:
            f.write("old\n")
        os.symlink(target, link)
        p = run([tune, "--repeats", "1", "--fresh", "--output", link, spec], env=env)
        check(p.returncode == 0 and os.path.islink(link)
              and read(target).startswith(b"clconv-tuning 2\n"),
              f"--output link: written through to its target ({p.returncode})")

        # 3. a valid database over 4 MiB keeps its entries
        big = os.path.join(tmp, "big.txt")
        text = read(db).decode()
        head, rest = text.split("\n", 3)[:3], text.split("\n", 3)[3]
        pad = ("# " + "x" * 1000 + "\n") * 5000  # 5 MB of comments
        with open(big, "w", encoding="utf-8") as f:
            f.write("\n".join(head) + "\n" + pad + rest)
        check(os.path.getsize(big) > 4 << 20, "the large database is over 4 MiB")
        p = run([tune, "--repeats", "1", "--output", big, spec], env=env)
        check(p.returncode == 0, f"large database: exit {p.returncode} ({p.stderr.strip()[:300]})")
        after = layer_lines(read(big).decode())
        keys = [layer_key(l.split()[1:]) for l in after]
        check(len(after) == nlayers + 1 and small_key in keys
              and all(k in keys for k in times),
              f"large database: its {nlayers} layers kept and the new one added ({len(after)})")

        # bad arguments
        p = run([tune, "--repeats", "0", spec], env=env)
        check(p.returncode == 2 and "--repeats 0" in p.stderr, "--repeats 0: exit 2")
        p = run([tune, "--help"], env=env)
        check(p.returncode == 0 and "--fresh" in p.stdout and "version 2" in p.stdout,
              "--help describes --fresh and the format")
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("clconv-tune: all checks passed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
