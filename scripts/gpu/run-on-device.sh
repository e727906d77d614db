#!/usr/bin/env bash
# Runs on the lent GPU machine (carry build-gpu, made by scripts/gpu/build-for-device.sh):
# the whole CTest suite (the CUDA cases run there instead of being skipped) and the GPU
# benchmarks beside PyTorch, writing logs and figures under $OUT.
#   run(command="scripts/gpu/run-on-device.sh [tests|bench|all]", carry=["build-gpu"])
set -uo pipefail
what=${1:-all}
out=${OUT:-/tmp/out}; mkdir -p "$out"
mkdir -p /tmp/libs && tar xJf build-gpu/gpu-libs.tar.xz -C /tmp/libs
export LD_LIBRARY_PATH=/tmp/libs:${LD_LIBRARY_PATH:-}
cudnn=$(find / -name 'libcudnn.so.9*' -not -path '/proc/*' 2>/dev/null | head -n 1)
[ -n "$cudnn" ] && export LD_LIBRARY_PATH=$(dirname "$cudnn"):$LD_LIBRARY_PATH
# The build compiled in /work/main paths (sources, fixtures, the drumforge binary).
if [ ! -e /work/main ]; then mkdir -p /work && ln -s "$(pwd)" /work/main; fi
cd /work/main
export DF_PYTHON=$(command -v python3)
{ nvidia-smi; echo; build-gpu/drumforge info; } > "$out/device.txt" 2>&1
cat "$out/device.txt"
if [ "$what" = tests ] || [ "$what" = all ]; then
  (cd build-gpu && ctest --output-on-failure -j 8 --timeout 300) > "$out/ctest.log" 2>&1
  echo "ctest exit $?"; tail -n 40 "$out/ctest.log"
fi
if [ "$what" = bench ] || [ "$what" = all ]; then
  {
    echo "== conv"; build-gpu/bench/bench_conv --device cuda 2>&1
    echo "== wavegan"; bench/run_wavegan.sh build-gpu --device cuda --d 64 --batch 64 --iters 10 2>&1
    [ -x bench/run_griffinlim.sh ] && { echo "== griffinlim"; bench/run_griffinlim.sh build-gpu 2>&1; }
    [ -x bench/run_generate.sh ] && { echo "== generate (CPU threads, then the GPU)"; bench/run_generate.sh build-gpu --count 2048 --repeats 2 2>&1; }
  } > "$out/bench.log" 2>&1
  cat "$out/bench.log"
fi
