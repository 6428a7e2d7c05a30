/**
 * The runbook's Alembic steps: (1) delete any previous Job so a new Pod can spawn, (2)
 * render the Job from the target chart with the new image tag and apply it, (3) wait for
 * it to complete, failing fast when it reports Failed, and keep its logs.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { FailureType } from '../../domain/failure-types.js';
import { renderedObjects } from '../../domain/rendered-release.js';
import type { KubeTarget } from '../../domain/kube-target.js';
import type { CommandRunner, RunContext } from '../command.js';
import { jobPods, jobPodSelector, podSummary, type JobPod } from '../job-pods.js';
import type { ChartRequest, HelmActivities } from '../helm/activities.js';
import { getList, getObject } from '../kube-json.js';
import { kubectlApplyStdinArgs, kubectlDeleteArgs, kubectlLogsArgs, type Scope } from '../kubectl/commands.js';
import { currentRunContext } from '../run-context.js';

export interface JobRef {
  namespace: string;
  kube: KubeTarget;
  jobName: string;
}

export interface MigrationOutcome {
  jobName: string;
  durationMs: number;
  logsTail: string;
}

interface JobCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** Complete, Failed, or still running, from a Job's status conditions. */
export function jobState(status: unknown): { state: 'complete' | 'failed' | 'running'; reason?: string } {
  const conditions = ((status as { conditions?: JobCondition[] } | undefined)?.conditions ?? []).filter((c) => c.status === 'True');
  const failed = conditions.find((c) => c.type === 'Failed');
  if (failed) return { state: 'failed', reason: [failed.reason, failed.message].filter(Boolean).join(': ') || 'Failed' };
  if (conditions.some((c) => c.type === 'Complete')) return { state: 'complete' };
  return { state: 'running' };
}

export interface MigrationDeps {
  runner: CommandRunner;
  helm: Pick<HelmActivities, 'helmTemplate'>;
  /** How often the Job is polled (and the activity heartbeats). */
  pollIntervalMs?: number;
}

export function createMigrationActivities({ runner, helm, pollIntervalMs = 2_000 }: MigrationDeps) {
  const scopeOf = (j: JobRef): Scope => ({ namespace: j.namespace, kube: j.kube });

  async function logsTail(j: JobRef, context: RunContext = currentRunContext()): Promise<string> {
    // Logs are evidence, not a gate: a Job whose pod is gone still has a result.
    const out = await runner
      .run({ tool: 'kubectl', args: kubectlLogsArgs(scopeOf(j), `job/${j.jobName}`), mutates: false, okExitCodes: [0, 1] }, context)
      .catch(() => undefined);
    return out && out.exitCode === 0 ? out.stdoutRedacted.split('\n').slice(-40).join('\n') : '(no logs available)';
  }

  return {
    /** Step 1: `kubectl delete job <release>-alembic-upgrade --ignore-not-found`. */
    async deleteMigrationJob(j: JobRef): Promise<void> {
      await runner.run({ tool: 'kubectl', args: kubectlDeleteArgs(scopeOf(j), 'job', j.jobName), mutates: true }, currentRunContext());
    },

    /** Step 2: `helm template ... --show-only <template> | kubectl apply -f -`. */
    async applyMigrationJob(input: ChartRequest & { template: string; jobName: string }): Promise<{ applied: string }> {
      const { template, jobName, ...request } = input;
      const manifest = await helm.helmTemplate({ ...request, showOnly: template });
      // Parsed, not pattern-matched: only a template rendering exactly this Job is applied outside helm.
      const objects = renderedObjects(manifest);
      if (objects.length !== 1 || objects[0]!.kind !== 'Job' || objects[0]!.name !== jobName) {
        throw ApplicationFailure.create({
          type: FailureType.InvalidInput,
          nonRetryable: true,
          message: `${template} of ${input.chart.ref} renders ${objects.map((o) => `${o.kind}/${o.name}`).join(', ') || 'nothing'}, not only Job ${jobName}: nothing was applied; set migration.template and migration.jobName`,
        });
      }
      const out = await runner.run(
        { tool: 'kubectl', args: kubectlApplyStdinArgs({ namespace: input.namespace, kube: input.kube }), input: manifest, mutates: true },
        currentRunContext(),
      );
      return { applied: out.stdoutRedacted.trim() };
    },

    /**
     * Step 3: wait for Complete within the runbook's timeout; Failed ends the wait at once.
     * Every heartbeat carries the Job's pods (phase, restarts, reason), read on each poll,
     * so a migration stuck in ImagePullBackOff or CrashLoopBackOff says so while it waits.
     */
    async waitForMigrationJob(input: JobRef & { timeoutMs: number }): Promise<MigrationOutcome> {
      const ctx = currentRunContext();
      const started = Date.now();
      const waitingFor = `migration Job ${input.jobName} to complete`;
      let pods: JobPod[] | undefined;
      const progress = () => ({ waitingFor, ...(pods ? { pods } : {}) });
      // The poll's own kubectl commands heartbeat too: they carry the same progress.
      const polling: RunContext = { ...ctx, progress };
      const podsNow = () => (pods?.length ? `; pods: ${pods.map(podSummary).join(', ')}` : '');
      for (;;) {
        const job = await getObject(runner, scopeOf(input), 'job', input.jobName, polling);
        if (!job) {
          throw ApplicationFailure.create({ type: FailureType.NotFound, nonRetryable: true, message: `Job ${input.namespace}/${input.jobName} does not exist` });
        }
        // Progress is informative: a failed read keeps the last one and never fails the wait.
        pods = await getList(runner, scopeOf(input), 'pods', jobPodSelector(job), polling).then(jobPods, () => pods);
        const { state, reason } = jobState(job.status);
        if (state === 'complete') return { jobName: input.jobName, durationMs: Date.now() - started, logsTail: await logsTail(input, polling) };
        if (state === 'failed') {
          const logs = await logsTail(input, polling);
          throw ApplicationFailure.create({
            type: FailureType.MigrationFailed,
            nonRetryable: true,
            message: `migration Job ${input.jobName} failed (${reason})${podsNow()}; logs: ${logs.split('\n').slice(-5).join(' | ')}`,
            details: [{ logsTail: logs }],
          });
        }
        if (Date.now() - started > input.timeoutMs) {
          throw ApplicationFailure.create({
            type: FailureType.MigrationFailed,
            nonRetryable: true,
            message: `migration Job ${input.jobName} did not complete within ${Math.round(input.timeoutMs / 1000)}s${podsNow()}`,
          });
        }
        ctx.heartbeat?.({ command: `wait for job/${input.jobName}`, elapsedMs: Date.now() - started, lastLines: [], ...progress() });
        if (ctx.signal?.aborted) throw new CancelledFailure('wait for the migration Job was cancelled');
        await sleep(pollIntervalMs);
      }
    },
  };
}
