#!/usr/bin/env bash
# The whole test suite: installs what it needs (pnpm deps, a Docker engine, the Debian 12
# test-host image, ansible-core for the compatibility tests), then runs vitest: without
# arguments the main suite, then the cluster tests (*.cluster.test.ts, one file at a time, see
# vitest.cluster.config.ts); with arguments, vitest with those arguments only. Without arguments the
# unit tests (vitest.unit.config.ts: no container, sshd or ansible) also run on Node 24
# (scripts/node24.sh), at a lower priority and on one worker, beside the main suite. With
# CONVERGE_TEST_NODE=24, vitest itself runs on Node 24 (`npm run test:node24`: the whole main
# suite on Node 24, which the CI budget does not hold beside the Node 20 run: it doubles the
# container tests' time).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/ensure-tools.sh
export CONVERGE_TEST_IMAGE="$(bash scripts/build-image.sh)"
export TESTCONTAINERS_RYUK_DISABLED=true

status=0
vitest_run() {
  local label=$1 node=$2 results
  shift 2
  results=$(mktemp -t converge-vitest.XXXXXX.json)
  "$node" node_modules/vitest/vitest.mjs run --reporter=default --reporter=json --outputFile.json="$results" "$@" || status=1
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`${process.argv[2]}: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
  ' "$results" "$label" || true
  rm -f "$results"
}

if [ "$#" -eq 0 ]; then
  node24=$(bash scripts/node24.sh)
  log24=$(mktemp -t converge-node24.XXXXXX.log)
  (
    renice -n 10 -p "$BASHPID" > /dev/null
    vitest_run "unit tests on Node 24 ($("$node24" --version))" "$node24" --config vitest.unit.config.ts --maxWorkers=1 > "$log24" 2>&1
    exit "$status"
  ) &
  pid24=$!
  vitest_run "main suite" node --config vitest.config.ts
  status24=0
  wait "$pid24" || status24=1
  cat "$log24"
  rm -f "$log24"
  [ "$status24" -eq 0 ] || status=1
  vitest_run "cluster tests" node --config vitest.cluster.config.ts
else
  node=node
  [ "${CONVERGE_TEST_NODE:-}" = 24 ] && node=$(bash scripts/node24.sh)
  vitest_run "vitest $* ($("$node" --version))" "$node" "$@"
fi
exit "$status"
