{{/*
What the runbooks do inside a target namespace, each rule with its reason. Rendered as
the ClusterRole <fullname>-target (bound per namespace) or, with rbac.namespacedRoles, as a
Role in each target namespace.
*/}}
{{- define "upgrade-runbooks.targetRules" -}}
# Helm 3 keeps every release revision in a Secret (the default storage driver), and
# charts manage Secrets of their own: helm upgrade/rollback/history read and write them.
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list, create, update, patch, delete]
# Objects charts manage: helm creates what a new chart version adds, patches what
# changed and deletes what it dropped; rollback does the reverse. Restoring a volume
# snapshot creates a PVC from it.
- apiGroups: [""]
  resources: [services, configmaps, persistentvolumeclaims]
  verbs: [get, list, create, update, patch, delete]
- apiGroups: [networking.k8s.io]
  resources: [ingresses]
  verbs: [get, list, create, update, patch, delete]
# Verification: a Service has ready backends. Controllers own these objects; the
# runbooks only read them.
- apiGroups: [""]
  resources: [endpoints]
  verbs: [get, list]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [get, list]
# Workloads: helm manages them (create/patch/delete as above); the runbooks watch
# rollouts (kubectl rollout status) and patch them (rollout restart, pause, resume).
- apiGroups: [apps]
  resources: [deployments, statefulsets]
  verbs: [get, list, watch, create, update, patch, delete]
# Scaling down before a backup or migration, and back up afterwards.
- apiGroups: [apps]
  resources: [deployments/scale, statefulsets/scale]
  verbs: [get, update, patch]
# Rollout status and history read the ReplicaSets; the Deployment controller owns them,
# so nothing here writes them.
- apiGroups: [apps]
  resources: [replicasets]
  verbs: [get, list, watch]
# Migration Jobs and helm hook Jobs: created, watched to completion, deleted.
- apiGroups: [batch]
  resources: [jobs]
  verbs: [get, list, watch, create, delete]
# Verification and diagnostics: pod readiness, images, restarts, and the logs of
# failed migration Jobs for the failure message.
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [pods/log]
  verbs: [get]
# pg_dump/pg_restore inside the chart's PostgreSQL pod (kubectl exec). `create` is the
# verb for SPDY and, from Kubernetes 1.35, for WebSocket exec too; API servers before
# 1.35 authorize the WebSocket exec that kubectl >= 1.30 uses as `get`.
- apiGroups: [""]
  resources: [pods/exec]
  verbs: [create, get]
# Volume snapshots of database volumes before an upgrade; deleted when a run's backups
# expire. `watch` waits for readyToUse.
- apiGroups: [snapshot.storage.k8s.io]
  resources: [volumesnapshots]
  verbs: [get, list, watch, create, delete]
{{- with .Values.rbac.extraRules }}
{{ toYaml . }}
{{- end }}
{{- end }}
