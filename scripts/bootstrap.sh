#!/usr/bin/env bash
# Installs the workspace's dependencies with pnpm 10 (fetched through npm when missing) and
# builds every package. Needs only Node >= 20.19 and npm.
set -euo pipefail
cd "$(dirname "$0")/.."

node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) { console.error("converge needs Node >= 20.19 (found "+process.version+")"); process.exit(1) }'

if command -v pnpm >/dev/null 2>&1 && [[ "$(pnpm --version 2>/dev/null)" == 10.* ]]; then
  PNPM=(pnpm)
else
  PNPM=(npm exec --yes --package=pnpm@10.34.8 -- pnpm)
fi

if [ "${CI:-}" = "true" ]; then
  "${PNPM[@]}" install --frozen-lockfile --reporter=append-only
else
  "${PNPM[@]}" install --reporter=append-only
fi
"${PNPM[@]}" run build
