#!/usr/bin/env bash
# WaveGAN training iteration (5 critic steps with the gradient penalty + 1 generator step),
# drumforge beside PyTorch on the same machine, in one run. Prints both JSON lines and the
# ratio. Usage: bench/run_wavegan.sh [BUILD_DIR] [--device cpu|cuda] [--d 64] [--batch 64] [--iters 3]
set -euo pipefail
build=${1:-build}; shift || true
python=${DF_PYTHON:-/usr/bin/python3}
# Both sides get the same number of CPU threads (PyTorch's default here can be 1).
threads=${OMP_NUM_THREADS:-$(nproc)}
ours=$(OMP_NUM_THREADS=$threads "$build/bench/bench_wavegan" "$@")
echo "$ours"
if "$python" -c 'import torch' 2>/dev/null; then
  theirs=$("$python" "$(dirname "$0")/wavegan_torch.py" --threads "$threads" "$@")
  echo "$theirs"
  "$python" - "$ours" "$theirs" <<'PY'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print("speedup (pytorch time / drumforge time): %.2fx; peak memory drumforge %.0f MiB, pytorch %.0f MiB"
      % (b["seconds_per_iter"] / a["seconds_per_iter"], a["peak_bytes"] / 2**20, b["peak_bytes"] / 2**20))
PY
else
  echo "pytorch: skipped (no torch for $python)"
fi
