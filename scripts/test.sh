#!/usr/bin/env bash
# The whole test suite: installs what it needs (pnpm deps, a Docker engine, the Debian 12
# test-host image, ansible-core for the compatibility tests), then runs vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/ensure-tools.sh
export CONVERGE_TEST_IMAGE="$(bash scripts/build-image.sh)"
export TESTCONTAINERS_RYUK_DISABLED=true
results=$(mktemp -t converge-vitest.XXXXXX.json)
status=0
node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@" || status=$?
# One plain closing line with the counts, whatever reads this output.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$results" || true
rm -f "$results"
exit "$status"
