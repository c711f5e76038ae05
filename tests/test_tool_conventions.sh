#!/usr/bin/env bash
# What every command-line tool promises (docs/tools.md, "Conventions"): --help and --version
# exit 0 and print to stdout, an unknown option or an unreadable suite file exits 2 with a
# message, a write to a full device fails, and clconv-report ends bad arguments with a message
# and exit 2, never a Python traceback.
#
# usage: test_tool_conventions.sh TOOLS_DIR SUITES_DIR PYTHON VERSION
set -uo pipefail

tools_dir=$1
suites=$2
python=$3
version=$4
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/clconv-conventions.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# expect STATUS WHAT COMMAND...: runs COMMAND, stdout and stderr into files
expect() {
    local want=$1 what=$2
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    [ "$got" -eq "$want" ] || fail "$what: exit $got, expected $want ($(head -c 300 "$tmp/err"))"
    if grep -q "Traceback" "$tmp/out" "$tmp/err"; then
        fail "$what: a Python traceback reached the user"
    fi
}

c_tools=(clconv-count clconv-demo clconv-peak clconv-tune clconv-latency clconv-verify clconv-bench)
for t in "${c_tools[@]}"; do
    expect 0 "$t --help" "$tools_dir/$t" --help
    grep -qi usage "$tmp/out" || fail "$t --help: no usage on stdout"
    expect 2 "$t --no-such-option" "$tools_dir/$t" --no-such-option
    [ -s "$tmp/err" ] || fail "$t --no-such-option: no message on stderr"
done
for t in "${c_tools[@]}"; do
    expect 0 "$t --version" "$tools_dir/$t" --version
    [ "$(cat "$tmp/out")" = "$t $version" ] || fail "$t --version printed '$(cat "$tmp/out")'"
done
report=("$python" "$tools_dir/clconv-report")
expect 0 "clconv-report --version" "${report[@]}" --version
[ "$(cat "$tmp/out")" = "clconv-report $version" ] ||
    fail "clconv-report --version printed '$(cat "$tmp/out")'"
expect 0 "clconv-report --help" "${report[@]}" --help
expect 2 "clconv-report --no-such-option" "${report[@]}" --no-such-option

# an unreadable suite file is a usage error in every tool that reads suites
for t in clconv-count clconv-tune clconv-latency; do
    expect 2 "$t missing-suite" "$tools_dir/$t" "$tmp/no-such-suite.txt"
    grep -q "no-such-suite.txt" "$tmp/err" || fail "$t missing-suite: message lacks the file"
done
# an invalid layer is not a usage error for clconv-count
expect 1 "clconv-count invalid layer" "$tools_dir/clconv-count" --input 1x64x8x8 \
    --out-channels 64 --kernel 3 --groups 5

# writing to a full device fails (table, JSON, variant list, help text)
if [ -w /dev/full ]; then
    expect 1 "clconv-count >/dev/full" sh -c "\"\$0\" \"\$1\" >/dev/full" \
        "$tools_dir/clconv-count" "$suites/tiny.txt"
    expect 1 "clconv-count --json >/dev/full" sh -c "\"\$0\" --json \"\$1\" >/dev/full" \
        "$tools_dir/clconv-count" "$suites/tiny.txt"
    expect 1 "clconv-count --version >/dev/full" sh -c "\"\$0\" --version >/dev/full" \
        "$tools_dir/clconv-count"
    expect 1 "clconv-verify --list-variants >/dev/full" \
        sh -c "\"\$0\" --list-variants >/dev/full" "$tools_dir/clconv-verify"
else
    fail "/dev/full is not writable here"
fi

# clconv-report: no tracebacks for a bad --out or --ceilings
touch "$tmp/a-file"
expect 2 "clconv-report --out FILE" "${report[@]}" --suite tiny --out "$tmp/a-file"
grep -q -- "--out" "$tmp/err" || fail "clconv-report --out FILE: message lacks --out"
expect 2 "clconv-report --ceilings missing" "${report[@]}" --suite tiny --out "$tmp/r1" \
    --ceilings "$tmp/missing.json"
grep -q "missing.json" "$tmp/err" || fail "clconv-report --ceilings missing: message lacks it"
head -c 4096 "$tools_dir/clconv-count" >"$tmp/binary.json"
expect 2 "clconv-report --ceilings binary" "${report[@]}" --suite tiny --out "$tmp/r2" \
    --ceilings "$tmp/binary.json"
printf '{"flops_f32": ' >"$tmp/truncated.json"
expect 2 "clconv-report --ceilings truncated" "${report[@]}" --suite tiny --out "$tmp/r3" \
    --ceilings "$tmp/truncated.json"
printf '[1, 2]' >"$tmp/list.json"
expect 1 "clconv-report --ceilings not a peak file" "${report[@]}" --suite tiny \
    --out "$tmp/r4" --ceilings "$tmp/list.json"
expect 2 "clconv-report --suite missing" "${report[@]}" --suite no-such-suite --out "$tmp/r5"

if [ "$failures" -gt 0 ]; then
    echo "$failures convention check(s) failed" >&2
    exit 1
fi
echo "tool conventions: all checks passed"
