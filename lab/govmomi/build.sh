#!/bin/sh
# Builds the vCenter simulator used by tests and benchmarks: govmomi's own simulator (Debian's
# golang-github-vmware-govmomi-dev, 0.24) wrapped with inventory shapes, paging and deterministic perf.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here/bin"
cd "$here"
GOPATH=/usr/share/gocode GO111MODULE=off GOCACHE="${GOCACHE:-${TMPDIR:-/tmp}/vcsim-lab-gocache}" \
  go build -o "$here/bin/vcsim-lab" .
echo "built $here/bin/vcsim-lab"
