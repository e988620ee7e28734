#!/usr/bin/env bash
# Installs Prometheus 2.42 and promtool (Debian package `prometheus`) when missing: what
# the demo needs, and the first thing the test suite needs. Safe to run repeatedly.
set -euo pipefail

need_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1; then
  echo "==> installing the prometheus Debian package (prometheus + promtool)"
  need_root apt-get update -qq
  need_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
# The package may start a system Prometheus on :9090; the tests never use it.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
  need_root systemctl stop prometheus || true
fi
promtool --version 2>&1 | head -1
