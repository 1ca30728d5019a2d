#!/bin/bash
# Makes the self-contained CNI plugin bundle the cni-manager installs on nodes:
#   OUT/egressgw       the binary (linked with RPATH $ORIGIN/lib, see Package.swift)
#   OUT/lib/*.so*      every shared library it loads except glibc's own, which every node has
# Usage: scripts/cni-bundle.sh BINARY OUT
set -euo pipefail
binary=$1 out=$2
# glibc's libraries and the dynamic loader: taken from the node, never bundled (they must match each other).
glibc='^(linux-vdso\.so|ld-linux[^ ]*|libc\.so|libm\.so|libpthread\.so|libdl\.so|librt\.so|libresolv\.so|libutil\.so|libanl\.so|libnss_[^ ]*|libmvec\.so)'
rm -rf "$out"
mkdir -p "$out/lib"
cp "$binary" "$out/egressgw"
ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' | while read -r name path; do
    if ! [[ $name =~ $glibc ]]; then cp -L "$path" "$out/lib/$name"; fi
done
if readelf -d "$out/egressgw" | grep -q RUNPATH; then
    echo "cni-bundle: $binary has a RUNPATH, which does not apply to its libraries' dependencies; link with --disable-new-dtags" >&2
    exit 1
fi
echo "cni-bundle: $out ($(ls "$out/lib" | wc -l) libraries)"
