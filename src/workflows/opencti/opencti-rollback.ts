/**
 * Upgrade guide v1 -> v2, rollback, in the operator's chosen mode:
 *
 *   helm-rollback       helm rollback <release> [revision]; verify rollback (history, pods)
 *   disable-clustering  helm upgrade with clustering.enabled=false and the root ingress
 *                       restored (stay on v2), --wait
 *   disable-frontend    partial: only the ingestion cluster; workers and connectors then
 *   disable-ingestion   point at the remaining one, as the chart does
 *
 * The upgrade modes are compensated by helm rollback to the revision the run found.
 */
import { refuseInlineSecretsWithoutCodec } from '../lib/inline-secrets.js';
import type { z } from 'zod';
import type { PlanValuesRequest } from '../../activities/opencti/activities.js';
import { FailureType } from '../../domain/failure-types.js';
import { OpenctiRollbackInputSchema } from '../../domain/opencti/inputs.js';
import { refuse } from '../lib/errors.js';
import { selectRollbackTarget, syncRepository } from '../release-steps/index.js';
import {
  applyStep,
  chartMajor,
  formatWarnings,
  longSteps,
  type OpenctiPlanResult,
  openctiRun,
  parseInput,
  planAndApprove,
  preflightRelease,
  pushOpenctiRollback,
  reads,
  releaseRef,
  type VerificationResult,
  verifyRelease,
} from './common.js';

export type OpenctiRollbackInput = z.input<typeof OpenctiRollbackInputSchema>;

export interface OpenctiRollbackResult {
  release: string;
  namespace: string;
  mode: string;
  fromRevision: number;
  revision: number;
  warnings: string[];
  verification: VerificationResult;
}

const STEP = {
  'disable-clustering': 'apply rollback to single mode',
  'disable-frontend': 'disable frontend (cluster only)',
  'disable-ingestion': 'disable ingestion (cluster only)',
} as const;

export async function openctiRollback(raw: OpenctiRollbackInput): Promise<OpenctiRollbackResult | OpenctiPlanResult> {
  const input = parseInput(OpenctiRollbackInputSchema, raw, 'opencti-rollback');
  await refuseInlineSecretsWithoutCodec(input, 'opencti-rollback');
  const ref = releaseRef(input);
  const run = openctiRun('opencti-rollback', input, input.version);
  return run.execute(async () => {
    run.setPhase('preflight');
    run.fact('mode', input.mode);
    const state = await preflightRelease(run, ref);
    const fromRevision = state.status.revision;

    if (input.mode === 'helm-rollback') {
      const { revision: target, entry } = selectRollbackTarget(input.release, state.history, fromRevision, input.toRevision);
      if (input.dryRun) {
        return { dryRun: true, release: input.release, namespace: input.namespace, fromRevision, warnings: [], promise: [], renders: [`revision ${target}: ${entry.chart}`], diff: [] };
      }
      await run.awaitApproval('approve the rollback', `helm rollback ${input.release} ${target} (revision ${target}: ${entry.chart}, ${entry.status}) from revision ${fromRevision}`);
      run.setPhase('rolling-back');
      // Nothing undoes a rollback; say so rather than let a later failure read "nothing had been changed".
      run.compensations.push(`none: ${input.release} stays rolled back to revision ${target}`, () => Promise.resolve('check it by hand'));
      const rolled = await run.step(
        'rollback to the pre-upgrade revision',
        () => longSteps(input.timeout).helmRollback({ ...ref, toRevision: target, afterRevision: fromRevision, wait: true, timeoutMs: input.timeout }),
        { uninterruptible: true, detail: (r) => `now revision ${r.revision}${r.alreadyDone ? ' (already done)' : ''}` },
      );
      run.setPhase('verifying');
      const history = await run.step('verify rollback', () => reads.helmReleaseState(ref), {
        detail: (s) => `revision ${s.status?.revision ?? '?'} ${s.status?.status ?? '?'}, chart ${s.status?.chartVersion ?? '?'}`,
      });
      if (history.status?.status !== 'deployed') throw refuse(FailureType.VerificationFailed, `after the rollback ${input.release} is ${history.status?.status ?? 'missing'}`);
      // What the restored revision renders, read from its manifest: the expectation for the checks below.
      const topology = await run.step('read what the restored revision renders', () => reads.openctiLiveTopology(ref), {
        detail: (t) => t.deployments.map((d) => `${d.name} x${d.replicas}`).join(', ') || 'no Deployment',
      });
      const verification = await verifyRelease(run, ref, { topology, promise: [] }, input.health, topology.clustering ? 'clustering' : 'single');
      return {
        release: input.release,
        namespace: input.namespace,
        mode: input.mode,
        fromRevision,
        revision: rolled.revision,
        warnings: [],
        verification,
      };
    }

    const mode = input.mode;
    const version = input.version!;
    if ((chartMajor(state.status.chartVersion) ?? 0) < 2) {
      throw refuse(FailureType.Incompatible, `release ${input.release} runs chart ${state.status.chartVersion ?? '(unknown)'}: ${mode} applies to a v2 release in clustering mode`);
    }
    run.setPhase('preparing');
    const request: PlanValuesRequest = {
      ...ref,
      values: input.values,
      change: mode,
      chart: input.chart,
      version,
      capabilities: state.capabilities,
      migration: { targetVersion: version },
      ...(input.replayMigration ? { replayMigration: input.replayMigration } : {}),
    };
    const planned = await planAndApprove(run, {
      ref,
      fromRevision,
      request,
      dryRun: input.dryRun,
      planStep: 'prepare rollback values',
      gate: 'approve the rollback',
      command: `helm upgrade ${input.release} ${input.chart.ref} --version ${version} -f <generated values> (${mode}), --wait (from revision ${fromRevision})`,
    });
    if ('dryRun' in planned) return planned.dryRun;
    const { plan } = planned;

    run.setPhase('rolling-back');
    await syncRepository(run, input.chart);
    pushOpenctiRollback(run, ref, fromRevision, input.timeout, state.status.chartVersion);
    const upgraded = await applyStep(run, STEP[mode], request, plan, { timeoutMs: input.timeout, fromRevision });

    run.setPhase('verifying');
    const verification = await verifyRelease(run, ref, plan, input.health, mode === 'disable-clustering' ? 'single' : 'clustering');
    return {
      release: input.release,
      namespace: input.namespace,
      mode,
      fromRevision,
      revision: upgraded.revision,
      warnings: formatWarnings(plan.warnings),
      verification,
    };
  });
}
