/**
 * The fleet plan, as pure functions: canaries first (an explicit list or the first N),
 * then waves by cumulative percentages or by sizes, each with a parallelism cap; and the
 * failure budget that halts the fleet.
 */
import { z } from 'zod';
import { TenantSlugSchema } from '../grammar.js';
import { schemasOf } from '../shared-schemas.js';

const schema = schemasOf('domain/soctalk/wave-plan');

export const WavesSchema = schema('WavesSchema', () =>
  z
    .object({
      /** Cumulative shares of the non-canary tenants, e.g. [10, 50, 100]; a last wave takes the rest. */
      percentages: z.array(z.number().positive().max(100)).min(1).optional(),
      /** Tenants per wave, e.g. [5, 50, 500]; a last wave takes the rest. */
      sizes: z.array(z.number().int().positive().max(10_000)).min(1).max(1_000).optional(),
    })
    .strict()
    .refine((w) => !(w.percentages && w.sizes), { message: 'set percentages or sizes, not both' })
    .refine((w) => !w.percentages || w.percentages.every((p, i, a) => i === 0 || p > a[i - 1]!), {
      message: 'percentages are cumulative and must increase, e.g. [10, 50, 100]',
    })
    .default({ percentages: [10, 50, 100] }),
);

export type Waves = z.output<typeof WavesSchema>;

export const CanariesSchema = schema('CanariesSchema', () =>
  z
    .object({
      /** Explicit canary tenants (slugs); they must be in the fleet. */
      tenants: z.array(TenantSlugSchema).optional(),
      /** Otherwise the first N tenants (sorted by slug). 0: no canary wave. */
      count: z.number().int().min(0).default(1),
    })
    .strict()
    .default({ count: 1 }),
);

export type Canaries = z.output<typeof CanariesSchema>;

export const FailureBudgetSchema = schema('FailureBudgetSchema', () =>
  z
    .object({
      /** Halt when more than this many tenants failed. */
      maxFailed: z.number().int().min(0).optional(),
      /** Halt when failed / fleet size exceeds this ratio (0..1). */
      maxFailedRatio: z.number().min(0).max(1).optional(),
    })
    .strict()
    .default({ maxFailed: 0 }),
);

export type FailureBudget = z.output<typeof FailureBudgetSchema>;

export interface PlannedWave {
  /** 0 is the canary wave when there is one. */
  index: number;
  name: string;
  canary: boolean;
  tenants: string[];
}

export interface WavePlanInput {
  tenants: readonly string[];
  canaries: Canaries;
  waves: Waves;
}

/**
 * Splits the fleet into waves. Every tenant lands in exactly one wave, in input order;
 * canaries (explicit or the first N) come first. Throws when an explicit canary is not in
 * the fleet.
 */
export function planWaves({ tenants, canaries, waves }: WavePlanInput): PlannedWave[] {
  const fleet = [...new Set(tenants)];
  let canary: string[];
  if (canaries.tenants && canaries.tenants.length > 0) {
    const missing = canaries.tenants.filter((t) => !fleet.includes(t));
    if (missing.length) throw new Error(`canaries.tenants: ${missing.join(', ')} not in the fleet`);
    canary = [...new Set(canaries.tenants)];
  } else {
    canary = fleet.slice(0, canaries.count);
  }
  const canarySet = new Set(canary);
  const rest = fleet.filter((t) => !canarySet.has(t));

  const sizes: number[] = [];
  if (waves.sizes) {
    let left = rest.length;
    for (const s of waves.sizes) {
      if (left <= 0) break;
      sizes.push(Math.min(s, left));
      left -= Math.min(s, left);
    }
    if (left > 0) sizes.push(left);
  } else {
    const pct = waves.percentages ?? [100];
    let taken = 0;
    for (const p of pct) {
      // At least one tenant per wave while tenants remain, so a 1% wave of 50 is not empty.
      const upTo = Math.min(rest.length, Math.max(taken + 1, Math.ceil((rest.length * p) / 100)));
      if (upTo > taken) sizes.push(upTo - taken);
      taken = Math.max(taken, upTo);
    }
    if (taken < rest.length) sizes.push(rest.length - taken);
  }

  const plan: PlannedWave[] = [];
  if (canary.length) plan.push({ index: 0, name: 'canary', canary: true, tenants: canary });
  let offset = 0;
  sizes.forEach((size, i) => {
    plan.push({ index: plan.length, name: `wave ${i + 1}`, canary: false, tenants: rest.slice(offset, offset + size) });
    offset += size;
  });
  return plan;
}

/** Why the fleet must halt, or undefined while the budget holds. */
export function budgetExceeded(budget: FailureBudget, failed: number, fleetSize: number): string | undefined {
  if (budget.maxFailed !== undefined && failed > budget.maxFailed) {
    return `${failed} tenant(s) failed, more than the failure budget of ${budget.maxFailed}`;
  }
  if (budget.maxFailedRatio !== undefined && fleetSize > 0 && failed / fleetSize > budget.maxFailedRatio) {
    return `${failed} of ${fleetSize} tenants failed (${((failed / fleetSize) * 100).toFixed(1)}%), more than the failure budget of ${(budget.maxFailedRatio * 100).toFixed(1)}%`;
  }
  return undefined;
}

/** Namespaces -> tenant slugs: `tenant-acme` -> `acme`; other namespaces are ignored. */
export function slugsFromNamespaces(namespaces: readonly string[]): string[] {
  return [...new Set(namespaces.filter((n) => n.startsWith('tenant-') && n.length > 'tenant-'.length).map((n) => n.slice('tenant-'.length)))].sort();
}

/** The fleet's tenants: discovered or listed, minus exclusions, sorted, without duplicates. */
export function selectTenants(found: readonly string[], exclude: readonly string[]): string[] {
  const skip = new Set(exclude);
  return [...new Set(found)].filter((t) => !skip.has(t)).sort();
}
