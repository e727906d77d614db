#!/usr/bin/env bash
# The README's main command. On a fresh Debian 12 machine: installs the packages, builds
# drumforge (with CUDA when nvcc is present) and generates kicks, snares and closed hi-hats
# into ./generated with a manifest.
#   scripts/quickstart.sh            from the shipped quick-start model
#                                    (checkpoints/quickstart/, trained for about an hour on a CPU)
#   scripts/quickstart.sh MINUTES    trains your own (experiments/quickstart.ini on the built-in
#                                    dataset, runs/quickstart) for MINUTES on whatever device there
#                                    is, then generates from it; running it again resumes the
#                                    training for another MINUTES.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-}
case "$minutes" in *[!0-9]*|0) echo "usage: scripts/quickstart.sh [MINUTES]" >&2; exit 2 ;; esac

if [ -z "$minutes" ]; then
  scripts/install-deps.sh --no-torch --no-browser --no-data
else
  scripts/install-deps.sh --no-torch --no-browser
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DDRUMFORGE_CUDA=AUTO > build.log 2>&1 ||
  { cat build.log; exit 1; }
cmake --build build -j "$(nproc)" >> build.log 2>&1 || { tail -40 build.log; exit 1; }
echo "built build/drumforge (log: build.log)"
df=build/drumforge

if [ -z "$minutes" ]; then
  model=(--checkpoint checkpoints/quickstart/model.safetensors)
  echo "generating from the shipped quick-start model (checkpoints/quickstart/README.md)"
else
  [ -f datasets/default/manifest.json ] || "$df" prepare --default
  echo "training runs/quickstart for $minutes minutes (Ctrl-C stops early and keeps a checkpoint;"
  echo "the ETA shown is for the experiment's step limit, far beyond the quick start's time limit)"
  # SIGTERM at the time limit makes train write a checkpoint and exit 0.
  timeout --signal=TERM --preserve-status "$((minutes * 60))" \
    "$df" train --config experiments/quickstart.ini --run runs/quickstart
  model=(--run runs/quickstart)
fi

"$df" generate "${model[@]}" --class kick,snare,hh_closed --count 8 --peak -1 \
  --out generated --overwrite --quiet
echo "your sounds: $(pwd)/generated (kick_*, snare_*, hh_closed_*.wav; manifest.jsonl lists each"
echo "file's class, seed, position and latent). Train your own: scripts/quickstart.sh 10"
