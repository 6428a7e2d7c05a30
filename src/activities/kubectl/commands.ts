/**
 * kubectl command lines as pure functions returning argv arrays (no executable), unit-
 * tested as exact arrays. Every runbook's kubectl step is built here.
 */
import { goDuration } from '../../domain/duration.js';
import { kubectlKubeFlags, type KubeTarget } from '../../domain/kube-target.js';

export interface Scope {
  namespace: string;
  kube: KubeTarget;
}

const scoped = (s: Scope): string[] => ['--namespace', s.namespace, ...kubectlKubeFlags(s.kube)];

/** `kubectl get <kind> [name] -o json`, with an optional label selector. */
export function kubectlGetJsonArgs(s: Scope, kind: string, opts: { name?: string; selector?: string } = {}): string[] {
  return ['get', kind, ...(opts.name ? [opts.name] : []), ...(opts.selector ? ['--selector', opts.selector] : []), '--output', 'json', ...scoped(s)];
}

/** Cluster-scoped objects (namespaces, CRDs). */
export function kubectlGetClusterJsonArgs(kube: KubeTarget, kind: string, opts: { name?: string; selector?: string } = {}): string[] {
  return ['get', kind, ...(opts.name ? [opts.name] : []), ...(opts.selector ? ['--selector', opts.selector] : []), '--output', 'json', ...kubectlKubeFlags(kube)];
}

export const kubectlApiResourcesArgs = (kube: KubeTarget): string[] => ['api-resources', '--output', 'name', ...kubectlKubeFlags(kube)];

/** The server's version as JSON (`serverVersion.gitVersion`, e.g. "v1.33.1"). */
export const kubectlVersionArgs = (kube: KubeTarget): string[] => ['version', '--output', 'json', ...kubectlKubeFlags(kube)];

/** Every served group/version, one a line ("apps/v1", "v1"). */
export const kubectlApiVersionsArgs = (kube: KubeTarget): string[] => ['api-versions', ...kubectlKubeFlags(kube)];

/** The served kinds as a table (NAME SHORTNAMES APIVERSION NAMESPACED KIND), for group/version/Kind capabilities. */
export const kubectlApiResourceKindsArgs = (kube: KubeTarget): string[] => ['api-resources', ...kubectlKubeFlags(kube)];

export const kubectlApplyStdinArgs = (s: Scope): string[] => ['apply', '--filename', '-', ...scoped(s)];

export const kubectlDeleteArgs = (s: Scope, kind: string, name: string): string[] => [
  'delete',
  kind,
  name,
  '--ignore-not-found',
  '--wait',
  ...scoped(s),
];

export const kubectlLogsArgs = (s: Scope, target: string, tailLines = 200): string[] => [
  'logs',
  target,
  '--all-containers',
  '--tail',
  String(tailLines),
  ...scoped(s),
];

export const kubectlRolloutStatusArgs = (s: Scope, target: string, timeoutMs: number): string[] => [
  'rollout',
  'status',
  target,
  '--watch',
  '--timeout',
  goDuration(timeoutMs),
  ...scoped(s),
];

export const kubectlScaleArgs = (s: Scope, target: string, replicas: number): string[] => [
  'scale',
  target,
  '--replicas',
  String(replicas),
  ...scoped(s),
];

/** Runs a command in a pod's container; stdin is passed when `stdin` is true. */
export const kubectlExecArgs = (s: Scope, pod: string, command: readonly string[], opts: { container?: string; stdin?: boolean } = {}): string[] => [
  'exec',
  ...(opts.stdin ? ['--stdin'] : []),
  pod,
  ...(opts.container ? ['--container', opts.container] : []),
  ...scoped(s),
  '--',
  ...command,
];

/** `kubectl port-forward svc/<name> :<port>` on the loopback address (a free local port, printed by kubectl). */
export const kubectlPortForwardArgs = (s: Scope, target: string, remotePort: number): string[] => [
  'port-forward',
  target,
  `:${remotePort}`,
  '--address',
  '127.0.0.1',
  ...scoped(s),
];

/** Sets (`key=value`) or removes (`key-`) an annotation. */
export const kubectlAnnotateArgs = (s: Scope, target: string, annotation: string): string[] => [
  'annotate',
  target,
  annotation,
  '--overwrite',
  ...scoped(s),
];

/** Waits for a condition or a JSONPath value (`--for=condition=complete`, `--for=jsonpath={.status.readyToUse}=true`). */
export const kubectlWaitArgs = (s: Scope, target: string, forCondition: string, timeoutMs: number): string[] => [
  'wait',
  target,
  `--for=${forCondition}`,
  '--timeout',
  goDuration(timeoutMs),
  ...scoped(s),
];
