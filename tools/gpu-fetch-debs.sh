#!/usr/bin/env bash
# Downloads the Debian packages tools/gpu-run.sh installs on a GPU machine without a package
# registry: the OpenCL ICD loader and headers, CLBlast, Check and pkgconf, with the libraries
# they depend on that such a machine may lack. Run it on a Debian 12 (amd64) machine that
# reaches a registry; nothing is installed here.
#
#   tools/gpu-fetch-debs.sh [DIR]     (default: .gpu-debs in the repository root)
#
# DIR then holds the .deb files and a list of them (debs.txt). Copy DIR to the GPU machine
# with the working tree (it is ignored by git: carry it) and run tools/gpu-run.sh there.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/.gpu-debs}
packages=(
    ocl-icd-libopencl1 ocl-icd-opencl-dev opencl-c-headers opencl-clhpp-headers opencl-headers
    libclblast1 libclblast-dev
    check libsubunit-dev libsubunit0
    pkgconf pkgconf-bin libpkgconf3
)
mkdir -p "$dir"
cd "$dir"
rm -f ./*.deb debs.txt
# apt-get download fetches the candidate version of each name; a name that does not resolve
# fails the script here, not on the GPU machine
apt-get download "${packages[@]}"
find . -maxdepth 1 -name '*.deb' -printf '%f\n' | sort >debs.txt
missing=0
for p in "${packages[@]}"; do
    if ! grep -q "^${p}_" debs.txt; then
        echo "gpu-fetch-debs: $p was not downloaded" >&2
        missing=1
    fi
done
[ "$missing" -eq 0 ] || exit 1
echo "gpu-fetch-debs: $(wc -l <debs.txt) packages in $dir ($(du -sh . | cut -f1))"
