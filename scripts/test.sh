#!/usr/bin/env bash
# The whole test suite: installs what it needs (pnpm deps, a Docker engine, the Debian 12
# test-host image, ansible-core for the compatibility tests), then runs vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/ensure-tools.sh
export CONVERGE_TEST_IMAGE="$(bash scripts/build-image.sh)"
export TESTCONTAINERS_RYUK_DISABLED=true
exec node_modules/.bin/vitest run "$@"
