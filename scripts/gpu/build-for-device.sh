#!/usr/bin/env bash
# Builds drumforge for the lent GPU machine (see ../shared/device/README.md): a shared-library
# CUDA build for sm_90 (H100/H200) in /work/main/build-gpu, plus an archive of the non-CUDA
# shared libraries it needs (that machine has no Debian packages). Then, with the device tool:
#   run(command="scripts/gpu/run-on-device.sh", carry=["build-gpu"], timeout_s=600)
# Run from /work/main (the checkout the device tool sends).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(pwd)" = /work/main ] || { echo "build-for-device: run it from /work/main (test paths are compiled in)" >&2; exit 2; }
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DDRUMFORGE_CUDA=ON -DDRUMFORGE_SHARED=ON \
      -DCMAKE_CUDA_ARCHITECTURES=90 -DDRUMFORGE_WERROR=ON > build-gpu.log
cmake --build build-gpu -j 2 >> build-gpu.log # the build machine is shared: 2 jobs at most
find build-gpu -name '*.o' -delete
bins=(build-gpu/drumforge build-gpu/libdrumforge.so build-gpu/tests/test_* build-gpu/bench/bench_*)
../shared/device/pack-libs build-gpu/gpu-libs.tar.xz "${bins[@]}"
du -sh build-gpu
