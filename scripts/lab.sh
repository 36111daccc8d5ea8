#!/usr/bin/env bash
# The README's first command: on a fresh Debian machine with Node 20, installs what the appliance
# needs (redis-server), installs and builds the project if needed, then starts the lab:
# simulated vCenter and Hyper-V hosts, the collectors, the rollup workers and the web app.
#   bash scripts/lab.sh [--estate FILE] [--data-dir DIR] [--port 44368]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh run
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm install`, not `npm ci`: see scripts/test.sh. The build runs just below.
  npm install --no-audit --no-fund --ignore-scripts
fi
# Build when dist/ is missing or a source file is newer than the compiled CLI.
if [ ! -f dist/cli/main.js ] || [ -n "$(find cli collectors config common model queue rollup assessment lab appliance -name '*.ts' -newer dist/cli/main.js -print -quit 2>/dev/null)" ]; then
  # tsc still emits JavaScript when it reports type errors; show them, but start the lab anyway.
  npx tsc -p tsconfig.json >&2 || echo "lab.sh: the TypeScript build reported errors (output was still emitted)" >&2
fi
exec node bin/collector.js lab up "$@"
