#!/usr/bin/env bash
# Builds (or finds) the Debian 12 test-host image and prints its name. The recipe ships with
# @converge/testing (packages/testing/scripts/build-image.sh), so that a playbook repository that
# installs the package builds the same image; this runs it.
exec bash "$(dirname "$0")/../packages/testing/scripts/build-image.sh" "$@"
