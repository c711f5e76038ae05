#!/usr/bin/env bash
# One-command entry points on a fresh Debian 12 / Ubuntu machine (root or sudo):
#   tools/quickstart.sh main   install what is missing, build, run the main job (the
#                              roofline report into ./report)
#   tools/quickstart.sh test   install what is missing, build, run every test
# BUILD_DIR (default build) and MESON_ARGS (extra `meson setup` arguments) may be set.
set -euo pipefail

cd "$(dirname "$0")/.."
what=${1:-}
case "$what" in
main | test) ;;
*)
    echo "usage: $0 main|test" >&2
    exit 2
    ;;
esac

packages=(build-essential meson ninja-build pkg-config python3 ocl-icd-opencl-dev
    opencl-headers pocl-opencl-icd clinfo check libclblast-dev python3-matplotlib)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "quickstart: installing ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build=${BUILD_DIR:-build}
# shellcheck disable=SC2086
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" --wrap-mode=nodownload ${MESON_ARGS:-}
elif [ -n "${MESON_ARGS:-}" ]; then
    meson configure "$build" ${MESON_ARGS}
fi
ninja -C "$build"

if [ "$what" = main ]; then
    # the roofline report into ./report; the script starts with the python3 meson found with
    # matplotlib (python3-matplotlib, installed above)
    exec "$build/tools/clconv-report" --out report
fi
exec meson test -C "$build" --print-errorlogs
