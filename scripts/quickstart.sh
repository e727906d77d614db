#!/usr/bin/env bash
# The README's main command. On a fresh Debian 12 machine: installs the packages, builds
# drumforge (with CUDA when nvcc is present), prepares the built-in dataset, trains the
# quick-start model (experiments/quickstart.ini) for a few minutes on whatever device there is
# (the GPU when one is usable), and generates kicks, snares and closed hi-hats into
# ./generated with a manifest. Running it again resumes the training for another few minutes.
# Usage: scripts/quickstart.sh [MINUTES]   (default 4)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-4}
case "$minutes" in ''|*[!0-9]*) echo "usage: scripts/quickstart.sh [MINUTES]" >&2; exit 2 ;; esac

scripts/install-deps.sh --no-torch --no-browser
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DDRUMFORGE_CUDA=AUTO > build.log 2>&1 ||
  { cat build.log; exit 1; }
cmake --build build -j "$(nproc)" >> build.log 2>&1 || { tail -40 build.log; exit 1; }
echo "built build/drumforge (log: build.log)"
df=build/drumforge

[ -f datasets/default/manifest.json ] || "$df" prepare --default

echo "training runs/quickstart for $minutes minutes (Ctrl-C stops early and keeps a checkpoint;"
echo "the ETA shown is for the experiment's step limit, far beyond the quick start's time limit)"
# SIGTERM at the time limit makes train write a checkpoint and exit 0.
timeout --signal=TERM --preserve-status "$((minutes * 60))" \
  "$df" train --config experiments/quickstart.ini --run runs/quickstart

"$df" generate --run runs/quickstart --class kick,snare,hh_closed --count 8 --peak -1 \
  --out generated --overwrite --quiet
echo "your sounds: $(pwd)/generated (kick_*, snare_*, hh_closed_*.wav; manifest.jsonl lists each"
echo "file's class, seed, position and latent). Train longer: scripts/quickstart.sh 30"
