#!/usr/bin/env bash
# The project's image (dpclab:dev) without an image registry.
#   scripts/docker-image.sh base    print the base image to build FROM (making it when needed)
#   scripts/docker-image.sh build   build dpclab:dev FROM that base (the default)
# The base is node:20-bookworm-slim when the engine has it or can pull it; otherwise a local one made from Debian's
# own packages: debootstrap (minbase, bookworm, from the mirror apt uses) plus this machine's Node 20 and npm, imported
# as dpclab/base:bookworm-node<version>. The slow part is cached outside the clone, in $DPCLAB_DOCKER_STATE
# (/var/lib/dpclab-docker): base/<tag>.tar.gz is reused when the engine lost its images, and is rebuilt when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

state=${DPCLAB_DOCKER_STATE:-/var/lib/dpclab-docker}
upstream=node:20-bookworm-slim
image=${DPCLAB_IMAGE:-dpclab:dev}
export DOCKER_BUILDKIT=0 # Debian's engine and CLI without buildx: the classic builder (understands ARG before FROM)

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

debian_mirror() {
  if [ -n "${DPCLAB_DEBIAN_MIRROR:-}" ]; then echo "$DPCLAB_DEBIAN_MIRROR"; return; fi
  local uri=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' /etc/apt/sources.list)
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

make_local_base() {
  local tag=$1 tarball=$2
  command -v node >/dev/null 2>&1 || { echo "docker image: no node on this machine to put in the base image" >&2; return 1; }
  if ! command -v debootstrap >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "docker image: installing debootstrap (apt)…" >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >>/tmp/dpclab-apt.log 2>&1 \
        || { apt-get update -qq >>/tmp/dpclab-apt.log 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >>/tmp/dpclab-apt.log 2>&1; } \
        || { echo "docker image: apt-get install debootstrap failed (see /tmp/dpclab-apt.log)" >&2; return 1; }
    else
      echo "docker image: needs debootstrap (sudo apt-get install debootstrap) to make a base image offline" >&2
      return 1
    fi
  fi
  local mirror rootfs node_bin npm_dir
  mirror=$(debian_mirror)
  rootfs=$state/base/rootfs.tmp
  node_bin=$(readlink -f "$(command -v node)")
  npm_dir=$(dirname "$node_bin")/../lib/node_modules/npm
  [ -d "$npm_dir" ] || npm_dir=$(npm root -g)/npm
  echo "docker image: making the base image $tag: debootstrap bookworm from $mirror, then node $(node -v) (a few minutes, once)…" >&2
  rm -rf "$rootfs"
  mkdir -p "$rootfs"
  local t0=$SECONDS
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$state/base/debootstrap.log" 2>&1 \
    || { echo "docker image: debootstrap failed (see $state/base/debootstrap.log)" >&2; return 1; }
  # Node where node:20-bookworm-slim has it (/usr/local), npm and npx beside it.
  install -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
  mkdir -p "$rootfs/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  # Node's headers, as the upstream image has them: node-gyp (pkcs11js) builds against them instead of downloading.
  local headers
  headers=$(dirname "$node_bin")/../include/node
  if [ -f "$headers/common.gypi" ]; then
    mkdir -p "$rootfs/usr/local/include"
    cp -a "$headers" "$rootfs/usr/local/include/node"
  else
    echo "docker image: warning: no Node headers at $headers; node-gyp will try to download them" >&2
  fi
  # This machine reaches the npm registry through the extra CA its own Node trusts (NODE_EXTRA_CA_CERTS): so does the
  # local base (certificates only; the upstream node image, used where a registry is reachable, gets none).
  if [ -n "$(extra_ca)" ]; then
    install -m 0644 "$(extra_ca)" "$rootfs/usr/local/share/dpclab-extra-ca.pem"
  fi
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/debootstrap
  tar -C "$rootfs" --numeric-owner -czf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  rm -rf "$rootfs"
  echo "docker image: base rootfs cached as $tarball ($((SECONDS - t0)) s)" >&2
}

# The host's extra CA bundle for Node, when it holds certificates only.
extra_ca() {
  local f=${NODE_EXTRA_CA_CERTS:-}
  if [ -n "$f" ] && [ -s "$f" ] && grep -q 'BEGIN CERTIFICATE' "$f" && ! grep -q 'PRIVATE KEY' "$f"; then echo "$f"; fi
}

base() {
  if [ -n "${DPCLAB_BASE_IMAGE:-}" ]; then echo "$DPCLAB_BASE_IMAGE"; return; fi
  if have_image "$upstream"; then echo "$upstream"; return; fi
  local tag tarball
  tag=dpclab/base:bookworm-node$(node -v 2>/dev/null | tr -d v || echo none)-r2
  local ca_env=(-c "ENV npm_config_nodedir=/usr/local")
  if [ -n "$(extra_ca)" ]; then
    tag=$tag-ca$(sha256sum "$(extra_ca)" | cut -c1-8)
    ca_env+=(-c "ENV NODE_EXTRA_CA_CERTS=/usr/local/share/dpclab-extra-ca.pem")
  fi
  if have_image "$tag"; then echo "$tag"; return; fi
  # The registry, when there is one (a short try: here none is reachable).
  if [ "${DPCLAB_NO_PULL:-}" != 1 ] && timeout 30 docker pull -q "$upstream" >/dev/null 2>&1; then echo "$upstream"; return; fi
  mkdir -p "$state/base"
  tarball=$state/base/${tag//[:\/]/-}.tar.gz
  [ -s "$tarball" ] || make_local_base "$tag" "$tarball"
  docker import "${ca_env[@]}" -c 'CMD ["node"]' -m "dpclab local base: Debian bookworm (debootstrap) + Node $(node -v)" "$tarball" "$tag" >/dev/null
  echo "$tag"
}

build() {
  local from t0=$SECONDS
  from=$(base)
  echo "docker image: building $image FROM $from…" >&2
  if ! docker build -q --build-arg "BASE=$from" -t "$image" . >"$state/build.log" 2>&1; then
    echo "docker image: docker build failed (see $state/build.log):" >&2
    tail -n 20 "$state/build.log" >&2
    return 1
  fi
  echo "docker image: $image built ($((SECONDS - t0)) s)" >&2
}

mkdir -p "$state"
case "${1:-build}" in
  base) base ;;
  build) build ;;
  *)
    echo "usage: scripts/docker-image.sh [base|build]" >&2
    exit 2
    ;;
esac
