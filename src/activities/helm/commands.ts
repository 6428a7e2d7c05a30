/**
 * helm command lines as pure functions returning argv arrays (no executable), so that
 * every flag the runbooks use is unit-tested as an exact array.
 *
 * Every positional (release, chart, repository) comes after `--`, so no value from input
 * can be read as a flag even if it slipped past validation (`--post-renderer=x` as a chart
 * reference). Values that take a value use the `--flag=value` form for the same reason.
 * There is no --set or --set-string: overrides go into a values file (values-files.ts),
 * where commas, equals signs, brackets and newlines are just characters.
 */
import type { ClusterCapabilities } from '../../domain/cluster-capabilities.js';
import { goDuration } from '../../domain/duration.js';
import { helmKubeFlags, type KubeTarget } from '../../domain/kube-target.js';

export interface ReleaseRef {
  release: string;
  namespace: string;
  kube: KubeTarget;
}

export interface RenderSpec extends ReleaseRef {
  chart: string;
  version?: string;
  /** The operator's files, then the generated ones (inline values, --set pairs, image tag overrides): later files win. */
  valuesFiles: readonly string[];
  /** Render as this cluster would (`helm template` only; `helm upgrade` asks the cluster itself). */
  capabilities?: ClusterCapabilities;
}

/** Local chart directories and archives have no repository version to select. */
export function isLocalChart(ref: string): boolean {
  return ref.startsWith('/') || ref.startsWith('./') || ref.startsWith('../') || ref.endsWith('.tgz');
}

function renderFlags(spec: RenderSpec): string[] {
  return [
    '--namespace',
    spec.namespace,
    ...(spec.version && !isLocalChart(spec.chart) ? [`--version=${spec.version}`] : []),
    ...spec.valuesFiles.flatMap((f) => [`--values=${f}`]),
  ];
}

/** `--kube-version` and one `--api-versions` per served group/version(/Kind). */
export function capabilityFlags(capabilities: ClusterCapabilities | undefined): string[] {
  if (!capabilities) return [];
  return ['--kube-version', capabilities.kubeVersion, ...capabilities.apiVersions.flatMap((v) => ['--api-versions', v])];
}

export const helmVersionArgs = (): string[] => ['version', '--short'];

export const helmHistoryArgs = (r: ReleaseRef, max = 20): string[] => [
  'history',
  '--namespace',
  r.namespace,
  '--max',
  String(max),
  '--output',
  'json',
  ...helmKubeFlags(r.kube),
  '--',
  r.release,
];

/** Every release in a namespace, whatever its status (pending and failed ones too). */
export const helmListArgs = (namespace: string, kube: KubeTarget): string[] => [
  'list',
  '--namespace',
  namespace,
  '--all',
  '--output',
  'json',
  ...helmKubeFlags(kube),
];

export const helmGetManifestArgs = (r: ReleaseRef, revision?: number): string[] => [
  'get',
  'manifest',
  '--namespace',
  r.namespace,
  ...(revision !== undefined ? ['--revision', String(revision)] : []),
  ...helmKubeFlags(r.kube),
  '--',
  r.release,
];

/** `all`: computed values (chart defaults included), what `helm get values -a` prints. */
export const helmGetValuesArgs = (r: ReleaseRef, all: boolean): string[] => [
  'get',
  'values',
  '--namespace',
  r.namespace,
  ...(all ? ['--all'] : []),
  '--output',
  'json',
  ...helmKubeFlags(r.kube),
  '--',
  r.release,
];

export const helmTemplateArgs = (spec: RenderSpec, showOnly?: string): string[] => [
  'template',
  ...renderFlags(spec),
  ...capabilityFlags(spec.capabilities),
  ...(showOnly ? [`--show-only=${showOnly}`] : []),
  ...helmKubeFlags(spec.kube),
  '--',
  spec.release,
  spec.chart,
];

export interface UpgradeSpec extends RenderSpec {
  wait: boolean;
  timeoutMs: number;
  /** Install when the release does not exist yet (fixtures, first deploys). */
  install?: boolean;
  /**
   * A failed upgrade deletes the resources it created: a later upgrade diffs against the
   * last deployed revision and would leave them running.
   */
  cleanupOnFail?: boolean;
  /** Marks the revision with the run that made it (see run-mark.ts). */
  mark?: { description: string; labels: Record<string, string> };
}

export const helmUpgradeArgs = (spec: UpgradeSpec): string[] => [
  'upgrade',
  ...(spec.install ? ['--install'] : []),
  ...renderFlags(spec),
  ...(spec.wait ? ['--wait'] : []),
  ...(spec.cleanupOnFail ? ['--cleanup-on-fail'] : []),
  ...(spec.mark
    ? [
        '--description',
        spec.mark.description,
        ...(Object.keys(spec.mark.labels).length
          ? ['--labels', Object.entries(spec.mark.labels).map(([k, v]) => `${k}=${v}`).join(',')]
          : []),
      ]
    : []),
  '--timeout',
  goDuration(spec.timeoutMs),
  ...helmKubeFlags(spec.kube),
  '--',
  spec.release,
  spec.chart,
];

export interface RollbackSpec extends ReleaseRef {
  /** Omitted: helm rolls back to the previous revision. */
  revision?: number;
  wait: boolean;
  timeoutMs: number;
}

export const helmRollbackArgs = (spec: RollbackSpec): string[] => [
  'rollback',
  '--namespace',
  spec.namespace,
  ...(spec.wait ? ['--wait'] : []),
  '--timeout',
  goDuration(spec.timeoutMs),
  ...helmKubeFlags(spec.kube),
  '--',
  spec.release,
  ...(spec.revision !== undefined ? [String(spec.revision)] : []),
];

export const helmRepoAddArgs = (name: string, url: string): string[] => ['repo', 'add', '--force-update', '--', name, url];

export const helmRepoUpdateArgs = (name: string): string[] => ['repo', 'update', '--', name];

/** Adds global flags (e.g. a private repository config) to a helm argv, before its `--` so they stay flags. */
export function withHelmFlags(args: readonly string[], flags: readonly string[]): string[] {
  const end = args.indexOf('--');
  return end < 0 ? [...args, ...flags] : [...args.slice(0, end), ...flags, ...args.slice(end)];
}
