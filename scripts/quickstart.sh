#!/usr/bin/env bash
# The README's main command: sets up a fresh Debian 12 machine, builds drumforge (with CUDA
# when nvcc is present) and runs the main job on whatever device there is.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --no-torch --no-browser
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DDRUMFORGE_CUDA=AUTO > build.log 2>&1 ||
  { cat build.log; exit 1; }
cmake --build build -j "$(nproc)" >> build.log 2>&1 || { tail -40 build.log; exit 1; }
echo "built build/drumforge (log: build.log)"
exec build/drumforge demo "$@"
