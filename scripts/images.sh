#!/usr/bin/env bash
# Builds the local test images without BuildKit and without the internet, from binaries of this machine:
#   dirk.local/busybox:latest  Debian's static busybox, applet symlinks in /bin, /tmp, /etc/passwd, /etc/group
#   dirk.local/node:20         this machine's node + the shared libraries it needs + busybox
#   dirk.local/registry:2      Debian's docker-registry (as REGISTRY_BIN) + its libraries + busybox, serving :5000
#                              from /var/lib/registry (the services tests run it as a service)
# and pushes them to the local registry as 127.0.0.1:5000/busybox:latest and 127.0.0.1:5000/node:20.
#
# Idempotent: an image is rebuilt only when missing (FORCE=1 rebuilds), pushed only when the registry lacks it.
# Env: BUSYBOX (default /bin/busybox), NODE_BIN (default `command -v node`), REGISTRY (default 127.0.0.1:5000,
# empty to skip pushing).
set -euo pipefail

FORCE="${FORCE:-0}"
BUSYBOX="${BUSYBOX:-/bin/busybox}"
NODE_BIN="${NODE_BIN:-$(command -v node || true)}"
REGISTRY="${REGISTRY-127.0.0.1:5000}"
REGISTRY_BIN="${REGISTRY_BIN:-/usr/bin/docker-registry}"
IMAGE_PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

log() { printf 'images: %s\n' "$*" >&2; }
die() { printf 'images: error: %s\n' "$*" >&2; exit 1; }

command -v docker >/dev/null || die "docker client not found (run: bash scripts/setup.sh)"
docker info >/dev/null 2>&1 || die "cannot reach the Docker daemon (run: bash scripts/setup.sh)"
[ -x "$BUSYBOX" ] || die "$BUSYBOX not found (apt-get install -y busybox-static)"
if ldd "$BUSYBOX" >/dev/null 2>&1; then
  die "$BUSYBOX is dynamically linked; install the static one (apt-get install -y busybox-static)"
fi

WORK="$(mktemp -d /tmp/dirk-images.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# Adds busybox, its applets as symlinks in /bin, and a minimal /etc and /tmp to the root $1.
add_base() {
  local root="$1"
  mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/root" "$root/usr/bin" "$root/usr/local/bin" "$root/var/tmp"
  chmod 1777 "$root/tmp" "$root/var/tmp"
  chmod 700 "$root/root"
  cp "$BUSYBOX" "$root/bin/busybox"
  chmod 755 "$root/bin/busybox"
  local applet
  for applet in $("$BUSYBOX" --list); do
    [ "$applet" = busybox ] && continue
    [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
  done
  [ -e "$root/bin/sh" ] || ln -s busybox "$root/bin/sh"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
}

# docker import of the root dir $1 as image $2, with extra --change arguments after.
import_root() {
  local root="$1" name="$2"
  shift 2
  tar --numeric-owner --owner=0 --group=0 -C "$root" -c . |
    docker import --change "ENV PATH=$IMAGE_PATH" "$@" - "$name" >/dev/null
}

build_busybox() {
  local name="dirk.local/busybox:latest"
  if [ "$FORCE" != 1 ] && image_exists "$name"; then
    log "$name present"
    return
  fi
  log "building $name from $BUSYBOX"
  local root="$WORK/busybox"
  add_base "$root"
  import_root "$root" "$name" --change 'CMD ["sh"]'
  docker run --rm --network none "$name" sh -c 'echo ok' | grep -qx ok || die "$name does not run sh"
  log "built $name"
}

build_node() {
  local name="dirk.local/node:20"
  if [ "$FORCE" != 1 ] && image_exists "$name"; then
    log "$name present"
    return
  fi
  [ -n "$NODE_BIN" ] && [ -x "$NODE_BIN" ] || die "node not found on this machine"
  local node_real
  node_real="$(readlink -f "$NODE_BIN")"
  log "building $name from $node_real ($("$node_real" --version))"
  local root="$WORK/node"
  add_base "$root"
  cp "$node_real" "$root/usr/local/bin/node"
  chmod 755 "$root/usr/local/bin/node"
  # Every shared library ldd lists (copied at the path ldd names, symlinks resolved), and the dynamic loader.
  local lib
  for lib in $(ldd "$node_real" | awk '/=> \// { print $3 } /^[ \t]*\// { print $1 }'); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  [ -n "$(ls -A "$root/lib64" 2>/dev/null || true)$(ls -A "$root/lib" 2>/dev/null || true)" ] ||
    die "ldd $node_real listed no libraries"
  import_root "$root" "$name" --change "ENV HOME=/root" --change 'CMD ["node"]'
  docker run --rm --network none "$name" node -e 'console.log(1)' | grep -qx 1 || die "$name does not run node"
  docker run --rm --network none "$name" sh -c 'echo ok' | grep -qx ok || die "$name does not run sh"
  log "built $name"
}

build_registry() {
  local name="dirk.local/registry:2"
  if [ "$FORCE" != 1 ] && image_exists "$name"; then
    log "$name present"
    return
  fi
  [ -x "$REGISTRY_BIN" ] || die "$REGISTRY_BIN not found (apt-get install -y docker-registry)"
  log "building $name from $REGISTRY_BIN"
  local root="$WORK/registry"
  add_base "$root"
  cp "$(readlink -f "$REGISTRY_BIN")" "$root/usr/bin/registry"
  chmod 755 "$root/usr/bin/registry"
  local lib
  for lib in $(ldd "$REGISTRY_BIN" | awk '/=> \// { print $3 } /^[ \t]*\// { print $1 }'); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  mkdir -p "$root/etc/registry" "$root/var/lib/registry"
  printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /var/lib/registry\n  delete:\n    enabled: true\nhttp:\n  addr: :5000\n' \
    >"$root/etc/registry/config.yml"
  import_root "$root" "$name" --change 'EXPOSE 5000/tcp' --change 'ENTRYPOINT ["/usr/bin/registry"]' \
    --change 'CMD ["serve", "/etc/registry/config.yml"]'
  docker run --rm --network none --entrypoint /usr/bin/registry "$name" --version >/dev/null 2>&1 ||
    die "$name does not run the registry"
  log "built $name"
}

registry_has() { # repo tag
  local code
  code="$(curl -s -o /dev/null -w '%{http_code}' -m 5 \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$REGISTRY/v2/$1/manifests/$2" 2>/dev/null || true)"
  [ "$code" = 200 ]
}

push() { # local-name repo tag
  local local_name="$1" repo="$2" tag="$3"
  if [ "$FORCE" != 1 ] && registry_has "$repo" "$tag"; then
    log "$REGISTRY/$repo:$tag present"
    return
  fi
  docker tag "$local_name" "$REGISTRY/$repo:$tag"
  docker push "$REGISTRY/$repo:$tag" >/dev/null || die "docker push $REGISTRY/$repo:$tag failed"
  log "pushed $REGISTRY/$repo:$tag"
}

build_busybox
build_node
build_registry

if [ -n "$REGISTRY" ]; then
  command -v curl >/dev/null || die "curl not found (apt-get install -y curl)"
  curl -s -o /dev/null -m 5 "http://$REGISTRY/v2/" ||
    die "no registry answers at $REGISTRY (run: bash scripts/setup.sh)"
  push dirk.local/busybox:latest busybox latest
  push dirk.local/node:20 node 20
fi
