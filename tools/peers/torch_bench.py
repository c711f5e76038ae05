#!/usr/bin/env python3
"""Peer baseline: time clconv's layer suites with PyTorch, on the CPU or on a CUDA GPU.

  torch_bench.py [--device cpu|cuda] [--threads 2] [--reps 5] [--json out.json] SUITE.txt...

SUITE.txt files use the syntax of tools/suites (README.md there): 20 columns, an optional 21st
dtype column (f32, f16), `#` comments. Prints one row per layer and, with --json FILE, writes
the rows as JSON (read by tools/perf_tables.py). FLOPs follow clconv's convention: 2*MACs +
bias additions, MACs output-centric for Conv2d and input-centric for ConvTranspose2d.

--device cpu (default) times torch's CPU kernels with --threads threads (Debian's
python3-torch: run with /usr/bin/python3). --device cuda times cuDNN in strict float32: TF32 is
off for matmul and cuDNN, so the results are comparable with a float32 OpenCL run; each timed
run is bracketed by torch.cuda.synchronize(). f16 layers run in torch.float16 on CUDA; on the
CPU they run in float32 (PyTorch's CPU convolutions have no half kernels): each row's
`computed_dtype` says which.
Exit status: 0 on success, 1 for a bad suite file, 2 for a usage error or a missing device.
"""
import argparse
import json
import statistics
import sys
import time

COLUMNS = "name kind n c h w oc kh kw sh sw ph pw dh dw g oph opw bias mode".split()
DTYPES = ("f32", "f16")


def read_suite(path):
    layers = []
    try:
        f = open(path, encoding="utf-8")
    except OSError as e:
        print(f"torch_bench: {path}: {e.strerror}", file=sys.stderr)
        sys.exit(2)
    with f:
        for number, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            fields = line.split()
            if len(fields) not in (len(COLUMNS), len(COLUMNS) + 1):
                print(f"torch_bench: {path}:{number}: expected {len(COLUMNS)} or "
                      f"{len(COLUMNS) + 1} columns, got {len(fields)}", file=sys.stderr)
                sys.exit(1)
            row = dict(zip(COLUMNS, fields))
            row["dtype"] = fields[len(COLUMNS)] if len(fields) > len(COLUMNS) else "f32"
            try:
                for key in COLUMNS:
                    if key not in ("name", "kind", "mode"):
                        row[key] = int(row[key])
            except ValueError:
                print(f"torch_bench: {path}:{number}: {key} = '{row[key]}' is not an integer",
                      file=sys.stderr)
                sys.exit(1)
            if row["kind"] not in ("conv", "tconv") or row["dtype"] not in DTYPES:
                print(f"torch_bench: {path}:{number}: kind must be conv or tconv and dtype "
                      f"f32 or f16", file=sys.stderr)
                sys.exit(1)
            layers.append(row)
    return layers


def make_module(torch, r):
    if r["kind"] == "conv":
        return torch.nn.Conv2d(r["c"], r["oc"], (r["kh"], r["kw"]), stride=(r["sh"], r["sw"]),
                               padding=(r["ph"], r["pw"]), dilation=(r["dh"], r["dw"]),
                               groups=r["g"], bias=bool(r["bias"]), padding_mode=r["mode"])
    return torch.nn.ConvTranspose2d(r["c"], r["oc"], (r["kh"], r["kw"]), stride=(r["sh"], r["sw"]),
                                    padding=(r["ph"], r["pw"]), output_padding=(r["oph"], r["opw"]),
                                    dilation=(r["dh"], r["dw"]), groups=r["g"], bias=bool(r["bias"]))


def flops(r, out_shape):
    n, oc, ho, wo = out_shape
    k = r["kh"] * r["kw"]
    if r["kind"] == "conv":
        macs = n * oc * ho * wo * (r["c"] // r["g"]) * k
    else:
        macs = n * r["c"] * (r["oc"] // r["g"]) * k * r["h"] * r["w"]
    return 2 * macs + (n * oc * ho * wo if r["bias"] else 0)


def main():
    ap = argparse.ArgumentParser(description="Time clconv's layer suites with PyTorch.")
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--threads", type=int, default=2, help="CPU threads (default 2)")
    ap.add_argument("--reps", type=int, default=5, help="timed runs per layer (default 5)")
    ap.add_argument("--json", help="write the rows as JSON into this file")
    ap.add_argument("suites", nargs="+", metavar="SUITE.txt")
    args = ap.parse_args()
    if args.reps < 1 or args.threads < 1:
        ap.error("--reps and --threads must be at least 1")
    layers = [(path, r) for path in args.suites for r in read_suite(path)]
    try:
        import torch
    except ImportError:
        print("torch_bench: PyTorch is not installed for this python3 "
              f"({sys.executable}); Debian: apt-get install python3-torch, run with "
              "/usr/bin/python3", file=sys.stderr)
        sys.exit(2)
    cuda = args.device == "cuda"
    if cuda:
        if not torch.cuda.is_available():
            print("torch_bench: --device cuda: torch sees no CUDA device", file=sys.stderr)
            sys.exit(2)
        # Strict float32, as clconv computes: no TF32 in matmul or cuDNN convolutions.
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = False
        device_name = torch.cuda.get_device_name(0)
        sync = torch.cuda.synchronize
    else:
        torch.set_num_threads(args.threads)
        device_name = "cpu"

        def sync():
            pass
    device = torch.device(args.device)
    rows = []
    with torch.no_grad():
        for _, r in layers:
            half = r["dtype"] == "f16" and cuda
            dtype = torch.float16 if half else torch.float32
            m = make_module(torch, r).eval().to(device=device, dtype=dtype)
            x = torch.randn(r["n"], r["c"], r["h"], r["w"], device=device, dtype=dtype)
            y = m(x)  # warm-up
            sync()
            times = []
            for _ in range(args.reps):
                sync()
                t0 = time.perf_counter()
                m(x)
                sync()
                times.append(time.perf_counter() - t0)
            t = statistics.median(times)
            f = flops(r, tuple(y.shape))
            rows.append({"name": r["name"], "dtype": r["dtype"],
                         "computed_dtype": "f16" if half else "f32", "median_s": t,
                         "min_s": min(times), "flops": f, "gflops": f / t / 1e9,
                         "out_shape": list(y.shape)})
            print(f"{r['name']:32s} {t * 1e3:10.3f} ms {f / t / 1e9:8.2f} GFLOP/s", flush=True)
    if args.json:
        doc = {"peer": "pytorch-" + args.device, "torch": torch.__version__,
               "device": device_name, "layers": rows}
        if cuda:
            doc["cudnn"] = torch.backends.cudnn.version()
            doc["tf32"] = False
        else:
            doc["threads"] = args.threads
        try:
            with open(args.json, "w", encoding="utf-8") as f:
                json.dump(doc, f, indent=1)
        except OSError as e:
            print(f"torch_bench: {args.json}: {e.strerror}", file=sys.stderr)
            sys.exit(2)


if __name__ == "__main__":
    main()
