/**
 * Upgrade guide v1 -> v2, strategy 2: migration to clustering mode "after successfully
 * upgrading to v2" (a release still on chart 1.x is refused: run opencti-upgrade-v2 first).
 *
 *   Step 1: prepare the clustering configuration: generated from the operator's values
 *           (sizing copied, root ingress moved to the frontend, frontend managers set off
 *           explicitly), the target rendered with it and checked (known chart defects,
 *           Services that select no pod, the promised env as rendered, routing, probes),
 *           shown with its diff and findings for approval
 *   Step 2: helm upgrade ... -f clustering-migration-values.yaml --wait --timeout 900s (the
 *           values generated again in that step and checked to be the ones approved)
 *   Step 3: comprehensive verification against the rendered target: every Deployment rolled
 *           out, the promised env live, Services with endpoints, the frontend Ingress,
 *           workers and connectors connecting where the chart renders them to, /health
 *
 * Compensation: helm rollback to the revision the run found (default), or an upgrade back
 * to single mode on v2 ("disable clustering"), or none; each checks where it left the release.
 */
import { refuseInlineSecretsWithoutCodec } from '../lib/inline-secrets.js';
import type { z } from 'zod';
import type { PlanValuesRequest } from '../../activities/opencti/activities.js';
import { FailureType } from '../../domain/failure-types.js';
import { OpenctiClusteringMigrationInputSchema } from '../../domain/opencti/inputs.js';
import { refuse } from '../lib/errors.js';
import { syncRepository } from '../release-steps/index.js';
import {
  applyStep,
  chartMajor,
  openctiRun,
  parseInput,
  planAndApprove,
  preflightRelease,
  pushDisableClustering,
  pushNoCompensation,
  pushOpenctiRollback,
  releaseRef,
  verifyAndReport,
} from './common.js';
import type { OpenctiPlanResult, OpenctiUpgradeResult } from './common.js';

export type OpenctiClusteringMigrationInput = z.input<typeof OpenctiClusteringMigrationInputSchema>;

export async function openctiClusteringMigration(raw: OpenctiClusteringMigrationInput): Promise<OpenctiUpgradeResult | OpenctiPlanResult> {
  const input = parseInput(OpenctiClusteringMigrationInputSchema, raw, 'opencti-clustering-migration');
  await refuseInlineSecretsWithoutCodec(input, 'opencti-clustering-migration');
  const ref = releaseRef(input);
  const run = openctiRun('opencti-clustering-migration', input, input.version);
  return run.execute(async () => {
    run.setPhase('preflight');
    const state = await preflightRelease(run, ref);
    const fromRevision = state.status.revision;
    const liveMajor = chartMajor(state.status.chartVersion);
    if (liveMajor === undefined || liveMajor < 2) {
      throw refuse(
        FailureType.Incompatible,
        `release ${input.release} runs chart ${state.status.chartVersion ?? '(unknown)'}: the guide migrates to clustering after upgrading to v2. ` +
          'Run opencti-upgrade-v2 first (in place, single mode), then this migration',
      );
    }

    run.setPhase('preparing');
    const request: PlanValuesRequest = {
      ...ref,
      values: input.values,
      change: 'clustering',
      chart: input.chart,
      version: input.version,
      capabilities: state.capabilities,
      migration: {
        targetVersion: input.version,
        minimumChartVersion: input.minimumChartVersion,
        ...(input.frontend ? { frontend: input.frontend } : {}),
        ...(input.ingestion ? { ingestion: input.ingestion } : {}),
        moveTopLevelManagerEnv: input.moveTopLevelManagerEnv,
        removeHardCodedServerUrls: input.removeHardCodedServerUrls,
      },
    };
    const planned = await planAndApprove(run, {
      ref,
      fromRevision,
      request,
      dryRun: input.dryRun,
      planStep: 'prepare clustering configuration',
      gate: 'approve the clustering values',
      command: `helm upgrade ${input.release} ${input.chart.ref} --version ${input.version} -f <generated clustering values>, --wait --timeout ${input.timeout / 1000}s (from revision ${fromRevision})`,
    });
    if ('dryRun' in planned) return planned.dryRun;
    const { plan } = planned;

    run.setPhase('upgrading');
    await syncRepository(run, input.chart);
    if (input.compensation === 'helm-rollback') pushOpenctiRollback(run, ref, fromRevision, input.timeout, state.status.chartVersion);
    if (input.compensation === 'none') pushNoCompensation(run);
    if (input.compensation === 'disable-clustering') pushDisableClustering(run, ref, input, input.timeout);
    // A failed migration must not leave frontend/ingestion running next to the restored server: --cleanup-on-fail.
    const upgraded = await applyStep(run, 'deploy clustering configuration', request, plan, { timeoutMs: input.timeout, fromRevision, cleanupOnFail: true });
    return verifyAndReport(run, ref, plan, input.health, 'clustering', fromRevision, upgraded);
  });
}
