#!/usr/bin/env bash
# The test command (README "Set-up"): on a fresh Debian machine with Node 20 it installs what the
# tests need, checks lint, formatting, import boundaries and types, builds, runs every test, and
# closes with one line "N passed, N failed" (a failed check or set-up step counts as one failure).
set -euo pipefail
cd "$(dirname "$0")/.."

# Whatever stops the run early still leaves CI its closing line.
summarised=0
step='set-up'
on_exit() {
  local rc=$?
  if [ "$summarised" -eq 0 ]; then
    echo "failed step: $step (exit $rc)"
    echo '0 passed, 1 failed'
  fi
}
trap on_exit EXIT

step='system packages (scripts/system-deps.sh test)'
bash scripts/system-deps.sh test
# `npm install`, not `npm ci`: the registry here serves only this platform's optional packages, so a lock
# file can never list every platform's and `npm ci` refuses it; install still honours the locked versions.
step='npm install'
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund --ignore-scripts
fi
step='redis (scripts/ensure-redis.sh)'
bash scripts/ensure-redis.sh

# Checks: each failure fails the run but the tests still run, so one report shows everything.
failed_checks=()
check() {
  local name=$1
  shift
  echo "== $name"
  if ! "$@"; then failed_checks+=("$name"); fi
}
check 'lint (npm run lint: biome lint, biome format check, dependency-cruiser)' npm run -s lint
check 'typecheck (npm run typecheck: product and test/)' npm run -s typecheck

# Emit only: the typecheck above reports type errors, and the CLI tests need dist/ either way.
step='build (tsc --noCheck)'
npx tsc -p tsconfig.json --noCheck
# Build the Go wrapper around govmomi's vCenter simulator (used by the vCenter integration tests).
step='govmomi simulator (lab/govmomi/build.sh)'
if [ -f lab/govmomi/build.sh ]; then bash lab/govmomi/build.sh; fi
mkdir -p test-results
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@" || status=$?
summary_args=()
for c in "${failed_checks[@]}"; do summary_args+=(--failed-check "$c"); done
summarised=1
node scripts/test-summary.mjs test-results/vitest.json "${summary_args[@]}" || status=1
exit "$status"
