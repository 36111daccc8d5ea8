#!/usr/bin/env bash
# Installs the Debian packages a role needs, only those missing (apt-get update runs only then).
#   scripts/system-deps.sh run    -> what the appliance and its lab need (redis-server)
#   scripts/system-deps.sh test   -> plus the independent peers the tests use
set -euo pipefail
role="${1:-run}"
# openssl mints the self-signed certificates of the web app and the lab simulators.
pkgs=(redis-server openssl)
if [ "$role" = "test" ]; then
  # Independent peers (test/helpers/peers.ts; under CI a missing one fails the run):
  #   golang-go + golang-github-vmware-govmomi-dev  govmomi's vCenter simulator, built by lab/govmomi/build.sh
  #   python3-pyvmomi   VMware's Python SDK reading the simulator and the lab vCenter
  #   python3-winrm     pywinrm (NTLM + message encryption) against the WS-Man server and the Hyper-V lab
  #   wsl               Dell's WS-Man client (wslenum) over Basic
  #   chromium          the web app driven through a browser (playwright-core)
  #   openssh-server    sshd for the SSH tests of the server sources
  # Optional, not installed here: docker compose and systemd-analyze (deploy tests skip without them).
  pkgs+=(golang-go golang-github-vmware-govmomi-dev python3-pyvmomi python3-winrm wsl chromium openssh-server)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
