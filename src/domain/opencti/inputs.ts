/**
 * Inputs of the OpenCTI chart v1 -> v2 runbooks (upgrade guide: in-place upgrade, clustering
 * migration, rollback). The CLI validates them before starting; the workflows validate
 * again (a run started from the Web UI skips the CLI).
 */
import { z } from 'zod';
import { ApprovalPolicySchema } from '../approval-policy.js';
import { ChartSourceSchema, ValuesSchema } from '../chart.js';
import { DurationSchema } from '../duration.js';
import {
  ChartVersionSchema,
  EnvNameSchema,
  HttpUrlSchema,
  MAX_REPLICAS,
  NamespaceSchema,
  plainRecord,
  PortSchema,
  ReleaseNameSchema,
  RevisionSchema,
  SecretKeySchema,
  SubdomainNameSchema,
  UrlPathSchema,
} from '../grammar.js';
import { KubeTargetSchema } from '../kube-target.js';
import { DEFAULT_MINIMUM_CHART_VERSION } from './values-migration.js';
import { schemasOf } from '../shared-schemas.js';

const schema = schemasOf('domain/opencti/inputs');


/** The guide's chart repository. */
export const DEFAULT_OPENCTI_CHART = { ref: 'opencti/opencti', repository: { name: 'opencti', url: 'https://devops-ia.github.io/helm-opencti' } };

/**
 * Where the health access key comes from. Never the key itself: it would be in the
 * workflow history. A Secret is read by the activity; an env var is read on the worker.
 */
export const HealthKeySchema = schema('HealthKeySchema', () =>
  z.union([
    z
      .object({ secretRef: z.object({ name: SubdomainNameSchema, key: SecretKeySchema }).strict() })
      .strict(),
    /** The name must be on the worker's RUNBOOK_SECRET_ENV_ALLOWLIST (checked where it is read). */
    z.object({ env: EnvNameSchema }).strict(),
  ]),
);

export type HealthKey = z.output<typeof HealthKeySchema>;

export const HealthCheckSchema = schema('HealthCheckSchema', () =>
  z
    .object({
      enabled: z.boolean().default(true),
      accessKey: HealthKeySchema.optional().describe('{"secretRef": {"name", "key"}} or {"env": "NAME"}; none: /health without a key'),
      /**
       * service: http://<Service>.<namespace>.svc:<port>, the Service and port that select the
       * component's pods in the rendered manifest (the worker runs in the cluster); url:
       * baseUrls per component (an ingress, a proxy); port-forward: kubectl port-forward
       * svc/<that Service> from the worker.
       */
      via: z.enum(['service', 'url', 'port-forward']).default('service'),
      baseUrls: z
        .object({ server: HttpUrlSchema.optional(), frontend: HttpUrlSchema.optional(), ingestion: HttpUrlSchema.optional() })
        .strict()
        .default({}),
      /** Used only when the rendered Service has no port. */
      servicePort: PortSchema.default(80),
      /** Joined to each base URL; it can never change the host (no `//`, no `\\`). */
      path: UrlPathSchema.default('/health'),
      requestTimeout: DurationSchema.default(10_000),
    })
    .strict()
    .default({ enabled: true, via: 'service', baseUrls: {}, servicePort: 80, path: '/health', requestTimeout: 10_000 })
    .superRefine((h, ctx) => {
      if (h.via === 'url' && Object.keys(h.baseUrls).length === 0) {
        ctx.addIssue({ code: 'custom', path: ['baseUrls'], message: 'via "url" needs baseUrls for the components to check' });
      }
    }),
);

export type HealthCheck = z.output<typeof HealthCheckSchema>;

const CommonSchema = {
  release: ReleaseNameSchema,
  namespace: NamespaceSchema,
  kube: KubeTargetSchema,
  approval: ApprovalPolicySchema.default({ required: true, approvers: [], fourEyes: false, timeout: 24 * 3_600_000 }),
  requestedBy: z.string().min(1).optional(),
  health: HealthCheckSchema,
  /** Off only where the server has not registered the custom search attributes. */
  searchAttributes: z.boolean().default(true),
  /** `runbook plan`: pre-flight and the plan (values generated, target rendered, findings), nothing changed. */
  dryRun: z.boolean().default(false),
};

const ChartFields = {
  chart: ChartSourceSchema.default(DEFAULT_OPENCTI_CHART),
  version: ChartVersionSchema.describe('the 2.x chart version, e.g. 2.0.0 (a range such as 2.x is accepted)'),
  minimumChartVersion: z.string().regex(/^\d+\.\d+\.\d+$/).default(DEFAULT_MINIMUM_CHART_VERSION),
  values: ValuesSchema.describe("the operator's existing values: files on the worker, inline values, --set-string pairs"),
};

/** Strategy 1: in-place upgrade to v2, single mode. */
export const OpenctiUpgradeV2InputSchema = schema('OpenctiUpgradeV2InputSchema', () =>
  z
    .object({
      ...CommonSchema,
      ...ChartFields,
      timeout: DurationSchema.default(600_000).describe('helm --timeout (the guide: 600s)'),
      /** What undoes a failed upgrade: helm rollback to the revision before it, or nothing. */
      compensation: z.enum(['helm-rollback', 'none']).default('helm-rollback'),
    })
    .strict(),
);

export type OpenctiUpgradeV2Input = z.output<typeof OpenctiUpgradeV2InputSchema>;

/** A replica count in cluster overrides is bounded: a typo must not ask for a million pods. */
const ClusterOverrides = schema('ClusterOverrides', () =>
  plainRecord(z.string(), z.unknown())
    .superRefine((block, ctx) => {
      const replicas = block.replicaCount;
      if (replicas !== undefined && !(Number.isInteger(replicas) && (replicas as number) >= 0 && (replicas as number) <= MAX_REPLICAS)) {
        ctx.addIssue({ code: 'custom', path: ['replicaCount'], message: `replicaCount is a whole number from 0 to ${MAX_REPLICAS}` });
      }
    })
    .optional().describe('merged over the generated block (replicaCount, resources, autoscaling...)'),
);

/** Strategy 2: migration to clustering mode. */
export const OpenctiClusteringMigrationInputSchema = schema('OpenctiClusteringMigrationInputSchema', () =>
  z
    .object({
      ...CommonSchema,
      ...ChartFields,
      timeout: DurationSchema.default(900_000).describe('helm --timeout (the guide: 900s)'),
      frontend: ClusterOverrides,
      ingestion: ClusterOverrides,
      moveTopLevelManagerEnv: z.boolean().default(true),
      removeHardCodedServerUrls: z.boolean().default(true),
      /** How a failed migration is undone: helm rollback, or an upgrade back to single mode on v2. */
      compensation: z.enum(['helm-rollback', 'disable-clustering', 'none']).default('helm-rollback'),
    })
    .strict(),
);

export type OpenctiClusteringMigrationInput = z.output<typeof OpenctiClusteringMigrationInputSchema>;

export const ROLLBACK_MODES = ['helm-rollback', 'disable-clustering', 'disable-frontend', 'disable-ingestion'] as const;
export type RollbackMode = (typeof ROLLBACK_MODES)[number];

/** The guide's ways back: helm rollback, disable clustering, partial (disable one cluster). */
export const OpenctiRollbackInputSchema = schema('OpenctiRollbackInputSchema', () =>
  z
    .object({
      ...CommonSchema,
      mode: z.enum(ROLLBACK_MODES),
      /** helm-rollback: the revision to return to (omitted: the previous one). */
      toRevision: RevisionSchema.optional(),
      /** disable-*: the chart, version and the release's current (clustering) values. */
      chart: ChartSourceSchema.default(DEFAULT_OPENCTI_CHART),
      version: ChartVersionSchema.optional(),
      values: ValuesSchema,
      /**
       * disable-*: `values` are the single-mode values the clustering migration started from
       * (what the opencti-clustering-migration run was given); its migration is replayed with
       * these options (the same ones that run used) before the change.
       */
      replayMigration: z
        .object({ frontend: ClusterOverrides, ingestion: ClusterOverrides, moveTopLevelManagerEnv: z.boolean().default(true), removeHardCodedServerUrls: z.boolean().default(true) })
        .strict()
        .optional(),
      timeout: DurationSchema.default(600_000),
    })
    .strict()
    .superRefine((input, ctx) => {
      if (input.mode !== 'helm-rollback' && !input.version) {
        ctx.addIssue({ code: 'custom', path: ['version'], message: `mode ${input.mode} upgrades the release: set the chart version it runs (2.x)` });
      }
      if (input.mode === 'helm-rollback' && input.replayMigration) {
        ctx.addIssue({ code: 'custom', path: ['replayMigration'], message: 'helm-rollback restores a revision with its own values: replayMigration is not used' });
      }
      if (input.mode === 'helm-rollback' && (input.values.files.length > 0 || input.values.inline)) {
        ctx.addIssue({ code: 'custom', path: ['values'], message: 'helm-rollback restores a revision with its own values: values are not used' });
      }
    }),
);

export type OpenctiRollbackInput = z.output<typeof OpenctiRollbackInputSchema>;
