#!/usr/bin/env bash
# Runs the browser test driver: ui/e2e/run.sh SPEC.json (from any directory).
# Installs the locked node modules in the cache folder if needed (as ui/build.sh).
set -euo pipefail
spec=$(realpath "$1")
cd "$(dirname "$0")/../.."
. ui/node-env.sh
MNEMOS_UI_NODE_MODULES="$NODE_DIR/node_modules" NODE_PATH="$NODE_DIR/node_modules" exec node ui/e2e/browser.mjs "$spec"
