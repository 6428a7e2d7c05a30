/**
 * "Never upgrade tenant charts ahead of soctalk-system": the running system version must
 * accept the target tenant chart in the compatibility matrix. Shared by the tenant and the
 * fleet upgrade.
 */
import { proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { FailureType } from '../../domain/failure-types.js';
import { tenantOrderingProblem } from '../../domain/soctalk/compatibility.js';
import type { TenantUpgradeSpec } from '../../domain/soctalk/tenant-upgrade-input.js';
import { localReadProfile } from '../lib/activity-profiles.js';
import { refuse } from '../lib/errors.js';

// Two short reads, run for every tenant: local activities (see localReadProfile).
const { loadCompatibilityMatrix, helmReleaseState } = proxyLocalActivities<Activities>(localReadProfile);

export interface SystemGateResult {
  systemVersion: string;
  /** Set when the gate refuses (plan mode reports it instead of failing). */
  problem?: string;
}

export async function checkSystemFirst(spec: TenantUpgradeSpec, opts: { refuse: boolean } = { refuse: true }): Promise<SystemGateResult> {
  const matrix = await loadCompatibilityMatrix(spec.compatibility);
  const state = await helmReleaseState({ release: spec.system.release, namespace: spec.system.namespace, kube: spec.kube });
  const systemVersion = state.status?.chartVersion;
  if (!state.exists || !systemVersion) {
    const problem = `${spec.system.release} is not installed in ${spec.system.namespace}: upgrade soctalk-system first, then tenants`;
    if (opts.refuse) throw refuse(FailureType.Incompatible, problem);
    return { systemVersion: 'none', problem };
  }
  const problem = tenantOrderingProblem(matrix, systemVersion, spec.version);
  if (problem && opts.refuse) throw refuse(FailureType.Incompatible, problem);
  return { systemVersion, ...(problem ? { problem } : {}) };
}
