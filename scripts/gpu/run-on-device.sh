#!/usr/bin/env bash
# Runs on the lent GPU machine (carry build-gpu, made by scripts/gpu/build-for-device.sh):
# the whole CTest suite (the CUDA cases run there instead of being skipped) and the GPU
# benchmarks beside PyTorch, writing logs and figures under $OUT.
#   run(command="scripts/gpu/run-on-device.sh [tests|bench|all]", carry=["build-gpu"])
set -uo pipefail
what=${1:-all}
out=${OUT:-/tmp/out}; mkdir -p "$out"
mkdir -p /tmp/libs && tar xJf build-gpu/gpu-libs.tar.xz -C /tmp/libs
# The packed libstdc++ (Debian 12's, GCC 12) would shadow this machine's newer one for every
# program started below (ctest, python3 with torch) and break those that need newer symbols:
# keep the machine's own when it has every version ours has.
sys_cxx=$(ldconfig -p | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}')
our_cxx=$(grep -ao 'GLIBCXX_3\.4\.[0-9]*' /tmp/libs/libstdc++.so.6 2>/dev/null | sort -uV | tail -n 1)
if [ -n "$sys_cxx" ] && [ -n "$our_cxx" ] && grep -qaF "$our_cxx" "$sys_cxx"; then
  rm -f /tmp/libs/libstdc++.so.6 /tmp/libs/libgcc_s.so.1
fi
export LD_LIBRARY_PATH=/tmp/libs:${LD_LIBRARY_PATH:-}
# cuBLAS, cuFFT and cuDNN are the machine's own (pack-libs leaves them out) and the binaries
# carry no path to them: add the folder of each one the loader does not find by itself (cuDNN
# may sit only in the Python environment's nvidia packages), and NVRTC's, which cuDNN's
# runtime-compiled engines open at run time.
add_lib_dir() {
  local path
  path=$(find / \( -path /proc -o -path /sys -o -path '*/stubs' \) -prune -o -name "$1" -print 2>/dev/null | head -n 1)
  if [ -n "$path" ]; then export LD_LIBRARY_PATH=$LD_LIBRARY_PATH:$(dirname "$path")
  else echo "run-on-device: $1 not found on this machine" >&2; fi
}
for lib in $(ldd build-gpu/libdrumforge.so | awk '/not found/ {print $1}'); do add_lib_dir "$lib"; done
ldconfig -p | grep -q 'libnvrtc\.so\.13 ' || add_lib_dir libnvrtc.so.13
# The build compiled in /work/main paths (sources, fixtures, the drumforge binary).
if [ ! -e /work/main ]; then mkdir -p /work && ln -s "$(pwd)" /work/main; fi
cd /work/main
export DF_PYTHON=$(command -v python3)
# CTest sets DF_PYTHON per test to the build machine's /usr/bin/python3 (tests/CMakeLists.txt),
# which overrides the export above; here that Python (if any) has no torch, so the PyTorch
# comparisons, the CUDA ones among them, would all be skipped. Point the tests at this one.
if ! /usr/bin/python3 -c 'import torch' > /dev/null 2>&1; then
  find build-gpu -name CTestTestfile.cmake -exec sed -i "s#/usr/bin/python3#$DF_PYTHON#g" {} +
fi
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
