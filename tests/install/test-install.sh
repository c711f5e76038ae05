#!/usr/bin/env bash
# Installs a build into a staging folder, checks the installed clconv.pc, then builds
# tests/install/consumer.c against it the way an application outside the tree would
# (`pkg-config --cflags --libs clconv`), once against the shared library and once statically
# (`pkg-config --static`, libclconv.a), and runs both on golden cases from PyTorch. Before
# that, the installed tools: each runs --version and --help without LD_LIBRARY_PATH (the
# install rpath finds the staged library), has its man page, and the installed clconv-report
# draws its chart when the python3 first on PATH, and the one running it, lack matplotlib.
#
# usage: test-install.sh BUILDDIR SOURCEDIR      (meson runs it as the test 'install')
# env:   CC (default cc), MESON (default meson), PKG_CONFIG (default pkg-config)
set -euo pipefail

build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
cc=${CC:-cc}
meson=${MESON:-meson}
pkgconfig=${PKG_CONFIG:-pkg-config}
cases=("$src/tests/golden/conv_batch2_circular.bin" "$src/tests/golden/tconv_stride_pad_op.bin")

stage=$(mktemp -d "${TMPDIR:-/tmp}/clconv-install.XXXXXX")
trap 'rm -rf "$stage"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# --no-rebuild: meson test has already built the tree, and a nested ninja run could race it.
"$meson" install -C "$build" --destdir "$stage" --no-rebuild >"$stage/install.log" 2>&1 ||
    { cat "$stage/install.log" >&2; fail "meson install"; }

pc=$(find "$stage" -name clconv.pc -path '*/pkgconfig/*' | head -n 1)
[ -n "$pc" ] || fail "no clconv.pc installed"
echo "installed: ${pc#"$stage"}"
cat "$pc"

# The .pc names its paths from ${prefix}; with DESTDIR the files live under $stage$prefix.
prefix=$(sed -n 's/^prefix=//p' "$pc")
root="$stage$prefix"
PKG_CONFIG_PATH="$(dirname "$pc")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export PKG_CONFIG_PATH
pkg() { "$pkgconfig" --define-variable=prefix="$root" "$@" clconv; }

# What the .pc must say: OpenCL is a public requirement (clconv.h includes CL/cl.h), and a
# static link needs the library's own system dependencies.
grep -Eq '^Requires:.*\bOpenCL\b' "$pc" || fail "Requires: lacks OpenCL"
grep -Eq '^Libs\.private:.*(-pthread|-lpthread)' "$pc" || fail "Libs.private lacks -pthread"
grep -Eq '^Libs\.private:.*-lm\b' "$pc" || fail "Libs.private lacks -lm"
incdir=$(pkg --variable=includedir)
libdir=$(pkg --variable=libdir)
for f in "$incdir/clconv.h" "$incdir/clconv_version.h" "$libdir/libclconv.a"; do
    [ -f "$f" ] || fail "missing ${f#"$stage"}"
done
ls "$libdir"/libclconv.so* >/dev/null || fail "missing libclconv.so in ${libdir#"$stage"}"
version=$(pkg --modversion)
header_version=$(sed -n 's/^#define CLCONV_VERSION_STRING "\(.*\)"/\1/p' "$incdir/clconv_version.h")
[ "$version" = "$header_version" ] ||
    fail "clconv.pc version $version, clconv_version.h $header_version"
cflags_out=$(pkg --cflags)
grep -q -- "-I$incdir" <<<"$cflags_out" || fail "cflags lack -I$incdir: $cflags_out"

# The installed tools run from the staged prefix alone: no LD_LIBRARY_PATH (meson test sets
# one pointing at the build tree), and no build tree to find suites or modules in.
bindir="$root/bin"
mandir="$root/share/man/man1"
tools=(clconv-count clconv-demo clconv-peak clconv-bench clconv-tune clconv-latency
    clconv-verify clconv-report clconv-onnx2suite)
for t in "${tools[@]}"; do
    [ -x "$bindir/$t" ] || fail "$t not installed in ${bindir#"$stage"}"
    [ -s "$mandir/$t.1" ] || fail "no man page ${mandir#"$stage"}/$t.1"
    help=$(env -u LD_LIBRARY_PATH "$bindir/$t" --help) || fail "$t --help: exit $?"
    grep -qi "usage" <<<"$help" || fail "$t --help prints no usage"
    v=$(env -u LD_LIBRARY_PATH "$bindir/$t" --version) || fail "$t --version: exit $?"
    [ "$v" = "$t $(pkg --modversion)" ] || fail "$t --version printed '$v'"
done
echo "installed tools: --help, --version and man pages of all"
# A python3 first on PATH without matplotlib (a venv, pyenv): its site packages are off.
fakebin="$stage/fake-python"
mkdir -p "$fakebin"
printf '#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n' >"$fakebin/python3"
chmod +x "$fakebin/python3"
if "$fakebin/python3" -c 'import matplotlib' 2>/dev/null; then
    fail "the fake python3 has matplotlib"
fi
# The interpreter the installed script starts with must have matplotlib (as the report test
# needs it too); the fake one first on PATH must not matter.
chart_python=$(sed -n '1s/^#!//p' "$bindir/clconv-report")
"$chart_python" -c 'import matplotlib' 2>/dev/null ||
    fail "clconv-report starts with $chart_python, which has no matplotlib (python3-matplotlib)"
env -u LD_LIBRARY_PATH "$bindir/clconv-peak" --quick --no-half --json "$stage/peak.json" \
    2>"$stage/peak.log" || { cat "$stage/peak.log" >&2; fail "installed clconv-peak"; }
for how in direct fake-interpreter; do
    run=("$bindir/clconv-report")
    [ "$how" = direct ] || run=("$fakebin/python3" "$bindir/clconv-report")
    out="$stage/report-$how"
    env -u LD_LIBRARY_PATH PATH="$fakebin:$PATH" "${run[@]}" --suite tiny --no-baseline \
        --ceilings "$stage/peak.json" --out "$out" 2>"$stage/report.log" ||
        { cat "$stage/report.log" >&2; fail "installed clconv-report ($how)"; }
    [ -s "$out/roofline.png" ] && [ -s "$out/report.md" ] ||
        { cat "$stage/report.log" >&2; fail "installed clconv-report drew no chart ($how)"; }
    grep -q "roofline.png" "$out/report.md" || fail "report.md ($how) lacks the chart"
done
echo "installed clconv-report: chart drawn with a python3 without matplotlib first on PATH"

# The consumer is strict C11: the installed header must compile cleanly in a foreign project.
cflags=(-std=c11 -Wall -Wextra -Werror -O1)

echo "== shared: $cc consumer.c $(pkg --cflags --libs)"
# shellcheck disable=SC2046 # pkg-config output is a word list by design
"$cc" "${cflags[@]}" -o "$stage/consumer-shared" "$src/tests/install/consumer.c" \
    $(pkg --cflags --libs) -lm
# meson test points LD_LIBRARY_PATH at the build tree: the staged library must come first.
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# ldd's output is captured first: `ldd | grep -q` under pipefail fails whenever grep exits
# before ldd has written everything (SIGPIPE).
deps=$(ldd "$stage/consumer-shared")
grep -q "libclconv.so.* => $libdir/" <<<"$deps" ||
    fail "consumer-shared does not load the staged libclconv.so"
"$stage/consumer-shared" "${cases[@]}"

static_libs=$(pkg --static --libs)
echo "== static: $cc consumer.c $(pkg --cflags) ${static_libs/-lclconv/$libdir/libclconv.a}"
# shellcheck disable=SC2046,SC2086
"$cc" "${cflags[@]}" -o "$stage/consumer-static" "$src/tests/install/consumer.c" \
    $(pkg --cflags) ${static_libs/-lclconv/$libdir/libclconv.a} -lm
deps=$(ldd "$stage/consumer-static")
if grep -q libclconv <<<"$deps"; then
    fail "consumer-static still needs libclconv.so"
fi
"$stage/consumer-static" "${cases[@]}"
echo "install test passed"
