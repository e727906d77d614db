#!/bin/sh
# installed_data.sh BUILD SCRATCH: installs BUILD into SCRATCH/prefix; the installed program
# must name PREFIX/share/drumforge as its data folder and find the class table there.
set -eu
build=$1 scratch=$2
rm -rf "$scratch" && mkdir -p "$scratch"
cmake --install "$build" --prefix "$scratch/prefix" > "$scratch/install.log"
want="$scratch/prefix/bin/../share/drumforge"
for f in drum_classes.tsv loop_patterns.tsv classifier.ini; do
  test -r "$want/$f" || { echo "FAIL: $f is not installed in $want"; exit 1; }
done
help=$(env -u DRUMFORGE_DATA_DIR "$scratch/prefix/bin/drumforge" prepare --help)
echo "$help" | grep -F -q "$want/drum_classes.tsv" ||
  { echo "FAIL: the installed drumforge does not use $want:"; echo "$help" | grep -F drum_classes; exit 1; }
# The build tree's program keeps using the source tree's data/.
env -u DRUMFORGE_DATA_DIR "$build/drumforge" prepare --help | grep -F -q "/share/drumforge" &&
  { echo "FAIL: the build tree's drumforge uses an installed data folder"; exit 1; }
echo "installed data found: $want"
