// What the fault tier prints when an install or a wait times out, so that a failure says
// why: the node's conditions, the namespace's pods and events, and whether the KWOK control
// plane's processes are still alive (with the tail of each component's log). On a loaded
// machine kube-controller-manager or kube-scheduler can lose leader election and exit,
// and kwokctl does not restart them: pods then never become Ready, and only this shows it.
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KwokCluster } from '../helpers/kwok.js';

const COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok-controller'] as const;
const LOG_TAIL_LINES = 12;

/** The KWOK_WORKDIR that scripts/kwok-cluster.sh gives kwokctl for this cluster. */
export function kwokWorkdir(name: string): string {
  const uid = process.getuid?.() ?? 0;
  return join(tmpdir(), `upgrade-runbooks-${uid}`, 'kwok', name, 'kwok');
}

/** The cluster's kwokctl workdir (KWOK_WORKDIR/clusters/<name>). */
export function kwokClusterDir(name: string): string {
  return join(kwokWorkdir(name), 'clusters', name);
}

interface Proc {
  pid: number;
  argv: string[];
}

/** Processes whose command line names this cluster's workdir: its control plane. */
async function clusterProcesses(dir: string): Promise<Proc[]> {
  const procs: Proc[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const raw = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (!raw.includes(dir)) continue;
    procs.push({ pid: Number(entry), argv: raw.split('\0').filter(Boolean) });
  }
  return procs;
}

/** Which of etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok run, with their pids. */
export async function controlPlaneProcesses(name: string): Promise<Record<string, number | undefined>> {
  const procs = await clusterProcesses(kwokClusterDir(name));
  const byComponent: Record<string, number | undefined> = {};
  // kwokctl's binary runtime runs copies named after the component from <workdir>/bin.
  for (const c of COMPONENTS) byComponent[c] = procs.find((p) => (p.argv[0] ?? '').split('/').pop() === c)?.pid;
  return byComponent;
}

async function logTails(dir: string): Promise<string[]> {
  const logs = join(dir, 'logs');
  const lines: string[] = [];
  for (const file of (await readdir(logs).catch(() => [] as string[])).sort()) {
    const text = await readFile(join(logs, file), 'utf8').catch(() => '');
    const tail = text.trimEnd().split('\n').slice(-LOG_TAIL_LINES);
    lines.push(`  -- ${file} (last ${tail.length} lines)`, ...tail.map((l) => `     ${l.slice(0, 300)}`));
  }
  return lines.length ? lines : [`  (no component logs under ${logs})`];
}

/** A best-effort report; every part that cannot be read says so instead of throwing. */
export async function describeCluster(cluster: KwokCluster, namespace?: string): Promise<string> {
  const kubectl = (...args: string[]) => cluster.kubectl(['--request-timeout=10s', ...args]).catch((err: Error) => `(kubectl ${args.join(' ')} failed: ${err.message.split('\n')[0]})`);
  const out: string[] = [`==== cluster diagnostics (${cluster.name}${namespace ? `, namespace ${namespace}` : ''}) at ${new Date().toISOString()}`];

  const procs = await controlPlaneProcesses(cluster.name);
  out.push('control-plane processes:', ...Object.entries(procs).map(([c, pid]) => `  ${c}: ${pid ? `alive (pid ${pid})` : 'NOT RUNNING'}`));

  out.push('node conditions:');
  const nodes = await kubectl('get', 'nodes', '-o', 'json');
  try {
    const list = JSON.parse(nodes) as { items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string; reason?: string; lastHeartbeatTime?: string }[] } }[] };
    for (const n of list.items) {
      const conds = (n.status?.conditions ?? []).map((c) => `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}${c.lastHeartbeatTime ? ` heartbeat ${c.lastHeartbeatTime}` : ''}`);
      out.push(`  ${n.metadata.name}: ${conds.join('; ') || 'no conditions'}`);
    }
  } catch {
    out.push(`  ${nodes.slice(0, 500)}`);
  }

  if (namespace) {
    out.push(`pods in ${namespace}:`, ...indent(await kubectl('-n', namespace, 'get', 'pods,jobs,replicasets', '-o', 'wide', '--show-labels')));
    out.push(`pod conditions in ${namespace}:`);
    const pods = await kubectl('-n', namespace, 'get', 'pods', '-o', 'json');
    try {
      const list = JSON.parse(pods) as { items: { metadata: { name: string }; spec?: { nodeName?: string }; status?: { phase?: string; conditions?: { type: string; status: string; reason?: string }[] } }[] };
      for (const p of list.items) {
        const conds = (p.status?.conditions ?? []).map((c) => `${c.type}=${c.status}${c.reason ? `(${c.reason})` : ''}`).join(' ');
        out.push(`  ${p.metadata.name}: ${p.status?.phase ?? '?'} on ${p.spec?.nodeName ?? '(unscheduled)'}; ${conds}`);
      }
    } catch {
      out.push(`  ${pods.slice(0, 500)}`);
    }
    out.push(`events in ${namespace} (oldest first):`, ...indent(await kubectl('-n', namespace, 'get', 'events', '--sort-by=.lastTimestamp')).slice(-40));
  }
  out.push(`component logs (${kwokClusterDir(cluster.name)}/logs):`, ...(await logTails(kwokClusterDir(cluster.name))));
  out.push('==== end of cluster diagnostics');
  return out.join('\n');
}

const indent = (text: string) => text.trimEnd().split('\n').map((l) => `  ${l}`);

/** Runs `fn`; when it throws, the error carries the cluster's state as it was at that moment. */
export async function withDiagnostics<T>(cluster: KwokCluster, namespace: string | undefined, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const report = await describeCluster(cluster, namespace);
    // Printed at once as well: a test's error message can be cut short by the reporter.
    console.log(`# ${what} failed: ${(err as Error).message.split('\n')[0]}\n${report.replace(/^/gm, '# ')}`);
    if (err instanceof Error) err.message = `${what} failed: ${err.message}\n${report}`;
    throw err;
  }
}
