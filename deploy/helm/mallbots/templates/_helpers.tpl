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

{{/* A database user's Secret (the URL under its urlKey); rendering stops without one, or with the values of the
chart's one-user days, or with one Secret and key for both users. */}}
{{- define "mallbots.databaseSecret" -}}
{{- $db := .root.Values.database }}
{{- if or (hasKey $db "url") (hasKey $db "existingSecret") (hasKey $db "urlKey") }}
{{- fail "database.url, database.existingSecret and database.urlKey are gone: the services and the migrations connect as two users, database.appUser and database.migrationsUser, each from an existing Secret holding its URL (deploy/README.md, deploy/database-users.sql)" }}
{{- end }}
{{- $user := get $db .user }}
{{- if not $user.existingSecret }}
{{- fail (printf "database.%s.existingSecret: the name of an existing Secret holding that user's database URL under database.%s.urlKey (deploy/README.md)" .user .user) }}
{{- end }}
{{- if and (eq $db.appUser.existingSecret $db.migrationsUser.existingSecret) (eq $db.appUser.urlKey $db.migrationsUser.urlKey) }}
{{- fail "database.appUser and database.migrationsUser name the same Secret and key: the services' user must not be the one that may change the schemas (deploy/database-users.sql makes both)" }}
{{- end }}
{{- $user.existingSecret }}
{{- end }}

{{/* Database settings of one user (dict "root" . "user" "appUser"|"migrationsUser"): URLs and TLS. */}}
{{- define "mallbots.databaseEnv" -}}
{{- $db := .root.Values.database }}
{{- $secret := include "mallbots.databaseSecret" . }}
{{- $user := get $db .user -}}
- name: MALLBOTS_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $user.urlKey }}
{{- range $service, $key := $db.serviceUrlKeys }}
- name: {{ printf "MALLBOTS_%s_DATABASE_URL" (upper $service) }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $key }}
{{- end }}
{{- with $db.sslmode }}
{{- if not (has . (list "disable" "allow" "prefer" "require" "verify-ca" "verify-full")) }}
{{- fail (printf "database.sslmode %q: one of disable, allow, prefer, require, verify-ca, verify-full" .) }}
{{- end }}
- name: MALLBOTS_DATABASE_SSLMODE
  value: {{ . | quote }}
{{- end }}
{{- with $db.sslRootCert.existingSecret }}
- name: MALLBOTS_DATABASE_SSLROOTCERT
  value: {{ printf "%s/%s" (trimSuffix "/" $db.sslRootCert.mountPath) $db.sslRootCert.key | quote }}
{{- end }}
- name: MALLBOTS_LOG_LEVEL
  value: {{ .root.Values.logLevel | quote }}
{{- end }}

{{/* Temporal TLS and API key: every process that connects to Temporal. */}}
{{- define "mallbots.temporalTlsEnv" -}}
{{- $tls := .Values.temporal.tls }}
{{- if and $tls.existingSecret (not (or $tls.serverCaKey $tls.clientCertKey)) }}
{{- fail "temporal.tls.existingSecret: set temporal.tls.serverCaKey and/or temporal.tls.clientCertKey to the files it holds" }}
{{- end }}
{{- if ne (empty $tls.clientCertKey) (empty $tls.clientKeyKey) }}
{{- fail "temporal.tls.clientCertKey and temporal.tls.clientKeyKey: a client certificate needs both its certificate and its key" }}
{{- end }}
{{- if or $tls.enabled $tls.existingSecret $tls.serverName .Values.temporal.apiKey.existingSecret }}
- name: MALLBOTS_TEMPORAL_TLS
  value: "true"
{{- end }}
{{- with $tls.serverName }}
- name: MALLBOTS_TEMPORAL_TLS_SERVER_NAME
  value: {{ . | quote }}
{{- end }}
{{- if $tls.existingSecret }}
{{- $dir := trimSuffix "/" $tls.mountPath }}
{{- with $tls.serverCaKey }}
- name: MALLBOTS_TEMPORAL_TLS_SERVER_CA_FILE
  value: {{ printf "%s/%s" $dir . | quote }}
{{- end }}
{{- if $tls.clientCertKey }}
- name: MALLBOTS_TEMPORAL_TLS_CLIENT_CERT_FILE
  value: {{ printf "%s/%s" $dir $tls.clientCertKey | quote }}
- name: MALLBOTS_TEMPORAL_TLS_CLIENT_KEY_FILE
  value: {{ printf "%s/%s" $dir $tls.clientKeyKey | quote }}
{{- end }}
{{- end }}
{{- with .Values.temporal.apiKey.existingSecret }}
- name: MALLBOTS_TEMPORAL_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.temporal.apiKey.key }}
{{- end }}
{{- end }}

{{/* The same connection for the temporal CLI (the search-attribute Job): flags, which every CLI version reads. */}}
{{- define "mallbots.temporalCliFlags" -}}
{{- $tls := .Values.temporal.tls }}
{{- $flags := list }}
{{- if or $tls.enabled $tls.existingSecret $tls.serverName .Values.temporal.apiKey.existingSecret }}
{{- $flags = append $flags "--tls" }}
{{- end }}
{{- with $tls.serverName }}
{{- $flags = append $flags (printf "--tls-server-name %s" .) }}
{{- end }}
{{- if $tls.existingSecret }}
{{- $dir := trimSuffix "/" $tls.mountPath }}
{{- with $tls.serverCaKey }}
{{- $flags = append $flags (printf "--tls-ca-path %s/%s" $dir .) }}
{{- end }}
{{- if $tls.clientCertKey }}
{{- $flags = append $flags (printf "--tls-cert-path %s/%s --tls-key-path %s/%s" $dir $tls.clientCertKey $dir $tls.clientKeyKey) }}
{{- end }}
{{- end }}
{{- join " " $flags }}
{{- end }}

{{/* Authentication (the API only): an OIDC issuer, or the local issuer's key from a Secret; rendering stops
with neither unless auth.enabled=false. */}}
{{- define "mallbots.authEnv" -}}
{{- $auth := .Values.auth }}
{{- if not $auth.enabled }}
- name: MALLBOTS_AUTH
  value: "false"
{{- else }}
{{- if not (or $auth.issuer $auth.signingKey.existingSecret) }}
{{- fail "auth: set auth.issuer (an OIDC issuer URL) or auth.signingKey.existingSecret (a Secret holding the local issuer's PEM private key, EC P-256: deploy/README.md), or auth.enabled=false to serve every route without a token, on purpose only" }}
{{- end }}
{{- with $auth.issuer }}
- name: MALLBOTS_AUTH_ISSUER
  value: {{ . | quote }}
{{- end }}
{{- with $auth.jwksUrl }}
- name: MALLBOTS_AUTH_JWKS_URL
  value: {{ . | quote }}
{{- end }}
{{- with $auth.audience }}
- name: MALLBOTS_AUTH_AUDIENCE
  value: {{ . | quote }}
{{- end }}
{{- with $auth.rolesClaim }}
- name: MALLBOTS_AUTH_ROLES_CLAIM
  value: {{ . | quote }}
{{- end }}
{{- if $auth.signingKey.existingSecret }}
- name: MALLBOTS_AUTH_SIGNING_KEY_FILE
  value: {{ printf "%s/%s" (trimSuffix "/" $auth.signingKey.mountPath) $auth.signingKey.key | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* Volume items of the Secrets read as files: Temporal's TLS files, the database CA, the signing key (API). */}}
{{- define "mallbots.temporalTlsVolume" -}}
{{- $tls := .Values.temporal.tls }}
{{- if $tls.existingSecret }}
- name: temporal-tls
  secret:
    secretName: {{ $tls.existingSecret }}
    items:
      {{- range list $tls.serverCaKey $tls.clientCertKey $tls.clientKeyKey | compact }}
      - key: {{ . }}
        path: {{ . }}
      {{- end }}
    defaultMode: 0440
{{- end }}
{{- end }}

{{- define "mallbots.temporalTlsMount" -}}
{{- if .Values.temporal.tls.existingSecret }}
- name: temporal-tls
  mountPath: {{ .Values.temporal.tls.mountPath }}
  readOnly: true
{{- end }}
{{- end }}

{{- define "mallbots.databaseCaVolume" -}}
{{- $ca := .Values.database.sslRootCert }}
{{- if $ca.existingSecret }}
- name: database-ca
  secret:
    secretName: {{ $ca.existingSecret }}
    items:
      - key: {{ $ca.key }}
        path: {{ $ca.key }}
    defaultMode: 0440
{{- end }}
{{- end }}

{{- define "mallbots.databaseCaMount" -}}
{{- if .Values.database.sslRootCert.existingSecret }}
- name: database-ca
  mountPath: {{ .Values.database.sslRootCert.mountPath }}
  readOnly: true
{{- end }}
{{- end }}

{{- define "mallbots.authVolume" -}}
{{- $key := .Values.auth.signingKey }}
{{- if and .Values.auth.enabled $key.existingSecret }}
- name: auth-signing-key
  secret:
    secretName: {{ $key.existingSecret }}
    items:
      - key: {{ $key.key }}
        path: {{ $key.key }}
    defaultMode: 0440
{{- end }}
{{- end }}

{{- define "mallbots.authMount" -}}
{{- if and .Values.auth.enabled .Values.auth.signingKey.existingSecret }}
- name: auth-signing-key
  mountPath: {{ .Values.auth.signingKey.mountPath }}
  readOnly: true
{{- end }}
{{- end }}

{{/* Everything workers and the API share: Temporal, databases, tracing, extra settings. */}}
{{- define "mallbots.env" -}}
- name: MALLBOTS_TEMPORAL_ADDRESS
  value: {{ required "temporal.address is the Temporal frontend, host:port" .Values.temporal.address | quote }}
- name: MALLBOTS_TEMPORAL_NAMESPACE
  value: {{ .Values.temporal.namespace | quote }}
{{ include "mallbots.databaseEnv" (dict "root" . "user" "appUser") }}
{{- with include "mallbots.temporalTlsEnv" . | trim }}
{{ . }}
{{- end }}
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

{{/* Volumes and mounts of the workers and the API: /tmp, and the Secrets they read as files, read-only. */}}
{{- define "mallbots.appVolumes" -}}
volumes:
  - name: tmp
    emptyDir: {}
{{- with include "mallbots.temporalTlsVolume" . | trim }}
  {{- . | nindent 2 }}
{{- end }}
{{- with include "mallbots.databaseCaVolume" . | trim }}
  {{- . | nindent 2 }}
{{- end }}
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
{{- with include "mallbots.temporalTlsMount" . | trim }}
  {{- . | nindent 2 }}
{{- end }}
{{- with include "mallbots.databaseCaMount" . | trim }}
  {{- . | nindent 2 }}
{{- end }}
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
