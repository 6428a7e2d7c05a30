/**
 * Input of the canary-aware fleet upgrade: which tenants, the plan (canaries, waves,
 * parallelism, bake time), the failure budget and what happens to failed and in-flight
 * tenants, and the tenant upgrade spec every child runs with.
 */
import { z } from 'zod';
import { ApprovalPolicySchema } from '../approval-policy.js';
import { BakeDurationSchema } from '../duration.js';
import { LabelSelectorSchema, TenantSlugSchema } from '../grammar.js';
import { TenantUpgradeSpecSchema } from './tenant-upgrade-input.js';
import { CanariesSchema, FailureBudgetSchema, WavesSchema } from './wave-plan.js';
import { schemasOf } from '../shared-schemas.js';

const schema = schemasOf('domain/soctalk/fleet-input');

export const DEFAULT_TENANT_SELECTOR = 'tenant=true,managed-by=soctalk';

export const FleetUpgradeInputSchema = schema('FleetUpgradeInputSchema', () =>
  z
    .object({
      /** The fleet run's business name (workflow ID `fleet:<name>`). */
      name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'lowercase letters, digits, dots, dashes and underscores'),
      upgrade: TenantUpgradeSpecSchema,
      tenants: z
        .object({
          /** Namespace label selector (the runbook's `kubectl get ns -l ...`); used when `list` is absent. */
          selector: LabelSelectorSchema.default(DEFAULT_TENANT_SELECTOR),
          list: z.array(TenantSlugSchema).min(1).optional(),
          exclude: z.array(TenantSlugSchema).default([]),
        })
        .strict()
        .default({ selector: DEFAULT_TENANT_SELECTOR, exclude: [] }),
      canaries: CanariesSchema,
      waves: WavesSchema,
      /** Tenants upgrading at once within a wave. */
      maxParallel: z.number().int().min(1).max(200).default(5),
      /** Wait after each wave (canary included) before the next one (0: no bake). */
      bakeTime: BakeDurationSchema.default(10 * 60_000),
      failureBudget: FailureBudgetSchema,
      /** Failed tenants: roll back (`helm rollback`, + PVC restore per upgrade.onFailure) or leave them for inspection. */
      failedTenants: z.enum(['rollback', 'leave']).default('rollback'),
      /** On abort or halt, tenants already upgrading: let them finish, or abort them (their upgrade rolls back). */
      inFlight: z.enum(['finish', 'rollback']).default('finish'),
      /** Wait for a `promote` Update before each wave after the first. */
      manualPromotion: z.boolean().default(false),
      /** Who may promote (and abort), and the promotion timeout. */
      approval: ApprovalPolicySchema.default({ required: false, approvers: [], fourEyes: false, timeout: 24 * 3_600_000 }),
      /** Plan mode: return the tenant list and the wave plan, change nothing. */
      dryRun: z.boolean().default(false),
      /** History bound: continue-as-new once the history passes this many events (between tenants). */
      continueAsNewAfterEvents: z.number().int().min(500).max(50_000).default(8_000),
      requestedBy: z.string().min(1).optional(),
      searchAttributes: z.boolean().optional(),
    })
    .strict(),
);

export type FleetUpgradeInput = z.input<typeof FleetUpgradeInputSchema>;
export type FleetUpgradeParams = z.output<typeof FleetUpgradeInputSchema>;
