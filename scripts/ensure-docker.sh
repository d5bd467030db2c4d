#!/usr/bin/env bash
# Makes a Docker engine reachable (see packages/testing/scripts/ensure-docker.sh, shipped with
# @converge/testing).
exec bash "$(dirname "$0")/../packages/testing/scripts/ensure-docker.sh" "$@"
