#!/usr/bin/env bash
# Installs what the test suite needs when it is missing: Prometheus 2.42 and
# promtool (Debian package `prometheus`), and Garage 2.5 (S3 server, built with
# `cargo install` into ~/.cache/mnemos-tools). Safe to run repeatedly.
set -euo pipefail

"$(dirname "$0")/install-prometheus.sh"

# Garage 2.5 (S3 server for object-storage tests), built from crates.io into
# a per-user cache the first time only.
GARAGE_ROOT="$HOME/.cache/mnemos-tools"
GARAGE_BIN="$GARAGE_ROOT/bin/garage"
if [ ! -x "$GARAGE_BIN" ] && ! command -v garage >/dev/null 2>&1; then
  echo "==> building Garage 2.5.0 with cargo install (takes ~8 minutes on 2 cores, first time only)"
  # Its own target dir, so the project's build cache keeps its feature set; removed after.
  CARGO_TARGET_DIR="$GARAGE_ROOT/build" cargo install garage --version 2.5.0 --locked --root "$GARAGE_ROOT"
  rm -rf "$GARAGE_ROOT/build"
fi
if [ -x "$GARAGE_BIN" ]; then
  "$GARAGE_BIN" --version 2>&1 | head -1
else
  garage --version 2>&1 | head -1
fi
