/**
 * helm steps shared by every runbook. Each is idempotent: it reads the release first and
 * does nothing when a previous attempt already did the work (a retried activity after a
 * worker crash must not upgrade or roll back twice).
 */
import { ApplicationFailure } from '@temporalio/common';
import semver from 'semver';
import type { ChartSource, Values } from '../../domain/chart.js';
import { FailureType } from '../../domain/failure-types.js';
import type { KubeTarget } from '../../domain/kube-target.js';
import type { CommandRunner } from '../command.js';
import { currentRunContext } from '../run-context.js';
import {
  helmGetManifestArgs,
  helmHistoryArgs,
  helmListArgs,
  helmRepoAddArgs,
  helmRepoUpdateArgs,
  helmRollbackArgs,
  helmStatusArgs,
  helmTemplateArgs,
  helmUpgradeArgs,
  type ReleaseRef,
} from './commands.js';
import { isPending, parseHistory, parseList, parseReleaseStatus, type HistoryEntry, type ListedRelease, type ReleaseStatus } from './parse.js';
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
  /** --set-string pairs added after the values (image.tag overrides). */
  setString?: Record<string, string>;
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
}

export interface HelmDeps {
  runner: CommandRunner;
  /** Where inline values are written for helm (mode 0600, removed after the command). */
  workDir: string;
}

const ref = (r: ReleaseRef): ReleaseRef => ({ release: r.release, namespace: r.namespace, kube: r.kube });

/**
 * helm 3 `status -o json` has no `chart` field (helm 3.21 prints name, info, config,
 * manifest, version, namespace), so the chart name and versions come from the release's
 * `helm list` row ("soctalk-system-0.1.0", same latest revision) when status lacks them.
 */
export function withChartOf(status: ReleaseStatus, listed: ListedRelease): ReleaseStatus {
  if (status.chartVersion || listed.revision !== status.revision || !listed.chartVersion) return status;
  return {
    ...status,
    chartName: listed.chartName,
    chartVersion: listed.chartVersion,
    ...(status.appVersion || !listed.appVersion ? {} : { appVersion: listed.appVersion }),
  };
}

export function createHelmActivities({ runner, workDir }: HelmDeps) {
  async function releaseState(r: ReleaseRef): Promise<ReleaseState> {
    const ctx = currentRunContext();
    const listed = await runner.run({ tool: 'helm', args: helmListArgs(r.namespace, r.kube), mutates: false }, ctx);
    const entry = parseList(listed.stdout).find((x) => x.name === r.release);
    if (!entry) return { exists: false, history: [] };
    const status = await runner.run({ tool: 'helm', args: helmStatusArgs(r), mutates: false }, ctx);
    const history = await runner.run({ tool: 'helm', args: helmHistoryArgs(r), mutates: false }, ctx);
    return { exists: true, status: withChartOf(parseReleaseStatus(status.stdout), entry), history: parseHistory(history.stdout) };
  }

  async function syncRepository(chart: ChartSource): Promise<void> {
    if (!chart.repository) return;
    const ctx = currentRunContext();
    // Adding a repository only changes the worker's local helm config, not the cluster.
    await runner.run({ tool: 'helm', args: helmRepoAddArgs(chart.repository.name, chart.repository.url), mutates: false }, ctx);
    await runner.run({ tool: 'helm', args: helmRepoUpdateArgs(chart.repository.name), mutates: false }, ctx);
  }

  return {
    /** `helm list`, `helm status` and `helm history` of one release. */
    helmReleaseState: releaseState,

    /** The releases in a namespace (all statuses). */
    async helmListReleases(input: { namespace: string; kube: KubeTarget }): Promise<ListedRelease[]> {
      const out = await runner.run({ tool: 'helm', args: helmListArgs(input.namespace, input.kube), mutates: false }, currentRunContext());
      return parseList(out.stdout);
    },

    /** `helm repo add --force-update` + `helm repo update`, the runbook's first step for repository charts. */
    async helmRepoSync(chart: ChartSource): Promise<void> {
      await syncRepository(chart);
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

    /** The live release's manifest (`helm get manifest`). */
    async helmGetManifest(input: ReleaseRef & { revision?: number }): Promise<string> {
      const out = await runner.run({ tool: 'helm', args: helmGetManifestArgs(ref(input), input.revision), mutates: false }, currentRunContext());
      return out.stdoutRedacted;
    },

    /** `helm template` of the target chart, optionally only one template (`--show-only`). */
    async helmTemplate(input: ChartRequest & { showOnly?: string }): Promise<string> {
      await syncRepository(input.chart);
      return withValuesFiles(workDir, input.values, async (files) => {
        const out = await runner.run(
          {
            tool: 'helm',
            args: helmTemplateArgs(
              { ...ref(input), chart: input.chart.ref, version: input.version, valuesFiles: files, setString: input.setString ?? {} },
              input.showOnly,
            ),
            mutates: false,
          },
          currentRunContext(),
        );
        return out.stdout;
      });
    },

    /**
     * `helm upgrade --wait --timeout`. Not interrupted by cancellation (a killed helm
     * leaves the release in pending-upgrade); a retry after a successful attempt returns
     * the existing revision instead of upgrading again.
     */
    async helmUpgrade(input: UpgradeRequest): Promise<UpgradeResult> {
      const before = await releaseState(ref(input));
      const current = before.status;
      if (current && current.revision > input.fromRevision && current.status === 'deployed' && (!input.version || versionMatches(current.chartVersion, input.version))) {
        return { revision: current.revision, status: current.status, chartVersion: current.chartVersion, alreadyDone: true };
      }
      await syncRepository(input.chart);
      const context = currentRunContext();
      // While helm waits, heartbeat the release's workloads (ready/desired), read in parallel.
      const watch = input.wait && context.heartbeat ? watchReleaseWorkloads(runner, ref(input), `helm upgrade --wait: the workloads of ${input.release} to be ready`) : undefined;
      await withValuesFiles(workDir, input.values, (files) =>
        runner.run(
          {
            tool: 'helm',
            args: helmUpgradeArgs({
              ...ref(input),
              chart: input.chart.ref,
              version: input.version,
              valuesFiles: files,
              setString: input.setString ?? {},
              wait: input.wait,
              timeoutMs: input.timeoutMs,
              ...(input.cleanupOnFail ? { cleanupOnFail: true } : {}),
            }),
            mutates: true,
            uninterruptible: true,
            // helm bounds itself with --timeout; this is the backstop.
            timeoutMs: input.timeoutMs + 60_000,
          },
          watch ? { ...context, progress: () => watch.progress() } : context,
        ),
      ).finally(() => watch?.stop());
      const after = await releaseState(ref(input));
      return { revision: after.status?.revision ?? 0, status: after.status?.status ?? 'unknown', chartVersion: after.status?.chartVersion, alreadyDone: false };
    },

    /** `helm rollback <release> [revision] --wait`; not repeated when an earlier attempt already rolled back. */
    async helmRollback(input: RollbackRequest): Promise<{ revision: number; alreadyDone: boolean }> {
      const before = await releaseState(ref(input));
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

/** A chart version against what the run asked for: an exact version, or a range such as "2.x". */
export function versionMatches(actual: string | undefined, wanted: string): boolean {
  if (!actual) return false;
  if (semver.valid(wanted)) return semver.eq(actual, wanted);
  return semver.validRange(wanted) !== null && semver.satisfies(actual, wanted, { includePrerelease: true });
}
