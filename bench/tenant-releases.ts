/**
 * The real-fleet benchmark's tenants on a KWOK cluster, with the real helm: installed at
 * soctalk-tenant 0.1.0 in namespaces labelled as the fleet discovers them (the runbook's
 * `kubectl get ns -l tenant=true,managed-by=soctalk`), rolled back between the two sides
 * so both make the same 0.1.0 -> 0.2.0 upgrade, and read back with `helm list` and
 * `kubectl get deployments` to prove every release is where a side claims it left it.
 */
import { execa } from 'execa';
import type { KwokCluster } from '../test/helpers/kwok.js';

export const tenantNamespaceOf = (i: number) => `tenant-bench-${String(i).padStart(3, '0')}`;

interface ListedRelease {
  name: string;
  namespace: string;
  revision: string;
  status: string;
  chart: string;
}

export interface TenantReleases {
  namespaces: string[];
  /** helm with the cluster's kubeconfig and the benchmark's helm homes. */
  helm(args: string[]): Promise<string>;
  /** Every tenant installed at `chartTgz`, its pods Ready. */
  install(chartTgz: string): Promise<void>;
  /** Every tenant rolled back to revision 1 (`helm rollback --wait`). */
  rollBackToFirst(): Promise<void>;
  /** Throws, naming each release that is not deployed at `chart` and `revision` or runs another image tag. */
  expectAll(expected: { chart: string; revision: number; imageTag: string }): Promise<void>;
}

/** Runs `task` over `items`, `width` at a time (installs and rollbacks: CPU-bound helm on a small machine). */
async function inParallel<T>(items: readonly T[], width: number, task: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: width }, lane));
}

export function tenantReleases(cluster: KwokCluster, helmHomes: Record<string, string>, count: number): TenantReleases {
  const namespaces = Array.from({ length: count }, (_, i) => tenantNamespaceOf(i));
  const env = { ...cluster.env, ...helmHomes };
  const helm = async (args: string[]) => (await execa(env.HELM_BIN ?? 'helm', [...args, '--kubeconfig', cluster.kubeconfig], { env })).stdout;
  const waitForPods = () => cluster.kubectl(['wait', '--for=condition=Available', 'deployment', '--all-namespaces', '-l', 'soctalk.io/tenant-slug', '--timeout=600s']);

  return {
    namespaces,
    helm,
    async install(chartTgz) {
      const manifest = namespaces
        .map((ns) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n  labels:\n    tenant: "true"\n    managed-by: soctalk\n`)
        .join('---\n');
      await cluster.kubectl(['apply', '-f', '-'], { input: manifest });
      await inParallel(namespaces, 4, (ns) => helm(['install', ns, chartTgz, '-n', ns, '--set-string', `tenant.slug=${ns.replace(/^tenant-/, '')}`]));
      await waitForPods();
    },
    async rollBackToFirst() {
      await inParallel(namespaces, 4, (ns) => helm(['rollback', ns, '1', '-n', ns, '--wait', '--timeout', '300s']));
      await waitForPods();
    },
    async expectAll({ chart, revision, imageTag }) {
      const listed = JSON.parse(await helm(['list', '--all-namespaces', '--all', '--max', '0', '-o', 'json'])) as ListedRelease[];
      const byName = new Map(listed.map((r) => [r.name, r]));
      const deployments = JSON.parse(await cluster.kubectl(['get', 'deployments', '--all-namespaces', '-o', 'json'])) as {
        items: { metadata: { namespace: string; name: string }; spec: { template: { spec: { containers: { image: string }[] } } } }[];
      };
      const wrong: string[] = [];
      for (const ns of namespaces) {
        const r = byName.get(ns);
        if (!r) wrong.push(`${ns}: no release`);
        else if (r.status !== 'deployed' || r.chart !== chart || Number(r.revision) !== revision) wrong.push(`${ns}: ${r.status} ${r.chart} revision ${r.revision}`);
        const inNs = deployments.items.filter((d) => d.metadata.namespace === ns);
        if (inNs.length !== 2) wrong.push(`${ns}: ${inNs.length} deployments instead of 2`);
        for (const d of inNs) {
          const images = d.spec.template.spec.containers.map((c) => c.image);
          if (!images.every((image) => image.endsWith(`:${imageTag}`))) wrong.push(`${ns}: deployment/${d.metadata.name} runs ${images.join(', ')}`);
        }
      }
      if (wrong.length) {
        throw new Error(`${wrong.length} problem(s), expected every tenant deployed at ${chart} revision ${revision} on tag ${imageTag}:\n  ${wrong.join('\n  ')}`);
      }
    },
  };
}
