#!/usr/bin/env bash
# The whole test suite: installs what it needs (pnpm deps, a Docker engine, the Debian 12
# test-host image, ansible-core for the compatibility tests), then runs vitest. Without arguments:
# the main suite on the machine's Node (20), the main suite again with vitest itself on Node 24
# (the current LTS, installed by scripts/node24.sh), then the cluster tests (*.cluster.test.ts,
# one file at a time, see vitest.cluster.config.ts) on the machine's Node; each prints its own
# 'N passed, N failed' line and the script fails if any of them fails. With arguments, vitest
# with those arguments only, on Node 24 when CONVERGE_TEST_NODE=24 (`npm run test:node24`: the
# main suite on Node 24 alone).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/ensure-tools.sh
export CONVERGE_TEST_IMAGE="$(bash scripts/build-image.sh)"
export TESTCONTAINERS_RYUK_DISABLED=true
# Each systemd test host takes inotify instances of root's: at Debian's default (128), once a few
# dozen run, new ones exit with 255 and no log, and systemd in running ones cannot add units.
if [ "$(id -u)" = 0 ] && [ "$(cat /proc/sys/fs/inotify/max_user_instances 2>/dev/null || echo 8192)" -lt 8192 ]; then
  sysctl -qw fs.inotify.max_user_instances=8192 || echo "converge: could not raise fs.inotify.max_user_instances; many test hosts at once may fail to start" >&2
fi

status=0
summaries=()
vitest_run() {
  local label=$1 node=$2 results rc=0 line
  shift 2
  results=$(mktemp -t converge-vitest.XXXXXX.json)
  "$node" node_modules/vitest/vitest.mjs run --reporter=default --reporter=json --outputFile.json="$results" "$@" || rc=$?
  [ "$rc" -eq 0 ] || status=1
  line=$(node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`${process.argv[2]}: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
  ' "$results" "$label" 2> /dev/null) || line="$label: no results, vitest exited with $rc"
  rm -f "$results"
  echo "$line"
  summaries+=("$line")
}

if [ "$#" -eq 0 ]; then
  node24=$(bash scripts/node24.sh)
  vitest_run "main suite ($(node --version))" node --config vitest.config.ts
  vitest_run "main suite ($("$node24" --version))" "$node24" --config vitest.config.ts
  vitest_run "cluster tests ($(node --version))" node --config vitest.cluster.config.ts
  printf '%s\n' "" "${summaries[@]}"
else
  node=node
  [ "${CONVERGE_TEST_NODE:-}" = 24 ] && node=$(bash scripts/node24.sh)
  vitest_run "vitest $* ($("$node" --version))" "$node" "$@"
fi
exit "$status"
