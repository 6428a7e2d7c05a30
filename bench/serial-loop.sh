#!/usr/bin/env bash
# The runbook's "Fleet upgrade (manual loop)" (SocTalk upgrades runbook), one tenant after
# another, with the checks the tenant workflow (src/workflows/soctalk/tenant-upgrade.ts)
# makes, so the real-fleet benchmark compares orchestration, not thoroughness:
#   never ahead of soctalk-system; the release's own values (`helm get values -a`, the
#   workflow's valuesSource "current"); the target rendered first with every SocTalk image
#   on the target tag; `helm upgrade --wait`; `kubectl rollout status deploy/soctalk-adapter`;
#   every Deployment on the target images and rolled out; the adapter Service with a ready
#   endpoint; then the settle sleep (the runbook's `sleep 60`, here SETTLE_SECONDS).
# Prints one line per tenant (`tenant <ns> work_ms <n> settle_ms <n>`) for the benchmark.
#
#   KUBECONFIG HELM_BIN KUBECTL_BIN CHART VERSION SYSTEM_CHART SETTLE_SECONDS HELM_TIMEOUT \
#     bash bench/serial-loop.sh
set -euo pipefail

: "${KUBECONFIG:?}" "${CHART:?}" "${VERSION:?}" "${SYSTEM_CHART:?}" "${SETTLE_SECONDS:?}"
helm=${HELM_BIN:-helm}
kubectl=${KUBECTL_BIN:-kubectl}
timeout=${HELM_TIMEOUT:-120s}
tags=(--set-string "adapter.image.tag=$VERSION" --set-string "runsWorker.image.tag=$VERSION")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() {
  echo "serial loop: $*" >&2
  exit 1
}
now_ms() { date +%s%3N; }

upgrade_tenant() {
  local ns=$1 values="$work/$1-values.yaml" system kube_version api_versions rendered images deploy ready tries
  # Never upgrade tenant charts ahead of soctalk-system.
  system=$("$helm" list -n soctalk-system --filter '^soctalk-system$' -o json)
  [[ $system == *"\"chart\":\"$SYSTEM_CHART\""* ]] || fail "$ns: soctalk-system is not at $SYSTEM_CHART: $system"
  "$helm" get values "$ns" -n "$ns" -a -o yaml >"$values"
  # Pre-flight: the target renders as this cluster would (its version and API versions)
  # with these values, and runs every SocTalk image at the tag.
  kube_version=$("$kubectl" version -o json | grep -o '"gitVersion": *"[^"]*"' | tail -1 | cut -d'"' -f4)
  mapfile -t api_versions < <("$kubectl" api-versions)
  [ -n "$kube_version" ] && [ "${#api_versions[@]}" -gt 0 ] || fail "$ns: could not read the cluster's version and API versions"
  rendered=$("$helm" template "$ns" "$CHART" --version "$VERSION" -n "$ns" -f "$values" "${tags[@]}" \
    --kube-version "$kube_version" "${api_versions[@]/#/--api-versions=}")
  images=$(grep -E '^\s+image:' <<<"$rendered" || true)
  [ -n "$images" ] || fail "$ns: the target renders no image"
  ! grep -v ":$VERSION\"\?\$" <<<"$images" || fail "$ns: the target renders an image off tag $VERSION"

  "$helm" upgrade "$ns" "$CHART" --version "$VERSION" -n "$ns" -f "$values" "${tags[@]}" --wait --timeout "$timeout" >/dev/null
  "$kubectl" -n "$ns" rollout status deploy/soctalk-adapter --timeout="$timeout" >/dev/null
  for deploy in soctalk-adapter soctalk-runs-worker; do
    images=$("$kubectl" -n "$ns" get deployment "$deploy" -o jsonpath='{.spec.template.spec.containers[*].image}')
    [[ $images == *":$VERSION" ]] || fail "$ns: deployment/$deploy runs $images, not tag $VERSION"
    "$kubectl" -n "$ns" rollout status "deployment/$deploy" --timeout="$timeout" >/dev/null
  done
  # Endpoints follow readiness by a moment, so this check is retried (as the workflow's activity is).
  for tries in 1 2 3 4 5 6 7 8 9 10; do
    ready=$("$kubectl" -n "$ns" get endpointslices -l kubernetes.io/service-name=soctalk-adapter -o jsonpath='{.items[*].endpoints[*].conditions.ready}')
    [[ $ready == *true* ]] && return 0
    sleep 1
  done
  fail "$ns: Service soctalk-adapter has no ready endpoint after $tries tries"
}

# List tenants (the runbook's first step), then upgrade each, pausing between.
namespaces=$("$kubectl" get ns -l tenant=true,managed-by=soctalk -o jsonpath='{.items[*].metadata.name}')
[ -n "$namespaces" ] || fail "no tenant namespaces"
for ns in $namespaces; do
  started=$(now_ms)
  upgrade_tenant "$ns"
  worked=$(now_ms)
  sleep "$SETTLE_SECONDS" # let heartbeat settle before next
  echo "tenant $ns work_ms $((worked - started)) settle_ms $(($(now_ms) - worked))"
done
