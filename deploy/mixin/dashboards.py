#!/usr/bin/env python3
"""Generates the Grafana dashboards of deploy/mixin/dashboards/.

    python3 dashboards.py          # (re)writes dashboards/*.json
    python3 dashboards.py --check  # fails when dashboards/*.json differ from what it writes

Every dashboard has the variables `datasource` (type prometheus), `namespace` and `job`.
`job` lists the jobs whose `mnemos_build_info` has the dashboard's component (so it works
whatever the jobs are called); the overview lists every mnemos job. Only metric names from
metrics.txt are used (check.sh verifies it).
"""

import json
import os
import sys

SEL = 'namespace=~"$namespace", job=~"$job"'
DS = {"type": "prometheus", "uid": "${datasource}"}
RI = "$__rate_interval"


def target(expr, legend, ref):
    return {"datasource": DS, "expr": expr, "legendFormat": legend, "refId": ref}


class Layout:
    """Places panels left to right, 24 columns wide, in rows of equal height."""

    def __init__(self):
        self.x, self.y, self.h, self.next_id = 0, 0, 0, 1

    def place(self, w, h):
        if self.x + w > 24:
            self.x, self.y = 0, self.y + self.h
            self.h = 0
        pos = {"x": self.x, "y": self.y, "w": w, "h": h}
        self.x += w
        self.h = max(self.h, h)
        self.next_id += 1
        return pos, self.next_id - 1


def panel(layout, kind, title, targets, unit="short", w=12, h=8, description=""):
    pos, pid = layout.place(w, h)
    p = {
        "id": pid,
        "type": kind,
        "title": title,
        "datasource": DS,
        "gridPos": pos,
        "targets": [target(e, l, chr(ord("A") + i)) for i, (e, l) in enumerate(targets)],
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {},
    }
    if description:
        p["description"] = description
    if kind == "timeseries":
        p["fieldConfig"]["defaults"]["custom"] = {"fillOpacity": 10, "showPoints": "never"}
        p["options"] = {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                        "tooltip": {"mode": "multi", "sort": "desc"}}
    if kind == "stat":
        p["options"] = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "colorMode": "value", "graphMode": "none", "textMode": "auto"}
    return p


def ts(layout, title, targets, unit="short", **kw):
    return panel(layout, "timeseries", title, targets, unit, **kw)


def stat(layout, title, targets, unit="short", **kw):
    return panel(layout, "stat", title, targets, unit, **kw)


def quantiles(metric, by="", sel=SEL):
    by_le = f"{by}, le" if by else "le"
    suffix = f" {{{{{by}}}}}" if by else ""
    return [
        (f"histogram_quantile({q}, sum by ({by_le}) (rate({metric}_bucket{{{sel}}}[{RI}])))", f"p{int(q * 100)}{suffix}")
        for q in (0.5, 0.9, 0.99)
    ]


def variables(component):
    if component:
        job_query = f'label_values(mnemos_build_info{{namespace=~"$namespace", component="{component}"}}, job)'
    else:
        job_query = 'label_values(mnemos_build_info{namespace=~"$namespace"}, job)'
    ns_query = "label_values(mnemos_build_info, namespace)"
    return {"list": [
        {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
         "current": {}, "hide": 0, "includeAll": False, "multi": False, "options": [], "refresh": 1, "regex": ""},
        {"name": "namespace", "label": "namespace", "type": "query", "datasource": DS,
         "definition": ns_query, "query": {"query": ns_query, "refId": "namespace"},
         "current": {}, "hide": 0, "includeAll": True, "allValue": ".*", "multi": True, "options": [],
         "refresh": 2, "regex": "", "sort": 1},
        {"name": "job", "label": "job", "type": "query", "datasource": DS,
         "definition": job_query, "query": {"query": job_query, "refId": "job"},
         "current": {}, "hide": 0, "includeAll": True, "multi": True, "options": [],
         "refresh": 2, "regex": "", "sort": 1},
    ]}


def dashboard(uid, title, component, panels):
    return {
        "uid": uid,
        "title": title,
        "tags": ["mnemos"],
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "1m",
        "time": {"from": "now-6h", "to": "now"},
        "timezone": "",
        "annotations": {"list": []},
        "links": [{"title": "mnemos", "type": "dashboards", "tags": ["mnemos"], "asDropdown": True}],
        "templating": variables(component),
        "panels": panels,
    }


def bucket_panels(L):
    return [
        ts(L, "Bucket operations", [(f"sum by (operation) (rate(mnemos_objstore_bucket_operations_total{{{SEL}}}[{RI}]))", "{{operation}}")], "ops", w=8),
        ts(L, "Bucket operation failures", [(f"sum by (operation) (rate(mnemos_objstore_bucket_operation_failures_total{{{SEL}}}[{RI}]))", "{{operation}}")], "ops", w=8,
           description="Failures after retries; not-found answers excluded."),
        ts(L, "Bucket operation p99 latency", [(f"histogram_quantile(0.99, sum by (operation, le) (rate(mnemos_objstore_bucket_operation_duration_seconds_bucket{{{SEL}}}[{RI}])))", "{{operation}}")], "s", w=8),
    ]


def meta_panels(L):
    return [
        ts(L, "Blocks in the bucket by state", [(f"max by (state) (mnemos_blocks_meta_synced{{{SEL}}})", "{{state}}")], w=12),
        ts(L, "Meta syncs", [
            (f"sum(rate(mnemos_blocks_meta_syncs_total{{{SEL}}}[{RI}]))", "syncs"),
            (f"sum(rate(mnemos_blocks_meta_sync_failures_total{{{SEL}}}[{RI}]))", "failures"),
        ], "ops", w=12),
    ]


def query_dashboard():
    L = Layout()
    req = f"mnemos_query_http_requests_total{{{SEL}}}"
    return dashboard("mnemos-query", "mnemos / Querier", "query", [
        ts(L, "Requests by handler and code", [(f"sum by (handler, code) (rate({req}[{RI}]))", "{{handler}} {{code}}")], "reqps"),
        ts(L, "Error ratio by code", [(f"sum by (code) (rate(mnemos_query_http_requests_total{{{SEL}, code!~\"2..\"}}[{RI}])) / scalar(sum(rate({req}[{RI}])))", "{{code}}")], "percentunit",
           description="422: a limit (--query.max-samples, --store.limits.request-series); 503: timeout in the queue or in execution, or endpoints unavailable."),
        ts(L, "Request latency", quantiles("mnemos_query_http_request_duration_seconds"), "s"),
        ts(L, "StoreAPI endpoints by state", [(f"sum by (state) (mnemos_query_endpoints{{{SEL}}})", "{{state}}")]),
        ts(L, "Series call failures by endpoint", [(f"sum by (endpoint) (rate(mnemos_query_endpoint_failures_total{{{SEL}}}[{RI}]))", "{{endpoint}}")], "ops"),
        ts(L, "Partial responses", [
            (f"sum(rate(mnemos_query_partial_responses_total{{{SEL}}}[{RI}]))", "partial responses/s"),
            (f"sum(rate(mnemos_query_partial_responses_total{{{SEL}}}[{RI}])) / sum(rate({req}[{RI}]))", "ratio"),
        ], "short"),
        ts(L, "Fan-out", [
            (f"sum(rate(mnemos_query_series_calls_total{{{SEL}}}[{RI}]))", "Series calls/s"),
            (f"sum(rate(mnemos_query_series_received_total{{{SEL}}}[{RI}]))", "series received/s"),
            (f"sum(rate(mnemos_query_replicas_merged_total{{{SEL}}}[{RI}]))", "frames merged (dedup)/s"),
        ], "short", w=24),
    ])


def store_dashboard():
    L = Layout()
    return dashboard("mnemos-store", "mnemos / Store gateway", "store", [
        stat(L, "Blocks served", [(f"sum(mnemos_store_blocks{{{SEL}}})", "blocks")], w=6, h=4),
        stat(L, "Block load failures (1h)", [(f"sum(increase(mnemos_store_block_load_failures_total{{{SEL}}}[1h]))", "failures")], w=6, h=4),
        stat(L, "Corrupt blocks (1h)", [(f"sum(increase(mnemos_store_blocks_corrupt_total{{{SEL}}}[1h]))", "corrupt")], w=6, h=4),
        stat(L, "Limit rejections (1h)", [(f"sum(increase(mnemos_store_limit_rejections_total{{{SEL}}}[1h]))", "rejections")], w=6, h=4),
        ts(L, "Blocks served by instance", [(f"sum by (instance) (mnemos_store_blocks{{{SEL}}})", "{{instance}}")]),
        ts(L, "Block loads and failures", [
            (f"sum(rate(mnemos_store_blocks_loaded_total{{{SEL}}}[{RI}]))", "loaded"),
            (f"sum(rate(mnemos_store_block_load_failures_total{{{SEL}}}[{RI}]))", "load failures"),
            (f"sum(rate(mnemos_store_blocks_corrupt_total{{{SEL}}}[{RI}]))", "corrupt"),
            (f"sum(rate(mnemos_store_block_query_failures_total{{{SEL}}}[{RI}]))", "failed in queries"),
        ], "ops"),
        ts(L, "Series call duration", quantiles("mnemos_store_query_duration_seconds"), "s"),
        ts(L, "Series calls", [
            (f"sum(rate(mnemos_store_query_duration_seconds_count{{{SEL}}}[{RI}]))", "calls"),
            (f"sum(rate(mnemos_store_requests_cancelled_total{{{SEL}}}[{RI}]))", "cancelled by the client"),
            (f"sum(rate(mnemos_store_limit_rejections_total{{{SEL}}}[{RI}]))", "rejected by a limit"),
            (f"sum(rate(mnemos_store_query_blocks_sorted_total{{{SEL}}}[{RI}]))", "blocks held to sort"),
        ], "ops"),
        ts(L, "p99 touched per Series call", [
            (f"histogram_quantile(0.99, sum by (le) (rate(mnemos_store_query_blocks_touched_bucket{{{SEL}}}[{RI}])))", "blocks"),
            (f"histogram_quantile(0.99, sum by (le) (rate(mnemos_store_query_series_touched_bucket{{{SEL}}}[{RI}])))", "series"),
            (f"histogram_quantile(0.99, sum by (le) (rate(mnemos_store_query_chunks_touched_bucket{{{SEL}}}[{RI}])))", "chunks"),
        ]),
        ts(L, "Bucket bytes per Series call", quantiles("mnemos_store_query_bucket_bytes"), "bytes"),
        ts(L, "Cache hit ratio", [(
            f"sum by (cache) (rate(mnemos_store_cache_hits_total{{{SEL}}}[{RI}])) / (sum by (cache) (rate(mnemos_store_cache_hits_total{{{SEL}}}[{RI}])) + sum by (cache) (rate(mnemos_store_cache_misses_total{{{SEL}}}[{RI}])))",
            "{{cache}}")], "percentunit", w=8),
        ts(L, "Cache size", [(f"sum by (cache) (mnemos_store_cache_bytes{{{SEL}}})", "{{cache}}")], "bytes", w=8),
        ts(L, "Cache evictions", [(f"sum by (cache) (rate(mnemos_store_cache_evictions_total{{{SEL}}}[{RI}]))", "{{cache}}")], "ops", w=8),
        *meta_panels(L),
        *bucket_panels(L),
    ])


def compact_dashboard():
    L = Layout()
    return dashboard("mnemos-compact", "mnemos / Compactor", "compact", [
        stat(L, "Since the last successful pass", [(f"time() - max(mnemos_compact_last_successful_run_timestamp_seconds{{{SEL}}} > 0)", "age")], "s", w=6, h=4),
        stat(L, "Groups", [(f"sum(mnemos_compact_groups{{{SEL}}})", "groups")], w=6, h=4),
        stat(L, "Pass failures (24h)", [(f"sum(increase(mnemos_compact_pass_failures_total{{{SEL}}}[1d]))", "failures")], w=6, h=4),
        stat(L, "No-compact marks (24h)", [(f"sum(increase(mnemos_compact_blocks_marked_total{{{SEL}, marker=\"no-compact\"}}[1d]))", "marks")], w=6, h=4),
        ts(L, "Passes", [
            (f"sum(increase(mnemos_compact_passes_total{{{SEL}}}[1h]))", "passes"),
            (f"sum(increase(mnemos_compact_pass_failures_total{{{SEL}}}[1h]))", "failed"),
        ], description="Per hour."),
        ts(L, "Compactions", [
            (f"sum(increase(mnemos_compact_compactions_planned_total{{{SEL}}}[1h]))", "planned"),
            (f"sum(increase(mnemos_compact_compactions_total{{{SEL}}}[1h]))", "done"),
            (f"sum(increase(mnemos_compact_compaction_failures_total{{{SEL}}}[1h]))", "failed"),
            (f"sum(increase(mnemos_compact_vertical_compactions_total{{{SEL}}}[1h]))", "vertical"),
        ], description="Per hour."),
        ts(L, "Downsamplings", [
            (f"sum by (resolution) (increase(mnemos_compact_downsamples_total{{{SEL}}}[1h]))", "resolution {{resolution}} ms"),
            (f"sum(increase(mnemos_compact_downsample_failures_total{{{SEL}}}[1h]))", "failed"),
        ], description="Per hour."),
        ts(L, "Blocks marked", [(f"sum by (marker, reason) (increase(mnemos_compact_blocks_marked_total{{{SEL}}}[1h]))", "{{marker}} {{reason}}")], description="Per hour."),
        ts(L, "Blocks deleted", [
            (f"sum(increase(mnemos_compact_blocks_deleted_total{{{SEL}}}[1h]))", "blocks"),
            (f"sum(increase(mnemos_compact_partial_uploads_deleted_total{{{SEL}}}[1h]))", "partial uploads"),
        ], description="Per hour."),
        ts(L, "Read-back verifications and deletion-mark read failures", [
            (f"sum by (result) (increase(mnemos_compact_verifications_total{{{SEL}}}[1h]))", "verification {{result}}"),
            (f"sum by (kind) (increase(mnemos_compact_deletion_mark_read_failures_total{{{SEL}}}[1h]))", "mark unreadable {{kind}}"),
        ], description="Per hour."),
        ts(L, "Throughput", [
            (f"sum(rate(mnemos_compact_read_bytes_total{{{SEL}}}[{RI}]))", "read"),
            (f"sum(rate(mnemos_compact_written_bytes_total{{{SEL}}}[{RI}]))", "written"),
        ], "Bps"),
        ts(L, "Samples written", [(f"sum(rate(mnemos_compact_written_samples_total{{{SEL}}}[{RI}]))", "samples")], "short"),
        *meta_panels(L),
        *bucket_panels(L),
    ])


def sidecar_dashboard():
    L = Layout()
    return dashboard("mnemos-sidecar", "mnemos / Sidecar", "sidecar", [
        ts(L, "Since the last upload", [(f"time() - max by (instance) (mnemos_shipper_last_successful_upload_time{{{SEL}}} > 0)", "{{instance}}")], "s",
           description="Prometheus cuts a block every 2 hours; much more than that means blocks are not shipped. Empty until the first upload after a restart."),
        ts(L, "Uploads", [
            (f"sum by (instance) (increase(mnemos_shipper_uploads_total{{{SEL}}}[1h]))", "uploaded {{instance}}"),
            (f"sum by (instance) (increase(mnemos_shipper_upload_failures_total{{{SEL}}}[1h]))", "failed {{instance}}"),
        ], description="Per hour."),
        ts(L, "Data directory scans", [
            (f"sum by (instance) (rate(mnemos_shipper_dir_syncs_total{{{SEL}}}[{RI}]))", "scans {{instance}}"),
            (f"sum by (instance) (rate(mnemos_shipper_dir_sync_failures_total{{{SEL}}}[{RI}]))", "failed {{instance}}"),
        ], "ops", description="No scans while the sidecar waits for Prometheus at startup."),
        ts(L, "Restarts", [(f"sum by (instance) (changes(process_start_time_seconds{{{SEL}}}[1h]))", "{{instance}}")],
           description="Per hour. A sidecar that cannot reach Prometheus exits after --prometheus.ready_timeout."),
        *bucket_panels(L),
    ])


def overview_dashboard():
    L = Layout()
    qsel = 'namespace=~"$namespace", job=~"$job"'
    return dashboard("mnemos-overview", "mnemos / Overview", None, [
        stat(L, "Targets up", [(f"sum by (job) (up{{{qsel}}})", "{{job}}")], w=12, h=5),
        panel(L, "table", "Versions", [(f"count by (job, component, version) (mnemos_build_info{{{qsel}}})", "")], w=12, h=5),
        ts(L, "Query requests by code", [(f"sum by (code) (rate(mnemos_query_http_requests_total{{{qsel}}}[{RI}]))", "{{code}}")], "reqps", w=8),
        ts(L, "Query latency", quantiles("mnemos_query_http_request_duration_seconds", sel=qsel), "s", w=8),
        ts(L, "Partial responses and unhealthy endpoints", [
            (f"sum(rate(mnemos_query_partial_responses_total{{{qsel}}}[{RI}]))", "partial responses/s"),
            (f"sum(mnemos_query_endpoints{{{qsel}, state=\"unhealthy\"}})", "unhealthy endpoints"),
        ], w=8),
        ts(L, "Store gateway blocks", [
            (f"sum(mnemos_store_blocks{{{qsel}}})", "served"),
            (f"sum(increase(mnemos_store_block_load_failures_total{{{qsel}}}[1h]))", "load failures/h"),
            (f"sum(increase(mnemos_store_blocks_corrupt_total{{{qsel}}}[1h]))", "corrupt/h"),
        ], w=8),
        ts(L, "Since the last sidecar upload", [(f"time() - max by (job, instance) (mnemos_shipper_last_successful_upload_time{{{qsel}}} > 0)", "{{instance}}")], "s", w=8),
        ts(L, "Since the last successful compactor pass", [(f"time() - max by (job) (mnemos_compact_last_successful_run_timestamp_seconds{{{qsel}}} > 0)", "{{job}}")], "s", w=8),
        ts(L, "Bucket operation failures by job", [(f"sum by (job, operation) (rate(mnemos_objstore_bucket_operation_failures_total{{{qsel}}}[{RI}]))", "{{job}} {{operation}}")], "ops", w=24),
    ])


DASHBOARDS = {
    "mnemos-overview.json": overview_dashboard,
    "mnemos-query.json": query_dashboard,
    "mnemos-store.json": store_dashboard,
    "mnemos-compact.json": compact_dashboard,
    "mnemos-sidecar.json": sidecar_dashboard,
}


def main():
    check = "--check" in sys.argv[1:]
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dashboards")
    os.makedirs(out_dir, exist_ok=True)
    stale = []
    for name, build in DASHBOARDS.items():
        text = json.dumps(build(), indent=2) + "\n"
        path = os.path.join(out_dir, name)
        if check:
            try:
                with open(path) as f:
                    if f.read() != text:
                        stale.append(name)
            except FileNotFoundError:
                stale.append(name)
        else:
            with open(path, "w") as f:
                f.write(text)
    if stale:
        print("dashboards out of date (run python3 dashboards.py):", ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
