#!/usr/bin/env bash
# Run on a build machine (Debian 12) before tests/gpu/device_check.sh, once: downloads
# the Debian packages the CUDA build needs into .gpu-deps/ (ignored by git through
# .git/info/exclude), for the GPU machine, whose image has CUDA, CMake and ninja but not
# these libraries and cannot fetch anything. Carry ".gpu-deps" with the device run.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
grep -qx '/.gpu-deps/' .git/info/exclude 2>/dev/null || echo '/.gpu-deps/' >> .git/info/exclude
mkdir -p .gpu-deps
cd .gpu-deps
pkgs=(libhwy-dev libhwy1 libsimdjson-dev libsimdjson14 libsqlite3-dev libsqlite3-0
      libgtest-dev libbenchmark-dev libbenchmark1debian)
for p in "${pkgs[@]}"; do
  ls "${p}"_*.deb >/dev/null 2>&1 || apt-get download "$p"
done
ls -la
