#!/usr/bin/env bash
# Checks the monitoring mixin: rules, rule unit tests, dashboards, metric names, runbooks.
# Needs promtool (Prometheus 2.x) and python3 on PATH. Exits non-zero on any failure.
#
#   deploy/mixin/check.sh
set -euo pipefail

cd "$(dirname "$0")"
runbooks=../../docs/runbooks.md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
step() { printf '\n== %s\n' "$*"; }
fail() { echo "FAIL: $*" >&2; failed=1; }

step "promtool check rules alerts.yaml"
promtool check rules alerts.yaml || fail "alerts.yaml does not pass promtool check rules"

step "promtool test rules tests.yaml"
promtool test rules tests.yaml || fail "rule unit tests fail"

step "dashboards are valid JSON"
for f in dashboards/*.json; do
    if python3 -m json.tool "$f" >/dev/null; then echo "ok   $f"; else fail "$f is not valid JSON"; fi
done

step "dashboards match dashboards.py"
python3 dashboards.py --check && echo "ok" || fail "dashboards/*.json differ from python3 dashboards.py output"

step "dashboard queries parse (promtool, Grafana variables substituted)"
python3 - "$tmp/dashboard-exprs.yaml" <<'EOF' || fail "could not extract dashboard queries"
import glob, json, sys
rules = []
for path in sorted(glob.glob("dashboards/*.json")):
    for panel in json.load(open(path))["panels"]:
        for t in panel.get("targets", []):
            expr = (t["expr"].replace("$__rate_interval", "5m")
                    .replace("$namespace", ".*").replace("$job", ".*"))
            rules.append({"record": "dashboard_expr_%d" % len(rules), "expr": expr,
                          "labels": {"panel": "%s: %s" % (path, panel["title"])}})
# JSON is YAML: promtool reads it as a rules file.
json.dump({"groups": [{"name": "dashboards", "rules": rules}]}, open(sys.argv[1], "w"))
print("%d queries" % len(rules))
EOF
promtool check rules --lint=none "$tmp/dashboard-exprs.yaml" || fail "a dashboard query does not parse"

step "metric names used are in metrics.txt"
python3 - <<'EOF' || fail "unknown metric names"
import glob, re, sys
known = set()
for line in open("metrics.txt"):
    line = line.rstrip("\n")
    if not line:
        continue
    name, sep, component = line.partition("\t")
    if not sep or component not in ("sidecar", "store", "query", "compact"):
        sys.exit("metrics.txt: bad line %r (want name<TAB>component)" % line)
    known.add(name)
pattern = re.compile(r"\b(mnemos_[a-z0-9_]+|process_start_time_seconds)\b")
bad = 0
files = ["alerts.yaml", "tests.yaml"] + sorted(glob.glob("dashboards/*.json"))
for path in files:
    used = set(pattern.findall(open(path).read()))
    for name in sorted(used - known):
        print("%s: %s is not in metrics.txt" % (path, name))
        bad += 1
    print("ok   %s (%d names)" % (path, len(used)) if not used - known else "FAIL %s" % path)
sys.exit(1 if bad else 0)
EOF

step "every alert has a runbook section and a matching runbook_url"
python3 - "$runbooks" <<'EOF' || fail "runbooks"
import re, sys
alerts = re.findall(r"^\s*- alert: (\w+)\s*$", open("alerts.yaml").read(), re.M)
urls = re.findall(r"runbook_url: (\S+)", open("alerts.yaml").read())
headings = set(re.findall(r"^## (Mnemos\w+)\s*$", open(sys.argv[1]).read(), re.M))
bad = 0
if len(alerts) != len(urls):
    print("%d alerts but %d runbook_url annotations" % (len(alerts), len(urls))); bad += 1
base = "https://github.com/mnemos/mnemos/blob/main/docs/runbooks.md#"
for alert, url in zip(alerts, urls):
    if url != base + alert.lower():
        print("%s: runbook_url %s, want %s" % (alert, url, base + alert.lower())); bad += 1
    if alert not in headings:
        print("%s: no '## %s' section in docs/runbooks.md" % (alert, alert)); bad += 1
for h in sorted(headings - set(alerts)):
    print("docs/runbooks.md: section %s has no alert" % h); bad += 1
print("%d alerts, %d runbook sections" % (len(alerts), len(headings)))
sys.exit(1 if bad else 0)
EOF

echo
if [ "$failed" -ne 0 ]; then
    echo "mixin check FAILED"
    exit 1
fi
echo "mixin check passed"
