#!/usr/bin/env bash
# Generation end to end (16384-sample one-shots at d = 64 written as 16-bit WAV), drumforge
# beside PyTorch on the same machine: each with its default threads, then both with the
# same thread count (all cores, then one), on the CPU and, when one is usable, the GPU. Prints the
# JSON lines and the ratios against the targets (CPU >= 1.5x PyTorch; GPU >= 2x PyTorch eager
# and >= 50,000 sounds/s).
# Usage: bench/run_generate.sh [BUILD_DIR] [--count N] [--repeats R] [--d 64]
# (env DEVICES: cpu, cuda or all, the default: which rounds run; the GPU session uses cuda, as
# its five CPU rounds at 2048 sounds, one thread among them, would take minutes of device time)
set -euo pipefail
build=${1:-build}; shift || true
here=$(dirname "$0")
python=${DF_PYTHON:-/usr/bin/python3}
threads=$(nproc)
devices=${DEVICES:-all}
case $devices in cpu|cuda|all) ;; *) echo "run_generate: DEVICES must be cpu, cuda or all" >&2; exit 2;; esac
have_torch=0
"$python" -c 'import torch, soundfile' 2>/dev/null && have_torch=1

ratio() { # label ours theirs
  "$python" - "$@" <<'PY'
import json, sys
label, a, b = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
print("%s: drumforge %.1f sounds/s, pytorch %.1f sounds/s: %.2fx"
      % (label, a["sounds_per_second"], b["sounds_per_second"], a["sounds_per_second"] / b["sounds_per_second"]))
PY
}

ours=""
side_by_side() { # device label ours_threads torch_threads [bench args]; leaves drumforge's JSON in $ours
  local device=$1 label=$2 ours_threads=$3 torch_threads=$4; shift 4
  local theirs
  if [ -n "$ours_threads" ]; then
    ours=$(OMP_NUM_THREADS=$ours_threads "$build/bench/bench_generate" --device "$device" "$@")
  else
    ours=$(env -u OMP_NUM_THREADS "$build/bench/bench_generate" --device "$device" "$@")
  fi
  echo "$ours"
  if [ "$have_torch" = 1 ]; then
    local torch_args=() a
    for a in "$@"; do [ "$a" = --fast-batches ] || torch_args+=("$a"); done # drumforge's own
    theirs=$(cd "$here" && env -u OMP_NUM_THREADS "$python" generate_torch.py --device "$device" \
               ${torch_threads:+--threads "$torch_threads"} "${torch_args[@]}")
    echo "$theirs"
    ratio "$label" "$ours" "$theirs"
  else
    echo "pytorch: skipped (no torch or soundfile for $python)"
  fi
}

if [ "$devices" != cuda ]; then
  echo "== CPU, each with its default threads (load: $(cut -d' ' -f1-3 /proc/loadavg))"
  side_by_side cpu "cpu default threads" "" "" "$@"
  echo "== CPU, both with $threads threads"
  side_by_side cpu "cpu $threads threads" "$threads" "$threads" "$@"
  echo "== CPU, both with $threads threads, drumforge with --fast-batches (not batch-invariant)"
  side_by_side cpu "cpu $threads threads, fast batches" "$threads" "$threads" "$@" --fast-batches
  if [ "$threads" -gt 1 ]; then
    echo "== CPU, both with 1 thread"
    side_by_side cpu "cpu 1 thread" 1 1 "$@"
    echo "== CPU, both with 1 thread, drumforge with --fast-batches"
    side_by_side cpu "cpu 1 thread, fast batches" 1 1 "$@" --fast-batches
  fi
fi
if [ "$devices" != cpu ] && ! "$build/drumforge" info 2>/dev/null | grep -q "^gpu: none usable"; then
  echo "== GPU (PyTorch eager)"
  side_by_side cuda "gpu" "" "" "$@"
  "$python" - "$ours" <<'PY'
import json, sys
a = json.loads(sys.argv[1])
print("gpu end to end: %.0f sounds/s (target 50,000: %s)" % (a["sounds_per_second"],
      "met" if a["sounds_per_second"] >= 50000 else "NOT met"))
PY
fi
