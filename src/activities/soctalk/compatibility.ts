/**
 * Pre-flight "verify the compatibility matrix": load the matrix, find the installed
 * tenants (namespaces labelled tenant=true,managed-by=soctalk and their soctalk-tenant
 * releases) and refuse a target that the matrix puts out of range for any of them.
 */
import { describeParseError } from '../parse-errors.js';
import { readFile } from 'node:fs/promises';
import { ApplicationFailure } from '@temporalio/common';
import { parse } from 'yaml';
import { FailureType } from '../../domain/failure-types.js';
import type { KubeTarget } from '../../domain/kube-target.js';
import { CompatibilityMatrixSchema, systemUpgradeProblems, tenantOrderingProblem, type CompatibilityMatrix, type InstalledTenant } from '../../domain/soctalk/compatibility.js';
import { formatIssues } from '../../domain/validate.js';
import type { CommandRunner } from '../command.js';
import { helmListArgs } from '../helm/commands.js';
import { parseList } from '../helm/parse.js';
import { getClusterList } from '../kube-json.js';
import { currentRunContext } from '../run-context.js';

export interface MatrixSource {
  file?: string;
  url?: string;
}

export interface CompatibilityDeps {
  runner: CommandRunner;
  fetch?: typeof globalThis.fetch;
}

export function createCompatibilityActivities({ runner, fetch = globalThis.fetch }: CompatibilityDeps) {
  async function loadCompatibilityMatrix(source: MatrixSource): Promise<CompatibilityMatrix> {
    let text: string;
    // A URL may carry credentials (user:password@): every message shows it redacted.
    if (source.url) runner.redactor.addSecretsFrom(source.url);
    const where = runner.redactor.text(source.file ?? source.url ?? '(none)');
    if (source.file) {
      text = await readFile(source.file, 'utf8').catch((err: Error) => {
        throw ApplicationFailure.create({ type: FailureType.NotFound, nonRetryable: true, message: `compatibility matrix ${source.file}: ${err.message}` });
      });
    } else if (source.url) {
      let res: Response;
      try {
        res = await fetch(withoutCredentials(source.url), { signal: AbortSignal.timeout(30_000), headers: basicAuth(source.url) });
      } catch (err) {
        // fetch quotes the URL in its errors (credentials included): say it redacted.
        throw ApplicationFailure.create({
          type: FailureType.ServerUnavailable,
          message: `compatibility matrix ${where} cannot be fetched: ${runner.redactor.text(err instanceof Error ? `${err.message}${err.cause instanceof Error ? ` (${err.cause.message})` : ''}` : String(err))}`,
        });
      }
      // A 5xx is worth another try; a 404 is a wrong URL.
      if (!res.ok) {
        throw ApplicationFailure.create({
          type: res.status >= 500 ? FailureType.ServerUnavailable : FailureType.NotFound,
          nonRetryable: res.status < 500,
          message: `compatibility matrix ${where} answered ${res.status}`,
        });
      }
      text = await res.text();
    } else {
      throw ApplicationFailure.create({ type: FailureType.InvalidInput, nonRetryable: true, message: 'compatibility: set file or url' });
    }
    let document: unknown;
    try {
      document = parse(text);
    } catch (err) {
      // Permanent (the file will not fix itself between retries), and never quoted: the
      // offending line may be a credential.
      throw ApplicationFailure.create({ type: FailureType.InvalidValues, nonRetryable: true, message: describeParseError(`compatibility matrix ${where}`, err) });
    }
    const parsed = CompatibilityMatrixSchema.safeParse(document);
    if (!parsed.success) {
      throw ApplicationFailure.create({
        type: FailureType.InvalidInput,
        nonRetryable: true,
        message: `compatibility matrix ${where} is invalid: ${formatIssues(parsed.error).join('; ')}`,
      });
    }
    return parsed.data;
  }

  async function installedTenants(input: { kube: KubeTarget; selector: string; chartName: string }): Promise<InstalledTenant[]> {
    const namespaces = await getClusterList(runner, input.kube, 'namespaces', input.selector);
    const tenants: InstalledTenant[] = [];
    for (const ns of namespaces) {
      const out = await runner.run({ tool: 'helm', args: helmListArgs(ns.metadata.name, input.kube), mutates: false }, currentRunContext());
      for (const r of parseList(out.stdout)) {
        if (r.chartName === input.chartName) tenants.push({ release: r.name, namespace: r.namespace, chartVersion: r.chartVersion });
      }
    }
    return tenants;
  }

  return {
    loadCompatibilityMatrix,

    /** The soctalk-tenant releases of every tenant namespace. */
    listInstalledTenants: installedTenants,

    /** Refuses (non-retryable, naming the versions) a system target out of range for any installed tenant. */
    async checkSystemCompatibility(input: {
      matrix: MatrixSource;
      kube: KubeTarget;
      from?: string;
      to: string;
      selector: string;
      chartName: string;
    }): Promise<{ tenants: InstalledTenant[] }> {
      const matrix = await loadCompatibilityMatrix(input.matrix);
      const tenants = await installedTenants(input);
      const problems = systemUpgradeProblems(matrix, input.from, input.to, tenants);
      if (problems.length) {
        throw ApplicationFailure.create({ type: FailureType.Incompatible, nonRetryable: true, message: problems.join('; ') });
      }
      return { tenants };
    },

    /** The ordering gate for tenant upgrades: never ahead of soctalk-system. */
    async checkTenantOrdering(input: { matrix: MatrixSource; systemVersion: string; tenantTarget: string }): Promise<void> {
      const problem = tenantOrderingProblem(await loadCompatibilityMatrix(input.matrix), input.systemVersion, input.tenantTarget);
      if (problem) throw ApplicationFailure.create({ type: FailureType.Incompatible, nonRetryable: true, message: problem });
    },
  };
}

/** fetch refuses URLs with user:password@; a matrix mirror behind basic auth gets a header instead. */
function withoutCredentials(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.toString();
}

function basicAuth(url: string): Record<string, string> {
  const u = new URL(url);
  if (!u.username && !u.password) return {};
  return { authorization: `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}` };
}
