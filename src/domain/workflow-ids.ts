/**
 * Business workflow IDs. Every runbook that changes a release (upgrade, rollback, tenant
 * upgrade, fleet child) uses the same ID for that release, so Temporal's ID conflict
 * policy refuses a second concurrent run on it, whichever runbook starts it.
 */
export function releaseWorkflowId(namespace: string, release: string): string {
  return `release:${namespace}/${release}`;
}

/** Whether a workflow ID is a release's business ID: the one that makes "one run per release" hold. */
export function isReleaseWorkflowId(id: string): boolean {
  return id.startsWith('release:');
}

export function fleetWorkflowId(name: string): string {
  return `fleet:${name}`;
}
