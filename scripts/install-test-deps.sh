#!/usr/bin/env bash
# Installs what the test suite needs when it is missing: Prometheus 2.42 and
# promtool (Debian package `prometheus`), curl, memcached and redis-server (Debian
# packages), Node.js, npm and Chromium (Debian packages; the UI's locked node modules,
# esbuild and playwright-core, under ~/.cache/mnemos-tools), Garage 2.5 (S3 server, built with `cargo install` into
# ~/.cache/mnemos-tools), moto (AWS S3 and STS server,
# PyPI, in a venv under ~/.cache/mnemos-tools), and DuckDB and pyarrow (PyPI, in
# another venv there). Safe to run repeatedly.
set -euo pipefail

"$(dirname "$0")/install-prometheus.sh"

# curl: a real HTTPS client for the --http.config tests (TLS, basic auth).
if ! command -v curl >/dev/null 2>&1; then
  echo "==> installing curl (Debian package)"
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends curl >/dev/null
fi

# memcached and Redis: the query-frontend's results cache backends in its end-to-end test
# (tests/tests/query_frontend.rs starts them on free ports; the packages' own services are
# not needed).
missing=""
command -v memcached >/dev/null 2>&1 || missing="$missing memcached"
command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
if [ -n "$missing" ]; then
  echo "==> installing$missing (Debian packages)"
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
echo "memcached $(memcached -V | cut -d' ' -f2), $(redis-server --version | cut -d' ' -f3)"

# The web UI: Node.js and npm build and check the bundle (ui/build.sh --check), Chromium
# runs the browser test (tests/tests/web_ui.rs, driven by playwright-core, which downloads
# no browser).
missing=""
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
[ -x /usr/bin/chromium ] || missing="$missing chromium"
if [ -n "$missing" ]; then
  echo "==> installing$missing (Debian packages)"
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
(cd "$(dirname "$0")/.." && . ui/node-env.sh && echo "node $(node --version), ui modules in $NODE_DIR")
echo "$(/usr/bin/chromium --version 2>/dev/null | head -1)"

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

# moto (S3 and STS on 127.0.0.1, for the web identity test), pinned, in its own
# venv the first time only.
MOTO_VERSION=5.2.5
MOTO_VENV="$HOME/.cache/mnemos-tools/moto-venv"
if ! "$MOTO_VENV/bin/python" -c "import moto, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null; then
  echo "==> installing moto[server] $MOTO_VERSION into $MOTO_VENV"
  rm -rf "$MOTO_VENV"
  python3 -m venv "$MOTO_VENV"
  "$MOTO_VENV/bin/pip" install --quiet "moto[server]==$MOTO_VERSION"
fi
echo "moto $("$MOTO_VENV/bin/python" -c 'import moto; print(moto.__version__)')"

# DuckDB and pyarrow (tests/tests/parquet_datalake.rs reads converted blocks' Parquet files
# with both, docs/parquet-duckdb.md), pinned (wheels for CPython 3.11), in their own venv
# the first time only.
DUCKDB_VERSION=2.0.1
PYARROW_VERSION=26.0.1
DATALAKE_VENV="$HOME/.cache/mnemos-tools/datalake-venv"
if ! "$DATALAKE_VENV/bin/python" -c "
import sys, duckdb, pyarrow
sys.exit(duckdb.__version__ != '$DUCKDB_VERSION' or pyarrow.__version__ != '$PYARROW_VERSION')
" 2>/dev/null; then
  echo "==> installing duckdb $DUCKDB_VERSION and pyarrow $PYARROW_VERSION into $DATALAKE_VENV"
  rm -rf "$DATALAKE_VENV"
  python3 -m venv "$DATALAKE_VENV"
  "$DATALAKE_VENV/bin/pip" install --quiet --only-binary=:all: \
    "duckdb==$DUCKDB_VERSION" "pyarrow==$PYARROW_VERSION"
fi
echo "duckdb $("$DATALAKE_VENV/bin/python" -c 'import duckdb; print(duckdb.__version__)')," \
  "pyarrow $("$DATALAKE_VENV/bin/python" -c 'import pyarrow; print(pyarrow.__version__)')"

# Helm 3.19 and kubernetes-validate, pinned (scripts/check-helm.sh; the chart's end-to-end
# test runs this helm).
"$(dirname "$0")/check-helm.sh" --install-only >/dev/null
