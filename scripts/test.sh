#!/usr/bin/env bash
# The whole test suite: installs missing test dependencies, checks formatting
# and lints, builds the binary the end-to-end tests start, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

# Reuse one target dir outside the clone so a warm machine rebuilds incrementally.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mnemos-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

./scripts/install-test-deps.sh

echo "==> ui/build.sh --check (the committed UI bundle equals a build of ui/)"
./ui/build.sh --check
echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "==> cargo build -p mnemos (the end-to-end tests run this binary)"
cargo build --locked -p mnemos
echo "==> cargo test --workspace"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace --locked --no-fail-fast 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
./scripts/fuzz.sh "${FUZZ_SECONDS:-20}"
# The Helm chart (lint, render, Kubernetes schemas; pinned Helm and kubernetes-validate) and
# the monitoring mixin (promtool check/test rules, dashboards).
deploy_status=0
echo "==> scripts/check-helm.sh"
./scripts/check-helm.sh || deploy_status=1
echo "==> deploy/mixin/check.sh"
./deploy/mixin/check.sh || deploy_status=1
# One closing line for the whole suite (cargo prints one per test binary).
awk '/^test result:/ { for (i = 2; i <= NF; i++) { if ($i == "passed;") p += $(i-1); if ($i == "failed;") f += $(i-1) } }
     END { printf "summary: %d passed, %d failed\n", p, f }' "$log"
if [ "$deploy_status" -ne 0 ]; then echo "deployment checks failed"; fi
[ "$status" -ne 0 ] && exit "$status"
exit "$deploy_status"
