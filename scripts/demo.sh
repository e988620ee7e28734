#!/usr/bin/env bash
# Local demo on the embedded defaults, all on 127.0.0.1: two Prometheus
# replicas (replica="a"/"b") scraping the same targets with short blocks, and
# mnemos reading the blocks they cut. Components join the demo as they land
# (sidecars, filesystem bucket, store gateway, compactor, querier: see README).
# Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mnemos-target}"

./scripts/install-test-deps.sh >/dev/null
cargo build --release -p mnemos
MNEMOS="$CARGO_TARGET_DIR/release/mnemos"

WORK="${MNEMOS_DEMO_DIR:-$(mktemp -d -t mnemos-demo.XXXXXX)}"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT_A=$(free_port); PORT_B=$(free_port)

start_prometheus() { # name port replica
  local dir="$WORK/$1"; mkdir -p "$dir/data"
  cat > "$dir/prometheus.yml" <<YAML
global: {scrape_interval: 5s, external_labels: {cluster: demo, replica: "$3"}}
scrape_configs:
  - job_name: prometheus
    static_configs: [{targets: ['127.0.0.1:$PORT_A', '127.0.0.1:$PORT_B']}]
YAML
  prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
    --web.listen-address="127.0.0.1:$2" \
    --storage.tsdb.min-block-duration=2m --storage.tsdb.max-block-duration=2m \
    >"$dir/prometheus.log" 2>&1 &
  PIDS+=($!)
}
start_prometheus prom-a "$PORT_A" a
start_prometheus prom-b "$PORT_B" b

echo "Prometheus replica a: http://127.0.0.1:$PORT_A   replica b: http://127.0.0.1:$PORT_B"
echo "Work dir: $WORK (blocks appear every 2 minutes)"
echo "Waiting for the first block of replica a..."
until ls "$WORK"/prom-a/data/*/meta.json >/dev/null 2>&1; do sleep 5; done
echo
echo "\$ mnemos tools tsdb ls $WORK/prom-a/data"
"$MNEMOS" tools tsdb ls "$WORK/prom-a/data"
echo
echo "\$ mnemos tools tsdb dump --match 'up' $WORK/prom-a/data | head"
"$MNEMOS" tools tsdb dump --match 'up' "$WORK/prom-a/data" | head
echo
echo "Running; Ctrl-C stops everything."
wait
