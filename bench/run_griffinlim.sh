#!/usr/bin/env bash
# Griffin-Lim side by side: drumforge (bench/bench_griffinlim.c) and torchaudio
# (bench/griffinlim_torch.py) on the same machine and the same magnitudes (64 one-second 16 kHz
# sounds, n_fft 512, hop 128, 32 iterations, momentum 0.99), on the CPU and, when usable, the GPU;
# prints both RESULT lines and the ratios against the targets (>= 2x torchaudio's speed at equal
# or better spectral convergence; >= 10,000 spectrograms per second on the GPU).
#
# Usage: bench/run_griffinlim.sh [BUILD_DIR]     (env: THREADS, default nproc; REPEAT, default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
threads=${THREADS:-$(nproc)}
repeat=${REPEAT:-5}
batch=64
iters=32
py=${DF_PYTHON:-/usr/bin/python3}
[ -x "$py" ] || py=python3
input=$(mktemp /tmp/griffinlim-input.XXXXXX)
trap 'rm -f "$input"' EXIT

field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
compare() { # compare LABEL OURS THEIRS
  local ours=$2 theirs=$3
  awk -v l="$1" -v a="$(field "$ours" best_s)" -v b="$(field "$theirs" best_s)" \
      -v sa="$(field "$ours" sc_mean)" -v sb="$(field "$theirs" sc_mean)" 'BEGIN {
    r = b / a
    printf "%s: drumforge %.3f s, torchaudio %.3f s: %.2fx faster (target >= 2x: %s)\n", l, a, b, r, (r >= 2 ? "met" : "NOT met")
    printf "%s: spectral convergence drumforge %.4f, torchaudio %.4f (target equal or better: %s)\n", l, sa, sb, (sa <= sb ? "met" : "NOT met")
  }'
}

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; threads used: $threads"
ours=$(OMP_NUM_THREADS=$threads "$build/bench/bench_griffinlim" --device all --batch $batch \
       --iters $iters --repeat "$repeat" --write-input "$input")
echo "$ours"
torch_cpu=$("$py" bench/griffinlim_torch.py --input "$input" --batch $batch --iters $iters \
            --repeat "$repeat" --threads "$threads" --device cpu)
echo "$torch_cpu"
compare cpu "$(grep 'device=cpu' <<<"$ours")" "$torch_cpu"

gpu64=$(grep "device=cuda batch=$batch " <<<"$ours" || true)
if [ -n "$gpu64" ]; then
  gpu_big=$(grep 'device=cuda' <<<"$ours" | tail -n 1)
  awk -v p="$(field "$gpu_big" per_s)" -v b="$(field "$gpu_big" batch)" 'BEGIN {
    printf "cuda: %.0f one-second spectrograms per second at batch %d (target >= 10000: %s)\n", p, b, (p >= 10000 ? "met" : "NOT met") }'
  if "$py" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    torch_gpu=$("$py" bench/griffinlim_torch.py --input "$input" --batch $batch --iters $iters \
                --repeat "$repeat" --device cuda)
    echo "$torch_gpu"
    compare cuda "$gpu64" "$torch_gpu"
  else
    echo "cuda: this Python's torch has no CUDA: no torchaudio GPU comparison"
  fi
fi
