#!/bin/sh
# library_example.sh SOURCE BUILD SCRATCH CC: installs BUILD into SCRATCH/prefix, extracts the
# C example of README "Using the C library", compiles it with pkg-config and runs it.
set -eu
src=$1 build=$2 scratch=$3 cc=$4
rm -rf "$scratch" && mkdir -p "$scratch"
cmake --install "$build" --prefix "$scratch/prefix" > "$scratch/install.log"
sed -n '/^\/\* tanh.c \*\//,/^```/p' "$src/README.md" | sed '$d' > "$scratch/tanh.c"
test -s "$scratch/tanh.c"
PKG_CONFIG_PATH="$scratch/prefix/lib/pkgconfig"
export PKG_CONFIG_PATH
"$cc" -std=c11 -Wall -Werror "$scratch/tanh.c" $(pkg-config --cflags --libs drumforge) -o "$scratch/tanh"
out=$("$scratch/tanh")
echo "$out"
# The example fills x with 0.5 and prints tanh(x): tanh(0.5) = 0.4621171573 to six places.
test "$out" = "0.462117 0.462117 0.462117"
