// A KWOK cluster for a test file, through scripts/kwok-cluster.sh (see there for what the
// cluster contains: a Ready fake node, pod Stages with fault injection, VolumeSnapshot CRDs
// and the simulated storage driver).
//
//   const cluster = await createKwokCluster('bench');
//   await cluster.kubectl(['get', 'nodes']);        // stdout; throws on a non-zero exit
//   cluster.env                                     // { KUBECONFIG, KUBECTL_BIN, HELM_BIN } for child processes
//   await cluster.delete();
//
// What simulated pods "run" (scripts/kwok-cluster.sh exec|logs|port-forward):
//   await cluster.execLocally('postgres', { PGHOST: '127.0.0.1', PGPORT: '5433' }); // kubectl exec -> this machine
//   await cluster.serveLogs('my-ns', logFile);                                      // kubectl logs -> the file
//   await cluster.forwardPort(4000, '127.0.0.1:8123');                               // kubectl port-forward -> there
import { execa, type Options } from 'execa';
import { repoRoot } from './paths.js';
import { toolchainEnv } from './toolchain-env.js';

/**
 * Image tags of "broken builds" the cluster's Stages react to (test/fixtures/kwok/stages.yaml):
 * a test fails a release by upgrading to such a tag through the chart's own image keys, as a
 * bad release fails, so no chart needs a test-only value. Durations are Go durations ("100s").
 */
export const Build = {
  /** Pods (not Job pods) running it never become Ready. */
  unready: (version: string) => `${version}-unready`,
  /** Pods (not Job pods) running it become Ready `after` they are scheduled. */
  readyAfter: (version: string, after: string) => `${version}-ready-after-${after}`,
  /** Job pods running it exit 1: the migration fails. */
  migrationFails: (version: string) => `${version}-migration-fails`,
  /** Job pods running it succeed after `duration` instead of 1s. */
  migrationTakes: (version: string, duration: string) => `${version}-migration-takes-${duration}`,
} as const;

/** Pod template label values the cluster's Stages react to (label key FAULT_LABEL), for charts with pod labels (OpenCTI). */
export const FAULT_LABEL = 'upgrade-runbooks.test/fault';
export const Fault = { JobFail: 'job-fail', NeverReady: 'never-ready' } as const;
/** Pod annotation: how long a Job pod "runs" before it succeeds or fails (Go duration, default 1s). */
export const JOB_DURATION_ANNOTATION = 'upgrade-runbooks.test/job-duration';

export interface KwokCluster {
  name: string;
  kubeconfig: string;
  /** Environment for helm/kubectl child processes aimed at this cluster. */
  env: Record<string, string>;
  /** Runs kubectl against the cluster; resolves to stdout, rejects on a non-zero exit. */
  kubectl(args: string[], options?: Options): Promise<string>;
  /** `kubectl exec` into any container named `container` runs the command on this machine with `env` (and PG_BIN_DIR on PATH). */
  execLocally(container: string, env: Record<string, string>): Promise<void>;
  /** `kubectl logs` of any pod in `namespace` serves `file` (CRI log format). */
  serveLogs(namespace: string, file: string): Promise<void>;
  /** `kubectl port-forward` to `containerPort` of any pod reaches `target` (host:port). */
  forwardPort(containerPort: number, target: string): Promise<void>;
  /** Stops the cluster and its snapshot controller and removes its files. Idempotent. */
  delete(): Promise<void>;
}

const script = `${repoRoot}scripts/kwok-cluster.sh`;

export async function createKwokCluster(name: string): Promise<KwokCluster> {
  const tools = await toolchainEnv('kwok', 'kube', 'etcd', 'kubectl', 'helm', 'postgres');
  const { stdout } = await execa('bash', [script, 'create', name], { env: tools, stderr: 'inherit' });
  const kubeconfig = stdout.trim().split('\n').pop() ?? '';
  const env = { ...tools, KUBECONFIG: kubeconfig };
  const runScript = (...args: string[]) => execa('bash', [script, ...args], { env: tools, stderr: 'inherit' }).then(() => undefined);
  return {
    name,
    kubeconfig,
    env,
    async kubectl(args, options = {}) {
      const result = await execa(tools.KUBECTL_BIN ?? 'kubectl', ['--kubeconfig', kubeconfig, ...args], { ...options, env });
      return String(result.stdout);
    },
    execLocally: (container, vars) => runScript('exec', name, container, ...Object.entries(vars).map(([k, v]) => `${k}=${v}`)),
    serveLogs: (namespace, file) => runScript('logs', name, namespace, file),
    forwardPort: (containerPort, target) => runScript('port-forward', name, String(containerPort), target),
    async delete() {
      await runScript('delete', name);
    },
  };
}
