/**
 * Upgrade guide v1 -> v2, strategy 1: in-place upgrade to v2, single mode.
 *
 *   pre-flight: the release is not locked; the target chart is rendered with the existing
 *               values (as the cluster renders it) and checked: known chart defects, the
 *               probes' health key, replicas over an autoscaler, Services that select no pod
 *   helm repo add opencti ... && helm repo update
 *   helm upgrade <release> opencti/opencti --version 2.x.x -f your-existing-values.yaml --wait --timeout 600s
 *   verification: every rendered Deployment rolled out, pods Ready, Services with ready
 *               endpoints, the rendered Ingress, /health through the rendered Service
 *
 * A failed upgrade or verification, or an abort, is compensated by `helm rollback` to the
 * revision the run found (unless compensation is "none"), then checked.
 */
import { refuseInlineSecretsWithoutCodec } from '../lib/inline-secrets.js';
import type { z } from 'zod';
import type { PlanValuesRequest } from '../../activities/opencti/activities.js';
import { OpenctiUpgradeV2InputSchema } from '../../domain/opencti/inputs.js';
import { syncRepository } from '../release-steps/index.js';
import {
  applyStep,
  type OpenctiPlanResult,
  openctiRun,
  type OpenctiUpgradeResult,
  parseInput,
  planAndApprove,
  preflightRelease,
  pushNoCompensation,
  pushOpenctiRollback,
  releaseRef,
  verifyAndReport,
} from './common.js';

export type OpenctiUpgradeV2Input = z.input<typeof OpenctiUpgradeV2InputSchema>;

export type { OpenctiPlanResult, OpenctiUpgradeResult } from './common.js';

export async function openctiUpgradeV2(raw: OpenctiUpgradeV2Input): Promise<OpenctiUpgradeResult | OpenctiPlanResult> {
  const input = parseInput(OpenctiUpgradeV2InputSchema, raw, 'opencti-upgrade-v2');
  await refuseInlineSecretsWithoutCodec(input, 'opencti-upgrade-v2');
  const ref = releaseRef(input);
  const run = openctiRun('opencti-upgrade-v2', input, input.version);
  return run.execute(async () => {
    run.setPhase('preflight');
    const state = await preflightRelease(run, ref);
    const fromRevision = state.status.revision;

    const request: PlanValuesRequest = {
      ...ref,
      values: input.values,
      change: 'none',
      chart: input.chart,
      version: input.version,
      capabilities: state.capabilities,
      migration: { targetVersion: input.version, minimumChartVersion: input.minimumChartVersion },
    };
    const planned = await planAndApprove(run, {
      ref,
      fromRevision,
      request,
      dryRun: input.dryRun,
      planStep: 'check the existing values and the target chart',
      gate: 'approve the upgrade to v2',
      command: `helm upgrade ${input.release} ${input.chart.ref} --version ${input.version} with the existing values, --wait --timeout ${input.timeout / 1000}s (from revision ${fromRevision})`,
    });
    if ('dryRun' in planned) return planned.dryRun;
    const { plan } = planned;

    run.setPhase('upgrading');
    await syncRepository(run, input.chart);
    if (input.compensation === 'helm-rollback') pushOpenctiRollback(run, ref, fromRevision, input.timeout, state.status.chartVersion);
    if (input.compensation === 'none') pushNoCompensation(run);
    const upgraded = await applyStep(run, 'upgrade to v2 (single mode)', request, plan, { timeoutMs: input.timeout, fromRevision });
    return verifyAndReport(run, ref, plan, input.health, 'single', fromRevision, upgraded);
  });
}
