#!/usr/bin/env bash
# Local demo on the embedded defaults, all on 127.0.0.1: two Prometheus
# replicas (replica="a"/"b") scraping the same targets with short blocks, a
# sidecar next to each shipping blocks to a filesystem bucket and serving
# StoreAPI, a store gateway serving the bucket, a compactor compacting the bucket
# every minute (small ranges, 1m -> 5m -> 30m, so a compaction happens within
# minutes), and the querier over all of them (deduplicating the replicas).
# Prints the querier URL and a sample query, then shows the first shipped and the
# first compacted block. Every wait has a deadline and says what it waited for.
# Needs: Rust (cargo), python3, curl, and root or sudo the first time (it installs
# Debian's prometheus package). Nothing only the tests need (Garage, moto) is built.
# Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mnemos-target}"

./scripts/install-prometheus.sh >/dev/null
if [ -z "${MNEMOS_BIN:-}" ]; then
  cargo build --release -p mnemos
fi
MNEMOS="${MNEMOS_BIN:-$CARGO_TARGET_DIR/release/mnemos}"

WORK="${MNEMOS_DEMO_DIR:-$(mktemp -d -t mnemos-demo.XXXXXX)}"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# wait_until SECONDS WHAT LOG COMMAND...: runs COMMAND every 2 s until it succeeds; after
# SECONDS says what it waited for, where to look, and exits.
wait_until() {
  local limit=$1 what=$2 log=$3; shift 3
  local start=$SECONDS
  until "$@" >/dev/null 2>&1; do
    if (( SECONDS - start > limit )); then
      echo "demo: timed out after ${limit}s waiting for $what; see $log" >&2
      exit 1
    fi
    sleep 2
  done
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT_A=$(free_port); PORT_B=$(free_port)
BUCKET="$WORK/bucket"
OBJSTORE="type: FILESYSTEM
config:
  directory: $BUCKET"

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
    --storage.tsdb.min-block-duration=1m --storage.tsdb.max-block-duration=1m \
    >"$dir/prometheus.log" 2>&1 &
  PIDS+=($!)
}
start_sidecar() { # name prometheus-port
  local grpc http; grpc=$(free_port); http=$(free_port)
  "$MNEMOS" sidecar --prometheus.url="http://127.0.0.1:$2" --tsdb.path="$WORK/$1/data" \
    --objstore.config="$OBJSTORE" --grpc-address="127.0.0.1:$grpc" --http-address="127.0.0.1:$http" \
    >"$WORK/$1/sidecar.log" 2>&1 &
  PIDS+=($!)
  ENDPOINTS+=("--endpoint=127.0.0.1:$grpc")
  echo "sidecar for $1: StoreAPI 127.0.0.1:$grpc, metrics http://127.0.0.1:$http/metrics"
}
start_store() {
  local grpc http; grpc=$(free_port); http=$(free_port)
  "$MNEMOS" store --objstore.config="$OBJSTORE" --data-dir="$WORK/store" --sync-block-duration=30s \
    --grpc-address="127.0.0.1:$grpc" --http-address="127.0.0.1:$http" >"$WORK/store.log" 2>&1 &
  PIDS+=($!)
  ENDPOINTS+=("--endpoint=127.0.0.1:$grpc")
  echo "store gateway: StoreAPI 127.0.0.1:$grpc, metrics http://127.0.0.1:$http/metrics"
}
start_compactor() {
  local http; http=$(free_port)
  "$MNEMOS" compact --objstore.config="$OBJSTORE" --data-dir="$WORK/compact" --wait --wait-interval=1m \
    --compact.ranges=1m,5m,30m --consistency-delay=0s --delete-delay=5m \
    --http-address="127.0.0.1:$http" >"$WORK/compact.log" 2>&1 &
  PIDS+=($!)
  COMPACT_PORT=$http
  echo "compactor: block viewer http://127.0.0.1:$http/blocks, metrics http://127.0.0.1:$http/metrics (log $WORK/compact.log)"
}
start_query() {
  QUERY_PORT="${MNEMOS_DEMO_QUERY_PORT:-$(free_port)}"
  local grpc; grpc=$(free_port)
  "$MNEMOS" query "${ENDPOINTS[@]}" --query.replica-label=replica \
    --grpc-address="127.0.0.1:$grpc" --http-address="127.0.0.1:$QUERY_PORT" >"$WORK/query.log" 2>&1 &
  PIDS+=($!)
  echo "querier: StoreAPI 127.0.0.1:$grpc (for a querier stacked on this one)"
}
ENDPOINTS=()
start_prometheus prom-a "$PORT_A" a
start_prometheus prom-b "$PORT_B" b
start_sidecar prom-a "$PORT_A"
start_sidecar prom-b "$PORT_B"
start_store
start_compactor
start_query

wait_until 60 "the querier to be ready" "$WORK/query.log" curl -sf "http://127.0.0.1:$QUERY_PORT/-/ready"
echo
echo "Querier (Prometheus API, point Grafana here): http://127.0.0.1:$QUERY_PORT"
echo "Web UI: http://127.0.0.1:$QUERY_PORT/graph (query), http://127.0.0.1:$QUERY_PORT/stores (endpoints), http://127.0.0.1:$COMPACT_PORT/blocks (bucket)"
echo "Sample query (one series per target, replicas merged; add &dedup=false to see both):"
echo "  curl -s 'http://127.0.0.1:$QUERY_PORT/api/v1/query?query=up'"
echo "  curl -s 'http://127.0.0.1:$QUERY_PORT/api/v1/query?query=up&dedup=false'"
echo "Prometheus replica a: http://127.0.0.1:$PORT_A   replica b: http://127.0.0.1:$PORT_B"
echo "Work dir: $WORK (the first block appears after about 2.5 minutes, then one a minute; bucket: $BUCKET)"
echo "Waiting for the first shipped block (up to 5 minutes)..."
shipped() { ls "$BUCKET"/*/meta.json; } # the glob is expanded at each try
wait_until 300 "the sidecars to ship a block" "$WORK/prom-a/sidecar.log" shipped
echo
echo "\$ mnemos tools bucket ls --objstore.config=..."
"$MNEMOS" tools bucket ls --objstore.config="$OBJSTORE"
echo
echo "\$ mnemos tools tsdb dump --match 'up' $WORK/prom-a/data | head"
"$MNEMOS" tools tsdb dump --match 'up' "$WORK/prom-a/data" | head
echo
echo "\$ curl -s 'http://127.0.0.1:$QUERY_PORT/api/v1/query?query=up'"
curl -s "http://127.0.0.1:$QUERY_PORT/api/v1/query?query=up"
echo
echo
echo "Waiting for the compactor's first compacted block (the 1m blocks of a 5-minute window merged into one; up to 10 minutes)..."
compacted() { grep -lE '"level": ?[2-9]' "$BUCKET"/*/meta.json; }
wait_until 600 "a compacted block" "$WORK/compact.log" compacted
echo "\$ mnemos tools bucket ls --objstore.config=...   (LEVEL 2: made by the compactor)"
"$MNEMOS" tools bucket ls --objstore.config="$OBJSTORE"
echo
echo "Querier: http://127.0.0.1:$QUERY_PORT   Running; Ctrl-C stops everything."
wait
