/**
 * OpenCTI chart v1 -> v2 activities.
 *
 * Plan: reads the operator's values, runs the pure migration, renders the target with the
 * generated values (`helm template`, as the cluster would) and reads the live revision
 * (`helm get manifest`); every object the run expects (Deployments, Services, Ingresses,
 * where workers and connectors connect, health targets) comes from those manifests,
 * classified by the chart's labels, never from computed names. It returns a digest, a
 * redacted preview, the diff, the env it promises and the findings; values never enter
 * history and no file outlives the activity.
 *
 * Apply: generates the same values again from the same inputs inside the activity that
 * runs `helm upgrade`, refuses when the digest is not the approved one, and removes the
 * file afterwards: no activity depends on another worker's disk.
 *
 * Verify: the live Deployments, pods, Services, Ingresses, routing, the promised env and
 * /health against the rendered target. Failures are VerificationFailed: retryable while
 * things may still settle, non-retryable when waiting cannot help.
 */
import { describeParseError } from '../parse-errors.js';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ApplicationFailure } from '@temporalio/common';
import { parse as parseYaml, stringify } from 'yaml';
import type { ChartSource, Values } from '../../domain/chart.js';
import type { ClusterCapabilities } from '../../domain/cluster-capabilities.js';
import { FailureType } from '../../domain/failure-types.js';
import type { KubeTarget } from '../../domain/kube-target.js';
import { chartDefects } from '../../domain/opencti/chart-defects.js';
import type { HealthCheck, HealthKey } from '../../domain/opencti/inputs.js';
import { releaseObjects, renderedTopology, urlPointsAt, type IngressObject, type PlatformComponent, type PlatformTarget, type RenderedTopology, type RouteTarget } from '../../domain/opencti/manifest.js';
import { PROBE_KEY_FIX, probeKeyChecks, promiseChecks, renderedChecks } from '../../domain/opencti/render-checks.js';
import {
  chartVersionWarnings,
  disableCluster,
  disableClustering,
  migrateToClustering,
  type ClusteringMigrationOptions,
  type EnvPromise,
  type ValuesChange,
  type ValuesWarning,
} from '../../domain/opencti/values-migration.js';
import { diffValues, formatDiff, isMap, mergeOverlays, redactValues, setPath, type ValuesMap } from '../../domain/opencti/values.js';
import type { CommandRunner, RunContext } from '../command.js';
import type { HelmActivities, UpgradeResult } from '../helm/activities.js';
import { kubectlGetJsonArgs, kubectlPortForwardArgs, type Scope } from '../kubectl/commands.js';
import { currentRunContext } from '../run-context.js';
import { assertSecretEnvOrigin, readAllowedSecretEnv } from '../secret-env.js';
import { parseDeployments, parseEndpointSlices, parseIngresses, parsePods, parseServices, secretValue } from './kube-json.js';

export interface OpenctiRef {
  release: string;
  namespace: string;
  kube: KubeTarget;
}

export type ValuesChangeKind = 'none' | 'clustering' | 'disable-clustering' | 'disable-frontend' | 'disable-ingestion';

export interface PlanValuesRequest extends OpenctiRef {
  /** The operator's values as the workflow got them (files on the worker, inline, --set-string). */
  values: Values;
  change: ValuesChangeKind;
  /** The target chart: rendered with the generated values before approval. */
  chart: ChartSource;
  version: string;
  /** The live cluster's version and API versions: the target is rendered as this cluster renders it. */
  capabilities?: ClusterCapabilities;
  /** For `clustering` (and the chart version check of every change). */
  migration?: Omit<ClusteringMigrationOptions, 'release'>;
  /**
   * For the rollback changes: `values` are the single-mode values a clustering migration
   * started from; the migration (pure, so the same result) is replayed first with these
   * options, and the change applies to its result.
   */
  replayMigration?: Omit<ClusteringMigrationOptions, 'release' | 'targetVersion' | 'minimumChartVersion'>;
}

export interface ValuesPlan {
  change: ValuesChangeKind;
  /** sha256 of the generated values: the apply step regenerates them and refuses any other digest. */
  sha256: string;
  warnings: ValuesWarning[];
  /** `+ clustering.enabled: true` lines, secrets hidden. */
  diff: string[];
  /** The resulting values as YAML, secrets hidden, for the approval gate. */
  preview: string;
  /** Env values the run sets explicitly and verification checks on the live Deployments. */
  promise: EnvPromise[];
  /** What the target renders (names, Services, Ingresses, routes), from `helm template`. */
  topology: RenderedTopology;
  /** The live revision's objects, summarised: Deployments and Ingresses. */
  live: { deployments: string[]; ingresses: string[] };
}

export interface ApplyValuesRequest extends PlanValuesRequest {
  /** The approved digest; omitted only by a compensation, which has no approval. */
  expectSha256?: string;
  timeoutMs: number;
  fromRevision: number;
  cleanupOnFail?: boolean;
}

export interface PodsReport {
  total: number;
  ready: number;
  byComponent: Record<string, { ready: number; total: number }>;
}

export interface ServicesReport {
  services: Array<{ name: string; readyEndpoints: number }>;
}

export interface DeploymentsReport {
  deployments: Array<{ name: string; ready: number; desired: number }>;
}

export interface RoutingReport {
  checked: Array<{ deployment: string; role: string; url?: string; note?: string }>;
}

export interface HealthTarget {
  component: PlatformComponent;
  service: string;
  port?: number;
}

export interface HealthReport {
  checked: Array<{ component: PlatformComponent; status: number; url: string }>;
}

export interface OpenctiDeps {
  runner: CommandRunner;
  helm: HelmActivities;
  /** HTTP for /health (default: the global fetch). */
  fetch?: typeof fetch;
  /** Where `{env: NAME}` health keys are read (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

const PREVIEW_MAX = 12_000;

/** The chart's own instance label: every object of the release carries it, whatever nameOverride says. */
export const instanceSelector = (release: string): string => `app.kubernetes.io/instance=${release}`;

function verificationFailed(message: string, retryable: boolean): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.VerificationFailed, message, nonRetryable: !retryable });
}

const scope = (r: OpenctiRef): Scope => ({ namespace: r.namespace, kube: r.kube });
const refOf = (r: OpenctiRef): OpenctiRef => ({ release: r.release, namespace: r.namespace, kube: r.kube });

/** The operator's values as helm merges them: files in order, then inline, then --set-string pairs. */
export async function loadValues(values: Values): Promise<ValuesMap> {
  let merged: ValuesMap = {};
  for (const file of values.files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw ApplicationFailure.create({
        type: code === 'ENOENT' ? FailureType.NotFound : FailureType.InvalidValues,
        nonRetryable: true,
        message: `values file ${file} cannot be read on the worker (${code ?? String(err)})`,
      });
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(text) ?? {};
    } catch (err) {
      throw ApplicationFailure.create({ type: FailureType.InvalidValues, nonRetryable: true, message: describeParseError(`values file ${file}`, err) });
    }
    if (!isMap(parsed)) throw ApplicationFailure.create({ type: FailureType.InvalidValues, nonRetryable: true, message: `values file ${file} is not a YAML map` });
    // Nulls are kept: in the operator's files they delete chart defaults, and must go on doing so.
    merged = mergeOverlays(merged, parsed);
  }
  if (values.inline) merged = mergeOverlays(merged, values.inline);
  for (const [path, value] of Object.entries(values.set)) setPath(merged, path.split('.'), value);
  return merged;
}

type ChangeRequest = Pick<PlanValuesRequest, 'release' | 'change' | 'migration' | 'replayMigration'>;

/** The pure migration for a change kind (after replaying the clustering migration when asked). */
export function planChange(original: ValuesMap, request: ChangeRequest): ValuesChange {
  if (request.replayMigration && request.change !== 'clustering' && request.change !== 'none') {
    const migrated = migrateToClustering(original, { ...request.replayMigration, release: request.release });
    const change = planChange(migrated.values, { ...request, replayMigration: undefined });
    const overlay = mergeOverlays(migrated.overlay, change.overlay);
    // The migration's own notes are kept; its blocking ones (invalid values) still block.
    return { overlay, values: change.values, diff: diffValues(original, change.values), warnings: uniqueWarnings([...migrated.warnings, ...change.warnings]), promise: change.promise };
  }
  return planOne(original, request);
}

function planOne(original: ValuesMap, request: ChangeRequest): ValuesChange {
  const release = request.release;
  const versionWarnings = () => chartVersionWarnings(request.migration?.targetVersion, request.migration?.minimumChartVersion ?? '2.0.0');
  switch (request.change) {
    case 'clustering':
      return migrateToClustering(original, { ...request.migration, release });
    case 'disable-clustering': {
      const change = disableClustering(original, { release });
      return { ...change, warnings: [...change.warnings, ...versionWarnings()] };
    }
    case 'disable-frontend':
    case 'disable-ingestion': {
      const change = disableCluster(original, request.change === 'disable-frontend' ? 'frontend' : 'ingestion', { release });
      return { ...change, warnings: [...change.warnings, ...versionWarnings()] };
    }
    case 'none': {
      const warnings = versionWarnings();
      if (isMap(original.clustering) && original.clustering.enabled === true) {
        warnings.push({
          code: 'clustering-enabled',
          path: 'clustering.enabled',
          message: 'these values enable clustering: the in-place upgrade keeps single mode; use the clustering migration runbook',
          blocking: true,
        });
      }
      return { overlay: {}, values: original, diff: diffValues(original, original), warnings, promise: [] };
    }
  }
}

/** The generated values as helm reads them, and their digest (stable for the same inputs). */
function generated(change: ValuesChange): { content: string; sha256: string } {
  const content = stringify(change.values);
  return { content, sha256: createHash('sha256').update(content).digest('hex') };
}

/** The generated values for helm: one private file written and removed by the helm activity that uses it. */
const asHelmValues = (change: ValuesChange): Values => ({ files: [], inline: change.values, set: {} });

export function createOpenctiActivities(deps: OpenctiDeps) {
  const { runner, helm } = deps;
  const fetchFn = deps.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  const env = deps.env ?? process.env;

  async function getJson(r: OpenctiRef, kind: string, opts: { name?: string; selector?: string }, ctx: RunContext): Promise<string> {
    const out = await runner.run({ tool: 'kubectl', args: kubectlGetJsonArgs(scope(r), kind, opts), mutates: false, timeoutMs: 60_000 }, ctx);
    return out.stdout;
  }

  async function healthKey(r: OpenctiRef, key: HealthKey | undefined, ctx: RunContext): Promise<string | undefined> {
    if (!key) return undefined;
    let value: string | undefined;
    if ('env' in key) {
      // Allow-listed by the worker (RUNBOOK_SECRET_ENV_ALLOWLIST) before it is read.
      value = readAllowedSecretEnv(env, key.env, 'health.accessKey.env');
    } else {
      const text = await getJson(r, 'secret', { name: key.secretRef.name }, ctx);
      value = secretValue(text, key.secretRef.key);
      if (!value) {
        throw ApplicationFailure.create({
          type: FailureType.NotFound,
          nonRetryable: true,
          message: `health access key: Secret ${key.secretRef.name} in ${r.namespace} has no key ${key.secretRef.key}`,
        });
      }
    }
    runner.redactor.addSecret(value);
    return value;
  }

  /** The live revision's manifest as objects; an absent release has none. */
  async function liveObjects(r: OpenctiRef) {
    const manifest = await helm.helmGetManifest(refOf(r));
    return releaseObjects(manifest, r.release);
  }

  /** Compares rendered probe keys with the Secret the pods read; the key values stay here. */
  async function probeFindings(r: OpenctiRef, target: ReturnType<typeof releaseObjects>, ctx: RunContext): Promise<ValuesWarning[]> {
    const out: ValuesWarning[] = [];
    for (const check of probeKeyChecks(target)) {
      let actual: string | undefined;
      try {
        actual = secretValue(await getJson(r, 'secret', { name: check.secret.name }, ctx), check.secret.key);
      } catch {
        actual = undefined;
      }
      if (actual !== undefined) runner.redactor.addSecret(actual);
      if (actual === check.probeKey) continue;
      out.push({
        code: 'probe-health-key',
        path: `Deployment/${check.deployment}`,
        message:
          `${check.deployment}'s probes call /health?health_access_key=${check.probeKey === '' ? '(empty)' : check.probeKey === 'ChangeMe' ? 'ChangeMe (the chart default)' : '(a literal from the values)'} ` +
          `but the pods get APP__HEALTH_ACCESS_KEY from Secret ${check.secret.name} key ${check.secret.key}` +
          (actual === undefined ? ' (not readable now: it must exist before the pods start)' : ', which holds another key: the pods would never become Ready') +
          `. Fix: ${PROBE_KEY_FIX}`,
        blocking: actual !== undefined,
      });
    }
    return out;
  }

  async function plan(request: PlanValuesRequest): Promise<{ plan: ValuesPlan; change: ValuesChange }> {
    const ctx = currentRunContext();
    const original = await loadValues(request.values);
    // By value too: a password under an innocent key, or in a URL, is hidden everywhere.
    runner.redactor.addSecretsFrom(original);
    const change = planChange(original, request);
    const { sha256 } = generated(change);
    const preview = runner.redactor.text(stringify(redactValues(change.values)));
    const live = await liveObjects(request);
    const warnings: ValuesWarning[] = [...change.warnings];
    for (const d of change.warnings.some((w) => w.code === 'chart-too-old') ? [] : chartDefects(request.version, change.values)) {
      warnings.push({ code: 'known-chart-defect', path: `version (${d.id})`, message: d.message, blocking: d.blocking });
    }
    let topology: RenderedTopology = { clustering: false, platform: [], deployments: [], services: [], ingresses: [], routes: [] };
    const blockedByDefect = warnings.some((w) => w.blocking && w.code === 'known-chart-defect');
    // A target older than the first v2 is refused as it is: rendering it would only add noise.
    const tooOld = change.warnings.some((w) => w.blocking && w.code === 'chart-too-old');
    if (!tooOld) try {
      const manifest = await helm.helmTemplate({
        ...refOf(request),
        chart: request.chart,
        version: request.version,
        values: asHelmValues(change),
        ...(request.capabilities ? { capabilities: request.capabilities } : {}),
      });
      const target = releaseObjects(manifest, request.release);
      topology = renderedTopology(target);
      warnings.push(...promiseChecks(target, change.promise), ...renderedChecks(target, topology, live), ...(await probeFindings(request, target, ctx)));
    } catch (err) {
      if (!(err instanceof ApplicationFailure) || err.type !== FailureType.RenderFailed) throw err;
      // A chart that does not render these values must stop the run here, with helm's words.
      if (!blockedByDefect || !/already (set|defined)|mapping key/i.test(err.message)) {
        warnings.push({ code: 'render-failed', path: 'chart', message: `helm template ${request.chart.ref} ${request.version} fails with the generated values: ${runner.redactor.text(err.message).slice(0, 600)}`, blocking: true });
      }
    }
    return {
      change,
      plan: {
        change: request.change,
        sha256,
        warnings: uniqueWarnings(warnings).map((w) => ({ ...w, message: runner.redactor.text(w.message) })),
        diff: formatDiff(change.diff).map((line) => runner.redactor.text(line)),
        preview: preview.length > PREVIEW_MAX ? `${preview.slice(0, PREVIEW_MAX)}\n# ... (${preview.length - PREVIEW_MAX} more characters)` : preview,
        promise: change.promise,
        topology,
        live: { deployments: live.workloads.map((w) => w.name), ingresses: live.ingresses.map((i) => i.name) },
      },
    };
  }

  async function checkDeployments(input: OpenctiRef & { expect: RenderedTopology['deployments'] }): Promise<DeploymentsReport> {
    const all = parseDeployments(await getJson(input, 'deployments', { selector: instanceSelector(input.release) }, currentRunContext()));
    const problems: string[] = [];
    const report: DeploymentsReport = { deployments: [] };
    for (const e of input.expect) {
      const d = all.find((x) => x.name === e.name);
      if (!d) {
        problems.push(`Deployment ${e.name} (${e.role}) not found`);
        continue;
      }
      report.deployments.push({ name: d.name, ready: d.ready, desired: d.desired });
      // kubectl rollout status's rule: every replica updated, no old one left, the updated ones available.
      if (!d.observed || d.updated < d.desired || d.total > d.updated || d.available < d.updated) {
        problems.push(`Deployment ${d.name} still rolling out (${d.updated}/${d.desired} updated, ${d.available} available, ${d.total - d.updated} old)`);
      }
      if (d.ready < e.replicas) problems.push(`Deployment ${d.name} has ${d.ready} ready replicas, expected ${e.replicas}`);
    }
    if (problems.length > 0) throw verificationFailed(problems.join('; '), !problems.every((p) => p.endsWith('not found')));
    return report;
  }

  async function checkServices(input: OpenctiRef & { services: string[] }): Promise<ServicesReport> {
    const ctx = currentRunContext();
    const services = parseServices(await getJson(input, 'services', { selector: instanceSelector(input.release) }, ctx));
    const wanted = input.services;
    const missing = wanted.filter((name) => !services.some((s) => s.name === name));
    if (missing.length > 0 || wanted.length === 0) {
      throw verificationFailed(
        `Service ${missing.join(', ') || 'of the release'} not found in ${input.namespace} (found: ${services.map((s) => s.name).join(', ') || 'none'})`,
        false,
      );
    }
    const slices = parseEndpointSlices(await getJson(input, 'endpointslices', { selector: `kubernetes.io/service-name in (${wanted.join(',')})` }, ctx));
    const report: ServicesReport = { services: wanted.map((name) => ({ name, readyEndpoints: slices.get(name)?.ready ?? 0 })) };
    const empty = report.services.filter((s) => s.readyEndpoints === 0);
    if (empty.length > 0) {
      const describe = (name: string) => {
        const notReady = slices.get(name)?.notReady ?? 0;
        return `Service ${name} has no ready endpoints${notReady ? ` (${notReady} not ready)` : ': it selects no ready pod'}`;
      };
      throw verificationFailed(empty.map((s) => describe(s.name)).join('; '), true);
    }
    return report;
  }

  /** Runs `use` with a local URL forwarded to svc/<service>:<port>, then ends the port-forward. */
  async function withPortForward<T>(r: OpenctiRef, service: string, port: number, ctx: RunContext, use: (baseUrl: string) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const onOuterAbort = () => controller.abort();
    ctx.signal?.addEventListener('abort', onOuterAbort, { once: true });
    let found: (url: string) => void = () => undefined;
    const local = new Promise<string>((resolve) => (found = resolve));
    const forwarding = runner.run(
      { tool: 'kubectl', args: kubectlPortForwardArgs(scope(r), `svc/${service}`, port), mutates: false, timeoutMs: 10 * 60_000 },
      {
        signal: controller.signal,
        heartbeat: (details) => {
          ctx.heartbeat?.(details);
          const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(details.lastLines.join('\n'));
          if (m) found(`http://127.0.0.1:${m[1]}`);
        },
      },
    );
    const ended = forwarding.then(
      () => Promise.reject(verificationFailed(`kubectl port-forward svc/${service} ended before forwarding`, true)),
      (err: unknown) => Promise.reject(err instanceof Error ? err : new Error(String(err))),
    );
    try {
      const baseUrl = await Promise.race([local, ended]);
      return await use(baseUrl);
    } finally {
      ctx.signal?.removeEventListener('abort', onOuterAbort);
      controller.abort();
      await forwarding.catch(() => undefined);
      ended.catch(() => undefined);
    }
  }

  async function checkOne(component: PlatformComponent, baseUrl: string, key: string | undefined, health: HealthCheck): Promise<{ status: number; url: string }> {
    const shown = `${baseUrl.replace(/\/$/, '')}${health.path}`;
    // The joined URL must stay on the base's origin: the access key goes nowhere else.
    try {
      const joined = new URL(shown);
      if (joined.origin !== new URL(baseUrl).origin || joined.search || joined.hash) throw new Error(`${health.path} leaves ${new URL(baseUrl).origin}`);
    } catch (err) {
      throw ApplicationFailure.create({ type: FailureType.InvalidInput, nonRetryable: true, message: `health.path: ${(err as Error).message}: use a path such as /health` });
    }
    if (key && health.accessKey && 'env' in health.accessKey) assertSecretEnvOrigin(env, health.accessKey.env, 'health.accessKey.env', shown);
    const url = key ? `${shown}?health_access_key=${encodeURIComponent(key)}` : shown;
    let response: Response;
    try {
      response = await fetchFn(url, { signal: AbortSignal.timeout(health.requestTimeout), redirect: 'manual' });
    } catch (err) {
      throw verificationFailed(runner.redactor.text(`${component} health ${shown} did not answer: ${(err as Error).message}`), true);
    }
    await response.body?.cancel().catch(() => undefined);
    if (response.status === 401 || response.status === 403) {
      throw verificationFailed(
        `${component} health ${shown} answered ${response.status}: health access key missing or still the default (set APP__HEALTH_ACCESS_KEY and reference it in health.accessKey)`,
        false,
      );
    }
    if (response.status < 200 || response.status >= 300) {
      throw verificationFailed(`${component} health ${shown} answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`, true);
    }
    return { status: response.status, url: shown };
  }

  return {
    /**
     * Plans a values change: generated values (digest, redacted preview, diff, promised env),
     * the target rendered with them and the live revision's objects, and every finding
     * (known chart defects, traps of the real chart, promises the render would not keep).
     */
    async openctiPlanValues(request: PlanValuesRequest): Promise<ValuesPlan> {
      return (await plan(request)).plan;
    },

    /**
     * Generates the values again (same inputs, same digest) and runs `helm upgrade --wait`
     * with them in this one activity; a digest other than the approved one is refused.
     */
    async openctiApplyValues(request: ApplyValuesRequest): Promise<UpgradeResult & { sha256: string }> {
      const original = await loadValues(request.values);
      const change = planChange(original, request);
      const { sha256 } = generated(change);
      if (request.expectSha256 && sha256 !== request.expectSha256) {
        throw ApplicationFailure.create({
          type: FailureType.InvalidValues,
          nonRetryable: true,
          message: `the generated values changed since they were approved (sha256 ${request.expectSha256.slice(0, 12)} -> ${sha256.slice(0, 12)}): the values files were edited; start a new run`,
        });
      }
      const result = await helm.helmUpgrade({
        ...refOf(request),
        chart: request.chart,
        version: request.version,
        values: asHelmValues(change),
        wait: true,
        timeoutMs: request.timeoutMs,
        fromRevision: request.fromRevision,
        ...(request.cleanupOnFail ? { cleanupOnFail: true } : {}),
      });
      return { ...result, sha256 };
    },

    /** What the live revision renders (after a helm rollback: whatever that revision had). */
    async openctiLiveTopology(input: OpenctiRef): Promise<RenderedTopology> {
      return renderedTopology(await liveObjects(input));
    },

    /**
     * Where a compensation left the release: deployed, on the expected chart version, and
     * every Deployment of the live revision rolled out with its Services' endpoints ready.
     */
    async openctiVerifyLeft(input: OpenctiRef & { chartVersion?: string; revision?: number }): Promise<string> {
      const state = await helm.helmReleaseState(refOf(input));
      const status = state.status;
      if (!status || status.status !== 'deployed') {
        throw verificationFailed(`${input.release} is ${status?.status ?? 'missing'} at revision ${status?.revision ?? '?'}: manual action needed`, false);
      }
      if (input.chartVersion && status.chartVersion !== input.chartVersion) {
        throw verificationFailed(`${input.release} runs chart ${status.chartVersion ?? '?'}, not ${input.chartVersion}, at revision ${status.revision}`, false);
      }
      const topology = renderedTopology(await liveObjects(input));
      const deployments = await checkDeployments({ ...refOf(input), expect: topology.deployments });
      const services = topology.services.length > 0 ? await checkServices({ ...refOf(input), services: topology.services }) : { services: [] };
      return (
        `revision ${status.revision} deployed on chart ${status.chartVersion ?? '?'}; ` +
        `${deployments.deployments.map((d) => `${d.name} ${d.ready}/${d.desired}`).join(', ')}; ` +
        `${services.services.map((s) => `${s.name} ${s.readyEndpoints} endpoints`).join(', ') || 'no Services'}`
      );
    },

    /** Every pod of the release Running and Ready, and at least the expected number per platform component. */
    async openctiCheckPods(input: OpenctiRef & { expect: Array<Pick<PlatformTarget, 'component' | 'replicas'>> }): Promise<PodsReport> {
      const pods = parsePods(await getJson(input, 'pods', { selector: instanceSelector(input.release) }, currentRunContext())).filter((p) => !p.terminating);
      const problems: string[] = [];
      const byComponent: PodsReport['byComponent'] = {};
      for (const p of pods) {
        const c = (byComponent[p.component ?? 'connector'] ??= { ready: 0, total: 0 });
        c.total += 1;
        if (p.phase === 'Running' && p.ready) c.ready += 1;
        else problems.push(`${p.name} ${p.phase}${p.ready ? '' : ', not Ready'}${p.reason ? ` (${p.reason})` : ''}`);
      }
      const short = input.expect
        .filter((e) => (byComponent[e.component]?.ready ?? 0) < e.replicas)
        .map((e) => `${e.component}: ${byComponent[e.component]?.ready ?? 0} of ${e.replicas} pods Running and Ready`);
      problems.unshift(...(pods.length === 0 ? [`no pods match ${instanceSelector(input.release)}`] : []), ...short);
      if (problems.length > 0) throw verificationFailed(`pods not ready in ${input.namespace}: ${problems.join('; ')}`, true);
      return { total: pods.length, ready: pods.length, byComponent };
    },

    /** Every Deployment the target renders rolled out (as `kubectl rollout status` judges it), with at least the expected replicas ready. */
    openctiCheckDeployments: checkDeployments,

    /** The env the run promised, read from the live Deployments: a missing or different value fails. */
    async openctiCheckPromise(input: OpenctiRef & { promise: EnvPromise[]; platform: Array<Pick<PlatformTarget, 'component' | 'deployment'>> }): Promise<{ checked: string[] }> {
      const all = parseDeployments(await getJson(input, 'deployments', { selector: instanceSelector(input.release) }, currentRunContext()));
      const problems: string[] = [];
      const checked: string[] = [];
      for (const p of input.promise) {
        const name = input.platform.find((x) => x.component === p.component)?.deployment;
        const d = name ? all.find((x) => x.name === name) : undefined;
        if (!d) {
          problems.push(`${p.path}=${p.value} promised, but no live ${p.component} Deployment${name ? ` ${name}` : ''}`);
          continue;
        }
        const got = d.env[p.name];
        if (got !== p.value) problems.push(`${d.name} runs ${p.name}=${got === undefined ? (p.name in d.env ? '(from a reference)' : '(not set)') : got}, promised ${p.value} (${p.path})`);
        else checked.push(`${d.name} ${p.name}=${got}`);
      }
      if (problems.length > 0) throw verificationFailed(`the release does not run what was promised: ${problems.join('; ')}`, false);
      return { checked };
    },

    /** The Services exist and each has ready endpoints (a Service selecting no ready pod fails the upgrade). */
    openctiCheckServices: checkServices,

    /** Each rendered Ingress exists and sends traffic to the Services it renders. */
    async openctiCheckIngresses(input: OpenctiRef & { ingresses: IngressObject[] }): Promise<{ checked: Array<{ name: string; hosts: string[] }> }> {
      const live = parseIngresses(await getJson(input, 'ingresses', {}, currentRunContext()));
      const problems: string[] = [];
      const checked: Array<{ name: string; hosts: string[] }> = [];
      for (const want of input.ingresses) {
        const found = live.find((i) => i.name === want.name);
        if (!found) {
          problems.push(`Ingress ${want.name} not found in ${input.namespace} (found: ${live.map((i) => i.name).join(', ') || 'none'})`);
          continue;
        }
        const missing = want.services.filter((s) => !found.services.includes(s));
        if (missing.length > 0) problems.push(`Ingress ${want.name} sends traffic to ${found.services.join(', ') || 'no Service'}, not ${missing.join(', ')}`);
        else checked.push({ name: found.name, hosts: found.hosts });
      }
      if (problems.length > 0) throw verificationFailed(problems.join('; '), false);
      return { checked };
    },

    /** Workers and connectors connect where the target renders them to: the live OPENCTI_URL reaches the rendered Service. */
    async openctiCheckRouting(input: OpenctiRef & { routes: RouteTarget[] }): Promise<RoutingReport> {
      const deployments = parseDeployments(await getJson(input, 'deployments', { selector: instanceSelector(input.release) }, currentRunContext()));
      const report: RoutingReport = { checked: [] };
      const problems: string[] = [];
      for (const route of input.routes) {
        const d = deployments.find((x) => x.name === route.deployment);
        if (!d) {
          problems.push(`${route.role} Deployment ${route.deployment} not found`);
          continue;
        }
        for (const c of d.openctiUrls) {
          if (c.fromReference) {
            report.checked.push({ deployment: d.name, role: route.role, note: 'OPENCTI_URL comes from a reference; not checked' });
          } else if (c.url === undefined) {
            problems.push(`${d.name} (${c.container}) has no OPENCTI_URL`);
          } else if (!route.service || !urlPointsAt(c.url, route.service)) {
            problems.push(`${d.name} (${c.container}) connects to ${c.url}, expected ${route.service ?? route.url ?? 'the rendered Service'}${route.component ? ` (${route.component})` : ''}`);
          } else {
            report.checked.push({ deployment: d.name, role: route.role, url: c.url });
          }
        }
      }
      if (problems.length > 0) throw verificationFailed(problems.join('; '), false);
      return report;
    },

    /** GET <base>/health?health_access_key=... for each platform Service as rendered; the key never leaves the activity. */
    async openctiCheckHealth(input: OpenctiRef & { targets: HealthTarget[]; health: HealthCheck }): Promise<HealthReport> {
      const ctx = currentRunContext();
      const key = await healthKey(input, input.health.accessKey, ctx);
      const report: HealthReport = { checked: [] };
      for (const t of input.targets) {
        const port = t.port ?? input.health.servicePort;
        let result: { status: number; url: string };
        if (input.health.via === 'port-forward') {
          result = await withPortForward(input, t.service, port, ctx, (base) => checkOne(t.component, base, key, input.health));
        } else {
          const base = input.health.via === 'url' ? input.health.baseUrls[t.component] : `http://${t.service}.${input.namespace}.svc:${port}`;
          if (!base) throw ApplicationFailure.create({ type: FailureType.InvalidInput, nonRetryable: true, message: `health.baseUrls.${t.component} is not set` });
          result = await checkOne(t.component, base, key, input.health);
        }
        report.checked.push({ component: t.component, ...result });
      }
      return report;
    },
  };
}

export type OpenctiActivities = ReturnType<typeof createOpenctiActivities>;

/** A replayed migration and the rollback it feeds can report the same trap: show it once. */
function uniqueWarnings<W extends { code: string; path?: string }>(warnings: W[]): W[] {
  return [...new Map(warnings.map((w) => [`${w.code}|${w.path ?? ''}`, w])).values()];
}
