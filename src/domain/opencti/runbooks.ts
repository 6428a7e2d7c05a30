/** The OpenCTI chart v1 -> v2 runbooks, by name (one run per release, whichever of them). */
import { defineRunbook } from '../../runbooks.js';
import { releaseWorkflowId } from '../workflow-ids.js';
import { OpenctiClusteringMigrationInputSchema, OpenctiRollbackInputSchema, OpenctiUpgradeV2InputSchema } from './inputs.js';

export const openctiUpgradeV2Runbook = defineRunbook({
  name: 'opencti-upgrade-v2',
  workflowType: 'openctiUpgradeV2',
  description: 'OpenCTI chart v1 -> v2 in place (single mode): helm upgrade --wait --timeout 600s, then pods, Services with endpoints and /health',
  input: OpenctiUpgradeV2InputSchema,
  workflowId: (input) => releaseWorkflowId(input.namespace, input.release),
  summary: (input) => `OpenCTI ${input.release} in ${input.namespace}: in-place upgrade to chart ${input.version} (single mode)`,
});

export const openctiClusteringMigrationRunbook = defineRunbook({
  name: 'opencti-clustering-migration',
  workflowType: 'openctiClusteringMigration',
  description:
    'OpenCTI chart v2: migrate to clustering (frontend + ingestion) with generated values shown for approval, helm upgrade --timeout 900s, full verification',
  input: OpenctiClusteringMigrationInputSchema,
  workflowId: (input) => releaseWorkflowId(input.namespace, input.release),
  summary: (input) => `OpenCTI ${input.release} in ${input.namespace}: migration to clustering mode on chart ${input.version}`,
});

export const openctiRollbackRunbook = defineRunbook({
  name: 'opencti-rollback',
  workflowType: 'openctiRollback',
  description: 'OpenCTI chart v2 rollback: helm rollback to a revision, disable clustering (root ingress restored), or disable the frontend or ingestion cluster',
  input: OpenctiRollbackInputSchema,
  workflowId: (input) => releaseWorkflowId(input.namespace, input.release),
  summary: (input) =>
    `OpenCTI ${input.release} in ${input.namespace}: rollback (${input.mode}${input.mode === 'helm-rollback' && input.toRevision ? ` to revision ${input.toRevision}` : ''})`,
});

export const OPENCTI_RUNBOOKS = [openctiUpgradeV2Runbook, openctiClusteringMigrationRunbook, openctiRollbackRunbook] as const;
