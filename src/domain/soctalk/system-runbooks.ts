/** The SocTalk install-level runbooks as operators start them by name (CLI, chat, README). */
import { defineRunbook } from '../../runbooks.js';
import { releaseWorkflowId } from '../workflow-ids.js';
import { SystemRollbackInputSchema } from './system-rollback-input.js';
import { SystemUpgradeInputSchema } from './system-upgrade-input.js';

export const soctalkSystemUpgradeRunbook = defineRunbook({
  name: 'soctalk-system-upgrade',
  workflowType: 'soctalkSystemUpgrade',
  description: 'Upgrade soctalk-system: pre-flight, backup, approval, Alembic Job, helm upgrade --wait, verification; rollback and restore on failure',
  input: SystemUpgradeInputSchema,
  workflowId: (input) => releaseWorkflowId(input.namespace, input.release),
  summary: (input) =>
    `${input.dryRun ? 'plan: ' : ''}${input.release} -> ${input.targetVersion} (image ${input.imageTag})${input.schemaChanges ? ', with schema migration' : ''}`,
});

export const soctalkSystemRollbackRunbook = defineRunbook({
  name: 'soctalk-system-rollback',
  workflowType: 'soctalkSystemRollback',
  description: 'Roll soctalk-system back to a revision (default: the previous one), optionally restoring a pre-upgrade database backup',
  input: SystemRollbackInputSchema,
  workflowId: (input) => releaseWorkflowId(input.namespace, input.release),
  summary: (input) => `rollback ${input.release} to ${input.toRevision ?? 'the previous revision'}${input.restore ? `, restore ${input.restore.backupName}` : ''}`,
});
