/**
 * Upgrade guide v1 -> v2, strategy 2: migration to clustering mode (after the release runs v2).
 *
 *   Step 1: prepare the clustering configuration: generated from the operator's values
 *           (sizing copied, root ingress moved to the frontend, frontend managers off),
 *           shown with its diff and warnings for approval
 *   Step 2: helm upgrade ... -f clustering-migration-values.yaml --wait --timeout 900s (the
 *           generated file, checked to be the one approved)
 *   Step 3: comprehensive verification: frontend and ingestion rolled out with their
 *           replicas, Services with endpoints, the frontend Ingress, workers -> ingestion and
 *           connectors -> frontend, /health of both
 *
 * Compensation: helm rollback to the revision the run found (default), or an upgrade back
 * to single mode on v2 ("disable clustering"), or none.
 */
import type { z } from 'zod';
import { FailureType } from '../../domain/failure-types.js';
import { OpenctiClusteringMigrationInputSchema } from '../../domain/opencti/inputs.js';
import { refuse } from '../lib/errors.js';
import {
  confirmApprovedPlan,
  generatedValues,
  longSteps,
  openctiRun,
  parseInput,
  planSummary,
  pushDisableClustering,
  pushHelmRollback,
  pushNoCompensation,
  reads,
  recordPlan,
  refuseBlocking,
  releaseRef,
  upgradeDetail,
  verifyAndReport,
} from './common.js';
import type { OpenctiUpgradeResult } from './common.js';

export type OpenctiClusteringMigrationInput = z.input<typeof OpenctiClusteringMigrationInputSchema>;

export async function openctiClusteringMigration(raw: OpenctiClusteringMigrationInput): Promise<OpenctiUpgradeResult> {
  const input = parseInput(OpenctiClusteringMigrationInputSchema, raw, 'opencti-clustering-migration');
  const ref = releaseRef(input);
  const run = openctiRun('opencti-clustering-migration', input, input.version);
  return run.execute(async () => {
    run.setPhase('preflight');
    const state = await run.step('check the release is not locked', () => reads.helmAssertNotLocked(ref), {
      detail: (s) => (s.status ? `revision ${s.status.revision} ${s.status.status}, chart ${s.status.chartVersion ?? '?'}` : 'release not found'),
    });
    if (!state.exists || !state.status) throw refuse(FailureType.NotFound, `release ${input.release} not found in ${input.namespace}`);
    const fromRevision = state.status.revision;
    run.fact('fromRevision', fromRevision);
    run.fact('fromChartVersion', state.status.chartVersion);

    run.setPhase('preparing');
    const planValues = () =>
      reads.openctiPlanValues({
        release: input.release,
        namespace: input.namespace,
        values: input.values,
        change: 'clustering',
        migration: {
          targetVersion: input.version,
          minimumChartVersion: input.minimumChartVersion,
          ...(input.frontend ? { frontend: input.frontend } : {}),
          ...(input.ingestion ? { ingestion: input.ingestion } : {}),
          moveTopLevelManagerEnv: input.moveTopLevelManagerEnv,
          removeHardCodedServerUrls: input.removeHardCodedServerUrls,
        },
      });
    const plan = await run.step('prepare clustering configuration', planValues, {
      detail: (p) => `${p.diff.length} changes, ${p.warnings.length} warnings; ${p.topology.platform.map((c) => `${c.name} x${c.replicas}`).join(', ')}`,
    });
    recordPlan(run, plan);
    refuseBlocking(plan.warnings);

    const decision = await run.awaitApproval(
      'approve the clustering values',
      planSummary(
        `helm upgrade ${input.release} ${input.chart.ref} --version ${input.version} -f <generated clustering values>, --wait --timeout ${input.timeout / 1000}s (from revision ${fromRevision})`,
        plan,
      ),
    );

    const approved = decision ? await confirmApprovedPlan(run, plan, planValues) : plan;

    run.setPhase('upgrading');
    if (input.chart.repository) {
      const repo = input.chart.repository;
      await run.step('add the updated Helm repository', () => reads.helmRepoSync(input.chart), { detail: () => `${repo.name} ${repo.url}` });
    } else {
      run.skip('add the updated Helm repository', `${input.chart.ref} is not a repository chart`);
    }
    if (input.compensation === 'helm-rollback') pushHelmRollback(run, ref, fromRevision, input.timeout);
    if (input.compensation === 'none') pushNoCompensation(run);
    if (input.compensation === 'disable-clustering') pushDisableClustering(run, ref, input, input.timeout);
    const upgraded = await run.step(
      'deploy clustering configuration',
      () =>
        longSteps(input.timeout).helmUpgrade({
          ...ref,
          chart: input.chart,
          version: input.version,
          values: generatedValues(approved),
          wait: true,
          timeoutMs: input.timeout,
          fromRevision,
          // A failed migration must not leave frontend/ingestion running next to the restored server.
          cleanupOnFail: true,
        }),
      { uninterruptible: true, detail: upgradeDetail },
    );
    return verifyAndReport(run, ref, plan, input.health, 'clustering', fromRevision, upgraded);
  });
}
