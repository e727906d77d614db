#!/usr/bin/env bash
# Checks docker/Dockerfile without Docker: each stage's FROM becomes a fresh Ubuntu 24.04
# (noble) root made by debootstrap, and the stage's ARG, ENV, COPY, RUN and WORKDIR are
# replayed in it with chroot. Then the runtime stage's program is checked as `docker run`
# would start it: ldd finds every library, and --help, info, prepare --default, inspect, a
# 5-step smoke training, a generate from it and one from the shipped model work (as root and as another user, like
# `docker run --user`), and --device cuda fails with a clear error (there is no GPU).
#
# Usage (as root, with network access to the Ubuntu archive; it takes 5-10 minutes):
#   docker/check-without-docker.sh [--cuda DIR] [--keep] [--work DIR] [--mirror URL]
#   --cuda DIR   a CUDA 13 toolkit with cuDNN 9 (e.g. /usr/local/cuda-13.0) to put into the
#                roots where NVIDIA's images have it (the toolkit in /usr/local/cuda-13.0,
#                cuDNN in /usr/include/x86_64-linux-gnu and /usr/lib/x86_64-linux-gnu, the
#                runtime's libraries through /etc/ld.so.conf.d) so that the build stage runs
#                with -DDRUMFORGE_CUDA=ON as written. Without it the build stage runs with
#                -DDRUMFORGE_CUDA=OFF and says so.
#   --keep       leave the roots (in --work, default a new /tmp/drumforge-docker-check.XXXXXX)
#   --mirror URL the Ubuntu archive (default http://archive.ubuntu.com/ubuntu)
#
# What it cannot check: NVIDIA's images themselves (their exact package set, and the CUDA
# build inside them when --cuda points at a toolkit laid out differently), and the GPU at run
# time. It is not part of CTest or CI: it needs root and the network and takes minutes.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dockerfile="$repo/docker/Dockerfile"
mirror=http://archive.ubuntu.com/ubuntu
cuda_dir="" keep=0 work=""
while [ $# -gt 0 ]; do
  case "$1" in
    --cuda) cuda_dir=$(cd "$2" && pwd); shift 2 ;;
    --keep) keep=1; shift ;;
    --work) work=$2; shift 2 ;;
    --mirror) mirror=$2; shift 2 ;;
    *) echo "check-without-docker.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "check-without-docker.sh: needs root (debootstrap, chroot)" >&2; exit 2; }
if [ -n "$cuda_dir" ] && [ ! -x "$cuda_dir/bin/nvcc" ]; then
  echo "check-without-docker.sh: --cuda $cuda_dir: no bin/nvcc there" >&2; exit 2
fi
step() { printf '\n=== %s\n' "$*"; }
fail() { echo "check-without-docker.sh: FAILED: $*" >&2; exit 1; }

if [ -z "$work" ]; then work=$(mktemp -d /tmp/drumforge-docker-check.XXXXXX); fi
mkdir -p "$work"
work=$(cd "$work" && pwd)

# ------------------------------------------------------------------ mounts and clean-up
# A root is only ever deleted after its /proc and /dev are unmounted (rm -rf through a
# mounted /dev would delete the host's device nodes).
mounted_roots=()
mount_root() {
  mount -t proc proc "$1/proc"
  mount --rbind /dev "$1/dev"
  mount --make-rslave "$1/dev"
  mounted_roots+=("$1")
}
unmount_all() {
  local r
  for r in "${mounted_roots[@]}"; do
    umount -R "$r/dev" 2>/dev/null || true
    umount "$r/proc" 2>/dev/null || true
  done
  mounted_roots=()
}
cleanup() {
  local rc=$?
  unmount_all
  if grep -q " $work/" /proc/mounts; then
    echo "check-without-docker.sh: something under $work is still mounted; not deleting it" >&2
    grep " $work/" /proc/mounts >&2
  elif [ "$keep" = 1 ]; then
    echo "roots kept in $work"
  else
    rm -rf "$work"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ the base image
# What nvidia/cuda:*-ubuntu24.04 starts from: a minimal noble with the archive's four
# components, as ubuntu:24.04 has them.
base="$work/base"
step "debootstrap Ubuntu 24.04 (noble) into $base"
command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap; }
curl -sfI "$mirror/dists/noble/Release" >/dev/null || fail "$mirror/dists/noble/Release is not reachable"
keyring=/usr/share/keyrings/ubuntu-archive-keyring.gpg
if [ ! -f "$keyring" ]; then
  # Debian has no Ubuntu keyring package: take ubuntu-keyring from the archive itself. It
  # came over plain HTTP without a key to check it by, so this check trusts the mirror.
  echo "no $keyring here: fetching ubuntu-keyring from $mirror (unauthenticated)"
  pkg=$(curl -sf "$mirror/dists/noble/main/binary-amd64/Packages.xz" | xz -dc |
        awk '/^Package: ubuntu-keyring$/ {p=1} p && /^Filename:/ && !f {print $2; f=1}')
  curl -sf "$mirror/$pkg" -o "$work/ubuntu-keyring.deb"
  dpkg-deb -x "$work/ubuntu-keyring.deb" "$work/keyring"
  keyring="$work/keyring/usr/share/keyrings/ubuntu-archive-keyring.gpg"
fi
script=/usr/share/debootstrap/scripts/noble
[ -e "$script" ] || script=/usr/share/debootstrap/scripts/gutsy # older debootstraps: same steps
debootstrap --variant=minbase --keyring="$keyring" noble "$base" "$mirror" "$script" > "$work/debootstrap.log" 2>&1 ||
  { tail -20 "$work/debootstrap.log"; fail "debootstrap"; }
rm -f "$base/etc/apt/sources.list"
cat > "$base/etc/apt/sources.list.d/ubuntu.sources" <<EOF
Types: deb
URIs: $mirror/
Suites: noble noble-updates noble-backports
Components: main universe restricted multiverse
Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg

Types: deb
URIs: http://security.ubuntu.com/ubuntu/
Suites: noble-security
Components: main universe restricted multiverse
Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg
EOF
cp /etc/resolv.conf "$base/etc/resolv.conf"

# NVIDIA's layout, from a local toolkit: the devel image has the whole toolkit and cuDNN's
# headers and libraries; the runtime image only the shared libraries a program loads.
add_cuda() { # ROOT devel|runtime
  local root=$1 kind=$2 lib=usr/local/cuda-13.0/targets/x86_64-linux/lib
  mkdir -p "$root/usr/include/x86_64-linux-gnu" "$root/usr/lib/x86_64-linux-gnu"
  local tk_lib="$cuda_dir/targets/x86_64-linux/lib"
  [ -d "$tk_lib" ] || tk_lib="$cuda_dir/lib64"
  if [ "$kind" = devel ]; then
    cp -a "$cuda_dir/." "$root/usr/local/cuda-13.0/"
    # cuDNN moves out of the toolkit, to where libcudnn9-dev-cuda-13 puts it.
    find "$root/usr/local/cuda-13.0/" -name 'cudnn*.h' -exec mv -t "$root/usr/include/x86_64-linux-gnu/" {} +
    find "$root/usr/local/cuda-13.0/" -name 'libcudnn*' -exec mv -t "$root/usr/lib/x86_64-linux-gnu/" {} +
  else
    mkdir -p "$root/$lib"
    cp -a "$tk_lib"/libcublas.so.* "$tk_lib"/libcublasLt.so.* "$tk_lib"/libcufft.so.* "$tk_lib"/libcudart.so.* "$root/$lib/"
    find "$tk_lib/" -maxdepth 1 -name 'libcudnn*.so.9*' -exec cp -a -t "$root/usr/lib/x86_64-linux-gnu/" {} +
  fi
  if ! find "$root/usr/lib/x86_64-linux-gnu/" -maxdepth 1 -name 'libcudnn*' | grep -q .; then
    # cuDNN outside the toolkit: this machine's own, already in NVIDIA's layout.
    find /usr/lib/x86_64-linux-gnu/ -maxdepth 1 -name 'libcudnn*' -exec cp -a -t "$root/usr/lib/x86_64-linux-gnu/" {} +
    [ "$kind" = devel ] && find /usr/include/x86_64-linux-gnu/ -maxdepth 1 -name 'cudnn*.h' -exec cp -a -t "$root/usr/include/x86_64-linux-gnu/" {} +
    find "$root/usr/lib/x86_64-linux-gnu/" -maxdepth 1 -name 'libcudnn*' | grep -q . || fail "no cuDNN in $cuda_dir or /usr/lib/x86_64-linux-gnu"
  fi
  ln -sfn cuda-13.0 "$root/usr/local/cuda"
  echo /usr/local/cuda/targets/x86_64-linux/lib > "$root/etc/ld.so.conf.d/988_cuda-13.conf"
  chroot "$root" ldconfig
}

# ------------------------------------------------------------------ replaying the Dockerfile
# Instructions with their continuation lines joined, one per line.
instructions() {
  sed -e 's/[[:space:]]*$//' "$dockerfile" | grep -v '^[[:space:]]*#' |
    awk '{ if (sub(/\\$/, "")) { buf = buf $0 " " } else { print buf $0; buf = "" } }' | grep -v '^[[:space:]]*$'
}
# The environment of the nvidia/cuda images (docker inspect shows it), then the Dockerfile's.
base_env=(PATH=/usr/local/nvidia/bin:/usr/local/cuda/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
          LD_LIBRARY_PATH=/usr/local/nvidia/lib:/usr/local/nvidia/lib64
          NVIDIA_VISIBLE_DEVICES=all "NVIDIA_DRIVER_CAPABILITIES=compute,utility" HOME=/root)
declare -A args=() stage_root=()
env_now=() workdir=/ root="" stage="" entrypoint="" cmd=""
in_root() { # COMMAND...: runs in the current stage's root, environment and WORKDIR
  chroot "$root" env -i "${env_now[@]}" /bin/bash -c "cd \"\$1\" && shift && exec \"\$@\"" _ "$workdir" "$@"
}
expand() { # replaces ${NAME} and $NAME of the ARGs in scope
  local s=$1 k
  for k in "${!args[@]}"; do s=${s//\$\{$k\}/${args[$k]}}; s=${s//\$$k/${args[$k]}}; done
  printf '%s' "$s"
}
n=0
while IFS= read -r line; do
  keyword=${line%% *}; rest=${line#* }
  case "$keyword" in
    ARG)
      name=${rest%%=*}; value=""; [[ "$rest" == *=* ]] && value=${rest#*=}
      value=${value#\"}; value=${value%\"}
      args[$name]=$value ;;
    FROM)
      image=$(expand "${rest%% AS *}"); stage=""; [[ "$rest" == *" AS "* ]] && stage=${rest##* AS }
      n=$((n + 1)); root="$work/stage$n"
      step "FROM $image${stage:+ AS $stage} -> $root"
      case "$image" in
        nvidia/cuda:*-ubuntu24.04) ;;
        *) fail "FROM $image: only nvidia/cuda:*-ubuntu24.04 is emulated" ;;
      esac
      cp -a "$base" "$root"
      mount_root "$root"
      if [ -n "$cuda_dir" ]; then
        case "$image" in *-devel-*) add_cuda "$root" devel ;; *) add_cuda "$root" runtime ;; esac
      fi
      [ -n "$stage" ] && stage_root[$stage]=$root
      env_now=("${base_env[@]}"); workdir=/ ;;
    ENV)
      env_now+=("$(expand "$rest")") ;;
    WORKDIR)
      workdir=$(expand "$rest"); mkdir -p "$root$workdir" ;;
    COPY)
      from="$repo"
      if [[ "$rest" == --from=* ]]; then
        f=${rest%% *}; from=${stage_root[${f#--from=}]:-}; rest=${rest#* }
        [ -n "$from" ] || fail "COPY $f: no such stage"
      fi
      src=${rest%% *}; dst=$(expand "${rest#* }")
      echo "COPY $src -> $dst"
      if [ "$from" = "$repo" ] && [ "$src" = . ]; then
        # The build context: the repository less .dockerignore's paths, which .gitignore
        # also ignores, so git's list of files is the same set.
        mkdir -p "$root$dst"
        git -C "$repo" ls-files -z -co --exclude-standard | (cd "$repo" && tar --null -T - -cf -) | tar -xf - -C "$root$dst"
      elif [ -d "$from/$src" ]; then
        mkdir -p "$root$dst"; cp -a "$from/$src/." "$root$dst/"
      else
        mkdir -p "$(dirname "$root$dst")"; cp -a "$from/$src" "$root$dst"
      fi ;;
    RUN)
      run=$(expand "$rest")
      if [ -z "$cuda_dir" ] && [[ "$run" == *-DDRUMFORGE_CUDA=ON* ]]; then
        echo "(no --cuda: building with -DDRUMFORGE_CUDA=OFF instead of ON)"
        run=${run//-DDRUMFORGE_CUDA=ON/-DDRUMFORGE_CUDA=OFF}
      fi
      echo "RUN $run"
      log="$work/stage$n.run.log"
      in_root /bin/sh -c "$run" >> "$log" 2>&1 || { tail -30 "$log"; fail "RUN $run"; }
      tail -3 "$log" ;;
    ENTRYPOINT) entrypoint=$rest ;;
    CMD) cmd=$rest ;;
    *) fail "Dockerfile instruction '$keyword' is not emulated" ;;
  esac
done < <(instructions)

# ------------------------------------------------------------------ the image at run time
for r in "$work"/stage*/; do # Ubuntu's chromium-browser & co. are snap wrappers: dead weight in an image
  # shellcheck disable=SC2016 # dpkg-query's own ${Status}
  if chroot "$r" dpkg-query -W -f='${Status}' snapd 2>/dev/null | grep -q "install ok installed"; then
    fail "snapd was installed in ${r%/} (a package that is a snap wrapper on Ubuntu)"
  fi
done
if [ -n "$cuda_dir" ]; then # found where NVIDIA's cuDNN packages put it, not in the toolkit
  cudnn=$(grep -h '^CUDNN_' "$work"/stage*/build/CMakeCache.txt || true)
  echo "$cudnn"
  [ "$(grep -c '=/usr/\(include\|lib\)/x86_64-linux-gnu' <<< "$cudnn")" = 2 ] || fail "CMake did not find cuDNN in NVIDIA's layout"
fi
step "checking the runtime stage ($root)"
[[ "$entrypoint" == '["drumforge"]' && "$cmd" == '["--help"]' ]] || fail "ENTRYPOINT/CMD changed: update this check"
missing=$(in_root ldd /usr/local/bin/drumforge | grep 'not found' || true)
[ -z "$missing" ] || fail "libraries missing at run time: $missing"
echo "ldd: every library found"
# OpenBLAS picks its kernels by CPU as in a container; no host settings leak in (env -i).
check() { # DESCRIPTION COMMAND...
  local what=$1; shift
  echo "--- $what"
  "$@" > "$work/out.log" 2>&1 || { cat "$work/out.log"; fail "$what"; }
  tail -4 "$work/out.log"
}
check "docker run drumforge (ENTRYPOINT + CMD: --help)" in_root drumforge --help
check "drumforge info" in_root drumforge info
check "drumforge prepare --default (the Hydrogen kits in the image)" in_root drumforge prepare --default --quiet
check "drumforge inspect datasets/default" in_root drumforge inspect datasets/default
grep -q "723 examples" "$work/out.log" || fail "the default dataset does not have the 723 examples README gives"
check "smoke training, 5 steps" in_root drumforge train --config /opt/drumforge/experiments/smoke.ini --run runs/smoke --steps 5
check "generate 3 sounds" in_root drumforge generate --run runs/smoke --count 3 --out pack
[ "$(find "$root/work/pack" -name '*.wav' | wc -l)" = 3 ] || fail "generate did not write 3 files"
check "generate from the shipped quick-start model" in_root drumforge generate \
  --checkpoint /opt/drumforge/checkpoints/quickstart/model.safetensors --class kick,snare,hh_closed --count 2 \
  --peak -1 --out quick
[ "$(find "$root/work/quick" -name '*.wav' | wc -l)" = 6 ] || fail "generate from the shipped model did not write 6 files"
echo "--- --device cuda without a GPU: a one-line error"
if in_root drumforge generate --run runs/smoke --count 1 --out pack-cuda --device cuda > "$work/out.log" 2>&1; then
  fail "--device cuda succeeded without a GPU"
fi
cat "$work/out.log"
# docker run --user 1000:1000: HOME is /, the working folder belongs to that user.
mkdir -p "$root/work/user"; chown 1000:1000 "$root/work/user"
as_user() { chroot --userspec=1000:1000 "$root" env -i "${env_now[@]/#HOME=*/HOME=/}" /bin/bash -c 'cd /work/user && exec "$@"' _ "$@"; }
check "as user 1000: prepare --default, 2 training steps" as_user /bin/sh -c \
  'drumforge prepare --default --quiet && drumforge train --config /opt/drumforge/experiments/smoke.ini --run runs/smoke --steps 2'

if [ -n "$cuda_dir" ]; then built="a CUDA build with $cuda_dir"; else built="a CPU build: -DDRUMFORGE_CUDA=OFF"; fi
step "OK: the Dockerfile's stages build and its program runs ($built)"
