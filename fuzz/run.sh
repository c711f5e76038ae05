#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan, coverage for the whole library) and runs
# each for a bounded time on a scratch copy of its committed seed corpus. Exits non-zero on
# any crash, leak, undefined behaviour, timeout or out-of-memory; the failing input is kept
# under BUILD/fuzz-artifacts/.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [BUILD_DIR]      (defaults: 60, build-fuzz)
#   FUZZ_JOBS=N   targets run at once (default 2); FUZZ_TARGETS="desc cache" a subset.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
build=${2:-build-fuzz}
jobs=${FUZZ_JOBS:-2}
targets=${FUZZ_TARGETS:-desc opcount cache tuning layerspec suite}

if [ ! -f "$build/build.ninja" ]; then
    CC=clang meson setup "$build" --wrap-mode=nodownload -Dfuzz=true -Dtests=false \
        -Dclblast=disabled -Db_sanitize=address,undefined -Db_lundef=false \
        -Dbuildtype=debugoptimized >/dev/null
fi
ninja -C "$build" >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/fuzz-artifacts"
# UBSan's findings are recoverable by default; halt so that libFuzzer reports them.
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0

run_one() {
    local t=$1 corpus
    corpus=desc
    case $t in
    opcount) corpus=desc ;;
    *) corpus=$t ;;
    esac
    mkdir -p "$work/$t"
    cp fuzz/corpus/"$corpus"/* "$work/$t/"
    local rc=0
    "$build/fuzz/fuzz-$t" "$work/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$t-" \
        >"$work/$t.log" 2>&1 || rc=$?
    local execs
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log")
    echo "$t ${execs:-0} $rc" >"$work/$t.result"
    if [ "$rc" != 0 ]; then
        echo "fuzz-$t FAILED (exit $rc):" >&2
        grep -E "ERROR|runtime error|SUMMARY|Test unit written|#0 |#1 |#2 |#3 " "$work/$t.log" \
            | head -30 >&2
    fi
}
export -f run_one
export work build secs

printf '%s\n' $targets | xargs -P "$jobs" -I{} bash -c 'run_one {}'

total=0
failed=0
{
    printf '%-10s %14s  %s\n' target executions result
    for t in $targets; do
        read -r name execs rc <"$work/$t.result"
        total=$((total + execs))
        [ "$rc" = 0 ] && res=ok || res="FAILED (exit $rc)"
        printf '%-10s %14s  %s\n' "$name" "$execs" "$res"
    done
    printf '%-10s %14s  (%s s per target)\n' total "$total" "$secs"
} | tee "$build/fuzz-summary.txt"
# the table ran in a pipeline (a subshell): count the failures here
for t in $targets; do
    read -r _ _ rc <"$work/$t.result"
    [ "$rc" = 0 ] || failed=$((failed + 1))
done
[ "$failed" = 0 ] || echo "fuzz: $failed target(s) failed; inputs in $build/fuzz-artifacts/" >&2
[ "$failed" = 0 ]
