#!/usr/bin/env bash
# CI: install the local Bluesky PDS used by the integration tests (idempotent; fast once cached).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/pds/pds.sh install
