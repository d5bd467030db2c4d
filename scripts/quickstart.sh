#!/usr/bin/env bash
# The quickstart end to end: three local Debian 12 container hosts, `--check --diff`, the real
# run, a second run that must change nothing, and an HTTP check of every host.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export CONVERGE_TEST_IMAGE="$(bash scripts/build-image.sh)"
export TESTCONTAINERS_RYUK_DISABLED=true
exec node examples/quickstart/run.mjs
