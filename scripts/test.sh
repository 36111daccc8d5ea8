#!/usr/bin/env bash
# The test command (README "Set-up"): on a fresh Debian machine with Node 20 it installs what the
# tests need, builds, runs every test, and closes with one line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh test
# `npm install`, not `npm ci`: the registry here serves only this platform's optional packages, so a lock
# file can never list every platform's and `npm ci` refuses it; install still honours the locked versions.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund --ignore-scripts
fi
bash scripts/ensure-redis.sh
npx tsc -p tsconfig.json
# Build the Go wrapper around govmomi's vCenter simulator (used by the vCenter integration tests).
if [ -f lab/govmomi/build.sh ]; then bash lab/govmomi/build.sh; fi
mkdir -p test-results
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@" || status=$?
node scripts/test-summary.mjs test-results/vitest.json || status=1
exit "$status"
