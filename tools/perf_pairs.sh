#!/usr/bin/env bash
# The PoCL performance tables of docs/performance.md: PAIRS back-to-back pairs of clconv-report (the five
# suites and the float16 pairs) and the PyTorch peer script, then tools/perf_tables.py over
# all of them (each side's fastest median per layer: a shared host's noise hits both sides).
#   tools/perf_pairs.sh [PAIRS=5] [OUT=perf]
# BUILD_DIR (default build), REPEATS (default 7), THREADS (default 2) and PEER (default
# tools/peers/torch_bench.py, run with /usr/bin/python3) may be set; PEER_DEVICE (default cpu)
# is its --device.
set -euo pipefail

cd "$(dirname "$0")/.."
pairs=${1:-5}
out=${2:-perf}
build=${BUILD_DIR:-build}
repeats=${REPEATS:-7}
threads=${THREADS:-2}
peer=${PEER:-tools/peers/torch_bench.py}
peer_device=${PEER_DEVICE:-cpu}
case "$pairs" in
'' | *[!0-9]* | 0)
    echo "perf_pairs: PAIRS must be a positive integer, got '$pairs'" >&2
    exit 2
    ;;
esac
[ -x "$build/tools/clconv-report" ] || {
    echo "perf_pairs: $build/tools/clconv-report not built" >&2
    exit 2
}
[ -f "$peer" ] || {
    echo "perf_pairs: PyTorch peer script $peer not found (set PEER)" >&2
    exit 2
}
suites=(resnet50 mobilenetv2 grouped dilated_padded transposed)
mkdir -p "$out"
args=()
for i in $(seq "$pairs"); do
    suite_args=()
    for s in "${suites[@]}" float16; do suite_args+=(--suite "$s"); done
    # Debian's python3 carries matplotlib, which clconv-report's chart needs
    /usr/bin/python3 "$build/tools/clconv-report" "${suite_args[@]}" --repeats "$repeats" \
        --out "$out/report$i" >"$out/report$i.log"
    files=()
    for s in "${suites[@]}"; do files+=("tools/suites/$s.txt"); done
    /usr/bin/python3 "$peer" --device "$peer_device" --threads "$threads" --reps "$repeats" --json "$out/torch$i.json" \
        "${files[@]}" >"$out/torch$i.log"
    if [ "$i" -eq 1 ]; then
        args+=("$out/report1/bench.json" "$out/torch1.json")
    else
        args+=(--also "$out/report$i/bench.json" "$out/torch$i.json")
    fi
    echo "perf_pairs: pair $i of $pairs done" >&2
done
python3 tools/perf_tables.py "${args[@]}" | tee "$out/tables.md"
for i in $(seq "$pairs"); do
    python3 tools/auto_accuracy.py "$out/report$i/bench.json" | tail -n 1
done | tee "$out/auto_accuracy.txt"
