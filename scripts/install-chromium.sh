#!/usr/bin/env bash
# Installs Chromium from Debian's packages for the browser tests, saying each step. The tests drive
# it with playwright-core at /usr/bin/chromium; no browser build is ever downloaded.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  # Debian's wrapper script prints a harmless shell warning on stderr on some machines.
  echo "chromium is already installed: $(chromium --version 2>/dev/null)"
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium is missing. Install Debian's package as root:" >&2
  echo "  apt-get update && apt-get install -y chromium" >&2
  echo "or set AXESS_CHROMIUM to a Chromium binary." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "+ apt-get update"
apt-get update -qq
echo "+ apt-get install -y chromium"
apt-get install -y -qq chromium >/dev/null
echo "installed: $(chromium --version 2>/dev/null)"
