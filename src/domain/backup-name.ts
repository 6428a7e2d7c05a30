/** Backup and snapshot names derive from the workflow ID, so every attempt of one run finds the same backup. */
export function backupNameOf(workflowId: string, purpose = 'pre-upgrade'): string {
  return `${workflowId.replace(/[^A-Za-z0-9._-]+/g, '_')}-${purpose}`;
}
