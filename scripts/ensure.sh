#!/usr/bin/env bash
# Brings what a mode needs onto a fresh machine, only when it is missing:
#   test: npm deps, Chromium, Prometheus, kubectl     demo: npm deps, Prometheus     app: npm deps
set -euo pipefail
mode="${1:-test}"
cd "$(dirname "$0")/.."
export ELECTRON_SKIP_BINARY_DOWNLOAD=1

need_apt=()
have() { command -v "$1" >/dev/null 2>&1; }
case "$mode" in
  test) have prometheus || need_apt+=(prometheus); [ -x /usr/bin/chromium ] || need_apt+=(chromium); have kubectl || need_apt+=(kubernetes-client); have psql || need_apt+=(postgresql-client); have openssl || need_apt+=(openssl) ;;
  demo) have prometheus || need_apt+=(prometheus); have openssl || need_apt+=(openssl) ;;
  app) ;;
  *) echo "ensure.sh: unknown mode '$mode' (test, demo, app)" >&2; exit 2 ;;
esac

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] && ! have sudo; then
    echo "meshdeck needs these Debian packages: ${need_apt[*]} — install them with apt-get as root." >&2
    exit 1
  fi
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "meshdeck: installing ${need_apt[*]} (apt-get)…"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# npm deps: install when missing or when the lock file is newer than the installed tree.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "meshdeck: installing npm dependencies (npm ci)…"
  npm ci --no-audit --no-fund --loglevel=error
fi
