/**
 * Input of the soctalk-system rollback ("Rollback" in the runbook): `helm rollback
 * <release> <revision> --wait`, plus the database restore the runbook asks for when the
 * upgrade's migration touched data.
 */
import { z } from 'zod';
import { ApprovalPolicySchema } from '../approval-policy.js';
import { DurationSchema } from '../duration.js';
import { BaseNameSchema, NamespaceSchema, ObjectNameSchema, ReleaseNameSchema, RevisionSchema, WorkerPathSchema } from '../grammar.js';
import { KubeTargetSchema } from '../kube-target.js';
import { DatabaseBackupSchema } from './system-upgrade-input.js';
import { schemasOf } from '../shared-schemas.js';

const schema = schemasOf('domain/soctalk/system-rollback-input');

const Name = schema('Name', () => ObjectNameSchema);

export const SystemRollbackInputSchema = schema('SystemRollbackInputSchema', () =>
  z
    .object({
      release: ReleaseNameSchema.default('soctalk-system'),
      namespace: NamespaceSchema.default('soctalk-system'),
      kube: KubeTargetSchema,
      /** Omitted: the revision before the current one. */
      toRevision: RevisionSchema.optional(),
      /** The Alembic Job, deleted before the rollback (its pod template is immutable). Defaults to <release>-alembic-upgrade. */
      migrationJob: Name.optional(),
      restore: z
        .object({
          /** The backup's name, as the upgrade run recorded it (`<workflow id>-pre-upgrade`). */
          backupName: BaseNameSchema('restore.backupName'),
          directory: WorkerPathSchema('a backup directory on the worker').optional(),
          database: DatabaseBackupSchema.refine((d) => d.mode !== 'none', { message: 'a restore needs mode exec or direct' }),
          verifyQuery: z.string().default('SELECT version_num FROM alembic_version'),
          apiDeployment: Name.optional(),
        })
        .strict()
        .optional()
        .describe('restore the database too: helm rollback does not revert the schema'),
      timeout: DurationSchema.default(10 * 60_000),
      approval: ApprovalPolicySchema.default({ required: true, approvers: [], fourEyes: false, timeout: 86_400_000 }),
      requestedBy: z.string().min(1).optional(),
      searchAttributes: z.boolean().default(true),
    })
    .strict(),
);

export type SystemRollbackInput = z.output<typeof SystemRollbackInputSchema>;
