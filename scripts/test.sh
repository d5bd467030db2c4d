#!/usr/bin/env bash
# The whole test suite: installs what it needs (pnpm deps, a Docker engine, the Debian 12
# test-host image, ansible-core for the compatibility tests), then runs vitest: without
# arguments the main suite, then the cluster tests (*.cluster.test.ts, one file at a time, see
# vitest.cluster.config.ts); with arguments, vitest with those arguments only.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/ensure-tools.sh
export CONVERGE_TEST_IMAGE="$(bash scripts/build-image.sh)"
export TESTCONTAINERS_RYUK_DISABLED=true

status=0
vitest_run() {
  local label=$1 results
  shift
  results=$(mktemp -t converge-vitest.XXXXXX.json)
  node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@" || status=1
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`${process.argv[2]}: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
  ' "$results" "$label" || true
  rm -f "$results"
}

if [ "$#" -eq 0 ]; then
  vitest_run "main suite" --config vitest.config.ts
  vitest_run "cluster tests" --config vitest.cluster.config.ts
else
  vitest_run "vitest $*" "$@"
fi
exit "$status"
