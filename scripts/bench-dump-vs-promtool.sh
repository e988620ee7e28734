#!/usr/bin/env bash
# Peer benchmark: `mnemos tools tsdb dump` against `promtool tsdb dump` (Prometheus
# 2.42) on the same promtool-made blocks, in the same run, with hyperfine.
# Usage: scripts/bench-dump-vs-promtool.sh [SERIES] [SAMPLES_PER_SERIES]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mnemos-target}"
SERIES="${1:-2000}"; SAMPLES="${2:-1440}"
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)"; exit 1; }
./scripts/install-test-deps.sh >/dev/null
cargo build --release -q -p mnemos -p mnemos-e2e
BIN="$CARGO_TARGET_DIR/release"
WORK=$(mktemp -d -t mnemos-bench.XXXXXX); trap 'rm -rf "$WORK"' EXIT
"$BIN/gen-openmetrics" "$SERIES" "$SAMPLES" 30000 > "$WORK/data.om"
promtool tsdb create-blocks-from openmetrics "$WORK/data.om" "$WORK/data" >/dev/null
mkdir -p "$WORK/data/wal"
echo "blocks: $(ls -d "$WORK"/data/0* | wc -l), series: $SERIES, samples: $((SERIES * SAMPLES))"
cmp <(promtool tsdb dump "$WORK/data") <("$BIN/mnemos" tools tsdb dump "$WORK/data") && echo "outputs identical"
hyperfine --warmup 1 --runs 5 -N \
  -n "promtool dump all" "promtool tsdb dump $WORK/data" \
  -n "mnemos dump all" "$BIN/mnemos tools tsdb dump $WORK/data" \
  --output=null
hyperfine --warmup 2 --runs 10 -N \
  -n "promtool dump one series" "promtool tsdb dump '--match={series=\"17\"}' $WORK/data" \
  -n "mnemos dump one series" "$BIN/mnemos tools tsdb dump '--match={series=\"17\"}' $WORK/data" \
  --output=null
