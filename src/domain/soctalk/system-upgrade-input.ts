/**
 * Input of the soctalk-system upgrade ("Upgrade soctalk-system (install-level)"), with the
 * runbook's defaults: migration and upgrade timeouts of 10m, the chart's Alembic Job
 * template, the tenant label selector.
 */
import semver from 'semver';
import { z } from 'zod';
import { ApprovalPolicySchema } from '../approval-policy.js';
import { ChartSourceSchema, ValuesSchema } from '../chart.js';
import { DurationSchema } from '../duration.js';
import {
  ChartTemplatePathSchema,
  EnvNameSchema,
  HttpUrlSchema,
  ImageTagSchema,
  LabelSelectorSchema,
  NamespaceSchema,
  ObjectNameSchema,
  PgIdentifierSchema,
  PortSchema,
  RegexSourceSchema,
  ReleaseNameSchema,
  SecretKeySchema,
  SubdomainNameSchema,
  UrlPathSchema,
  ValuesKeyPathSchema,
  WorkerPathSchema,
} from '../grammar.js';
import { KubeTargetSchema } from '../kube-target.js';
import { imageTagKeysFor } from './image-keys.js';
import { schemasOf } from '../shared-schemas.js';

const schema = schemasOf('domain/soctalk/system-upgrade-input');

const Name = schema('Name', () => ObjectNameSchema);
const Version = schema('Version', () =>
  z.string({ error: 'required: a semantic version such as 0.2.0' }).refine((v) => semver.valid(v) !== null, { message: 'must be a semantic version such as 0.2.0' }),
);

/** A secret value named by reference: never the value itself. */
export const SecretRefSchema = schema('SecretRefSchema', () =>
  z.union([
    z.object({ secretRef: z.object({ name: SubdomainNameSchema, key: SecretKeySchema, namespace: NamespaceSchema.optional() }).strict() }).strict(),
    /** The name must be on the worker's RUNBOOK_SECRET_ENV_ALLOWLIST (checked where it is read). */
    z.object({ env: EnvNameSchema }).strict(),
  ]),
);
export type SecretRef = z.output<typeof SecretRefSchema>;

export const DatabaseBackupSchema = schema('DatabaseBackupSchema', () =>
  z.discriminatedUnion('mode', [
    z
      .object({
        /** pg_dump inside the chart's postgres pod (`kubectl exec`). */
        mode: z.literal('exec'),
        podSelector: LabelSelectorSchema.default('app.kubernetes.io/component=postgres'),
        container: ObjectNameSchema.optional(),
        /** Passed as --dbname=<name>: an identifier, never a connection string or an option. */
        database: PgIdentifierSchema('database name').default('soctalk'),
        /** The chart's database superuser (POSTGRES_USER from <release>-postgres-admin-creds). */
        user: PgIdentifierSchema('database user').default('soctalk_admin'),
      })
      .strict(),
    z
      .object({
        /**
         * pg_dump over a direct connection; the URL (with its password) comes from a Secret or an
         * env var. The chart's own <release>-postgres-admin-creds `url` (postgresql+asyncpg://) is accepted.
         */
        mode: z.literal('direct'),
        urlFrom: SecretRefSchema,
      })
      .strict(),
    z
      .object({
        /** An explicit, recorded decision to upgrade without a database backup. */
        mode: z.literal('none'),
        reason: z.string().min(1, 'say why no backup is taken'),
      })
      .strict(),
  ]),
);
export type DatabaseBackup = z.output<typeof DatabaseBackupSchema>;

export const SystemUpgradeInputSchema = schema('SystemUpgradeInputSchema', () =>
  z
    .object({
      release: ReleaseNameSchema.default('soctalk-system'),
      namespace: NamespaceSchema.default('soctalk-system'),
      kube: KubeTargetSchema,
      chart: ChartSourceSchema.default({ ref: 'oci://ghcr.io/soctalk/charts/soctalk-system' }),
      targetVersion: Version.describe('the soctalk-system chart version to upgrade to'),
      /** Always set: a values file pinning image.tag would silently keep the old image. */
      imageTag: z
        .string({ error: 'required: set imageTag to the new version (a values file pinning image.tag keeps the old image otherwise)' })
        .min(1, 'set imageTag to the new version: a values file pinning image.tag keeps the old image otherwise')
        .pipe(ImageTagSchema),
      /** The values keys that carry image tags; default: the chart's preset (soctalk-system: image.tag). */
      imageTagKeys: z.array(ValuesKeyPathSchema).min(1).max(32).optional(),
      values: ValuesSchema,
      /** The release notes say the target has schema changes (a Job-shipping chart then runs the Alembic Job first). */
      schemaChanges: z.boolean().default(true),
      timeouts: z
        .object({
          migration: DurationSchema.default(10 * 60_000),
          upgrade: DurationSchema.default(10 * 60_000),
          rollback: DurationSchema.default(10 * 60_000),
          backup: DurationSchema.default(30 * 60_000),
          verify: DurationSchema.default(5 * 60_000),
        })
        .strict()
        .default({ migration: 600_000, upgrade: 600_000, rollback: 600_000, backup: 1_800_000, verify: 300_000 }),
      migration: z
        .object({
          /**
           * How the target migrates: "job" (the runbook's Job template, applied before helm
           * upgrade), "in-upgrade" (an initContainer or upgrade hook, as the real chart's db-init),
           * "none", or "detect" from the rendered target at pre-flight.
           */
          mechanism: z.enum(['detect', 'job', 'in-upgrade', 'none']).default('detect'),
          template: ChartTemplatePathSchema.default('templates/jobs/alembic-upgrade.yaml'),
          /** What a migrating container runs, matched in its command and args. */
          command: z.string().min(1).default('alembic upgrade'),
          /** Defaults to <release>-alembic-upgrade, the chart's Job name. */
          jobName: Name.optional(),
          /** What to do with the database when the migration Job fails: restore the backup (default) or keep it for inspection. */
          onFailure: z.enum(['restore', 'keep']).default('restore'),
        })
        .strict()
        .default({ mechanism: 'detect', template: 'templates/jobs/alembic-upgrade.yaml', command: 'alembic upgrade', onFailure: 'restore' }),
      prerequisites: z
        .object({
          /** API groups that must be served, e.g. cert-manager.io. */
          apiGroups: z.array(SubdomainNameSchema).default([]),
          /** CRDs that must exist, e.g. certificates.cert-manager.io. */
          crds: z.array(SubdomainNameSchema).default([]),
        })
        .strict()
        .default({ apiGroups: [], crds: [] }),
      compatibility: z
        .object({ file: WorkerPathSchema('a compatibility file on the worker').optional(), url: HttpUrlSchema.optional() })
        .strict()
        .refine((c) => Boolean(c.file) !== Boolean(c.url), { message: 'set exactly one of file or url' })
        .optional()
        .describe('the compatibility matrix; without it the check is recorded as skipped'),
      tenants: z
        .object({
          selector: LabelSelectorSchema.default('tenant=true,managed-by=soctalk'),
          chartName: ObjectNameSchema.default('soctalk-tenant'),
        })
        .strict()
        .default({ selector: 'tenant=true,managed-by=soctalk', chartName: 'soctalk-tenant' }),
      backup: z
        .object({
          database: DatabaseBackupSchema,
          /** Where dumps are written on the worker; default: the worker's BACKUP_DIR. */
          directory: WorkerPathSchema('a backup directory on the worker').optional(),
          /** A query whose answer is recorded at backup time and must match after a restore. */
          verifyQuery: z.string().default('SELECT version_num FROM alembic_version'),
          volumeSnapshots: z
            .object({ selector: LabelSelectorSchema, snapshotClass: SubdomainNameSchema.optional() })
            .strict()
            .optional()
            .describe('PVCs to snapshot, where the cluster serves snapshot.storage.k8s.io'),
        })
        .strict(),
      api: z
        .object({
          /** Defaults to <release>-api. */
          deployment: Name.optional(),
          /** The readiness endpoint: a full URL, or a Service the worker can reach in-cluster (default <release>-api:8000/health/ready). */
          healthUrl: HttpUrlSchema.optional(),
          service: z.object({ name: Name, port: PortSchema.default(8000), path: UrlPathSchema.default('/health/ready') }).strict().optional(),
        })
        .strict()
        .default({}),
      verify: z
        .object({
          /** Images whose tag must be the new one (a regular expression on the image repository). */
          imagePattern: RegexSourceSchema('verify.imagePattern').default('soctalk'),
        })
        .strict()
        .default({ imagePattern: 'soctalk' }),
      approval: ApprovalPolicySchema.default({ required: true, approvers: [], fourEyes: false, timeout: 86_400_000 }),
      requestedBy: z.string().min(1).optional(),
      /** Pre-flight and diff only: returns the plan, changes nothing. */
      dryRun: z.boolean().default(false),
      searchAttributes: z.boolean().default(true),
    })
    .strict()
    .transform((input) => ({
      ...input,
      imageTagKeys: imageTagKeysFor(input.chart.ref, input.imageTagKeys, 'soctalk-system'),
      migration: { ...input.migration, jobName: input.migration.jobName ?? `${input.release}-alembic-upgrade` },
      api: {
        ...input.api,
        deployment: input.api.deployment ?? `${input.release}-api`,
        // The chart's API Service listens on 8000.
        ...(input.api.healthUrl || input.api.service ? {} : { service: { name: `${input.release}-api`, port: 8000, path: '/health/ready' } }),
      },
    })),
);

export type SystemUpgradeInput = z.output<typeof SystemUpgradeInputSchema>;
