#!/usr/bin/env bash
# Quickstart: set up the machine, build dirk, then test and build the example library with the example module.
#
#   bash scripts/quickstart.sh        (or: npm run quickstart)
#
# Needs: Docker (scripts/setup.sh starts dockerd, the local registry on 127.0.0.1:5000 and builds the
# dirk.local/* images, e.g. dirk.local/node:20 used by examples/ci). No registry on the internet is used.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "setup (dependencies, dockerd, local registry, dirk.local images)"
bash scripts/setup.sh

step "build the CLI (dist/)"
npm run build

out=/tmp/greeter-dist
dirk() { node bin/dirk.js "$@"; }

step "dirk functions -m examples/ci"
dirk functions -m examples/ci

step "dirk call -m examples/ci test --source examples/greeter-lib"
dirk call -m examples/ci test --source examples/greeter-lib

step "dirk call -m examples/ci build --source examples/greeter-lib -o $out"
rm -rf "$out"
dirk call -m examples/ci build --source examples/greeter-lib -o "$out"

step "files in $out"
find "$out" -type f | sort
echo
cat "$out/manifest.json"

exit 0
