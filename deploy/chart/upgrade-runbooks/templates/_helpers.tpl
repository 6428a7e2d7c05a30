{{/* Names, labels and the pieces both Deployments share. */}}

{{- define "upgrade-runbooks.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name; a suffix ("-chatops") must still fit in 63 characters. */}}
{{- define "upgrade-runbooks.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 55 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 55 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 55 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "upgrade-runbooks.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "upgrade-runbooks.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Selector labels of one component (worker or chatops). Usage: include ... (list . "worker") */}}
{{- define "upgrade-runbooks.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "upgrade-runbooks.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{- define "upgrade-runbooks.workerImage" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "upgrade-runbooks.chatopsImage" -}}
{{- if .Values.chatops.image.repository }}
{{- printf "%s:%s" .Values.chatops.image.repository (.Values.chatops.image.tag | default .Values.image.tag | default .Chart.AppVersion) }}
{{- else }}
{{- include "upgrade-runbooks.workerImage" . }}
{{- end }}
{{- end }}

{{- define "upgrade-runbooks.workerServiceAccountName" -}}
{{- if .Values.worker.serviceAccount.create }}
{{- default (include "upgrade-runbooks.fullname" .) .Values.worker.serviceAccount.name }}
{{- else }}
{{- required "worker.serviceAccount.name is required when worker.serviceAccount.create is false (the ServiceAccount the RBAC binds)" .Values.worker.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "upgrade-runbooks.chatopsServiceAccountName" -}}
{{- if .Values.chatops.serviceAccount.create }}
{{- default (printf "%s-chatops" (include "upgrade-runbooks.fullname" .)) .Values.chatops.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.chatops.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "upgrade-runbooks.signingSecretName" -}}
{{- default (printf "%s-chatops" (include "upgrade-runbooks.fullname" .)) .Values.chatops.signingSecret.secretName }}
{{- end }}

{{/* Namespaces the worker's namespaced RBAC is bound in. */}}
{{- define "upgrade-runbooks.targetNamespaces" -}}
{{- if .Values.rbac.targetNamespaces }}
{{- toYaml (uniq .Values.rbac.targetNamespaces) }}
{{- else }}
{{- toYaml (list .Release.Namespace) }}
{{- end }}
{{- end }}

{{/* TEMPORAL_* environment for src/temporal-config.ts. */}}
{{- define "upgrade-runbooks.temporalEnv" -}}
{{- $t := .Values.temporal -}}
- name: TEMPORAL_ADDRESS
  value: {{ required "temporal.address is required (host:port of the Temporal frontend)" $t.address | quote }}
- name: TEMPORAL_NAMESPACE
  value: {{ required "temporal.namespace is required" $t.namespace | quote }}
- name: TEMPORAL_TASK_QUEUE
  value: {{ required "temporal.taskQueue is required" $t.taskQueue | quote }}
{{- if $t.tls.enabled }}
- name: TEMPORAL_TLS
  value: "true"
{{- if $t.tls.serverName }}
- name: TEMPORAL_TLS_SERVER_NAME
  value: {{ $t.tls.serverName | quote }}
{{- end }}
{{- if $t.tls.secretName }}
{{- if $t.tls.certKey }}
- name: TEMPORAL_TLS_CLIENT_CERT_PATH
  value: {{ printf "/etc/temporal/tls/%s" $t.tls.certKey | quote }}
- name: TEMPORAL_TLS_CLIENT_KEY_PATH
  value: {{ printf "/etc/temporal/tls/%s" (required "temporal.tls.keyKey is required with temporal.tls.certKey (mTLS needs the key)" $t.tls.keyKey) | quote }}
{{- end }}
{{- if $t.tls.caKey }}
- name: TEMPORAL_TLS_SERVER_CA_CERT_PATH
  value: {{ printf "/etc/temporal/tls/%s" $t.tls.caKey | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- if $.Values.codec.keys.secretName }}
# The payload codec's keys (src/codec/keys.ts): every process that reads or writes payloads.
- name: RUNBOOK_CODEC_KEYS_FILE
  value: {{ printf "/etc/upgrade-runbooks/codec/%s" $.Values.codec.keys.key | quote }}
{{- end }}
{{- include "upgrade-runbooks.payloadOffloadEnv" $ }}
{{- if $t.apiKey.secretName }}
- name: TEMPORAL_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $t.apiKey.secretName | quote }}
      key: {{ required "temporal.apiKey.key is required with temporal.apiKey.secretName" $t.apiKey.key | quote }}
{{- end }}
{{- end }}

{{- define "upgrade-runbooks.temporalVolumeMounts" -}}
{{- if and .Values.temporal.tls.enabled .Values.temporal.tls.secretName }}
- name: temporal-tls
  mountPath: /etc/temporal/tls
  readOnly: true
{{- end }}
{{- if .Values.codec.keys.secretName }}
- name: codec-keys
  mountPath: /etc/upgrade-runbooks/codec
  readOnly: true
{{- end }}
{{- end }}

{{- define "upgrade-runbooks.temporalVolumes" -}}
{{- if and .Values.temporal.tls.enabled .Values.temporal.tls.secretName }}
- name: temporal-tls
  secret:
    secretName: {{ .Values.temporal.tls.secretName | quote }}
    defaultMode: 0440
{{- end }}
{{- if .Values.codec.keys.secretName }}
- name: codec-keys
  secret:
    secretName: {{ .Values.codec.keys.secretName | quote }}
    defaultMode: 0440
    items:
      - key: {{ required "codec.keys.key is required with codec.keys.secretName" .Values.codec.keys.key | quote }}
        path: {{ .Values.codec.keys.key | quote }}
{{- end }}
{{- end }}

{{- /* Where the S3-compatible store is and how to reach it (src/activities/storage/s3-client.ts):
the backups' bucket, which the payload store shares. Credentials by reference: the process
reads the variables these name. */ -}}
{{- define "upgrade-runbooks.s3Env" -}}
{{- $b := .Values.backups -}}
- name: BACKUP_S3_BUCKET
  value: {{ $b.s3.bucket | quote }}
- name: BACKUP_S3_PREFIX
  value: {{ $b.s3.prefix | quote }}
- name: BACKUP_S3_REGION
  value: {{ $b.s3.region | quote }}
{{- with $b.s3.endpoint }}
- name: BACKUP_S3_ENDPOINT
  value: {{ . | quote }}
{{- end }}
- name: BACKUP_S3_FORCE_PATH_STYLE
  value: {{ $b.s3.forcePathStyle | quote }}
{{- with $b.s3.sse }}
- name: BACKUP_S3_SSE
  value: {{ . | quote }}
{{- end }}
{{- with $b.s3.kmsKeyId }}
- name: BACKUP_S3_SSE_KMS_KEY_ID
  value: {{ . | quote }}
{{- end }}
{{- if $b.s3.credentials.secretName }}
# Credentials by reference: the worker reads the variables these name.
- name: BACKUP_S3_ACCESS_KEY_ID_ENV
  value: BACKUP_S3_ACCESS_KEY_ID
- name: BACKUP_S3_SECRET_ACCESS_KEY_ENV
  value: BACKUP_S3_SECRET_ACCESS_KEY
- name: BACKUP_S3_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ $b.s3.credentials.secretName | quote }}
      key: {{ $b.s3.credentials.accessKeyIdKey | quote }}
- name: BACKUP_S3_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $b.s3.credentials.secretName | quote }}
      key: {{ $b.s3.credentials.secretAccessKeyKey | quote }}
{{- end }}
{{- end }}

{{- /* The claim-check codec (src/codec/payload-store.ts): every process that reads or writes
payloads, so the worker, chat-ops and the codec server alike. */ -}}
{{- define "upgrade-runbooks.payloadOffloadEnv" -}}
{{- $o := .Values.codec.payloadOffload -}}
{{- if $o.enabled }}
{{- if ne .Values.backups.storage "s3" }}
{{- fail "codec.payloadOffload.enabled needs backups.storage=s3: offloaded payloads go to the backups' bucket, which every worker, chat-ops and the codec server reach" }}
{{- end }}
- name: RUNBOOK_PAYLOAD_STORE
  value: s3
- name: RUNBOOK_PAYLOAD_OFFLOAD_BYTES
  value: {{ $o.thresholdBytes | quote }}
{{- with $o.prefix }}
- name: RUNBOOK_PAYLOAD_S3_PREFIX
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- end }}
