#!/usr/bin/env bash
# Installs every Debian 12 package that drumforge's build, tests and demo need; on Ubuntu
# 24.04 (the Docker image's base) the same packages less two that Ubuntu does not have as
# packages: PyTorch, and Chromium (a snap there, which a container cannot install); the tests
# that need them are skipped.
# Usage: scripts/install-deps.sh [--no-data] [--no-torch] [--no-browser]
#   --no-data   skip the Hydrogen drum kits (the built-in default dataset)
#   --no-torch  skip PyTorch (only needed to regenerate fixtures and for side-by-side benchmarks)
#   --no-browser  skip Chromium (only the report-rendering test uses it, headless)
set -euo pipefail
want_data=1; want_torch=1; want_browser=1
for a in "$@"; do
  case "$a" in
    --no-data) want_data=0 ;;
    --no-torch) want_torch=0 ;;
    --no-browser) want_browser=0 ;;
    *) echo "install-deps.sh: unknown option '$a'" >&2; exit 2 ;;
  esac
done
distro=$(sed -n 's/^ID=//p' /etc/os-release 2>/dev/null | tr -d '"' || true)
if [ "$distro" = ubuntu ]; then
  [ "$want_torch" = 1 ] && echo "install-deps: Ubuntu has no PyTorch package: skipping it (the tests comparing against it are skipped)"
  [ "$want_browser" = 1 ] && echo "install-deps: Ubuntu has Chromium only as a snap: skipping it (the report-rendering test is skipped)"
  want_torch=0; want_browser=0
fi
pkgs=(
  build-essential cmake pkg-config git
  libopenblas-dev libfftw3-dev libsndfile1-dev libsoxr-dev libhdf5-dev
  libinih-dev libcjson-dev libpng-dev libxml2-dev zlib1g-dev
  python3 python3-numpy python3-h5py python3-soundfile
)
[ "$want_torch" = 1 ] && pkgs+=(python3-torch python3-torchaudio)
[ "$want_data" = 1 ] && pkgs+=(hydrogen-drumkits hydrogen-data)
[ "$want_browser" = 1 ] && pkgs+=(chromium)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages present"
  exit 0
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: installed ${missing[*]}"
