/**
 * helm steps shared by every runbook. Each is idempotent: it reads the release first and
 * does nothing when a previous attempt already did the work (a retried activity after a
 * worker crash must not upgrade or roll back twice). A killed attempt's helm keeps running
 * (it is uninterruptible on purpose); a retry that finds the release pending with this
 * run's own mark waits for that helm to finish and takes its result, and nothing here ever
 * runs helm on a release that is still pending.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import semver from 'semver';
import type { ChartSource, Values } from '../../domain/chart.js';
import type { ClusterCapabilities } from '../../domain/cluster-capabilities.js';
import { FailureType } from '../../domain/failure-types.js';
import type { KubeTarget } from '../../domain/kube-target.js';
import type { CommandRunner } from '../command.js';
import { classifyFailure } from '../failure-classification.js';
import { currentRunContext } from '../run-context.js';
import {
  helmGetManifestArgs,
  helmHistoryArgs,
  helmListArgs,
  helmRollbackArgs,
  helmTemplateArgs,
  helmUpgradeArgs,
  withHelmFlags,
  type ReleaseRef,
} from './commands.js';
import { isPending, latestRevision, parseHistory, parseList, type HistoryEntry, type ListedRelease, type ReleaseStatus } from './parse.js';
import { currentRunMark, revisionRunId } from './run-mark.js';
import { markStaleUpgradeFailed } from './stale-lock.js';
import { withRepository } from './repository.js';
import { withValuesFiles } from './values-files.js';
import { watchReleaseWorkloads } from './workload-progress.js';

export interface ReleaseState {
  exists: boolean;
  status?: ReleaseStatus;
  history: HistoryEntry[];
}

export interface ChartRequest extends ReleaseRef {
  chart: ChartSource;
  version?: string;
  values: Values;
  /** String overrides applied after the values (image.tag overrides): written to a values file, never --set-string. */
  setString?: Record<string, string>;
  /** The live cluster's version and API versions (readClusterCapabilities), so `helm template` renders as the cluster would. */
  capabilities?: ClusterCapabilities;
}

export interface UpgradeRequest extends ChartRequest {
  timeoutMs: number;
  wait: boolean;
  /** The revision before this run's upgrade: a later deployed revision of the target chart means a retry already succeeded. */
  fromRevision: number;
  /** helm --cleanup-on-fail: a failed upgrade removes what it created (see helmUpgradeArgs). */
  cleanupOnFail?: boolean;
}

export interface UpgradeResult {
  revision: number;
  status: string;
  chartVersion?: string;
  /** True when a previous attempt had already upgraded the release. */
  alreadyDone: boolean;
}

export interface RollbackRequest extends ReleaseRef {
  /** Omitted: the previous revision. */
  toRevision?: number;
  timeoutMs: number;
  wait: boolean;
  /** The revision the run saw before it started; a rollback already made after it is not repeated. */
  afterRevision?: number;
  /**
   * How long to wait for a pending operation (an upgrade whose helm outlived its worker) to
   * end before rolling back; default timeoutMs. Never rolls back under a pending one.
   */
  pendingWaitMs?: number;
}

export interface HelmDeps {
  runner: CommandRunner;
  /** Where inline values are written for helm (mode 0600, removed after the command). */
  workDir: string;
  /** How often a wait for a pending release polls helm history (default 2s). */
  pendingPollMs?: number;
  /** How long a failed upgrade waits for the API server to read what helm left (default 2 min; see unlockIfOwnHelmLeftPending). */
  staleLockReadWaitMs?: number;
}

/** helm's answer for a release with no revision at all (storage's ErrReleaseNotFound), as the runner reports it. */
const isReleaseNotFound = (err: unknown): boolean => err instanceof ApplicationFailure && err.type === FailureType.NotFound && /release: not found/.test(err.message);

/** Heartbeats when running as an activity (waits must tell Temporal they are alive). */
function heartbeat(details: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // outside an activity
  }
}

const ref = (r: ReleaseRef): ReleaseRef => ({ release: r.release, namespace: r.namespace, kube: r.kube });

export function createHelmActivities({ runner, workDir, pendingPollMs = 2_000, staleLockReadWaitMs = 120_000 }: HelmDeps) {
  /** `helm history`: the release's latest revision (what `helm status` shows) and the revisions before it. */
  async function releaseState(r: ReleaseRef): Promise<ReleaseState> {
    let out;
    try {
      out = await runner.run({ tool: 'helm', args: helmHistoryArgs(r), mutates: false }, currentRunContext());
    } catch (err) {
      if (isReleaseNotFound(err)) return { exists: false, history: [] };
      throw err;
    }
    const history = parseHistory(out.stdout);
    const status = latestRevision({ name: r.release, namespace: r.namespace }, history);
    return status ? { exists: true, status, history } : { exists: false, history: [] };
  }

  /**
   * Polls until the release is no longer pending-*, heartbeating. Resolves to the settled
   * state, or undefined when `waitMs` passed first.
   */
  async function waitWhilePending(r: ReleaseRef, waitMs: number, what: string): Promise<ReleaseState | undefined> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const state = await releaseState(ref(r));
      if (!state.status || !isPending(state.status.status)) return state;
      if (Date.now() >= deadline) return undefined;
      heartbeat({ waitingFor: what, status: state.status.status, revision: state.status.revision });
      await sleep(pendingPollMs);
    }
  }

  const stillPending = (r: ReleaseRef, status: ReleaseStatus, waitedMs: number, instead: string) =>
    ApplicationFailure.create({
      type: FailureType.ReleaseLocked,
      nonRetryable: true,
      message:
        `manual action needed: release ${r.release} in ${r.namespace} is still ${status.status} at revision ${status.revision} ` +
        `after waiting ${Math.round(waitedMs / 1000)}s for that operation to end; ${instead}. ` +
        `Check nobody is running helm on it, then recover: see "Recovering a stale helm lock" in the README`,
    });

  /** The result of a helm operation that ended while we waited: its revision's status and description. */
  const endedFailed = (r: ReleaseRef, what: string, state: ReleaseState, revision: number) => {
    const description = state.history.find((h) => h.revision === revision)?.description ?? 'no description';
    const { type } = classifyFailure({ exitCode: 1, output: description, timedOut: false });
    return ApplicationFailure.create({
      type,
      nonRetryable: true,
      message: `${what} of ${r.release} (revision ${revision}, started by an earlier attempt of this run) ended failed: ${description}`,
    });
  };

  /**
   * The release once the API answers again (an upgrade that failed because the API server
   * went away is read as soon as it is back), heartbeating; undefined when it stays
   * unreachable for `waitMs` or the read fails for another reason.
   */
  async function stateOnceReachable(r: ReleaseRef, waitMs: number): Promise<ReleaseState | undefined> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      try {
        return await releaseState(ref(r));
      } catch (err) {
        if (!(err instanceof ApplicationFailure) || err.nonRetryable || Date.now() >= deadline) return undefined;
        heartbeat({ waitingFor: `the API server, to read ${r.release} after helm failed`, lastError: err.message });
        await sleep(pendingPollMs);
      }
    }
  }

  /**
   * This attempt's own helm upgrade failed. helm normally records the revision as failed;
   * when it could not (the API server was gone at that moment), the revision it created is
   * still pending-upgrade although no helm runs it any more, and would lock out both the
   * retry and the rollback. Such a revision, carrying this run's label, is marked failed
   * (see stale-lock.ts). Returns the failure to throw, saying what was done.
   */
  async function unlockIfOwnHelmLeftPending(r: ReleaseRef, runId: string, revision: number, err: unknown): Promise<unknown> {
    const state = await stateOnceReachable(r, staleLockReadWaitMs);
    const left = state?.status;
    if (!left || left.revision !== revision || left.status !== 'pending-upgrade') return err;
    if ((await revisionRunId(runner, ref(r), revision).catch(() => undefined)) !== runId) return err;
    const cause = helmErrorOf(err);
    const note = await markStaleUpgradeFailed(runner, { ...ref(r), revision, runId, cause }).then(
      () => `helm could not record the outcome, so revision ${revision} stayed pending-upgrade with nobody running it: marked it failed`,
      (unlockErr: unknown) =>
        `helm could not record the outcome, so revision ${revision} stayed pending-upgrade; marking it failed did not work either (${unlockErr instanceof Error ? unlockErr.message : String(unlockErr)})`,
    );
    if (!(err instanceof ApplicationFailure)) return new Error(`${cause}; ${note}`);
    return ApplicationFailure.create({ type: err.type ?? undefined, nonRetryable: err.nonRetryable ?? false, message: `${err.message}; ${note}`, details: err.details ? [...err.details] : [] });
  }

  /** This activity's own repository config and cache (see repository.ts); adding it changes no cluster. */
  const withChartRepository = <T>(chart: ChartSource, use: (flags: string[]) => Promise<T>, options?: { update?: boolean }): Promise<T> => {
    const ctx = currentRunContext();
    return withRepository(workDir, chart, (args) => runner.run({ tool: 'helm', args, mutates: false }, ctx), use, options);
  };

  return {
    /** The release's state from `helm history` (exists, latest revision, revisions). */
    helmReleaseState: releaseState,

    /** The releases in a namespace (all statuses). */
    async helmListReleases(input: { namespace: string; kube: KubeTarget }): Promise<ListedRelease[]> {
      const out = await runner.run({ tool: 'helm', args: helmListArgs(input.namespace, input.kube), mutates: false }, currentRunContext());
      return parseList(out.stdout);
    },

    /**
     * `helm repo add --force-update` + `helm repo update`, the runbook's first step for
     * repository charts: checks the repository answers. Every activity that reads the chart
     * adds it again (a fresh index) in its own private config, so nothing depends on this worker.
     */
    async helmRepoSync(chart: ChartSource): Promise<void> {
      await withChartRepository(chart, () => Promise.resolve(), { update: true });
    },

    /** Refuses a release that an interrupted helm left locked in pending-*. */
    async helmAssertNotLocked(r: ReleaseRef): Promise<ReleaseState> {
      const state = await releaseState(ref(r));
      if (state.status && isPending(state.status.status)) {
        throw ApplicationFailure.create({
          type: FailureType.ReleaseLocked,
          nonRetryable: true,
          message:
            `release ${r.release} in ${r.namespace} is locked in ${state.status.status} at revision ${state.status.revision} ` +
            `(an interrupted helm operation). Check nobody is running helm on it, then recover: see "Recovering a stale helm lock" in the README`,
        });
      }
      return state;
    },

    /**
     * The live release's manifest (`helm get manifest`), as helm printed it: like
     * `helmTemplate`, it is parsed inside activities (the diff, verification), and text
     * redaction would turn `password: x` into `password: ***`, a YAML alias that no longer
     * parses. What leaves those activities is masked there (the field diff masks secrets).
     */
    async helmGetManifest(input: ReleaseRef & { revision?: number }): Promise<string> {
      const out = await runner.run({ tool: 'helm', args: helmGetManifestArgs(ref(input), input.revision), mutates: false }, currentRunContext());
      return out.stdout;
    },

    /** `helm template` of the target chart, optionally only one template (`--show-only`). */
    async helmTemplate(input: ChartRequest & { showOnly?: string }): Promise<string> {
      return withChartRepository(input.chart, (repositoryFlags) => withValuesFiles(workDir, input.values, async (files) => {
        const out = await runner
          .run(
            {
              tool: 'helm',
              args: withHelmFlags(helmTemplateArgs(
                {
                  ...ref(input),
                  chart: input.chart.ref,
                  version: input.version,
                  valuesFiles: files,
                  ...(input.capabilities ? { capabilities: input.capabilities } : {}),
                },
                input.showOnly,
              ), repositoryFlags),
              mutates: false,
            },
            currentRunContext(),
          )
          .catch((err: unknown) => {
            throw asRenderFailure(err, input);
          });
        return out.stdout;
      }, input.setString));
    },

    /**
     * `helm upgrade --wait --timeout`. Not interrupted by cancellation (a killed helm
     * leaves the release in pending-upgrade); a retry after a successful attempt returns
     * the existing revision instead of upgrading again.
     */
    async helmUpgrade(input: UpgradeRequest): Promise<UpgradeResult> {
      const mark = currentRunMark();
      let before = await releaseState(ref(input));
      const pending = before.status && isPending(before.status.status) ? before.status : undefined;
      if (pending) {
        const owner = await revisionRunId(runner, ref(input), pending.revision);
        const ours = mark !== undefined && owner === mark.runId && pending.status === 'pending-upgrade' && pending.revision === input.fromRevision + 1;
        if (!ours) {
          throw ApplicationFailure.create({
            type: FailureType.ReleaseBusy,
            nonRetryable: false,
            message: `release ${input.release} in ${input.namespace} is ${pending.status} at revision ${pending.revision} by an operation that is not this run's${owner ? ` (run ${owner})` : ''}: not upgrading under it`,
          });
        }
        // Our own killed attempt's helm is still going: its --timeout bounds it.
        const waitMs = input.timeoutMs + 60_000;
        const settled = await waitWhilePending(input, waitMs, `this run's earlier helm upgrade (revision ${pending.revision})`);
        if (!settled) throw stillPending(input, pending, waitMs, 'not upgrading again under it');
        if (settled.status?.revision === pending.revision && settled.status.status === 'failed') throw endedFailed(input, 'helm upgrade', settled, pending.revision);
        before = settled;
      }
      const current = before.status;
      if (current && current.revision > input.fromRevision && current.status === 'deployed' && (!input.version || versionMatches(current.chartVersion, input.version))) {
        return { revision: current.revision, status: current.status, chartVersion: current.chartVersion, alreadyDone: true };
      }
      const context = currentRunContext();
      // The revision this attempt's helm creates (helm numbers from the last one, of any status).
      const ownRevision = (before.history.at(-1)?.revision ?? 0) + 1;
      // While helm waits, heartbeat the release's workloads (ready/desired), read in parallel.
      const watch = input.wait && context.heartbeat ? watchReleaseWorkloads(runner, ref(input), `helm upgrade --wait: the workloads of ${input.release} to be ready`) : undefined;
      const upgrade = () => withChartRepository(input.chart, (repositoryFlags) => withValuesFiles(workDir, input.values, (files) =>
        runner.run(
          {
            tool: 'helm',
            args: withHelmFlags(helmUpgradeArgs({
              ...ref(input),
              chart: input.chart.ref,
              version: input.version,
              valuesFiles: files,
              wait: input.wait,
              timeoutMs: input.timeoutMs,
              ...(input.cleanupOnFail ? { cleanupOnFail: true } : {}),
              ...(mark ? { mark: { description: mark.description, labels: mark.labels } } : {}),
            }), repositoryFlags),
            mutates: true,
            uninterruptible: true,
            // helm bounds itself with --timeout; this is the backstop.
            timeoutMs: input.timeoutMs + 60_000,
          },
          watch ? { ...context, progress: () => watch.progress() } : context,
        ),
        input.setString,
      ));
      try {
        await upgrade();
      } catch (err) {
        throw mark ? await unlockIfOwnHelmLeftPending(input, mark.runId, ownRevision, err) : err;
      } finally {
        await watch?.stop();
      }
      const after = await releaseState(ref(input));
      return { revision: after.status?.revision ?? 0, status: after.status?.status ?? 'unknown', chartVersion: after.status?.chartVersion, alreadyDone: false };
    },

    /** `helm rollback <release> [revision] --wait`; not repeated when an earlier attempt already rolled back. */
    async helmRollback(input: RollbackRequest): Promise<{ revision: number; alreadyDone: boolean }> {
      let before = await releaseState(ref(input));
      const pending = before.status && isPending(before.status.status) ? before.status : undefined;
      if (pending) {
        // Never roll back under a pending operation: helm would not refuse, and the pending
        // one would then mark its revision deployed after ours. Wait for it to end.
        const pendingEntry = before.history.find((h) => h.revision === pending.revision);
        const ownRollback =
          pending.status === 'pending-rollback' &&
          input.toRevision !== undefined &&
          (input.afterRevision === undefined || pending.revision > input.afterRevision) &&
          pendingEntry?.description === `Rollback to ${input.toRevision}`;
        const waitMs = input.pendingWaitMs ?? input.timeoutMs;
        const settled = await waitWhilePending(input, waitMs, `${pending.status} at revision ${pending.revision}`);
        if (!settled) throw stillPending(input, pending, waitMs, 'helm rollback was not run');
        if (ownRollback && settled.status?.revision === pending.revision) {
          if (settled.status.status === 'deployed') return { revision: pending.revision, alreadyDone: true };
          if (settled.status.status === 'failed') throw endedFailed(input, 'helm rollback', settled, pending.revision);
        }
        before = settled;
      }
      const last = before.history.at(-1);
      if (
        last &&
        input.afterRevision !== undefined &&
        last.revision > input.afterRevision &&
        last.status === 'deployed' &&
        input.toRevision !== undefined &&
        last.description === `Rollback to ${input.toRevision}`
      ) {
        return { revision: last.revision, alreadyDone: true };
      }
      await runner.run(
        {
          tool: 'helm',
          args: helmRollbackArgs({ ...ref(input), revision: input.toRevision, wait: input.wait, timeoutMs: input.timeoutMs }),
          mutates: true,
          uninterruptible: true,
          timeoutMs: input.timeoutMs + 60_000,
        },
        currentRunContext(),
      );
      const after = await releaseState(ref(input));
      return { revision: after.status?.revision ?? 0, alreadyDone: false };
    },
  };
}

export type HelmActivities = ReturnType<typeof createHelmActivities>;

/**
 * What a failed helm said, for a description in helm history: its exit and the last line of
 * its stderr (helm's "Error: ..."), not the runner's message, which starts with the whole
 * command line.
 */
export function helmErrorOf(err: unknown): string {
  const detail = (err instanceof ApplicationFailure ? err.details?.[0] : undefined) as { exitCode?: number; stderrTail?: string } | undefined;
  const said =
    detail?.exitCode !== undefined
      ? `helm exited ${detail.exitCode}: ${detail.stderrTail?.trim().split('\n').at(-1) || 'no output (killed)'}`
      : ((err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '');
  return said.length > 240 ? `${said.slice(0, 239)}…` : said;
}

/** Failures of `helm template` that are not about the chart: fetching it over the network, a timeout, helm missing. */
const NOT_RENDER_FAILURES: ReadonlySet<string> = new Set([
  FailureType.ClusterUnreachable,
  FailureType.ServerUnavailable,
  FailureType.CommandTimeout,
  FailureType.CommandNotFound,
]);

/**
 * A chart that does not render (kubeVersion constraint, template error, values rejected by
 * the chart's schema, a missing template) renders the same way on every attempt: it is a
 * permanent RenderFailed that says so, with helm's own error kept whole.
 */
export function asRenderFailure(err: unknown, input: { chart: ChartSource; version?: string }): unknown {
  if (!(err instanceof ApplicationFailure) || (err.type && NOT_RENDER_FAILURES.has(err.type))) return err;
  const details = (err.details?.[0] ?? {}) as { stderrTail?: string };
  const chart = `${input.chart.ref}${input.version ? ` ${input.version}` : ''}`;
  return ApplicationFailure.create({
    type: FailureType.RenderFailed,
    nonRetryable: true,
    message: `helm template of ${chart} failed (a render error is permanent, not retried): ${details.stderrTail ?? err.message}`,
    details: err.details ? [...err.details] : [],
    cause: err,
  });
}

/** A chart version against what the run asked for: an exact version, or a range such as "2.x". */
export function versionMatches(actual: string | undefined, wanted: string): boolean {
  if (!actual) return false;
  if (semver.valid(wanted)) return semver.eq(actual, wanted);
  return semver.validRange(wanted) !== null && semver.satisfies(actual, wanted, { includePrerelease: true });
}
