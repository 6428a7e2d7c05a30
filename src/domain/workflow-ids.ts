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

/**
 * Why a run under `workflowId` may not change `namespace/release`, or undefined when it may.
 * A run that changes a release holds the release's "one run at a time" only through
 * Temporal's ID conflict policy, so it must run under the release's business ID: any other
 * ID (`runbook start --id`, a client or the Web UI starting it directly) would let a second
 * run change the same release concurrently.
 */
export function releaseWorkflowIdProblem(runbook: string, workflowId: string, namespace: string, release: string): string | undefined {
  const expected = releaseWorkflowId(namespace, release);
  if (workflowId === expected) return undefined;
  return (
    `${runbook}: workflow ID ${workflowId} is refused: this runbook changes release ${namespace}/${release} and runs only under ` +
    `its business ID ${expected} (one run per release at a time); start it with workflow ID ${expected} (\`runbook start\` does, without --id)`
  );
}
