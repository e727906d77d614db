#!/usr/bin/env bash
# Builds drumforge for the lent GPU machine (see ../shared/device/README.md): a shared-library
# CUDA build for sm_90 (H100/H200) in /work/main/build-gpu, plus an archive of the non-CUDA
# shared libraries it needs (that machine has no Debian packages). Then, with the device tool:
#   run(command="scripts/gpu/run-on-device.sh all", carry=["build-gpu", ".whl"], timeout_s=600)
# (.whl: soundfile, cffi and pycparser wheels for the device's Python 3.12, e.g.
#  pip download --no-deps --only-binary=:all: --python-version 3.12 --platform manylinux_2_28_x86_64 \
#    --platform manylinux2014_x86_64 -d .whl soundfile cffi pycparser   (not numpy: the device has its own))
# Run from /work/main (the checkout the device tool sends).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(pwd)" = /work/main ] || { echo "build-for-device: run it from /work/main (test paths are compiled in)" >&2; exit 2; }
# A build packed by an earlier run lost its CMakeFiles (below): configure it afresh.
[ ! -d build-gpu ] || [ -d build-gpu/CMakeFiles ] || rm -rf build-gpu
failed() { echo "build-for-device: $1 failed; the end of build-gpu.log:" >&2; tail -n 40 build-gpu.log >&2; exit 1; }
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DDRUMFORGE_CUDA=ON -DDRUMFORGE_SHARED=ON \
      -DCMAKE_CUDA_ARCHITECTURES=90 -DDRUMFORGE_WERROR=ON > build-gpu.log 2>&1 || failed configure
# the build machine is shared: 2 jobs at most
cmake --build build-gpu -j 2 >> build-gpu.log 2>&1 || failed build
# Only what the run needs travels (64 MiB in all, the working tree's 11 MiB and the library
# archive's 23 MiB included): the CMakeFiles folders (objects, compiler checks: 25 MiB in a
# CUDA build, which ctest does not read) and any test scratch go. The next build starts afresh.
find build-gpu -type d -name CMakeFiles -prune -exec rm -rf {} +
rm -rf build-gpu/tests/scratch build-gpu/Testing
bins=(build-gpu/drumforge build-gpu/libdrumforge.so build-gpu/tests/test_* build-gpu/bench/bench_*)
../shared/device/pack-libs build-gpu/gpu-libs.tar.xz "${bins[@]}"
# What travels: the tracked and untracked-not-ignored files plus build-gpu, 64 MiB at most.
tree_kib=$({ git ls-files -z --cached --others --exclude-standard | du -ck --files0-from=- 2>/dev/null || true; } | tail -n 1 | cut -f1)
build_kib=$(du -sk build-gpu | cut -f1)
echo "build-gpu: $((build_kib / 1024)) MiB; with the working tree $(((tree_kib + build_kib) / 1024)) MiB of the 64 MiB a run carries"
[ $((tree_kib + build_kib)) -lt $((62 * 1024)) ] || { echo "build-for-device: too large to carry" >&2; exit 1; }
