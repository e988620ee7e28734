#!/usr/bin/env bash
# Builds the browser bundles into crates/ui/assets/ (or, with --check, into a
# temporary folder and compares them byte for byte with the committed ones).
# Node modules live outside the repository, in a cache folder keyed by the
# lock file, so a clean checkout never carries node_modules.
#   ui/build.sh           rebuild crates/ui/assets/
#   ui/build.sh --check   exit 1 (naming the file) if the committed assets differ
set -euo pipefail
cd "$(dirname "$0")/.."
. ui/node-env.sh   # sets NODE_DIR and installs the modules there when missing

if [ "${1:-}" = "--check" ]; then
  tmp=$(mktemp -d -t mnemos-ui-check.XXXXXX)
  trap 'rm -rf "$tmp"' EXIT
  MNEMOS_UI_NODE_MODULES="$NODE_DIR/node_modules" node ui/build.mjs "$tmp"
  status=0
  names=$( (ls "$tmp"; ls crates/ui/assets 2>/dev/null) | sort -u)
  for name in $names; do
    if [ ! -e "$tmp/$name" ]; then
      echo "ui/build.sh --check: crates/ui/assets/$name is not produced by the build" >&2; status=1
    elif [ ! -e "crates/ui/assets/$name" ]; then
      echo "ui/build.sh --check: crates/ui/assets/$name is missing (run ui/build.sh)" >&2; status=1
    elif ! cmp -s "$tmp/$name" "crates/ui/assets/$name"; then
      echo "ui/build.sh --check: crates/ui/assets/$name differs from a fresh build (run ui/build.sh)" >&2; status=1
    fi
  done
  [ "$status" = 0 ] || exit 1
  echo "ui/build.sh --check: crates/ui/assets/ matches a fresh build"
  exit 0
fi

MNEMOS_UI_NODE_MODULES="$NODE_DIR/node_modules" node ui/build.mjs crates/ui/assets
