/**
 * The SocTalk compatibility matrix ("MSSP UI -> System -> Versions"): which soctalk-tenant
 * chart versions each soctalk-system version supports, and which system versions may
 * upgrade to it. Pure rules, shared by the system upgrade (no installed tenant may fall
 * out of range) and the tenant upgrades (never ahead of soctalk-system).
 */
import semver from 'semver';
import { z } from 'zod';
import { schemasOf } from '../shared-schemas.js';

const schema = schemasOf('domain/soctalk/compatibility');

const VersionString = schema('VersionString', () =>
  z.string().refine((v) => semver.valid(v) !== null, { message: 'must be a semantic version such as 0.2.0' }),
);
const RangeString = schema('RangeString', () =>
  z.string().refine((r) => semver.validRange(r) !== null, { message: 'must be a semver range such as ">=0.1.0 <0.3.0"' }),
);

export const CompatibilityMatrixSchema = schema('CompatibilityMatrixSchema', () =>
  z
    .object({
      systemVersions: z.record(
        VersionString,
        z
          .object({
            /** soctalk-tenant chart versions this system version supports. */
            tenantChart: RangeString,
            /** soctalk-system versions that may upgrade straight to this one (omitted: any older). */
            upgradeFrom: RangeString.optional(),
          })
          .strict(),
      ),
    })
    .strict(),
);

export type CompatibilityMatrix = z.output<typeof CompatibilityMatrixSchema>;

export interface InstalledTenant {
  release: string;
  namespace: string;
  chartVersion: string;
}

/** Why the system target is refused; empty when it is allowed. */
export function systemUpgradeProblems(
  matrix: CompatibilityMatrix,
  from: string | undefined,
  to: string,
  tenants: readonly InstalledTenant[],
): string[] {
  const entry = matrix.systemVersions[to];
  if (!entry) {
    return [`soctalk-system ${to} is not in the compatibility matrix (known: ${Object.keys(matrix.systemVersions).join(', ') || 'none'})`];
  }
  const problems: string[] = [];
  if (from) {
    if (semver.valid(from) && semver.lt(from, to) === false && from !== to) {
      problems.push(`soctalk-system ${from} -> ${to} is a downgrade; use the rollback runbook`);
    } else if (entry.upgradeFrom && !semver.satisfies(from, entry.upgradeFrom, { includePrerelease: true })) {
      problems.push(`soctalk-system ${to} cannot be upgraded to from ${from} (allowed from: ${entry.upgradeFrom})`);
    }
  }
  for (const t of tenants) {
    if (!semver.satisfies(t.chartVersion, entry.tenantChart, { includePrerelease: true })) {
      problems.push(
        `${t.release} in ${t.namespace} runs soctalk-tenant ${t.chartVersion}, which soctalk-system ${to} does not support (supported: ${entry.tenantChart})`,
      );
    }
  }
  return problems;
}

/** The ordering gate: a tenant chart version must be supported by the running system. */
export function tenantOrderingProblem(matrix: CompatibilityMatrix, systemVersion: string, tenantTarget: string): string | undefined {
  const entry = matrix.systemVersions[systemVersion];
  if (!entry) {
    return `the running soctalk-system ${systemVersion} is not in the compatibility matrix, so soctalk-tenant ${tenantTarget} cannot be checked against it`;
  }
  if (!semver.satisfies(tenantTarget, entry.tenantChart, { includePrerelease: true })) {
    return (
      `never upgrade tenant charts ahead of soctalk-system: soctalk-system ${systemVersion} supports soctalk-tenant ${entry.tenantChart}, ` +
      `not ${tenantTarget}; upgrade soctalk-system first`
    );
  }
  return undefined;
}
