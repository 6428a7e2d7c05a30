/**
 * Activities of the SocTalk tenant runbooks. The tenant's values may hold secrets, so they
 * are rendered, written to a private file and handed to `helm upgrade` inside ONE activity:
 * the workflow only ever sees a digest of them.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { ChartSource } from '../../domain/chart.js';
import { FailureType } from '../../domain/failure-types.js';
import type { KubeTarget } from '../../domain/kube-target.js';
import { substituteSlug, type AlertCheck, type ValuesSource } from '../../domain/soctalk/tenant-upgrade-input.js';
import type { CommandRunner, RunContext } from '../command.js';
import { createHelmActivities, type UpgradeResult } from '../helm/activities.js';
import { helmGetValuesArgs } from '../helm/commands.js';
import { kubectlGetClusterJsonArgs, kubectlGetJsonArgs, kubectlListPageArgs, kubectlRolloutStatusArgs } from '../kubectl/commands.js';
import { currentRunContext } from '../run-context.js';
import type { ClusterCapabilities } from '../../domain/cluster-capabilities.js';
import { readAllowedSecretEnv } from '../secret-env.js';
import { inspectRenderedTarget, type TargetRelease } from './target.js';
import { readAdapterHeartbeat } from './mssp-api.js';
import { checkValuesDocument, EXPIRED_CONTINUE, hookCommand, parseNamespaceNames, parseNamespacePage, parseReleaseDeployments, type AdapterHeartbeat, type TenantNamespacePage } from './tenant-parse.js';

export { MSSP_API_TOKEN_ENV, MSSP_API_URL_ENV, msspAuthorization } from './mssp-api.js';

export interface TenantDeps {
  runner: CommandRunner;
  workDir: string;
  fetch?: typeof globalThis.fetch;
  env?: NodeJS.ProcessEnv;
  /** How long one MSSP API request of the heartbeat settle may take (default 30s). */
  msspRequestTimeoutMs?: number;
}

export interface TenantUpgradeRequest {
  tenant: string;
  release: string;
  namespace: string;
  kube: KubeTarget;
  chart: ChartSource;
  version: string;
  valuesSource: ValuesSource;
  /** Image tag overrides: a plain values key -> tag map, applied after the values. */
  setString: Record<string, string>;
  timeoutMs: number;
  fromRevision: number;
  /** The cluster's version and API versions, for the pre-flight render. */
  capabilities?: ClusterCapabilities;
}

export interface TenantTargetRequest extends Omit<TenantUpgradeRequest, 'timeoutMs' | 'fromRevision'> {
  /** Which images are SocTalk's own (regular expression on the repository). */
  imagePattern: string;
}

export interface TenantUpgradeResult extends UpgradeResult {
  valuesSource: ValuesSource['kind'];
  /** sha256 of the rendered values: proves which values were used without revealing them. */
  valuesSha256: string;
  valuesBytes: number;
}

/** The context without output tails in heartbeats: a values command prints secrets. */
function quietContext(): RunContext {
  const ctx = currentRunContext();
  return {
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(ctx.heartbeat ? { heartbeat: (d) => ctx.heartbeat!({ ...d, lastLines: [] }) } : {}),
  };
}

/** A bearer token from an allow-listed variable (see secret-env.ts), for a request to `url` only. */
function bearer(env: NodeJS.ProcessEnv, tokenEnv: string | undefined, field: string, url: string): Record<string, string> {
  if (!tokenEnv) return {};
  return { authorization: `Bearer ${readAllowedSecretEnv(env, tokenEnv, field, url)}` };
}

function httpFailure(what: string, status: number): ApplicationFailure {
  const retryable = status >= 500 || status === 429 || status === 408;
  return ApplicationFailure.create({
    type: status === 404 ? FailureType.NotFound : status === 401 || status === 403 ? FailureType.Forbidden : retryable ? FailureType.ServerUnavailable : FailureType.CommandFailed,
    nonRetryable: !retryable,
    message: `${what} answered HTTP ${status}`,
  });
}

/** The URL without query string or credentials, for messages. */
const safeUrl = (url: string): string => {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
};

export function createTenantActivities(deps: TenantDeps) {
  const { runner, workDir } = deps;
  const fetchFn = deps.fetch ?? globalThis.fetch;
  const env = deps.env ?? process.env;
  const helm = createHelmActivities({ runner, workDir });

  async function renderValues(req: TenantUpgradeRequest): Promise<string> {
    const source = req.valuesSource;
    switch (source.kind) {
      case 'command': {
        const { executable, args } = hookCommand(env, source, req.tenant, 'valuesSource');
        const out = await runner.run({ tool: { executable }, args, mutates: false, timeoutMs: source.timeout }, quietContext());
        checkValuesDocument(out.stdout, `\`${source.command}\``);
        return out.stdout;
      }
      case 'http': {
        const url = substituteSlug(source.url, req.tenant);
        const res = await fetchFn(url, { headers: { accept: 'application/yaml, application/json', ...bearer(env, source.tokenEnv, 'valuesSource.tokenEnv', url) }, signal: AbortSignal.timeout(source.timeout) });
        if (!res.ok) throw httpFailure(`the values endpoint ${safeUrl(url)}`, res.status);
        const text = await res.text();
        checkValuesDocument(text, safeUrl(url));
        return text;
      }
      case 'current': {
        const out = await runner.run(
          { tool: 'helm', args: helmGetValuesArgs({ release: req.release, namespace: req.namespace, kube: req.kube }, true), mutates: false },
          quietContext(),
        );
        return out.stdout.trim() || '{}';
      }
    }
  }

  /** The tenant's values in a private file (0600) for the length of `use`. */
  async function withValuesFile<T>(req: TenantUpgradeRequest | TenantTargetRequest, use: (file: string, values: string) => Promise<T>): Promise<T> {
    const values = await renderValues(req as TenantUpgradeRequest);
    const dir = await mkdtemp(join(workDir, `tenant-${req.tenant}-`));
    try {
      const file = join(dir, 'values.yaml');
      await writeFile(file, values, { mode: 0o600 });
      return await use(file, values);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  return {
    /**
     * Pre-flight: renders the target with the tenant's values and the tag overrides as the
     * cluster would (helm validates the chart's values.schema.json, so a key the chart does
     * not have is refused here), and refuses a target that would leave a SocTalk workload
     * on another tag, naming it. Changes nothing.
     */
    async tenantInspectTarget(req: TenantTargetRequest): Promise<TargetRelease> {
      return withValuesFile(req, async (file) => {
        const manifest = await helm.helmTemplate({
          release: req.release,
          namespace: req.namespace,
          kube: req.kube,
          chart: req.chart,
          version: req.version,
          values: { files: [file], set: {} },
          setString: req.setString,
          ...(req.capabilities ? { capabilities: req.capabilities } : {}),
        });
        const tags = [...new Set(Object.values(req.setString))];
        return inspectRenderedTarget(manifest, { images: { tags: tags.length ? tags : [req.version], repositoryPattern: req.imagePattern, keys: Object.keys(req.setString) } });
      });
    },

    /**
     * Renders the tenant's values from the configured source into a private file (0600,
     * removed afterwards) and runs `helm upgrade --wait --timeout` with the image tag
     * overrides. Idempotent through helmUpgrade: a retry after success changes nothing.
     */
    async tenantHelmUpgrade(req: TenantUpgradeRequest): Promise<TenantUpgradeResult> {
      return withValuesFile(req, async (file, values) => {
        const result = await helm.helmUpgrade({
          release: req.release,
          namespace: req.namespace,
          kube: req.kube,
          chart: req.chart,
          version: req.version,
          values: { files: [file], set: {} },
          setString: req.setString,
          timeoutMs: req.timeoutMs,
          wait: true,
          fromRevision: req.fromRevision,
        });
        return { ...result, valuesSource: req.valuesSource.kind, valuesSha256: createHash('sha256').update(values).digest('hex'), valuesBytes: Buffer.byteLength(values) };
      });
    },

    /**
     * The whole list in one result: what fleets started before the paged listing asked for
     * (they replay it from history and may still run it); new fleets use the paged one.
     */
    async listTenantNamespaces(input: { selector: string; kube: KubeTarget }): Promise<string[]> {
      const out = await runner.run({ tool: 'kubectl', args: kubectlGetClusterJsonArgs(input.kube, 'namespaces', { selector: input.selector }), mutates: false }, currentRunContext());
      return parseNamespaceNames(out.stdout);
    },

    /**
     * The runbook's `kubectl get ns -l tenant=true,managed-by=soctalk`, one page at a time
     * (kubectl/commands.ts `kubectlListPageArgs`): the workflow asks for the next page with
     * the token this one returns. A token the API server no longer honours (it keeps them
     * for about five minutes) answers `expired`, and the workflow starts the list over.
     */
    async listTenantNamespacePage(input: { selector: string; kube: KubeTarget; limit: number; continueToken?: string }): Promise<TenantNamespacePage> {
      const page = { selector: input.selector, limit: input.limit, ...(input.continueToken ? { continueToken: input.continueToken } : {}) };
      try {
        const out = await runner.run({ tool: 'kubectl', args: kubectlListPageArgs(input.kube, '/api/v1/namespaces', page), mutates: false }, currentRunContext());
        return parseNamespacePage(out.stdout);
      } catch (err) {
        if (input.continueToken && err instanceof Error && EXPIRED_CONTINUE.test(err.message)) return { names: [], expired: true };
        throw err;
      }
    },

    /** The Deployments the release manages, by name. */
    async releaseDeployments(input: { release: string; namespace: string; kube: KubeTarget }): Promise<string[]> {
      const out = await runner.run({ tool: 'kubectl', args: kubectlGetJsonArgs({ namespace: input.namespace, kube: input.kube }, 'deployments'), mutates: false }, currentRunContext());
      return parseReleaseDeployments(out.stdout, input.release);
    },

    /** `kubectl rollout status <target> --watch --timeout`; a timeout is a RolloutTimeout. */
    async rolloutStatus(input: { namespace: string; kube: KubeTarget; target: string; timeoutMs: number }): Promise<string> {
      try {
        const out = await runner.run(
          {
            tool: 'kubectl',
            args: kubectlRolloutStatusArgs({ namespace: input.namespace, kube: input.kube }, input.target, input.timeoutMs),
            mutates: false,
            timeoutMs: input.timeoutMs + 30_000,
          },
          currentRunContext(),
        );
        return out.stdoutRedacted.trim().split('\n').at(-1) ?? '';
      } catch (err) {
        if (err instanceof ApplicationFailure && /timed out waiting|exceeded its progress deadline/.test(err.message)) {
          throw ApplicationFailure.create({ type: FailureType.RolloutTimeout, nonRetryable: true, message: `${input.target} in ${input.namespace} did not become ready: ${err.message}` });
        }
        throw err;
      }
    },

    /**
     * The tenant adapter's last heartbeat and version, as the MSSP API reports them: the
     * tenant's row of /api/mssp/dashboard/tenant-health (found by slug) gives its id, and
     * /api/mssp/tenants/{id} the runtime the adapter's heartbeats write.
     */
    async adapterHeartbeat(input: { apiUrl: string; tenant: string }): Promise<AdapterHeartbeat> {
      return readAdapterHeartbeat({ fetch: fetchFn, env, timeoutMs: deps.msspRequestTimeoutMs ?? 30_000 }, input);
    },

    /** The runbook's "verify alerts flow end-to-end": an HTTP check or an operator's command. */
    async checkAlertFlow(input: { tenant: string; check: AlertCheck }): Promise<string> {
      const { check, tenant } = input;
      if (check.kind === 'command') {
        const { executable, args } = hookCommand(env, check, tenant, 'alertCheck');
        try {
          const out = await runner.run({ tool: { executable }, args, mutates: false, timeoutMs: check.timeout }, currentRunContext());
          return out.stdoutRedacted.trim().split('\n').at(-1)?.slice(0, 200) || `${check.command} exited 0`;
        } catch (err) {
          if (err instanceof ApplicationFailure && err.type !== FailureType.CommandNotFound) {
            throw ApplicationFailure.create({ type: FailureType.VerificationFailed, nonRetryable: err.nonRetryable ?? false, message: `alerts do not flow for tenant-${tenant}: ${err.message}` });
          }
          throw err;
        }
      }
      const url = substituteSlug(check.url, tenant);
      const res = await fetchFn(url, { method: check.method, headers: bearer(env, check.tokenEnv, 'alertCheck.tokenEnv', url), signal: AbortSignal.timeout(check.timeout) });
      const body = await res.text();
      if (!res.ok || (check.expectBody !== undefined && !body.includes(check.expectBody))) {
        throw ApplicationFailure.create({
          type: FailureType.VerificationFailed,
          nonRetryable: false,
          message: `alerts do not flow for tenant-${tenant}: ${safeUrl(url)} answered HTTP ${res.status}${res.ok ? ` without "${check.expectBody}"` : ''}`,
        });
      }
      return `${safeUrl(url)} answered HTTP ${res.status}`;
    },
  };
}

export type TenantActivities = ReturnType<typeof createTenantActivities>;
