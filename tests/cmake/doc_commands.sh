#!/bin/sh
# doc_commands.sh SOURCE DRUMFORGE: every drumforge command line the documentation shows (the
# README's and checkpoints/quickstart/README.md's sh blocks, the experiment files' headers) is
# one the command accepts: run with --help appended, every option before it must parse (an
# unknown option or a bad value is a usage error, exit 2). Synopses with [...] are left out.
set -u
src=$1 drumforge=$2
list=$(mktemp) && trap 'rm -f "$list"' EXIT
for md in "$src/README.md" "$src/checkpoints/quickstart/README.md"; do
  # Lines of ```sh blocks, continuation lines joined.
  awk '/^```sh/ {on = 1; next} /^```/ {on = 0} on {
         if (sub(/\\$/, "")) { line = line $0; next } print line $0; line = "" }' "$md"
done > "$list"
for ini in "$src"/experiments/*.ini; do
  awk '/^;/ { sub(/^;[ \t]*/, ""); if (sub(/\\$/, "")) { line = line $0; next } print line $0; line = "" }' "$ini"
done >> "$list"
n=0 bad=0
while IFS= read -r line; do
  cmd=$(printf '%s\n' "$line" | sed -n 's/^[[:space:]]*\(build\/\)\{0,1\}drumforge[[:space:]]\{1,\}//p' |
        sed 's/[[:space:]]\{1,\}#.*$//; s/[[:space:]]\{2,\}(.*$//')
  [ -n "$cmd" ] || continue
  case "$cmd" in *'['*|*'...'*|*' RUN '*|*'OPTIONS'*) continue ;; esac
  n=$((n + 1))
  if ! out=$(eval "set -- $cmd" && "$drumforge" "$@" --help 2>&1 >/dev/null); then
    echo "FAIL: drumforge $cmd"
    echo "      $out"
    bad=$((bad + 1))
  fi
done < "$list"
echo "$n documented command lines, $bad refused"
[ "$n" -gt 30 ] && [ "$bad" -eq 0 ]
