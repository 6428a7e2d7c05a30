/**
 * Input of the SocTalk tenant upgrade ("Upgrade a single tenant's data plane" and
 * "Breaking-change tenant chart upgrades" in the runbook). Defaults are the runbook's
 * figures: `--wait --timeout 15m`, `sleep 60` for heartbeats to settle.
 */
import semver from 'semver';
import { z } from 'zod';
import { ApprovalPolicySchema } from '../approval-policy.js';
import { ChartSourceSchema } from '../chart.js';
import { DurationSchema, PauseDurationSchema } from '../duration.js';
import {
  EnvNameSchema,
  HttpUrlSchema,
  ImageTagSchema,
  LabelSelectorSchema,
  NamespaceSchema,
  plainRecord,
  RegexSourceSchema,
  ReleaseNameSchema,
  SubdomainNameSchema,
  TENANT_SLUG,
  TenantSlugSchema,
  ValuesKeyPathSchema,
  WorkerPathSchema,
} from '../grammar.js';
import { KubeTargetSchema } from '../kube-target.js';
import { CommandArgsSchema, CommandNameSchema } from '../operator-command.js';
import { MaintenanceWindowSchema } from './maintenance-window.js';

import { imageTagKeysFor, tagOverrides } from './image-keys.js';
import { schemasOf } from '../shared-schemas.js';
import type { RunIdentity } from '../search-attributes.js';

const schema = schemasOf('domain/soctalk/tenant-upgrade-input');

export const TENANT_CHART = 'oci://ghcr.io/soctalk/charts/soctalk-tenant';
export { TENANT_SLUG, TenantSlugSchema };

/** A URL with `{slug}` placeholders: checked as an http(s) URL with a sample slug in place. */
const SlugUrlSchema = schema('SlugUrlSchema', () =>
  z.string().superRefine((url, ctx) => {
    const checked = HttpUrlSchema.safeParse(url.replaceAll('{slug}', 'tenant'));
    if (!checked.success) for (const issue of checked.error.issues) ctx.addIssue({ code: 'custom', message: issue.message });
  }),
);

/** Where the tenant's values come from. They may hold secrets: they are read and used inside one activity. */
export const ValuesSourceSchema = schema('ValuesSourceSchema', () =>
  z
    .discriminatedUnion('kind', [
      z
        .object({
          kind: z.literal('command'),
          /** The name of a program on the worker's RUNBOOK_COMMAND_ALLOWLIST (an operator's own tool); stdout is the values YAML. */
          command: CommandNameSchema,
          /** Positional arguments; `{slug}` is replaced by the tenant's slug. Never an option (see operator-command.ts). */
          args: CommandArgsSchema,
          timeout: DurationSchema.default(2 * 60_000),
        })
        .strict(),
      z
        .object({
          kind: z.literal('http'),
          /** `{slug}` is replaced by the tenant's slug. The body is the values YAML or JSON. */
          url: SlugUrlSchema,
          /** Name of a worker environment variable holding a bearer token (never the token itself), on the worker's RUNBOOK_SECRET_ENV_ALLOWLIST. */
          tokenEnv: EnvNameSchema.optional(),
          timeout: DurationSchema.default(60_000),
        })
        .strict(),
      /** The release's current values (`helm get values -a`), what the SocTalk docs say to use. */
      z.object({ kind: z.literal('current') }).strict(),
    ])
    .default({ kind: 'current' }),
);

export type ValuesSource = z.output<typeof ValuesSourceSchema>;

export const AlertCheckSchema = schema('AlertCheckSchema', () =>
  z.discriminatedUnion('kind', [
    z
      .object({
        kind: z.literal('http'),
        /** `{slug}` is replaced. A 2xx answer (containing `expectBody` when set) means alerts flow. */
        url: SlugUrlSchema,
        method: z.enum(['GET', 'POST']).default('GET'),
        expectBody: z.string().max(4096).optional(),
        tokenEnv: EnvNameSchema.optional(),
        timeout: DurationSchema.default(2 * 60_000),
      })
      .strict(),
    z
      .object({
        kind: z.literal('command'),
        /** The name of a program on the worker's RUNBOOK_COMMAND_ALLOWLIST; exit 0 means alerts flow. */
        command: CommandNameSchema,
        /** Positional arguments; `{slug}` is replaced. Never an option (see operator-command.ts). */
        args: CommandArgsSchema,
        timeout: DurationSchema.default(5 * 60_000),
      })
      .strict(),
  ]),
);

export type AlertCheck = z.output<typeof AlertCheckSchema>;

export const HeartbeatSchema = schema('HeartbeatSchema', () =>
  z
    .object({
      /** The runbook's `sleep 60`: a durable timer after the rollout (0: no pause). */
      settle: PauseDurationSchema.default(60_000),
      /**
       * SocTalk API base URL; when set, the MSSP API's tenant health is polled after the settle
       * timer (/api/mssp/dashboard/tenant-health, /api/mssp/tenants/{id}) until the adapter's
       * last heartbeat is newer than the rollout and its version is the target. The bearer
       * token is the worker's own configuration (SOCTALK_MSSP_API_TOKEN), never the input's.
       */
      apiUrl: HttpUrlSchema.optional(),
      /** How long to keep polling before the upgrade counts as failed. */
      timeout: DurationSchema.default(10 * 60_000),
      pollInterval: DurationSchema.default(15_000),
    })
    .strict()
    .default({ settle: 60_000, timeout: 10 * 60_000, pollInterval: 15_000 }),
);

/** Everything about how a tenant is upgraded; the fleet passes the same spec to every tenant. */
export const TenantUpgradeSpecSchema = schema('TenantUpgradeSpecSchema', () =>
  z
    .object({
      /** Target soctalk-tenant chart version. */
      version: z.string().refine((v) => semver.valid(v) !== null, { message: 'must be a semantic version such as 0.2.0' }),
      chart: ChartSourceSchema.default({ ref: TENANT_CHART }),
      /**
       * Image tag overrides, always applied (reused values keep the old tags). Keys are value
       * paths; omitted: the chart's tag keys (soctalk-tenant: adapter.image.tag and
       * runsWorker.image.tag, or imageTagKeys) = the target version. Pre-flight renders the
       * target with them: the chart's values.schema.json refuses unknown keys.
       */
      imageTags: plainRecord(ValuesKeyPathSchema, ImageTagSchema).optional(),
      /** The values keys carrying image tags when imageTags is not given; default: the chart's preset. */
      imageTagKeys: z.array(ValuesKeyPathSchema).min(1).max(32).optional(),
      /** Which images are SocTalk's own, so must carry the target tag (a regular expression on the repository). */
      imagePattern: RegexSourceSchema('imagePattern').default('soctalk'),
      valuesSource: ValuesSourceSchema,
      /** The compatibility matrix: a file on the worker or a URL (YAML or JSON). */
      compatibility: z
        .object({ file: WorkerPathSchema('a compatibility file on the worker').optional(), url: HttpUrlSchema.optional() })
        .strict()
        .refine((c) => (c.file === undefined) !== (c.url === undefined), { message: 'set exactly one of file or url' }),
      system: z
        .object({ release: ReleaseNameSchema.default('soctalk-system'), namespace: NamespaceSchema.default('soctalk-system') })
        .strict()
        .default({ release: 'soctalk-system', namespace: 'soctalk-system' }),
      kube: KubeTargetSchema,
      /** The runbook's `--timeout 15m`. */
      helmTimeout: DurationSchema.default(15 * 60_000),
      rolloutTimeout: DurationSchema.default(10 * 60_000),
      /** A Wazuh/TheHive/Cortex major bump with a schema change: snapshot the tenant's PVCs first. */
      breakingChange: z.boolean().default(false),
      snapshots: z
        .object({
          /** PVCs to snapshot (label selector); omitted: every PVC in the namespace. */
          selector: LabelSelectorSchema.optional(),
          snapshotClass: SubdomainNameSchema.optional(),
          timeout: DurationSchema.default(15 * 60_000),
        })
        .strict()
        .default({ timeout: 15 * 60_000 }),
      maintenanceWindow: MaintenanceWindowSchema.optional(),
      heartbeat: HeartbeatSchema,
      alertCheck: AlertCheckSchema.optional(),
      onFailure: z
        .object({
          /** `helm rollback` to the revision before the upgrade. */
          rollback: z.boolean().default(true),
          /** Restore the PVCs from the snapshots (breaking-change upgrades only). */
          restoreVolumes: z.boolean().default(false),
        })
        .strict()
        .default({ rollback: true, restoreVolumes: false }),
    })
    .strict(),
);

export type TenantUpgradeSpec = z.output<typeof TenantUpgradeSpecSchema>;

export const TenantUpgradeInputSchema = schema('TenantUpgradeInputSchema', () =>
  TenantUpgradeSpecSchema.extend({
    tenant: TenantSlugSchema,
    approval: ApprovalPolicySchema.default({ required: false, approvers: [], fourEyes: false, timeout: 24 * 3_600_000 }),
    requestedBy: z.string().min(1).optional(),
    searchAttributes: z.boolean().optional(),
    /** Set by the fleet for its children. */
    fleet: z.string().max(253).optional(),
  }).strict(),
);

export type TenantUpgradeInput = z.input<typeof TenantUpgradeInputSchema>;
export type TenantUpgradeParams = z.output<typeof TenantUpgradeInputSchema>;

/**
 * How old a cluster capabilities read (kubectl version, api-versions, api-resources) a
 * fleet's tenant may share with another tenant on the same worker: one cluster, read about
 * once per this interval instead of once per tenant. A tenant upgraded alone reads anew.
 */
export const FLEET_CAPABILITIES_MAX_AGE_MS = 30_000;

export const tenantRelease = (slug: string): string => `tenant-${slug}`;
export const tenantNamespace = (slug: string): string => `tenant-${slug}`;

/** A tenant run's identity in search attributes: the run sets it, or a fleet starts the run with it. */
export const tenantRunIdentity = (slug: string, version: string): RunIdentity => ({
  runbook: 'soctalk-tenant-upgrade',
  release: tenantRelease(slug),
  namespace: tenantNamespace(slug),
  targetVersion: version,
});

type OverrideSpec = Pick<TenantUpgradeSpec, 'imageTags' | 'version'> & { imageTagKeys?: string[] | undefined; chart?: { ref: string } };

/** The image tag overrides (a plain key -> tag map): the given ones, else the chart's tag keys at the target version. */
export function imageTagOverrides(spec: OverrideSpec): Record<string, string> {
  if (spec.imageTags && Object.keys(spec.imageTags).length > 0) return { ...spec.imageTags };
  return tagOverrides(imageTagKeysFor(spec.chart?.ref ?? TENANT_CHART, spec.imageTagKeys, 'soctalk-tenant'), spec.version);
}

/** The version the adapter reports once it runs the new image. */
export function expectedAdapterVersion(spec: OverrideSpec): string {
  const tags = imageTagOverrides(spec);
  return tags['adapter.image.tag'] ?? tags['image.tag'] ?? spec.version;
}

export const substituteSlug = (text: string, slug: string): string => text.replaceAll('{slug}', slug);
