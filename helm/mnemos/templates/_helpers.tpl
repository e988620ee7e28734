{{/* Names ------------------------------------------------------------------------------ */}}

{{- define "mnemos.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Kept at 40 characters so that "<fullname>-storegateway-<shard>-<ordinal>" stays a valid
     pod name and the StatefulSets' controller-revision-hash label stays under 63. */}}
{{- define "mnemos.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "mnemos.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels: "mnemos.labels" (dict "ctx" $ "component" "query") */}}
{{- define "mnemos.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mnemos.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end -}}

{{- define "mnemos.labels" -}}
helm.sh/chart: {{ include "mnemos.chart" .ctx }}
{{ include "mnemos.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: mnemos
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "mnemos.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "mnemos.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "mnemos.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* Object storage --------------------------------------------------------------------- */}}

{{/* Fails the render with a clear message unless one bucket source is given. */}}
{{- define "mnemos.objstore.check" -}}
{{- $inline := .Values.objstore.config -}}
{{- $existing := .Values.objstore.existingSecret.name -}}
{{- if and $inline $existing -}}
{{- fail "objstore: set either objstore.config (inline bucket YAML) or objstore.existingSecret.name, not both" -}}
{{- end -}}
{{- if not (or $inline $existing) -}}
{{- fail "objstore: the bucket is required: set objstore.config (Thanos' objstore YAML, e.g. {type: S3, config: {bucket: …, endpoint: …}}) or objstore.existingSecret.name (a Secret holding that YAML under objstore.existingSecret.key); see docs/objstore.md" -}}
{{- end -}}
{{- end -}}

{{- define "mnemos.objstore.secretName" -}}
{{- include "mnemos.objstore.check" . -}}
{{- if .Values.objstore.existingSecret.name -}}
{{- .Values.objstore.existingSecret.name -}}
{{- else -}}
{{- printf "%s-objstore" (include "mnemos.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "mnemos.objstore.secretKey" -}}
{{- if .Values.objstore.existingSecret.name -}}
{{- .Values.objstore.existingSecret.key -}}
{{- else -}}
objstore.yml
{{- end -}}
{{- end -}}

{{/* Arguments every component shares ---------------------------------------------------- */}}

{{- define "mnemos.args.common" -}}
- --log.level={{ .Values.log.level }}
- --log.format={{ .Values.log.format }}
- --http-address=0.0.0.0:10902
{{- if .Values.tls.http.enabled }}
- --http.config=/etc/mnemos/http/web-config.yml
{{- end }}
{{- end -}}

{{- define "mnemos.args.objstore" -}}
- --objstore.config-file=/etc/mnemos/objstore/{{ include "mnemos.objstore.secretKey" . }}
{{- end -}}

{{- define "mnemos.args.grpcServer" -}}
- --grpc-address=0.0.0.0:10901
{{- if .Values.tls.grpc.enabled }}
- --grpc-server-tls-cert=/etc/mnemos/grpc-tls/tls.crt
- --grpc-server-tls-key=/etc/mnemos/grpc-tls/tls.key
- --grpc-server-tls-min-version={{ .Values.tls.grpc.minVersion }}
{{- if .Values.tls.grpc.requireClientCert }}
- --grpc-server-tls-client-ca=/etc/mnemos/grpc-tls/ca.crt
{{- end }}
{{- end }}
{{- end -}}

{{/* Volumes and mounts ------------------------------------------------------------------ */}}

{{/* "mnemos.volumes" (dict "ctx" $ "objstore" true "grpcServer" true "grpcClient" false) */}}
{{- define "mnemos.volumes" -}}
{{- $ctx := .ctx -}}
- name: tmp
  emptyDir: {}
{{- if .objstore }}
- name: objstore
  secret:
    secretName: {{ include "mnemos.objstore.secretName" $ctx }}
    items:
      - key: {{ include "mnemos.objstore.secretKey" $ctx }}
        path: {{ include "mnemos.objstore.secretKey" $ctx }}
{{- end }}
{{- if and $ctx.Values.tls.grpc.enabled .grpcServer }}
- name: grpc-tls
  secret:
    secretName: {{ required "tls.grpc.serverSecretName is required when tls.grpc.enabled" $ctx.Values.tls.grpc.serverSecretName }}
{{- end }}
{{- if and $ctx.Values.tls.grpc.enabled .grpcClient }}
- name: grpc-client-tls
  secret:
    secretName: {{ default $ctx.Values.tls.grpc.serverSecretName $ctx.Values.tls.grpc.clientSecretName | required "tls.grpc.clientSecretName (or serverSecretName) is required when tls.grpc.enabled" }}
{{- end }}
{{- if $ctx.Values.tls.http.enabled }}
- name: http-config
  secret:
    secretName: {{ include "mnemos.httpConfig.secretName" $ctx }}
{{- with $ctx.Values.tls.http.certSecretName }}
- name: http-tls
  secret:
    secretName: {{ . }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "mnemos.volumeMounts" -}}
{{- $ctx := .ctx -}}
- name: tmp
  mountPath: /tmp
{{- if .objstore }}
- name: objstore
  mountPath: /etc/mnemos/objstore
  readOnly: true
{{- end }}
{{- if and $ctx.Values.tls.grpc.enabled .grpcServer }}
- name: grpc-tls
  mountPath: /etc/mnemos/grpc-tls
  readOnly: true
{{- end }}
{{- if and $ctx.Values.tls.grpc.enabled .grpcClient }}
- name: grpc-client-tls
  mountPath: /etc/mnemos/grpc-client-tls
  readOnly: true
{{- end }}
{{- if $ctx.Values.tls.http.enabled }}
- name: http-config
  mountPath: /etc/mnemos/http
  readOnly: true
{{- if $ctx.Values.tls.http.certSecretName }}
- name: http-tls
  mountPath: /etc/mnemos/http-tls
  readOnly: true
{{- end }}
{{- end }}
{{- end -}}

{{- define "mnemos.httpConfig.secretName" -}}
{{- if .Values.tls.http.existingSecret -}}
{{- .Values.tls.http.existingSecret -}}
{{- else if .Values.tls.http.webConfig -}}
{{- printf "%s-http-config" (include "mnemos.fullname" .) -}}
{{- else -}}
{{- fail "tls.http.enabled needs tls.http.webConfig (Prometheus' web config YAML) or tls.http.existingSecret (a Secret with the key web-config.yml)" -}}
{{- end -}}
{{- end -}}

{{/* Container pieces -------------------------------------------------------------------- */}}

{{- define "mnemos.probes" -}}
{{- $scheme := ternary (.Values.tls.http.scheme | upper) "HTTP" .Values.tls.http.enabled -}}
livenessProbe:
  httpGet:
    path: /-/healthy
    port: http
    scheme: {{ $scheme }}
    {{- with .Values.probes.httpHeaders }}
    httpHeaders:
      {{- toYaml . | nindent 6 }}
    {{- end }}
  {{- toYaml .Values.probes.liveness | nindent 2 }}
readinessProbe:
  httpGet:
    path: /-/ready
    port: http
    scheme: {{ $scheme }}
    {{- with .Values.probes.httpHeaders }}
    httpHeaders:
      {{- toYaml . | nindent 6 }}
    {{- end }}
  {{- toYaml .Values.probes.readiness | nindent 2 }}
{{- end -}}

{{/* "mnemos.env" (dict "ctx" $ "extra" .Values.query.extraEnv) */}}
{{- define "mnemos.env" -}}
{{- $env := concat (.ctx.Values.extraEnv | default list) (.extra | default list) -}}
{{- with $env }}
env:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* "mnemos.podSpecCommon" (dict "ctx" $ "c" .Values.query "component" "query") */}}
{{- define "mnemos.podSpecCommon" -}}
{{- $ctx := .ctx -}}
serviceAccountName: {{ include "mnemos.serviceAccountName" $ctx }}
automountServiceAccountToken: {{ $ctx.Values.serviceAccount.automountServiceAccountToken }}
{{- with $ctx.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml $ctx.Values.podSecurityContext | nindent 2 }}
{{- with .c.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
terminationGracePeriodSeconds: {{ .c.terminationGracePeriodSeconds }}
{{- with .c.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .c.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .c.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if hasKey .c "topologySpreadConstraints" }}
topologySpreadConstraints:
{{- if .c.topologySpreadConstraints }}
  {{- toYaml .c.topologySpreadConstraints | nindent 2 }}
{{- else }}
{{- $sel := include "mnemos.selectorLabels" (dict "ctx" $ctx "component" .component) | fromYaml }}
{{- if .shard }}{{ $_ := set $sel "mnemos/shard" .shard }}{{ end }}
  - maxSkew: 1
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- toYaml $sel | nindent 8 }}
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- toYaml $sel | nindent 8 }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "mnemos.podAnnotations" -}}
{{- $a := merge (dict) (.c.podAnnotations | default dict) (.ctx.Values.commonAnnotations | default dict) -}}
{{- if and .ctx.Values.objstore.config (not .ctx.Values.objstore.existingSecret.name) -}}
{{- $_ := set $a "checksum/objstore" (toYaml .ctx.Values.objstore.config | sha256sum) -}}
{{- end -}}
{{- if and .ctx.Values.tls.http.enabled .ctx.Values.tls.http.webConfig -}}
{{- $_ := set $a "checksum/http-config" (toYaml .ctx.Values.tls.http.webConfig | sha256sum) -}}
{{- end -}}
{{- with $a }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* The querier's --endpoint list. */}}
{{- define "mnemos.query.endpoints" -}}
{{- $ns := .Release.Namespace -}}
{{- $domain := .Values.clusterDomain -}}
{{- if and .Values.storegateway.enabled .Values.query.storeGateways }}
- --endpoint=dnssrv+_grpc._tcp.{{ include "mnemos.fullname" . }}-storegateway-grpc.{{ $ns }}.svc.{{ $domain }}
{{- end }}
{{- with .Values.query.sidecars.service }}
- --endpoint=dnssrv+_grpc._tcp.{{ . }}.{{ default $ns $.Values.query.sidecars.namespace }}.svc.{{ $domain }}
{{- end }}
{{- range .Values.query.extraEndpoints }}
- --endpoint={{ . }}
{{- end }}
{{- end -}}
