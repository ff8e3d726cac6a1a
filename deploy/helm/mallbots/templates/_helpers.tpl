{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "mallbots.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name; room is left for the longest suffix ("-worker-notifications"). */}}
{{- define "mallbots.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "mallbots.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "mallbots.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mallbots.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "mallbots.labels" -}}
helm.sh/chart: {{ include "mallbots.chart" . }}
{{ include "mallbots.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: mallbots
{{- end }}

{{- define "mallbots.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The Secret holding the database URL(s): the chart's own when database.url is set. */}}
{{- define "mallbots.databaseSecret" -}}
{{- if .Values.database.url }}
{{- printf "%s-database" (include "mallbots.fullname" .) }}
{{- else if .Values.database.existingSecret }}
{{- .Values.database.existingSecret }}
{{- else }}
{{- fail "set database.url, or database.existingSecret to a Secret holding the URL under database.urlKey" }}
{{- end }}
{{- end }}

{{/* Database settings: what every role needs. */}}
{{- define "mallbots.databaseEnv" -}}
- name: MALLBOTS_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "mallbots.databaseSecret" . }}
      key: {{ .Values.database.urlKey }}
{{- range $service, $key := .Values.database.serviceUrlKeys }}
- name: {{ printf "MALLBOTS_%s_DATABASE_URL" (upper $service) }}
  valueFrom:
    secretKeyRef:
      name: {{ include "mallbots.databaseSecret" $ }}
      key: {{ $key }}
{{- end }}
- name: MALLBOTS_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
{{- end }}

{{/* Everything workers and the API share: Temporal, databases, tracing, extra settings. */}}
{{- define "mallbots.env" -}}
- name: MALLBOTS_TEMPORAL_ADDRESS
  value: {{ required "temporal.address is the Temporal frontend, host:port" .Values.temporal.address | quote }}
- name: MALLBOTS_TEMPORAL_NAMESPACE
  value: {{ .Values.temporal.namespace | quote }}
{{ include "mallbots.databaseEnv" . }}
{{ include "mallbots.payloadEncryptionEnv" . | trim }}
{{- with .Values.otlpEndpoint }}
- name: MALLBOTS_OTLP_ENDPOINT
  value: {{ . | quote }}
{{- end }}
{{- range $name, $value := .Values.env }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The Secret holding the payload keys file; rendering stops without one unless encryption is turned off. */}}
{{- define "mallbots.payloadKeysSecret" -}}
{{- required "payloadEncryption.existingSecret: the name of an existing Secret holding the payload keys file (under payloadEncryption.keysFileKey, one 'id=base64key' a line; see deploy/README.md), or payloadEncryption.enabled=false to run in clear, on purpose only" .Values.payloadEncryption.existingSecret }}
{{- end }}

{{/* Payload encryption settings: every worker and the API read the same keys file. */}}
{{- define "mallbots.payloadEncryptionEnv" -}}
{{- if .Values.payloadEncryption.enabled }}
- name: MALLBOTS_PAYLOAD_KEYS_FILE
  value: {{ printf "%s/%s" (trimSuffix "/" .Values.payloadEncryption.mountPath) .Values.payloadEncryption.keysFileKey | quote }}
{{- else }}
- name: MALLBOTS_PAYLOAD_ENCRYPTION
  value: "off"
{{- end }}
{{- end }}

{{/* The codec endpoint's token and CORS origins: the API only. */}}
{{- define "mallbots.codecEnv" -}}
{{- if and .Values.payloadEncryption.enabled .Values.codecEndpoint.enabled }}
- name: MALLBOTS_CODEC_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ default (include "mallbots.payloadKeysSecret" .) .Values.codecEndpoint.existingSecret }}
      key: {{ .Values.codecEndpoint.tokenKey }}
{{- with .Values.codecEndpoint.corsOrigins }}
- name: MALLBOTS_CODEC_CORS_ORIGINS
  value: {{ join "," . | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* Volumes and mounts of the workers and the API: /tmp, and the payload keys Secret, read-only. */}}
{{- define "mallbots.appVolumes" -}}
volumes:
  - name: tmp
    emptyDir: {}
{{- if .Values.payloadEncryption.enabled }}
  - name: payload-keys
    secret:
      secretName: {{ include "mallbots.payloadKeysSecret" . }}
      items:
        - key: {{ .Values.payloadEncryption.keysFileKey }}
          path: {{ .Values.payloadEncryption.keysFileKey }}
      # Owned by root, group fsGroup (podSecurityContext): readable by the pod's group only.
      defaultMode: 0440
{{- end }}
{{- end }}

{{- define "mallbots.appMounts" -}}
volumeMounts:
  - name: tmp
    mountPath: /tmp
{{- if .Values.payloadEncryption.enabled }}
  - name: payload-keys
    mountPath: {{ .Values.payloadEncryption.mountPath }}
    readOnly: true
{{- end }}
{{- end }}

{{/* Pod-level settings shared by every pod of the chart. */}}
{{- define "mallbots.podSpecCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.serviceAccountName }}
serviceAccountName: {{ . }}
{{- end }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end }}

{{/* Python writes nothing but temporary files; the root filesystem stays read-only. */}}
{{- define "mallbots.tmpVolume" -}}
volumes:
  - name: tmp
    emptyDir: {}
{{- end }}

{{- define "mallbots.tmpMount" -}}
volumeMounts:
  - name: tmp
    mountPath: /tmp
{{- end }}

{{/* "Name=Type Name=Type ..." from temporal.searchAttributes, sorted by name. */}}
{{- define "mallbots.searchAttributePairs" -}}
{{- $pairs := list }}
{{- range $name, $type := .Values.temporal.searchAttributes }}
{{- $pairs = append $pairs (printf "%s=%s" $name $type) }}
{{- end }}
{{- join " " $pairs }}
{{- end }}
