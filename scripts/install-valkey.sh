#!/usr/bin/env bash
# Installs valkey-server from Debian's packages, saying each step. Debian 12 (bookworm) has it only
# in bookworm-backports; newer Debian and Ubuntu releases have it in their main archive.
set -euo pipefail
if command -v valkey-server >/dev/null 2>&1; then
  echo "valkey-server is already installed: $(valkey-server --version)"
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "valkey-server is missing. Install it as root, e.g. on Debian 12:" >&2
  echo "  echo 'deb http://deb.debian.org/debian bookworm-backports main' > /etc/apt/sources.list.d/backports.list" >&2
  echo "  apt-get update && apt-get install -y -t bookworm-backports valkey-server" >&2
  echo "or on Debian 13 / Ubuntu 24.04+: apt-get install -y valkey-server; or set VALKEY_SERVER to its path." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
target=()
if [ "$codename" = bookworm ]; then
  list=/etc/apt/sources.list.d/axess-bookworm-backports.list
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo "+ adding bookworm-backports to apt sources ($list)"
    echo 'deb http://deb.debian.org/debian bookworm-backports main' > "$list"
  fi
  target=(-t bookworm-backports)
fi
echo "+ apt-get update"
apt-get update -qq
echo "+ apt-get install -y ${target[*]} valkey-server"
apt-get install -y -qq "${target[@]}" valkey-server >/dev/null
# The package starts a system service on 6379; the tests never use it, so stop it if it runs.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet valkey-server 2>/dev/null; then
  echo "+ systemctl stop valkey-server (the tests start private servers)"
  systemctl stop valkey-server || true
fi
echo "installed: $(valkey-server --version)"
