/**
 * Pure helpers of the tenant activities: argv of the values and alert-check hooks, and
 * parsers for kubectl and SocTalk API answers. Unit-tested as exact values.
 */
import { describeParseError } from '../parse-errors.js';
import { ApplicationFailure } from '@temporalio/common';
import { parse as parseYaml } from 'yaml';
import { FailureType } from '../../domain/failure-types.js';
import { commandArgsFor } from '../../domain/operator-command.js';
import { z } from 'zod';
import { resolveAllowedCommand } from '../command-allowlist.js';
import { parseJsonOutput } from '../json-output.js';

/** Only what these parsers read; a nameless item is skipped, not an error. */
const NamedItems = z.looseObject({
  items: z
    .array(
      z.looseObject({
        metadata: z
          .looseObject({ name: z.string().optional(), annotations: z.record(z.string(), z.string()).optional(), labels: z.record(z.string(), z.string()).optional() })
          .optional(),
      }),
    )
    .default([]),
});

/**
 * An operator's values or alert-check command: the program is the worker's allow-listed
 * entry for `command.command` (refused, naming `field`, before anything runs), the
 * arguments the input's positionals with `{slug}` in place.
 */
export function hookCommand(env: NodeJS.ProcessEnv, command: { command: string; args: readonly string[] }, slug: string, field: string): { executable: string; args: string[] } {
  const executable = resolveAllowedCommand(env, command.command, `${field}.command`);
  let args: string[];
  try {
    args = commandArgsFor(command.args, slug);
  } catch (err) {
    throw ApplicationFailure.create({ type: FailureType.InvalidInput, nonRetryable: true, message: `${field}.args: ${(err as Error).message}` });
  }
  return { executable, args };
}

/** Namespace names from `kubectl get namespaces -o json`. */
export function parseNamespaceNames(json: string): string[] {
  return parseNamespacePage(json).names;
}

/** A page of tenant namespace names; `continueToken` names the next page (none on the last), `expired` says the list must start over. */
export interface TenantNamespacePage {
  names: string[];
  continueToken?: string;
  expired?: true;
}

/** The API server's answer to a continue token older than its compaction window (HTTP 410, reason Expired). */
export const EXPIRED_CONTINUE = /\(Expired\)|continue parameter is too old/;

/** One page of namespaces from the API's list answer, and the token of the next page. */
export function parseNamespacePage(json: string): TenantNamespacePage {
  const doc = parseJsonOutput(NamedItems.extend({ metadata: z.looseObject({ continue: z.string().optional() }).optional() }), json, 'namespaces', { tool: 'kubectl' });
  const next = doc.metadata?.continue;
  return { names: doc.items.map((i) => i.metadata?.name).filter((n): n is string => typeof n === 'string'), ...(next ? { continueToken: next } : {}) };
}

/**
 * The Deployments a release manages (helm 3 annotates every object it owns with
 * meta.helm.sh/release-name), from `kubectl get deployments -o json`, sorted.
 */
export function parseReleaseDeployments(json: string, release: string): string[] {
  const doc = parseJsonOutput(NamedItems, json, 'deployments', { tool: 'kubectl' });
  return doc.items
    .filter((i) => i.metadata?.annotations?.['meta.helm.sh/release-name'] === release || i.metadata?.labels?.['app.kubernetes.io/instance'] === release)
    .map((i) => i.metadata?.name)
    .filter((n): n is string => typeof n === 'string' && n !== '')
    .sort();
}

export interface AdapterHeartbeat {
  /** ISO time of the adapter's last heartbeat. */
  at?: string;
  /** The version the adapter reports. */
  version?: string;
}

/** The SocTalk API's heartbeat answer; tolerant of camelCase and snake_case field names. */
export function parseHeartbeat(body: unknown): AdapterHeartbeat {
  const doc = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const inner = (typeof doc.adapter === 'object' && doc.adapter !== null ? doc.adapter : doc) as Record<string, unknown>;
  const pick = (...keys: string[]) => {
    for (const k of keys) if (typeof inner[k] === 'string' && inner[k] !== '') return inner[k];
    return undefined;
  };
  const at = pick('lastHeartbeatAt', 'last_heartbeat_at', 'lastHeartbeat', 'last_heartbeat', 'lastSeen', 'last_seen', 'timestamp');
  const version = pick('version', 'adapterVersion', 'adapter_version', 'appVersion', 'app_version');
  return { ...(at && !Number.isNaN(Date.parse(at)) ? { at: new Date(at).toISOString() } : {}), ...(version ? { version } : {}) };
}

/** The tenant's row of the MSSP API's `/api/mssp/dashboard/tenant-health` answer (`items[]`, by slug). */
export function tenantHealthRow(body: unknown, slug: string): { tenantId: string; lastHeartbeat?: string; heartbeatAgeSeconds?: number } | undefined {
  const items = (body as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) return undefined;
  const row = items.find((i) => (i as { slug?: unknown } | null)?.slug === slug) as
    | { tenant_id?: unknown; last_heartbeat?: unknown; heartbeat_age_seconds?: unknown }
    | undefined;
  if (!row || typeof row.tenant_id !== 'string') return undefined;
  return {
    tenantId: row.tenant_id,
    ...(typeof row.last_heartbeat === 'string' ? { lastHeartbeat: row.last_heartbeat } : {}),
    ...(typeof row.heartbeat_age_seconds === 'number' ? { heartbeatAgeSeconds: row.heartbeat_age_seconds } : {}),
  };
}

/** `/api/mssp/tenants/{id}` (TenantRead): the adapter writes `runtime.version` and `runtime.last_heartbeat` on each heartbeat. */
export function tenantRuntimeHeartbeat(body: unknown): AdapterHeartbeat {
  const runtime = (body as { runtime?: unknown } | null)?.runtime;
  return parseHeartbeat(typeof runtime === 'object' && runtime !== null ? runtime : {});
}

/** Rendered values must be a YAML (or JSON) mapping; anything else would make helm fail obscurely. */
export function checkValuesDocument(text: string, source: string): void {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    // Never quote the document: it may hold secrets.
    throw ApplicationFailure.create({ type: FailureType.InvalidValues, nonRetryable: true, message: describeParseError(`values from ${source}`, err) });
  }
  if (doc !== null && doc !== undefined && (typeof doc !== 'object' || Array.isArray(doc))) {
    throw ApplicationFailure.create({ type: FailureType.InvalidValues, nonRetryable: true, message: `values from ${source} are not a YAML mapping` });
  }
}
