/**
 * Reads the live cluster's version and served API versions at pre-flight, so that every
 * `helm template` of the run (diff, migration render, verification) renders the chart as
 * this cluster would: the chart's `kubeVersion` constraint and its
 * `.Capabilities.APIVersions.Has` branches see the real cluster, not helm's v1.20.0 default.
 */
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { ClusterCapabilities } from '../domain/cluster-capabilities.js';
import { FailureType } from '../domain/failure-types.js';
import type { KubeTarget } from '../domain/kube-target.js';
import type { CommandRunner } from './command.js';
import { parseJsonOutput } from './json-output.js';
import { kubectlApiResourceKindsArgs, kubectlApiVersionsArgs, kubectlVersionArgs } from './kubectl/commands.js';
import { currentRunContext } from './run-context.js';

const KubectlVersionSchema = z.object({ serverVersion: z.object({ gitVersion: z.string().optional() }).optional() });

/** `kubectl version -o json` -> the server's gitVersion ("v1.33.1"). */
export function parseServerVersion(json: string): string {
  const parsed = parseJsonOutput(KubectlVersionSchema, json, 'cluster version', { tool: 'kubectl' });
  const version = parsed.serverVersion?.gitVersion;
  if (!version) {
    throw ApplicationFailure.create({
      type: FailureType.ClusterUnreachable,
      message: 'kubectl version printed no serverVersion: the API server did not answer',
    });
  }
  return version;
}

/** `kubectl api-versions` -> ["apps/v1", "v1", ...]. */
export function parseApiVersions(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/**
 * The `kubectl api-resources` table -> "group/version/Kind" entries ("apps/v1/Deployment",
 * "v1/Service"), the form `.Capabilities.APIVersions.Has "cilium.io/v2/CiliumNetworkPolicy"`
 * asks about. Columns are read at the header's offsets: SHORTNAMES is often empty.
 */
export function parseApiResourceKinds(table: string): string[] {
  const [header, ...rows] = table.split('\n');
  if (!header) return [];
  const apiAt = header.indexOf('APIVERSION');
  const kindAt = header.indexOf('KIND');
  if (apiAt < 0 || kindAt < 0) return [];
  const out: string[] = [];
  for (const row of rows) {
    if (!row.trim()) continue;
    const apiVersion = row.slice(apiAt).split(/\s+/)[0] ?? '';
    const kind = row.slice(kindAt).trim();
    if (apiVersion && kind) out.push(`${apiVersion}/${kind}`);
  }
  return out;
}

/** A read another run on this worker made a moment ago, and how long ago (ms). */
export type SharedClusterCapabilities = ClusterCapabilities & { readMsAgo?: number };

/** Kube targets whose last read is remembered; a worker talks to a handful of clusters. */
const REMEMBERED_TARGETS_MAX = 64;

export function createClusterCapabilityActivities({ runner, now = Date.now }: { runner: CommandRunner; now?: () => number }) {
  /** The last read per kube target, in flight or done: concurrent fleet tenants share one. */
  const lastRead = new Map<string, { at: number; value: Promise<ClusterCapabilities> }>();

  async function read(kube: KubeTarget): Promise<ClusterCapabilities> {
    const ctx = currentRunContext();
    const version = await runner.run({ tool: 'kubectl', args: kubectlVersionArgs(kube), mutates: false }, ctx);
    const groups = await runner.run({ tool: 'kubectl', args: kubectlApiVersionsArgs(kube), mutates: false }, ctx);
    const kinds = await runner.run({ tool: 'kubectl', args: kubectlApiResourceKindsArgs(kube), mutates: false }, ctx);
    const apiVersions = [...new Set([...parseApiVersions(groups.stdout), ...parseApiResourceKinds(kinds.stdout)])].sort();
    return { kubeVersion: parseServerVersion(version.stdout), apiVersions };
  }

  return {
    /**
     * The live cluster's version and API versions, for `helm template --kube-version
     * --api-versions`. With `maxAgeMs` (a fleet's tenants), a read of the same kube target
     * that this worker made at most that long ago, or is making now, is shared instead of
     * three more kubectl calls; the result says how old it is. Without it, always a new read.
     */
    async readClusterCapabilities(input: { kube: KubeTarget; maxAgeMs?: number }): Promise<SharedClusterCapabilities> {
      const key = JSON.stringify([input.kube.kubeconfig ?? '', input.kube.context ?? '']);
      const last = lastRead.get(key);
      if (last && input.maxAgeMs !== undefined && now() - last.at <= input.maxAgeMs) {
        const shared = await last.value;
        return { ...shared, readMsAgo: Math.max(0, now() - last.at) };
      }
      const entry = { at: now(), value: read(input.kube) };
      if (lastRead.size >= REMEMBERED_TARGETS_MAX) lastRead.clear();
      lastRead.set(key, entry);
      // A failed read is never shared: the next caller reads again.
      entry.value.catch(() => {
        if (lastRead.get(key) === entry) lastRead.delete(key);
      });
      return await entry.value;
    },
  };
}
