/**
 * Upgrade guide v1 -> v2, strategy 1: in-place upgrade to v2, single mode.
 *
 *   helm repo add opencti ... && helm repo update
 *   helm upgrade <release> opencti/opencti --version 2.x.x -f your-existing-values.yaml --wait --timeout 600s
 *   verification: pods Running and Ready, Services with ready endpoints, /health
 *
 * A failed upgrade or verification, or an abort, is compensated by `helm rollback` to the
 * revision the run found (unless compensation is "none").
 */
import type { z } from 'zod';
import { FailureType } from '../../domain/failure-types.js';
import { OpenctiUpgradeV2InputSchema } from '../../domain/opencti/inputs.js';
import { refuse } from '../lib/errors.js';
import {
  longSteps,
  openctiRun,
  type OpenctiUpgradeResult,
  parseInput,
  planSummary,
  pushHelmRollback,
  pushNoCompensation,
  reads,
  recordPlan,
  refuseBlocking,
  releaseRef,
  upgradeDetail,
  verifyAndReport,
} from './common.js';

export type OpenctiUpgradeV2Input = z.input<typeof OpenctiUpgradeV2InputSchema>;

export type { OpenctiUpgradeResult } from './common.js';

export async function openctiUpgradeV2(raw: OpenctiUpgradeV2Input): Promise<OpenctiUpgradeResult> {
  const input = parseInput(OpenctiUpgradeV2InputSchema, raw, 'opencti-upgrade-v2');
  const ref = releaseRef(input);
  const run = openctiRun('opencti-upgrade-v2', input, input.version);
  return run.execute(async () => {
    run.setPhase('preflight');
    const state = await run.step('check the release is not locked', () => reads.helmAssertNotLocked(ref), {
      detail: (s) => (s.status ? `revision ${s.status.revision} ${s.status.status}, chart ${s.status.chartVersion ?? '?'}` : 'release not found'),
    });
    if (!state.exists || !state.status) throw refuse(FailureType.NotFound, `release ${input.release} not found in ${input.namespace}`);
    const fromRevision = state.status.revision;
    run.fact('fromRevision', fromRevision);
    run.fact('fromChartVersion', state.status.chartVersion);

    const plan = await run.step(
      'check the existing values and the target chart',
      () =>
        reads.openctiPlanValues({
          release: input.release,
          namespace: input.namespace,
          values: input.values,
          change: 'none',
          migration: { targetVersion: input.version, minimumChartVersion: input.minimumChartVersion },
        }),
      { detail: (p) => `${p.warnings.length} warnings; expects ${p.topology.platform.map((c) => c.name).join(', ')}` },
    );
    recordPlan(run, plan);
    refuseBlocking(plan.warnings);

    await run.awaitApproval(
      'approve the upgrade to v2',
      planSummary(`helm upgrade ${input.release} ${input.chart.ref} --version ${input.version} with the existing values, --wait --timeout ${input.timeout / 1000}s (from revision ${fromRevision})`, plan),
    );

    run.setPhase('upgrading');
    if (input.chart.repository) {
      const repo = input.chart.repository;
      await run.step('add the updated Helm repository', () => reads.helmRepoSync(input.chart), { detail: () => `${repo.name} ${repo.url}` });
    } else {
      run.skip('add the updated Helm repository', `${input.chart.ref} is not a repository chart`);
    }
    if (input.compensation === 'helm-rollback') pushHelmRollback(run, ref, fromRevision, input.timeout);
    if (input.compensation === 'none') pushNoCompensation(run);
    const upgraded = await run.step(
      'upgrade to v2 (single mode)',
      () =>
        longSteps(input.timeout).helmUpgrade({
          ...ref,
          chart: input.chart,
          version: input.version,
          values: input.values,
          wait: true,
          timeoutMs: input.timeout,
          fromRevision,
        }),
      { uninterruptible: true, detail: upgradeDetail },
    );
    return verifyAndReport(run, ref, plan, input.health, 'single', fromRevision, upgraded);
  });
}
