#!/usr/bin/env bash
# shellcheck disable=SC2317 # the stage functions run through stage's bash -c
# The GPU run in one command, for a bare NVIDIA machine without a package registry (CUDA,
# PyTorch with cuDNN, meson and ninja from pip, the driver's libnvidia-opencl.so.1): installs
# the .deb files tools/gpu-fetch-debs.sh downloaded beforehand into a private prefix, builds,
# runs the test suite and `clconv-verify --variant all` on the GPU, then clconv-report on
# every suite and the PyTorch peer (--device cuda, TF32 off) on the same suites. Every stage
# has a time limit; the whole run fits the budget (8 minutes by default). docs/gpu.md.
#
#   tools/gpu-run.sh [--debs DIR] [--out DIR] [--driver LIB] [--device SPEC] [--suites "A B"]
#                    [--tests "MESON TEST ARGS"] [--budget SECONDS] [--peer-device DEV]
#                    [--work DIR] [--python PY] [--scale N]
#
#   --debs DIR       the downloaded packages (default: .gpu-debs in the repository root)
#   --out DIR        where the results go (default: $OUT if set, else ./gpu-results)
#   --driver LIB     the OpenCL driver library the ICD file names (default: the NVIDIA
#                    driver's libnvidia-opencl.so.1, searched for); the only platform seen
#   --device SPEC    clconv's device (CLCONV_DEVICE; default gpu)
#   --suites "A B"   suites of tools/suites (default: all of them)
#   --tests "ARGS"   arguments for `meson test` (default: none, the whole suite)
#   --budget S       seconds for the whole run (default 480)
#   --peer-device D  the PyTorch peer's device (default cuda)
#   --work DIR       the prefix, build folder and caches (default /tmp/clconv-gpu-run)
#   --python PY      the Python with PyTorch (default python3)
#   --scale N        multiplies every stage's time limit (a dry run on a slow CPU)
#
# A dry run on a machine without a GPU: --driver libpocl.so.2 --device cpu --suites tiny
# --tests desc --peer-device cpu --scale 10 --budget 3600 --python /usr/bin/python3.
#
# $OUT/ receives: gpu-run.log (every stage's output and the summary), report.md, bench.json
# and summary.json (clconv-report), torch.json (the peer), report.tar.gz (the report folder,
# the test log and the verify log). Exit status: 0 when every stage passed, 1 otherwise.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
debs=$root/.gpu-debs
out=${OUT:-$root/gpu-results}
driver=""
device=gpu
suites=""
tests=""
budget=480
peer_device=cuda
work=/tmp/clconv-gpu-run
python=python3
scale=1
while [ $# -gt 0 ]; do
    case "$1" in
    -h | --help)
        sed -n '3,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    esac
    if [ $# -lt 2 ]; then
        echo "gpu-run: $1 needs a value" >&2
        exit 2
    fi
    case "$1" in
    --debs) debs=$2 ;;
    --out) out=$2 ;;
    --driver) driver=$2 ;;
    --device) device=$2 ;;
    --suites) suites=$2 ;;
    --tests) tests=$2 ;;
    --budget) budget=$2 ;;
    --peer-device) peer_device=$2 ;;
    --work) work=$2 ;;
    --python) python=$2 ;;
    --scale) scale=$2 ;;
    *)
        echo "gpu-run: unknown argument $1 (--help lists them)" >&2
        exit 2
        ;;
    esac
    shift 2
done

mkdir -p "$out" "$work"
out=$(cd "$out" && pwd)
log=$out/gpu-run.log
: >"$log"
start=$SECONDS
failed=0
summary=""

say() { echo "gpu-run: $*" | tee -a "$log" >&2; }

# Runs stage NAME (a command, or a function exported with export -f) with at most LIMIT
# seconds (less when the budget has less left), its output into the log; records its
# outcome.
stage() {
    local name=$1 limit=$(($2 * scale))
    shift 2
    local left=$((budget - (SECONDS - start)))
    [ "$limit" -le "$left" ] || limit=$left
    if [ "$limit" -lt 5 ]; then
        say "$name: skipped, the ${budget} s budget is spent"
        summary+="$name: skipped (budget)"$'\n'
        failed=1
        return 1
    fi
    say "$name: at most $limit s"
    local t0=$SECONDS rc=0
    timeout --kill-after=10 "$limit" bash -c '"$@"' "$name" "$@" >>"$log" 2>&1 || rc=$?
    local what="ok"
    [ "$rc" -eq 0 ] || what="failed (exit $rc$([ "$rc" -eq 124 ] && echo ', time limit'))"
    [ "$rc" -eq 0 ] || failed=1
    say "$name: $what, $((SECONDS - t0)) s"
    summary+="$name: $what, $((SECONDS - t0)) s"$'\n'
    return "$rc"
}

# ---- the private prefix ---------------------------------------------------------------
prefix=$work/prefix
multiarch=x86_64-linux-gnu
install_debs() {
    shopt -s nullglob
    local files=("$debs"/*.deb)
    if [ ${#files[@]} -eq 0 ]; then
        echo "no .deb files in $debs: run tools/gpu-fetch-debs.sh on a machine with a registry"
        return 1
    fi
    rm -rf "$prefix"
    mkdir -p "$prefix"
    for f in "${files[@]}"; do
        # into the prefix only: never dpkg -x into /
        dpkg-deb -x "$f" "$prefix" || return 1
        echo "unpacked $(basename "$f")"
    done
    # the packages' .pc files say prefix=/usr: point them at the prefix
    find "$prefix" -name '*.pc' -exec sed -i "s|^prefix=/usr\$|prefix=$prefix/usr|" {} +
}

find_driver() {
    local d
    for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/$multiarch /usr/lib64 \
        /usr/lib; do
        [ -e "$d/libnvidia-opencl.so.1" ] && {
            echo "$d/libnvidia-opencl.so.1"
            return 0
        }
    done
    ldconfig -p 2>/dev/null | awk '/libnvidia-opencl\.so\.1 /{print $NF; exit}'
}

export prefix debs multiarch
export -f install_debs
stage "unpack" 30 install_debs
if [ -z "$driver" ]; then
    driver=$(find_driver)
    [ -n "$driver" ] || say "no libnvidia-opencl.so.1 found: pass --driver LIB"
fi
mkdir -p "$prefix/etc/OpenCL/vendors"
echo "${driver:-libnvidia-opencl.so.1}" >"$prefix/etc/OpenCL/vendors/gpu-run.icd"
say "OpenCL driver: ${driver:-none found}; device: $device"

export OCL_ICD_VENDORS=$prefix/etc/OpenCL/vendors
export LD_LIBRARY_PATH=$prefix/usr/lib/$multiarch${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export PKG_CONFIG_PATH=$prefix/usr/lib/$multiarch/pkgconfig:$prefix/usr/share/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export C_INCLUDE_PATH=$prefix/usr/include${C_INCLUDE_PATH:+:$C_INCLUDE_PATH}
export LIBRARY_PATH=$prefix/usr/lib/$multiarch${LIBRARY_PATH:+:$LIBRARY_PATH}
export PATH=$PATH:$prefix/usr/bin # pkg-config from the prefix only where none is installed
export CLCONV_DEVICE=$device
export CLCONV_CACHE_DIR=$work/cache
export NVIDIA_TF32_OVERRIDE=0 # cuDNN and cuBLAS without TF32: the peer computes in float32

build=$work/build
configure_and_build() {
    command -v cc >/dev/null || {
        echo "no C compiler (cc) on PATH"
        return 1
    }
    rm -rf "$build"
    local pc
    pc=$(command -v pkg-config) || pc=$prefix/usr/bin/pkg-config
    echo "pkg-config: $pc; prefixes: $("$pc" --variable=prefix OpenCL clblast check | tr '\n' ' ')"
    meson setup "$build" "$root" --wrap-mode=nodownload -Dbuildtype=release &&
        ninja -C "$build"
}
export build root prefix
export -f configure_and_build
built=0
stage "build" 120 configure_and_build && built=1

if [ "$built" -eq 1 ]; then
    # shellcheck disable=SC2086 # the test arguments are words
    stage "test suite" 120 meson test -C "$build" --print-errorlogs $tests
    cp "$build/meson-logs/testlog.txt" "$work/testlog.txt" 2>/dev/null
    verify_all() {
        local rc=0
        "$build/tools/clconv-verify" --variant all --count 2 >"$work/verify.log" 2>&1 || rc=$?
        tail -40 "$work/verify.log"
        return "$rc"
    }
    export work
    export -f verify_all
    stage "clconv-verify --variant all" 60 verify_all

    suite_args=()
    if [ -z "$suites" ]; then
        for f in "$root"/tools/suites/*.txt; do suites+="$(basename "$f" .txt) "; done
    fi
    for s in $suites; do
        suite_args+=(--suite "$s")
    done
    rm -rf "$work/report"
    stage "clconv-report" 150 "$python" "$build/tools/clconv-report" --out "$work/report" \
        --quick-peak --repeats 5 "${suite_args[@]}"
    for f in report.md bench.json summary.json; do
        cp "$work/report/$f" "$out/$f" 2>/dev/null
    done
fi

# the peer: tools/peers/torch_bench.py (--device), else the CPU-only shared script
peer=""
for p in "$root/tools/peers/torch_bench.py" "$root/shared/peers/torch_cpu_bench.py" \
    "$root/../shared/peers/torch_cpu_bench.py"; do
    [ -f "$p" ] && {
        peer=$p
        break
    }
done
if [ -z "$suites" ]; then
    for f in "$root"/tools/suites/*.txt; do suites+="$(basename "$f" .txt) "; done
fi
peer_files=()
for s in $suites; do peer_files+=("$root/tools/suites/$s.txt"); done
if [ -z "$peer" ]; then
    say "PyTorch peer: no tools/peers/torch_bench.py nor shared/peers/torch_cpu_bench.py"
    summary+="PyTorch peer: missing"$'\n'
    failed=1
elif [ "$(basename "$peer")" = torch_bench.py ]; then
    stage "PyTorch peer ($peer_device)" 60 "$python" "$peer" --device "$peer_device" \
        --json "$out/torch.json" "${peer_files[@]}"
else
    say "PyTorch peer: $peer times the CPU only (no tools/peers/torch_bench.py)"
    stage "PyTorch peer (cpu fallback)" 60 "$python" "$peer" --json "$out/torch.json" \
        "${peer_files[@]}"
fi

kept=()
for f in report testlog.txt verify.log; do [ -e "$work/$f" ] && kept+=("$f"); done
[ ${#kept[@]} -eq 0 ] || tar -czf "$out/report.tar.gz" -C "$work" "${kept[@]}"
{
    echo
    echo "== summary ($((SECONDS - start)) s of $budget)"
    printf '%s' "$summary"
} | tee -a "$log" >&2
exit "$failed"
