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
import {
  applyStep,
  confirmApproved,
  openctiRun,
  type OpenctiPlanResult,
  type OpenctiUpgradeResult,
  parseInput,
  planResult,
  planStep,
  planSummary,
  preflightRelease,
  pushHelmRollback,
  pushNoCompensation,
  reads,
  refuseBlocking,
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
    const plan = await planStep(run, 'check the existing values and the target chart', request);
    refuseBlocking(plan.warnings);
    if (input.dryRun) return planResult(ref, fromRevision, plan);

    const decision = await run.awaitApproval(
      'approve the upgrade to v2',
      planSummary(`helm upgrade ${input.release} ${input.chart.ref} --version ${input.version} with the existing values, --wait --timeout ${input.timeout / 1000}s (from revision ${fromRevision})`, plan),
    );

    if (decision) await confirmApproved(run, request, plan);

    run.setPhase('upgrading');
    if (input.chart.repository) {
      const repo = input.chart.repository;
      await run.step('add the updated Helm repository', () => reads.helmRepoSync(input.chart), { detail: () => `${repo.name} ${repo.url}` });
    } else {
      run.skip('add the updated Helm repository', `${input.chart.ref} is not a repository chart`);
    }
    if (input.compensation === 'helm-rollback') pushHelmRollback(run, ref, fromRevision, input.timeout, state.status.chartVersion);
    if (input.compensation === 'none') pushNoCompensation(run);
    const upgraded = await applyStep(run, 'upgrade to v2 (single mode)', request, plan, { timeoutMs: input.timeout, fromRevision });
    return verifyAndReport(run, ref, plan, input.health, 'single', fromRevision, upgraded);
  });
}
