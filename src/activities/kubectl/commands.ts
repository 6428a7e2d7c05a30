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

/*
 * Positionals that can come from input (object names, `kind/name` targets, annotations)
 * go LAST, after `--`, so even a value that escaped the grammar could never be read as an
 * option. Checked with kubectl 1.32 against an API server that logs each request:
 * `get`, `delete`, `logs`, `rollout status`, `scale`, `annotate`, `wait` and `port-forward`
 * take positionals after `--` (`kubectl logs ... -- --evil` asks for the pod named "--evil").
 * `exec` does not: its `--` ends the pod and starts the command (`kubectl exec -- pod ls`
 * answers "pod, type/name or --filename must be specified"), so the pod stays before it and
 * relies on the grammar, checked again by `notAnOption`. Kinds are the code's constants.
 */
const afterDash = (...positionals: string[]): string[] => ['--', ...positionals];

/** A positional that must stay before `--` (exec's pod): refused when it would be read as an option. */
function notAnOption(value: string, what: string): string {
  if (value.startsWith('-')) throw new Error(`kubectl ${what} "${value}" starts with "-" and would be read as an option`);
  return value;
}

export interface GetOptions {
  name?: string;
  selector?: string;
  /** `--ignore-not-found`: an absent named object prints nothing instead of failing. */
  ignoreNotFound?: boolean;
}

const getFlags = (opts: GetOptions): string[] => [
  ...(opts.selector ? ['--selector', opts.selector] : []),
  '--output',
  'json',
  ...(opts.ignoreNotFound ? ['--ignore-not-found'] : []),
];

/** `kubectl get <kind> -o json [-- name]`, with an optional label selector. */
export function kubectlGetJsonArgs(s: Scope, kind: string, opts: GetOptions = {}): string[] {
  return ['get', kind, ...getFlags(opts), ...scoped(s), ...(opts.name ? afterDash(opts.name) : [])];
}

/** Cluster-scoped objects (namespaces, CRDs). */
export function kubectlGetClusterJsonArgs(kube: KubeTarget, kind: string, opts: GetOptions = {}): string[] {
  return ['get', kind, ...getFlags(opts), ...kubectlKubeFlags(kube), ...(opts.name ? afterDash(opts.name) : [])];
}

/**
 * One page of a cluster-scoped list read straight from the API (`kubectl get --raw`):
 * `kubectl get` follows the API's continue tokens itself and prints the whole list, which
 * for a large fleet is one activity result too big for Temporal; a page of `limit` items
 * keeps each result small. `continueToken` is the token the previous page ended with.
 */
export interface ListPage {
  selector?: string;
  limit: number;
  continueToken?: string;
}

export function kubectlListPageArgs(kube: KubeTarget, apiPath: string, page: ListPage): string[] {
  const query = new URLSearchParams();
  if (page.selector) query.set('labelSelector', page.selector);
  query.set('limit', String(page.limit));
  if (page.continueToken) query.set('continue', page.continueToken);
  return ['get', '--raw', `${apiPath}?${query.toString()}`, ...kubectlKubeFlags(kube)];
}

export const kubectlApiResourcesArgs = (kube: KubeTarget): string[] => ['api-resources', '--output', 'name', ...kubectlKubeFlags(kube)];

/** The server's version as JSON (`serverVersion.gitVersion`, e.g. "v1.33.1"). */
export const kubectlVersionArgs = (kube: KubeTarget): string[] => ['version', '--output', 'json', ...kubectlKubeFlags(kube)];

/** Every served group/version, one a line ("apps/v1", "v1"). */
export const kubectlApiVersionsArgs = (kube: KubeTarget): string[] => ['api-versions', ...kubectlKubeFlags(kube)];

/** The served kinds as a table (NAME SHORTNAMES APIVERSION NAMESPACED KIND), for group/version/Kind capabilities. */
export const kubectlApiResourceKindsArgs = (kube: KubeTarget): string[] => ['api-resources', ...kubectlKubeFlags(kube)];

export const kubectlApplyStdinArgs = (s: Scope): string[] => ['apply', '--filename', '-', ...scoped(s)];

/** `kubectl replace -f -`: the object read earlier, changed; its resourceVersion makes the API refuse it if anything changed since. */
export const kubectlReplaceStdinArgs = (s: Scope): string[] => ['replace', '--filename', '-', ...scoped(s)];

export const kubectlDeleteArgs = (s: Scope, kind: string, name: string): string[] => ['delete', kind, '--ignore-not-found', '--wait', ...scoped(s), ...afterDash(name)];

export const kubectlLogsArgs = (s: Scope, target: string, tailLines = 200): string[] => ['logs', '--all-containers', '--tail', String(tailLines), ...scoped(s), ...afterDash(target)];

export const kubectlRolloutStatusArgs = (s: Scope, target: string, timeoutMs: number): string[] => [
  'rollout',
  'status',
  '--watch',
  '--timeout',
  goDuration(timeoutMs),
  ...scoped(s),
  ...afterDash(target),
];

export const kubectlScaleArgs = (s: Scope, target: string, replicas: number): string[] => ['scale', '--replicas', String(replicas), ...scoped(s), ...afterDash(target)];

/** Runs a command in a pod's container; stdin is passed when `stdin` is true. The pod cannot follow `--` (see above). */
export const kubectlExecArgs = (s: Scope, pod: string, command: readonly string[], opts: { container?: string; stdin?: boolean } = {}): string[] => [
  'exec',
  ...(opts.stdin ? ['--stdin'] : []),
  notAnOption(pod, 'exec pod'),
  ...(opts.container ? ['--container', opts.container] : []),
  ...scoped(s),
  '--',
  ...command,
];

/** `kubectl port-forward svc/<name> :<port>` on the loopback address (a free local port, printed by kubectl). */
export const kubectlPortForwardArgs = (s: Scope, target: string, remotePort: number): string[] => [
  'port-forward',
  '--address',
  '127.0.0.1',
  ...scoped(s),
  ...afterDash(target, `:${remotePort}`),
];

/** Sets (`key=value`) or removes (`key-`) an annotation. */
export const kubectlAnnotateArgs = (s: Scope, target: string, annotation: string): string[] => ['annotate', '--overwrite', ...scoped(s), ...afterDash(target, annotation)];

/** Waits for a condition or a JSONPath value (`--for=condition=complete`, `--for=jsonpath={.status.readyToUse}=true`). */
export const kubectlWaitArgs = (s: Scope, target: string, forCondition: string, timeoutMs: number): string[] => [
  'wait',
  `--for=${forCondition}`,
  '--timeout',
  goDuration(timeoutMs),
  ...scoped(s),
  ...afterDash(target),
];
