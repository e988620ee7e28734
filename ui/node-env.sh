# Sourced by ui/build.sh and ui/e2e/run.sh (from the repository root): sets
# NODE_DIR to a cache folder keyed by ui/package-lock.json and installs the
# locked node modules there with `npm ci` when they are missing.
NODE_DIR="${HOME}/.cache/mnemos-tools/ui-node-$(sha256sum ui/package-lock.json | cut -c1-12)"
if [ ! -d "$NODE_DIR/node_modules" ]; then
  mkdir -p "$NODE_DIR"
  cp ui/package.json ui/package-lock.json "$NODE_DIR/"
  if ! (cd "$NODE_DIR" && npm ci --no-audit --no-fund >&2); then
    rm -rf "$NODE_DIR/node_modules"
    echo "ui: npm ci failed in $NODE_DIR" >&2
    exit 1
  fi
fi
export NODE_DIR
