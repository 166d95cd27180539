#!/usr/bin/env bash
# Prepares a machine for dirk's tests: node_modules, Docker (daemon), a local registry on 127.0.0.1:5000, and the
# locally built test images (scripts/images.sh). Idempotent: only what is missing is installed or started.
# Run as root on a fresh Debian machine; as another user it does what it can and prints what is left to do.
#
# Env: DIRK_SETUP_STATE (default /tmp/dirk-setup, or /tmp/dirk-setup-<uid> when not root: logs, pid files,
#      registry config),
#      DIRK_REGISTRY_DATA (default /var/lib/dirk-registry as root, else $DIRK_SETUP_STATE/registry),
#      DOCKER_WAIT (seconds to wait for the daemon, default 60), DOCKERD_ARGS (extra dockerd flags, e.g.
#      "--storage-driver vfs --iptables=false" inside a container), DOCKER_PIDFILE (dockerd's pid file, default
#      /var/run/docker.pid: a live dockerd named there is waited for, never started twice).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

REGISTRY_ADDR="127.0.0.1:5000"
DOCKER_WAIT="${DOCKER_WAIT:-60}"
DOCKER_PIDFILE="${DOCKER_PIDFILE:-/var/run/docker.pid}"
IS_ROOT=0
[ "$(id -u)" = 0 ] && IS_ROOT=1
if [ "$IS_ROOT" = 1 ]; then
  STATE="${DIRK_SETUP_STATE:-/tmp/dirk-setup}"
else
  STATE="${DIRK_SETUP_STATE:-/tmp/dirk-setup-$(id -u)}"
fi
if [ "$IS_ROOT" = 1 ]; then
  REGISTRY_DATA="${DIRK_REGISTRY_DATA:-/var/lib/dirk-registry}"
else
  REGISTRY_DATA="${DIRK_REGISTRY_DATA:-$STATE/registry}"
fi
mkdir -p "$STATE"

log() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# ---- node_modules -------------------------------------------------------------------------------------------------
node_modules_fresh() {
  [ -d node_modules ] || return 1
  [ -f node_modules/.package-lock.json ] || return 1
  [ package.json -nt node_modules/.package-lock.json ] && return 1
  if [ -f package-lock.json ] && [ package-lock.json -nt node_modules/.package-lock.json ]; then return 1; fi
  return 0
}
if node_modules_fresh; then
  log "node_modules up to date"
else
  command -v npm >/dev/null || die "npm not found: install Node.js 20 and npm first"
  if [ ! -d node_modules ] && [ -f package-lock.json ]; then
    log "npm ci"
    npm ci --no-audit --no-fund >&2
  else
    # Incremental: does not wipe a node_modules that other processes may be using.
    log "npm install (node_modules missing or older than package.json / package-lock.json)"
    npm install --no-audit --no-fund >&2
  fi
fi

# ---- packages -----------------------------------------------------------------------------------------------------
busybox_static_ok() { [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; }
missing=()
# A docker client alone (e.g. /usr/local/bin/docker) is not enough: the daemon comes with docker.io.
if ! command -v dockerd >/dev/null && [ ! -x /usr/sbin/dockerd ] && ! docker info >/dev/null 2>&1; then
  missing+=(docker.io)
fi
command -v docker >/dev/null || missing+=(docker.io)
command -v docker-registry >/dev/null || missing+=(docker-registry)
busybox_static_ok || missing+=(busybox-static)
command -v curl >/dev/null || missing+=(curl)
# the terminal tests drive the CLI in a real terminal
command -v tmux >/dev/null || missing+=(tmux)
if [ "${#missing[@]}" -gt 0 ]; then
  # shellcheck disable=SC2207
  missing=($(printf '%s\n' "${missing[@]}" | sort -u))
  if [ "$IS_ROOT" = 1 ]; then
    log "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update >&2
    apt-get install -y --no-install-recommends "${missing[@]}" >&2
  else
    die "missing packages: ${missing[*]}. Run as root: sudo apt-get update && sudo apt-get install -y ${missing[*]}
       (or run this script as root: sudo bash scripts/setup.sh)"
  fi
fi

# ---- Docker daemon ------------------------------------------------------------------------------------------------
docker_up() { docker info >/dev/null 2>&1; }
if docker_up; then
  log "Docker daemon answers ($(docker info --format '{{.ServerVersion}}' 2>/dev/null || echo '?'))"
else
  if [ -n "${DOCKER_HOST:-}" ] && [ "${DOCKER_HOST}" != "unix:///var/run/docker.sock" ]; then
    die "DOCKER_HOST=$DOCKER_HOST does not answer; start that daemon, or unset DOCKER_HOST to use a local one"
  fi
  running_pid=""
  if [ -f "$DOCKER_PIDFILE" ]; then
    pid="$(cat "$DOCKER_PIDFILE" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then running_pid="$pid"; fi
  fi
  if [ -n "$running_pid" ]; then
    log "dockerd (pid $running_pid) is running but does not answer yet; waiting"
  elif [ "$IS_ROOT" = 1 ]; then
    log "starting dockerd (log: $STATE/dockerd.log)"
    # shellcheck disable=SC2086
    setsid nohup dockerd ${DOCKERD_ARGS:-} >"$STATE/dockerd.log" 2>&1 </dev/null &
    echo $! >"$STATE/dockerd.pid"
  elif [ -S /var/run/docker.sock ] && [ ! -w /var/run/docker.sock ]; then
    die "a Docker daemon socket exists (/var/run/docker.sock) but $(id -un) may not use it:
       sudo usermod -aG docker $(id -un), then log in again (or run the tests as root)"
  else
    die "no Docker daemon answers at ${DOCKER_HOST:-unix:///var/run/docker.sock}. Start one as root:
       sudo bash scripts/setup.sh      (or: sudo dockerd >/tmp/dockerd.log 2>&1 &)
       and make sure your user may use the socket (sudo usermod -aG docker $(id -un), then log in again)"
  fi
  waited=0
  until docker_up; do
    if [ "$waited" -ge "$DOCKER_WAIT" ]; then
      if [ -z "$running_pid" ]; then
        tail -n 20 "$STATE/dockerd.log" >&2 || true
        die "the Docker daemon did not answer within ${DOCKER_WAIT}s (log: $STATE/dockerd.log)"
      fi
      die "dockerd (pid $running_pid, from $DOCKER_PIDFILE) did not answer within ${DOCKER_WAIT}s; check its log"
    fi
    if [ -f "$STATE/dockerd.pid" ] && ! kill -0 "$(cat "$STATE/dockerd.pid")" 2>/dev/null && [ -z "$running_pid" ]; then
      tail -n 20 "$STATE/dockerd.log" >&2 || true
      die "dockerd exited (log: $STATE/dockerd.log)"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  log "Docker daemon is up"
fi

# ---- local registry -----------------------------------------------------------------------------------------------
registry_up() { curl -s -o /dev/null -m 2 "http://$REGISTRY_ADDR/v2/"; }
if registry_up; then
  log "registry answers at $REGISTRY_ADDR"
else
  mkdir -p "$REGISTRY_DATA"
  cat >"$STATE/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $REGISTRY_DATA
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
EOF
  log "starting docker-registry on $REGISTRY_ADDR (data: $REGISTRY_DATA, log: $STATE/registry.log)"
  setsid nohup docker-registry serve "$STATE/registry.yml" >"$STATE/registry.log" 2>&1 </dev/null &
  echo $! >"$STATE/registry.pid"
  waited=0
  until registry_up; do
    if [ "$waited" -ge 30 ] || ! kill -0 "$(cat "$STATE/registry.pid")" 2>/dev/null; then
      tail -n 20 "$STATE/registry.log" >&2 || true
      die "the registry did not come up on $REGISTRY_ADDR (log: $STATE/registry.log)"
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
  log "registry is up"
fi

# ---- images -------------------------------------------------------------------------------------------------------
bash scripts/images.sh
log "ready"
