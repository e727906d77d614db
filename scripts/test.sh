#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine and runs drumforge's whole test suite:
#   1. installs the Debian packages (scripts/install-deps.sh),
#   2. builds with -Werror and _FORTIFY_SOURCE=3 (the CUDA objects too whenever nvcc is present),
#   3. runs every CTest test,
#   4. rebuilds the library and unit tests with AddressSanitizer + UBSan and runs them again.
# Usage: scripts/test.sh [--no-sanitize] [ctest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
sanitize=1
if [ "${1:-}" = "--no-sanitize" ]; then sanitize=0; shift; fi
jobs=$(nproc)

scripts/install-deps.sh

echo "== build (build/)"
# _FORTIFY_SOURCE=3 as Ubuntu's gcc sets by default: a fortified call whose result is unchecked
# is a -Werror failure there (it broke the test suite's build in the Docker image's Ubuntu).
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DDRUMFORGE_WERROR=ON -DDRUMFORGE_CUDA=AUTO \
      -DCMAKE_C_FLAGS="-U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3"
cmake --build build -j "$jobs"
echo "== tests"
(cd build && ctest --output-on-failure -j "$jobs" "$@")

if [ "$sanitize" = 1 ]; then
  echo "== sanitizer build (build-asan/: AddressSanitizer + UndefinedBehaviorSanitizer, CPU only)"
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DDRUMFORGE_WERROR=ON -DDRUMFORGE_CUDA=OFF \
        -DDRUMFORGE_SANITIZE=ON -DCMAKE_C_FLAGS="-O1"
  cmake --build build-asan -j "$jobs"
  echo "== sanitizer tests (label: unit)"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
     ctest --output-on-failure -j "$jobs" -L unit "$@")
fi
echo "== all tests passed"
