#!/usr/bin/env bash
# Everything CI checks: setup (Docker, registry, images), typecheck, all tests. Exits non-zero on any failure.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
echo "test: npm run build" >&2
npm run build --silent
echo "test: npx tsc --noEmit" >&2
npx tsc --noEmit
echo "test: npx vitest run" >&2
npx vitest run "$@"
