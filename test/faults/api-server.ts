// The KWOK cluster's kube-apiserver killed and started again, as a control-plane node's API
// server crashes and its supervisor brings it back: SIGKILL of the process kwokctl runs,
// then kwokctl's own `start cluster`, which starts every component that is not running
// (here only the API server, with the arguments kwokctl recorded when it created the
// cluster) and waits until the API serves. etcd keeps the cluster's state meanwhile.
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import type { KwokCluster } from '../helpers/kwok.js';
import { controlPlaneProcesses, kwokWorkdir } from './cluster-diagnostics.js';

async function apiServerPid(cluster: KwokCluster): Promise<number | undefined> {
  return (await controlPlaneProcesses(cluster.name))['kube-apiserver'];
}

/** Gone, or a zombie not reaped yet: either way it serves nothing. */
async function exited(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat === undefined || /^\d+ \(.*\) Z/s.test(stat);
}

/** SIGKILL of the cluster's kube-apiserver; resolves to its pid once the process is gone. */
export async function killApiServer(cluster: KwokCluster): Promise<number> {
  const pid = await apiServerPid(cluster);
  if (!pid) throw new Error(`no kube-apiserver runs for the KWOK cluster ${cluster.name}`);
  process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + 10_000;
  while (!(await exited(pid))) {
    if (Date.now() > deadline) throw new Error(`kube-apiserver (pid ${pid}) still runs 10s after SIGKILL`);
    await sleep(50);
  }
  return pid;
}

/**
 * `kwokctl start cluster`, then waits until the API server reports ready (kwokctl waits
 * only until it serves /version). Resolves to the new process's pid.
 */
export async function restartApiServer(cluster: KwokCluster, killedPid: number): Promise<number> {
  const { KWOKCTL_BIN, KUBECTL_BIN } = cluster.env;
  if (!KWOKCTL_BIN || !KUBECTL_BIN) throw new Error('the cluster environment names no KWOKCTL_BIN or KUBECTL_BIN');
  const started = await execa(KWOKCTL_BIN, ['start', 'cluster', '--name', cluster.name, '--timeout', '120s'], {
    // The workdir scripts/kwok-cluster.sh created the cluster in; kwokctl runs kubectl from PATH.
    env: { ...cluster.env, KWOK_WORKDIR: kwokWorkdir(cluster.name), PATH: `${dirname(KUBECTL_BIN)}:${process.env.PATH ?? ''}` },
    all: true,
    reject: false,
  });
  if (started.exitCode !== 0) throw new Error(`kwokctl start cluster ${cluster.name} failed (exit ${started.exitCode}): ${started.all}`);
  const pid = await apiServerPid(cluster);
  // kwokctl skips a component whose recorded pid still answers signal 0 (an unreaped zombie would).
  if (!pid || pid === killedPid) throw new Error(`kwokctl start cluster did not start kube-apiserver again (pid now ${pid ?? 'none'}): ${started.all}`);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ready = await cluster.kubectl(['get', '--raw', '/readyz']).then(
      () => true,
      () => false,
    );
    if (ready) return pid;
    if (Date.now() > deadline) throw new Error(`kube-apiserver (pid ${pid}) not ready 60s after kwokctl started it`);
    await sleep(250);
  }
}
