/**
 * Backup and snapshot names belong to one run: the workflow ID (the release's business ID)
 * plus the run ID, both recorded in the run's history. Every attempt of one run finds the
 * same backup; the next run on the same release gets its own and never adopts this one.
 *
 *   release:soctalk/soctalk-system + run 0199...  ->  release_soctalk_soctalk-system-pre-upgrade-0199...
 */
const RUN_SEPARATOR = '-run-';

export function backupNameOf(workflowId: string, runId: string, purpose = 'pre-upgrade'): string {
  return `${workflowId.replace(/[^A-Za-z0-9._-]+/g, '_')}-${purpose}${RUN_SEPARATOR}${runId.replace(/[^A-Za-z0-9-]+/g, '')}`;
}

/** What the backups of every run of one workflow ID (one release) share, for retention; undefined for other names. */
export function backupNameStem(name: string): string | undefined {
  const i = name.lastIndexOf(RUN_SEPARATOR);
  return i > 0 ? name.slice(0, i + RUN_SEPARATOR.length) : undefined;
}
