/**
 * OpenCTI chart v1 -> v2 activities: the values plan (reads the operator's values, runs the
 * pure migration, writes the complete generated values file on the worker and returns its
 * path and digest with a redacted preview and the diff: values never enter history), and the
 * verification the upgrade guide describes, done properly: pods Running and Ready,
 * Deployments rolled out, Services with ready endpoints, the Ingress, where workers and
 * connectors point, and /health with the health access key.
 *
 * Verification failures are VerificationFailed: retryable while things may still settle
 * (pods not ready, no endpoints, a 503), non-retryable when waiting cannot help (a missing
 * Service or Ingress, a 401, a wrong URL).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { parse as parseYaml, stringify } from 'yaml';
import type { Values } from '../../domain/chart.js';
import { FailureType } from '../../domain/failure-types.js';
import type { KubeTarget } from '../../domain/kube-target.js';
import type { HealthCheck, HealthKey } from '../../domain/opencti/inputs.js';
import {
  chartVersionWarnings,
  disableCluster,
  disableClustering,
  expectedTopology,
  migrateToClustering,
  pointsAt,
  type ClusteringMigrationOptions,
  type Component,
  type PlatformExpectation,
  type Topology,
  type ValuesChange,
  type ValuesWarning,
} from '../../domain/opencti/values-migration.js';
import { diffValues, formatDiff, isMap, mergeOverlays, redactValues, setPath, type ValuesMap } from '../../domain/opencti/values.js';
import type { CommandRunner, RunContext } from '../command.js';
import { kubectlGetJsonArgs, kubectlPortForwardArgs, type Scope } from '../kubectl/commands.js';
import { currentRunContext } from '../run-context.js';
import { parseDeployments, parseEndpointSlices, parseIngresses, parsePods, parseServices, secretValue } from './kube-json.js';

export interface OpenctiRef {
  release: string;
  namespace: string;
  kube: KubeTarget;
}

export type ValuesChangeKind = 'none' | 'clustering' | 'disable-clustering' | 'disable-frontend' | 'disable-ingestion';

export interface PlanValuesRequest {
  release: string;
  namespace: string;
  /** The operator's values as the workflow got them (files on the worker, inline, --set-string). */
  values: Values;
  change: ValuesChangeKind;
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
  /**
   * The complete generated values (operator's values with the change applied), written on
   * the worker (mode 0600) for `helm upgrade -f`; absent for "none" (the operator's values
   * are used as given). A complete file rather than an overlay: helm cannot delete a key
   * set by an earlier -f file unless the chart's defaults have it (a null stays a null).
   */
  valuesFile?: string;
  /** sha256 of the generated values: the workflow checks that what it applies is what was approved. */
  sha256: string;
  warnings: ValuesWarning[];
  /** `+ clustering.enabled: true` lines, secrets hidden. */
  diff: string[];
  /** The resulting values as YAML, secrets hidden, for the approval gate. */
  preview: string;
  topology: Topology;
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
  checked: Array<{ deployment: string; component: string; url?: string; note?: string }>;
}

export interface HealthReport {
  checked: Array<{ component: Component; status: number; url: string }>;
}

export interface OpenctiDeps {
  runner: CommandRunner;
  /** Where generated values files are written (default: <tmpdir>/upgrade-runbooks-opencti-values). */
  valuesDir?: string;
  /** HTTP for /health (default: the global fetch). */
  fetch?: typeof fetch;
  /** Where `{env: NAME}` health keys are read (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

const PREVIEW_MAX = 12_000;

export const instanceSelector = (release: string): string => `app.kubernetes.io/name=opencti,app.kubernetes.io/instance=${release}`;

function verificationFailed(message: string, retryable: boolean): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.VerificationFailed, message, nonRetryable: !retryable });
}

const scope = (r: OpenctiRef): Scope => ({ namespace: r.namespace, kube: r.kube });

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
      throw ApplicationFailure.create({ type: FailureType.InvalidValues, nonRetryable: true, message: `values file ${file} is not valid YAML: ${(err as Error).message}` });
    }
    if (!isMap(parsed)) throw ApplicationFailure.create({ type: FailureType.InvalidValues, nonRetryable: true, message: `values file ${file} is not a YAML map` });
    // Nulls are kept: in the operator's files they delete chart defaults, and must go on doing so.
    merged = mergeOverlays(merged, parsed);
  }
  if (values.inline) merged = mergeOverlays(merged, values.inline);
  for (const [path, value] of Object.entries(values.set)) setPath(merged, path.split('.'), value);
  return merged;
}

/** The pure migration for a change kind (after replaying the clustering migration when asked). */
export function planChange(original: ValuesMap, request: PlanValuesRequest): ValuesChange {
  if (request.replayMigration && request.change !== 'clustering' && request.change !== 'none') {
    const migrated = migrateToClustering(original, { ...request.replayMigration, release: request.release });
    const change = planChange(migrated.values, { ...request, replayMigration: undefined });
    const overlay = mergeOverlays(migrated.overlay, change.overlay);
    // The migration's own notes are kept; its blocking ones (invalid values) still block.
    return { overlay, values: change.values, diff: diffValues(original, change.values), warnings: uniqueWarnings([...migrated.warnings, ...change.warnings]) };
  }
  return planOne(original, request);
}

function planOne(original: ValuesMap, request: PlanValuesRequest): ValuesChange {
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
      return { overlay: {}, values: original, diff: diffValues(original, original), warnings };
    }
  }
}

export function createOpenctiActivities(deps: OpenctiDeps) {
  const { runner } = deps;
  const fetchFn = deps.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  const env = deps.env ?? process.env;
  const valuesDir = deps.valuesDir ?? join(tmpdir(), 'upgrade-runbooks-opencti-values');

  async function getJson(r: OpenctiRef, kind: string, opts: { name?: string; selector?: string }, ctx: RunContext): Promise<string> {
    const out = await runner.run({ tool: 'kubectl', args: kubectlGetJsonArgs(scope(r), kind, opts), mutates: false, timeoutMs: 60_000 }, ctx);
    return out.stdout;
  }

  async function healthKey(r: OpenctiRef, key: HealthKey | undefined, ctx: RunContext): Promise<string | undefined> {
    if (!key) return undefined;
    let value: string | undefined;
    if ('env' in key) {
      value = env[key.env];
      if (!value) throw ApplicationFailure.create({ type: FailureType.NotFound, nonRetryable: true, message: `health access key: ${key.env} is not set on the worker` });
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

  async function checkOne(component: Component, baseUrl: string, key: string | undefined, health: HealthCheck): Promise<{ status: number; url: string }> {
    const shown = `${baseUrl.replace(/\/$/, '')}${health.path}`;
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
     * Reads the operator's values and plans a values change: the generated values file for
     * helm, warnings, the diff and a redacted preview for the approval gate, and the
     * expected topology.
     */
    async openctiPlanValues(request: PlanValuesRequest): Promise<ValuesPlan> {
      const original = await loadValues(request.values);
      const change = planChange(original, request);
      const preview = stringify(redactValues(change.values));
      const content = stringify(change.values);
      const sha256 = createHash('sha256').update(content).digest('hex');
      let valuesFile: string | undefined;
      if (request.change !== 'none') {
        // Named by content: a retried or repeated plan of the same values writes the same file.
        await mkdir(valuesDir, { recursive: true, mode: 0o700 });
        valuesFile = join(valuesDir, `opencti-${request.namespace}-${request.release}-${request.change}-${sha256.slice(0, 16)}.yaml`);
        await writeFile(valuesFile, content, { mode: 0o600 });
      }
      return {
        change: request.change,
        ...(valuesFile ? { valuesFile } : {}),
        sha256,
        warnings: change.warnings,
        diff: formatDiff(change.diff),
        preview: preview.length > PREVIEW_MAX ? `${preview.slice(0, PREVIEW_MAX)}\n# ... (${preview.length - PREVIEW_MAX} more characters)` : preview,
        topology: expectedTopology(change.values, request.release),
      };
    },

    /** Every pod of the release Running and Ready, and at least the expected number per platform component. */
    async openctiCheckPods(input: OpenctiRef & { expect: PlatformExpectation[] }): Promise<PodsReport> {
      const pods = parsePods(await getJson(input, 'pods', { selector: instanceSelector(input.release) }, currentRunContext())).filter((p) => !p.terminating);
      const problems: string[] = [];
      const byComponent: PodsReport['byComponent'] = {};
      for (const p of pods) {
        const c = (byComponent[p.component ?? 'unknown'] ??= { ready: 0, total: 0 });
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

    /** The platform Deployments rolled out (as `kubectl rollout status` judges it), with at least the expected replicas ready. */
    async openctiCheckDeployments(input: OpenctiRef & { expect: PlatformExpectation[] }): Promise<DeploymentsReport> {
      const all = parseDeployments(await getJson(input, 'deployments', { selector: instanceSelector(input.release) }, currentRunContext()));
      const problems: string[] = [];
      const report: DeploymentsReport = { deployments: [] };
      for (const e of input.expect) {
        const d = all.find((x) => x.name === e.name);
        if (!d) {
          problems.push(`Deployment ${e.name} not found`);
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
    },

    /** The Services exist and each has ready endpoints (a Service selecting no ready pod fails the upgrade); none named: all of the release's. */
    async openctiCheckServices(input: OpenctiRef & { services: string[] }): Promise<ServicesReport> {
      const ctx = currentRunContext();
      const services = parseServices(await getJson(input, 'services', { selector: instanceSelector(input.release) }, ctx));
      // None named: every Service of the release (after a helm rollback, whatever it rendered).
      const wanted = input.services.length > 0 ? input.services : services.map((s) => s.name);
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
    },

    /** The Ingress exists and sends traffic to the expected Service. */
    async openctiCheckIngress(input: OpenctiRef & { name: string; service: string }): Promise<{ name: string; hosts: string[] }> {
      const ingresses = parseIngresses(await getJson(input, 'ingresses', {}, currentRunContext()));
      const found = ingresses.find((i) => i.name === input.name);
      if (!found) throw verificationFailed(`Ingress ${input.name} not found in ${input.namespace} (found: ${ingresses.map((i) => i.name).join(', ') || 'none'})`, false);
      if (!found.services.includes(input.service)) {
        throw verificationFailed(`Ingress ${input.name} sends traffic to ${found.services.join(', ') || 'no Service'}, not ${input.service}`, false);
      }
      return { name: found.name, hosts: found.hosts };
    },

    /** Workers and connectors point at the expected service (their rendered OPENCTI_URL). */
    async openctiCheckRouting(input: OpenctiRef & { workerTarget?: Component; connectorTarget?: Component }): Promise<RoutingReport> {
      const selector = `app.kubernetes.io/instance=${input.release},opencti.component in (worker,connector)`;
      const deployments = parseDeployments(await getJson(input, 'deployments', { selector }, currentRunContext()));
      const report: RoutingReport = { checked: [] };
      const problems: string[] = [];
      for (const [component, target] of [
        ['worker', input.workerTarget],
        ['connector', input.connectorTarget],
      ] as const) {
        if (!target) continue;
        const expected = `${input.release}-${target}`;
        const ofKind = deployments.filter((d) => d.component === component);
        if (ofKind.length === 0) problems.push(`no ${component} Deployment found (selector ${selector})`);
        for (const d of ofKind) {
          for (const c of d.openctiUrls) {
            if (c.fromReference) {
              report.checked.push({ deployment: d.name, component, note: 'OPENCTI_URL comes from a reference; not checked' });
            } else if (c.url === undefined) {
              problems.push(`${d.name} (${c.container}) has no OPENCTI_URL`);
            } else if (!pointsAt(c.url, expected)) {
              problems.push(`${d.name} (${c.container}) points at ${c.url}, expected ${expected}`);
            } else {
              report.checked.push({ deployment: d.name, component, url: c.url });
            }
          }
        }
      }
      if (problems.length > 0) throw verificationFailed(`${problems.join('; ')}`, false);
      return report;
    },

    /** GET <base>/health?health_access_key=... for each component; the key never leaves the activity. */
    async openctiCheckHealth(input: OpenctiRef & { components: Component[]; health: HealthCheck }): Promise<HealthReport> {
      const ctx = currentRunContext();
      const key = await healthKey(input, input.health.accessKey, ctx);
      const report: HealthReport = { checked: [] };
      for (const component of input.components) {
        const service = `${input.release}-${component}`;
        let result: { status: number; url: string };
        if (input.health.via === 'port-forward') {
          result = await withPortForward(input, service, input.health.servicePort, ctx, (base) => checkOne(component, base, key, input.health));
        } else {
          const base =
            input.health.via === 'url' ? input.health.baseUrls[component] : `http://${service}.${input.namespace}.svc:${input.health.servicePort}`;
          if (!base) throw ApplicationFailure.create({ type: FailureType.InvalidInput, nonRetryable: true, message: `health.baseUrls.${component} is not set` });
          result = await checkOne(component, base, key, input.health);
        }
        report.checked.push({ component, ...result });
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
