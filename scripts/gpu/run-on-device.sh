#!/usr/bin/env bash
# Runs on the lent GPU machine (carry build-gpu, made by scripts/gpu/build-for-device.sh): the
# tests with CUDA cases first, then the quick kernel tests again under compute-sanitizer's
# memcheck, then the rest of the CTest suite (commands left at --device auto run on the GPU
# there), then the GPU benchmarks beside PyTorch, writing logs under $OUT.
#   run(command="scripts/gpu/run-on-device.sh [all|gpu-tests|tests|bench]",
#       carry=["build-gpu", ".whl"], timeout_s=600)
# The session's device time is short (15 minutes in all, the machine's start included), so the
# whole run keeps to BUDGET seconds (env, default 530): every step runs under `timeout` with its
# own cap, cut to what is left; a step with under 15 s left is skipped and says so; without a
# usable GPU it stops after saying why (device.txt). Each step's
# log is written under $OUT as it runs (a cut-off still brings back what was done) and
# $OUT/summary.txt gets one line per step at once; the summary is printed again last, so the
# tool's output tail holds it.
set -uo pipefail
what=${1:-all}
case $what in all|gpu-tests|tests|bench) ;; *) echo "usage: run-on-device.sh [all|gpu-tests|tests|bench]" >&2; exit 2;; esac
budget=${BUDGET:-530}
out=${OUT:-/tmp/out}; mkdir -p "$out"
summary=$out/summary.txt
: > "$summary"
note() { echo "$*" | tee -a "$summary"; }

# The tests with CUDA cases (they report "skipped (no GPU)" without one), the backend's own
# first: if it fails, the rest will too.
gpu_tests=(test_cuda_backend test_ops_elementwise test_ops_band test_ops_conv test_ops_dense_norm
           test_optim test_rng test_loss test_latent_loss test_dsp_stft test_dsp_griffinlim
           test_dsp_mel test_dsp_db test_dsp_normalize test_dsp_empty_batch test_dsp_args
           test_eval_metrics test_api_misuse test_ops_torch test_specae_torch test_specae_infer
           test_generate_determinism test_generate_memory test_loader_order test_cli)
gpu_regex="^($(IFS='|'; echo "${gpu_tests[*]}"))\$"

# step NAME CAP LOG COMMAND...: runs the command under timeout with min(CAP, time left - 5 s),
# its output into LOG; records the exit status and the seconds taken.
step() {
  local name=$1 cap=$2 log=$3; shift 3
  local left=$((budget - SECONDS - 5))
  [ "$cap" -gt "$left" ] && cap=$left
  if [ "$cap" -lt 15 ]; then note "$name: skipped ($((budget - SECONDS)) s of the budget left)"; return; fi
  local t0=$SECONDS rc
  echo "== $name (cap ${cap} s)" >> "$log"
  timeout -k 10 "$cap" "$@" >> "$log" 2>&1
  rc=$?
  local how="exit $rc"
  [ $rc = 124 ] || [ $rc = 137 ] && how="CUT OFF at its ${cap} s cap"
  note "$name: $how, $((SECONDS - t0)) s"
}

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
# runtime-compiled engines open at run time. The usual places first: a search of / is slow.
add_lib_dir() {
  local path root
  for root in /usr/local /opt /usr/lib /usr/lib64 /root /; do
    [ -d "$root" ] || continue
    path=$(timeout 60 find "$root" \( -path /proc -o -path /sys -o -path /dev -o -path '*/stubs' \) \
             -prune -o -name "$1" -print -quit 2>/dev/null)
    [ -n "$path" ] && break
  done
  if [ -n "$path" ]; then
    export LD_LIBRARY_PATH=$LD_LIBRARY_PATH:$(dirname "$path")
    note "libraries: $1 from $(dirname "$path")"
  else
    note "libraries: $1 not found on this machine"
  fi
}
for lib in $(ldd build-gpu/libdrumforge.so | awk '/not found/ {print $1}' | sort -u); do add_lib_dir "$lib"; done
# (grep reads all of ldconfig's output: with -q it could stop early, and pipefail would then
# report ldconfig's SIGPIPE as no match)
ldconfig -p | grep 'libnvrtc\.so\.13 ' > /dev/null || add_lib_dir libnvrtc.so.13
missing=$(ldd build-gpu/libdrumforge.so | awk '/not found/ {print $1}' | sort -u | tr '\n' ' ')
[ -n "$missing" ] && note "libraries: STILL MISSING: $missing(every CUDA case will fail to load)"
# The build compiled in /work/main paths (sources, fixtures, the drumforge binary); env
# DF_BUILD_ROOT names another checkout for a dry run on a machine that has a /work/main.
root=${DF_BUILD_ROOT:-/work/main}
if [ ! -e "$root" ]; then mkdir -p "$(dirname "$root")" && ln -s "$(pwd)" "$root"; fi
cd "$root" || exit 1
export DF_PYTHON=$(command -v python3)
# Python packages that machine lacks travel as wheels in .whl (carry it too; the device
# README says how to fetch them): soundfile, cffi and pycparser for the PyTorch side of the
# generation benchmark, which writes its sounds with soundfile.
if ls .whl/*.whl > /dev/null 2>&1; then
  if timeout 120 "$DF_PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
       --target /tmp/site .whl/*.whl > /tmp/pip.log 2>&1; then
    export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
    note "python: installed $(cd .whl && ls *.whl | sed 's/-[0-9].*//' | tr '\n' ' ')from .whl"
  else
    note "python: the wheels in .whl did not install: $(tail -n 1 /tmp/pip.log)"
  fi
fi
# CTest sets DF_PYTHON per test to the build machine's /usr/bin/python3 (tests/CMakeLists.txt),
# which overrides the export above; here that Python (if any) has no torch, so the PyTorch
# comparisons, the CUDA ones among them, would all be skipped. Point the tests at this one.
if ! /usr/bin/python3 -c 'import torch' > /dev/null 2>&1; then
  find build-gpu -name CTestTestfile.cmake -exec sed -i "s#/usr/bin/python3#$DF_PYTHON#g" {} +
fi
# (under timeout: a driver that hangs at the first CUDA call must not take the whole lease)
{ timeout 30 nvidia-smi; echo; timeout 90 build-gpu/drumforge info; } > "$out/device.txt" 2>&1
cat "$out/device.txt"
note "device: $(grep -m1 '^gpu:' "$out/device.txt" || echo 'drumforge info failed')"
# Without a usable GPU the rest would be the CPU suite CI already runs: say why and stop, so
# that a second call can still fit in the lease (env ON_NO_GPU=continue goes on: dry runs).
if ! grep -q '^gpu: ' "$out/device.txt" || grep -q '^gpu: none usable' "$out/device.txt"; then
  {
    echo "== why: $(timeout 60 build-gpu/bench/bench_generate --device cuda --count 1 2>&1 | tail -n 1)"
    echo "== LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
    echo "== ldd build-gpu/libdrumforge.so"; ldd build-gpu/libdrumforge.so
  } >> "$out/device.txt" 2>&1
  note "NO USABLE GPU: $(grep -m1 '^== why: ' "$out/device.txt" | cut -c9-) (ldd and LD_LIBRARY_PATH in device.txt)"
  if [ "${ON_NO_GPU:-stop}" != continue ]; then cat "$summary"; exit 1; fi
fi
note "setup: $SECONDS s"

# ctest_step NAME CAP LOG CTEST-ARGS...: one CTest run; its complete output (LastTest.log) is
# kept beside LOG, and each test's own totals line ("N passed, N failed, N skipped (no GPU)")
# goes into the summary, so that a GPU case that was skipped is not taken for one that passed.
ctest_step() {
  local name=$1 cap=$2 log=$3; shift 3
  rm -f build-gpu/Testing/Temporary/LastTest.log # (a run that is cut off writes none)
  step "$name" "$cap" "$log" ctest --test-dir build-gpu --output-on-failure --timeout 120 "$@"
  cp build-gpu/Testing/Temporary/LastTest.log "${log%.log}-full.log" 2>/dev/null
  grep -E '^(Total Test time|[0-9]+% tests passed)' "$log" | sed "s/^/$name: /" >> "$summary"
  # failures as they happened ("***Failed", "***Timeout", "***Exception: SegFault"), also when cut off
  grep -E 'Test +#[0-9]+: test_.*\*\*\*' "$log" | sed "s/^ */$name: /" >> "$summary"
  grep -aE '^test_[a-z0-9_]+: [0-9]+ passed, [0-9]+ failed' "${log%.log}-full.log" 2>/dev/null \
    | sed "s/^/  /" >> "$summary"
}

# memcheck NAME...: the tests under compute-sanitizer's memcheck, 4 at a time, each capped at
# 60 s, for out-of-bounds and misaligned accesses in kernels that never ran before; the quick
# tests of drumforge's own kernels (cuDNN's algorithm search is slow under the sanitizer).
memcheck_tests=(test_ops_elementwise test_ops_band test_loss test_latent_loss test_optim test_rng
                test_dsp_stft test_dsp_griffinlim test_dsp_normalize test_dsp_db test_dsp_mel
                test_dsp_empty_batch test_eval_metrics test_ops_dense_norm test_cuda_backend)
memcheck_one() {
  local log=/tmp/memcheck/$1.log
  (cd build-gpu/tests && OMP_NUM_THREADS=2 timeout -k 5 60 "$san" --tool memcheck --error-exitcode 99 \
     --print-limit 10 "./$1") > "$log" 2>&1
  echo "  memcheck $1: exit $? (99: memory errors), $(grep -am1 'ERROR SUMMARY' "$log" || echo 'no error summary')"
}
memcheck() {
  san=$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -n 1)
  if [ -z "$san" ]; then note "memcheck: skipped (no compute-sanitizer)"; return; fi
  rm -rf /tmp/memcheck && mkdir -p /tmp/memcheck
  export san DF_PYTHON; export -f memcheck_one
  step "memcheck" 75 "$out/memcheck.log" bash -c 'printf "%s\n" "$@" | xargs -P 4 -I{} bash -c "memcheck_one {}"' _ "$@"
  grep -a '^  memcheck ' "$out/memcheck.log" >> "$summary"
  for f in /tmp/memcheck/*.log; do [ -e "$f" ] && { echo "==== $f"; cat "$f"; } >> "$out/memcheck.log"; done
}

if [ "$what" != bench ]; then
  ctest_step "gpu tests" 200 "$out/ctest-gpu.log" -j 6 -R "$gpu_regex"
  grep -q '^gpu: none usable' "$out/device.txt" || memcheck "${memcheck_tests[@]}"
  [ "$what" = gpu-tests ] || ctest_step "other tests" 150 "$out/ctest-rest.log" -j 12 -E "$gpu_regex"
fi
if [ "$what" = bench ] || [ "$what" = all ]; then
  bench=$out/bench.log
  step "bench conv" 60 "$bench" build-gpu/bench/bench_conv --device cuda --min-time 0.25
  step "bench wavegan" 90 "$bench" bench/run_wavegan.sh build-gpu --device cuda --d 64 --batch 64 --iters 10
  step "bench griffinlim" 75 "$bench" env REPEAT=3 bench/run_griffinlim.sh build-gpu
  step "bench generate" 75 "$bench" env DEVICES=cuda bench/run_generate.sh build-gpu --count 2048 --repeats 2
  grep -E 'All passes|speedup|faster|convergence|per second|sounds/s|NOT met' "$bench" 2>/dev/null | sed 's/^/  /' >> "$summary"
fi
note "total: $SECONDS s of the ${budget} s budget"
echo
echo "================ summary ($summary)"
cat "$summary"
