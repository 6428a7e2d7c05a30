/**
 * The OpenCTI chart's values migrations, as pure functions from the operator's values to
 * the values the release must run with. Each returns the change as an overlay (a null
 * deletes a key), the resulting complete values (what the activity writes for `helm
 * upgrade -f`: helm itself cannot delete a key an earlier -f file set unless the chart's
 * defaults have it), their diff, and warnings for the traps the upgrade guide leaves
 * implicit:
 *
 * - a key in the top-level `env` wins over the same key under `clustering.frontend.env`, so
 *   the frontend's "disable background managers" settings can be silently ignored;
 * - the root `ingress` is not rendered in clustering mode (it moves to the frontend);
 * - workers must reach ingestion and connectors the frontend: an `OPENCTI_URL` hard-coded
 *   to `<release>-server` breaks them;
 * - a target chart older than the first version with clustering.
 */
import semver from 'semver';
import { applyOverlay, clone, clusteringValuesProblems, diffValues, getPath, isMap, mapAt, setPath, type DiffLine, type ValuesMap } from './values.js';

/** Background managers the frontend must not run in clustering mode (the guide's list). */
export const FRONTEND_DISABLED_MANAGERS = [
  'NOTIFICATION_MANAGER__ENABLED',
  'RULE_ENGINE__ENABLED',
  'TASK_SCHEDULER__ENABLED',
  'HISTORY_MANAGER__ENABLED',
  'SYNC_MANAGER__ENABLED',
] as const;

/** The managers the chart's own defaults turn off in clustering.frontend.env. */
export const CHART_FRONTEND_DEFAULTS: readonly string[] = ['NOTIFICATION_MANAGER__ENABLED', 'RULE_ENGINE__ENABLED', 'TASK_SCHEDULER__ENABLED'];

/** Root-level settings that size the single server and are copied to each cluster. */
const SIZING_KEYS = ['replicaCount', 'resources', 'autoscaling', 'podDisruptionBudget', 'nodeSelector', 'tolerations'] as const;

export type WarningCode =
  | 'top-level-env-override'
  | 'moved-top-level-env'
  | 'root-ingress'
  | 'moved-root-ingress'
  | 'restored-root-ingress'
  | 'hard-coded-server-url'
  | 'removed-hard-coded-url'
  | 'chart-too-old'
  | 'invalid-clustering-values'
  | 'managers-enabled-on-frontend'
  | 'restored-top-level-env'
  | 'clustering-not-enabled'
  | 'clustering-enabled'
  | 'no-ingress'
  | 'known-chart-defect'
  | 'render-failed'
  | 'service-selects-nothing'
  | 'promise-not-rendered'
  | 'routing'
  | 'probe-health-key'
  | 'replicas-reset'
  | 'ingress-removed'
  | 'not-on-v2';

export interface ValuesWarning {
  code: WarningCode;
  /** The values path concerned, e.g. `env.RULE_ENGINE__ENABLED`. */
  path: string;
  message: string;
  /** The change must not go ahead as it is. */
  blocking: boolean;
}

export interface ValuesChange {
  /** Applied by helm after the operator's values. */
  overlay: ValuesMap;
  /** The operator's values with the overlay applied: what the release will run with. */
  values: ValuesMap;
  diff: DiffLine[];
  warnings: ValuesWarning[];
  /** Env the run promises on each platform component (set explicitly in the values; verified live). */
  promise: EnvPromise[];
}

/** One env value a platform Deployment must run with after the change, as the chart renders it (a string). */
export interface EnvPromise {
  component: Component;
  name: string;
  value: string;
  /** Where the values set it, for the approver. */
  path: string;
}

/**
 * The chart's fullname rule (`opencti.fullname`): fullnameOverride, else the release name
 * when it contains the chart name (or nameOverride), else `<release>-<name>`; 63 characters.
 */
export function chartFullname(release: string, values: ValuesMap): string {
  const cut = (s: string) => s.slice(0, 63).replace(/-+$/, '');
  if (typeof values.fullnameOverride === 'string' && values.fullnameOverride) return cut(values.fullnameOverride);
  const name = typeof values.nameOverride === 'string' && values.nameOverride ? values.nameOverride : 'opencti';
  return cut(release.includes(name) ? release : `${release}-${name}`);
}

export type Cluster = 'frontend' | 'ingestion';
export type Component = 'server' | Cluster;

export interface ClusteringMigrationOptions {
  release: string;
  /** The chart version (or range) the upgrade targets; undefined: the repository's latest. */
  targetVersion?: string;
  /** The first chart version with clustering. */
  minimumChartVersion?: string;
  /** Merged over the generated block (operator's choices win over the copied sizing). */
  frontend?: ValuesMap;
  ingestion?: ValuesMap;
  /**
   * Move top-level manager settings (which would override the frontend's) to the ingestion
   * cluster's env. Off: they stay, with a warning.
   */
  moveTopLevelManagerEnv?: boolean;
  /** Delete worker/connectorsGlobal OPENCTI_URL values hard-coded to `<release>-server`. */
  removeHardCodedServerUrls?: boolean;
}

export const DEFAULT_MINIMUM_CHART_VERSION = '2.0.0';

/** Single-mode (v1) values -> clustering values. */
export function migrateToClustering(original: ValuesMap, options: ClusteringMigrationOptions): ValuesChange {
  const warnings: ValuesWarning[] = [];
  const overlay: ValuesMap = {};
  const existing = mapAt(original, ['clustering']);
  const rootEnv = mapAt(original, ['env']);
  const moveEnv = options.moveTopLevelManagerEnv ?? true;

  for (const cluster of ['frontend', 'ingestion'] as const) {
    const current = mapAt(existing, [cluster]);
    const block: ValuesMap = {};
    if (current.enabled === undefined) block.enabled = true;
    // The operator's sizing, copied from the single server unless the cluster already has its own.
    for (const key of SIZING_KEYS) {
      if (current[key] === undefined && original[key] !== undefined) block[key] = clone(original[key]);
    }
    if (current.replicaCount === undefined && block.replicaCount === undefined) block.replicaCount = 1;
    Object.assign(block, clone(options[cluster] ?? {}));
    overlay[cluster] = block;
  }
  const frontend = overlay.frontend as ValuesMap;
  const ingestion = overlay.ingestion as ValuesMap;

  // The frontend leaves background work to ingestion, unless the operator said otherwise there.
  const frontendEnv = mapAt(existing, ['frontend', 'env']);
  const ingestionEnv = mapAt(existing, ['ingestion', 'env']);
  const promise: EnvPromise[] = [];
  for (const key of FRONTEND_DISABLED_MANAGERS) {
    // Set explicitly even where the chart's defaults agree: what is promised is in the file.
    const onFrontend = frontendEnv[key] ?? false;
    setPath(frontend, ['env', key], clone(onFrontend));
    promise.push({ component: 'frontend', name: key, value: scalar(onFrontend), path: `clustering.frontend.env.${key}` });
    if (rootEnv[key] === undefined) continue;
    if (moveEnv) {
      setPath(overlay, ['env', key], null);
      const onIngestion = ingestionEnv[key] ?? rootEnv[key];
      if (ingestionEnv[key] === undefined) setPath(ingestion, ['env', key], clone(rootEnv[key]));
      promise.push({ component: 'ingestion', name: key, value: scalar(onIngestion), path: `clustering.ingestion.env.${key}` });
      warnings.push({
        code: 'moved-top-level-env',
        path: `env.${key}`,
        message: `env.${key} moved to clustering.ingestion.env: at the top level it would override clustering.frontend.env.${key}`,
        blocking: false,
      });
    }
  }

  // The root ingress is not rendered in clustering mode: it moves to the frontend.
  const rootIngress = mapAt(original, ['ingress']);
  if (rootIngress.enabled === true) {
    if (mapAt(existing, ['frontend', 'ingress']).enabled === true) {
      warnings.push({
        code: 'root-ingress',
        path: 'ingress',
        message: 'both the root ingress and clustering.frontend.ingress are enabled: the root one is removed, the frontend one kept',
        blocking: false,
      });
    } else {
      frontend.ingress = clone(rootIngress);
      warnings.push({
        code: 'moved-root-ingress',
        path: 'ingress',
        message: `the root ingress (${ingressHosts(rootIngress) || 'no hosts'}) moved to clustering.frontend.ingress`,
        blocking: false,
      });
    }
    overlay.ingress = null;
  }

  // Workers must reach ingestion and connectors the frontend: a URL pinned to -server breaks them.
  if (options.removeHardCodedServerUrls ?? true) {
    for (const path of [
      ['worker', 'env', 'OPENCTI_URL'],
      ['connectorsGlobal', 'env', 'OPENCTI_URL'],
    ]) {
      const url = getPath(original, path);
      if (typeof url === 'string' && pointsAt(url, `${chartFullname(options.release, original)}-server`)) {
        setPath(overlay, path, null);
        warnings.push({
          code: 'removed-hard-coded-url',
          path: path.join('.'),
          message: `${path.join('.')} was hard-coded to ${url}; removed so the chart points it at the right cluster`,
          blocking: false,
        });
      }
    }
  }

  const fullOverlay: ValuesMap = { ...overlay, clustering: { enabled: true, frontend, ingestion } };
  delete fullOverlay.frontend;
  delete fullOverlay.ingestion;
  return finish(original, fullOverlay, warnings, promise, (values) => [
    ...clusteringTraps(values, options.release),
    ...chartVersionWarnings(options.targetVersion, options.minimumChartVersion ?? DEFAULT_MINIMUM_CHART_VERSION),
    ...clusteringValuesProblems(values).map(
      (p): ValuesWarning => ({ code: 'invalid-clustering-values', path: p.split(':')[0]!, message: `invalid clustering values: ${p}`, blocking: true }),
    ),
  ]);
}

/** Clustering values -> single mode on v2: clustering off, the frontend's ingress back at the root. */
export function disableClustering(original: ValuesMap, options: { release: string }): ValuesChange {
  const warnings: ValuesWarning[] = [];
  const overlay: ValuesMap = { clustering: { enabled: false } };
  if (mapAt(original, ['clustering']).enabled !== true) {
    warnings.push({ code: 'clustering-not-enabled', path: 'clustering.enabled', message: 'clustering is not enabled in these values', blocking: false });
  }
  restoreRootIngress(original, overlay, warnings);
  // Manager settings kept for ingestion go back to the top level, where the single server reads them.
  const rootEnv = mapAt(original, ['env']);
  const ingestionEnv = mapAt(original, ['clustering', 'ingestion', 'env']);
  const promise: EnvPromise[] = [];
  for (const key of FRONTEND_DISABLED_MANAGERS) {
    if (rootEnv[key] !== undefined) promise.push({ component: 'server', name: key, value: scalar(rootEnv[key]), path: `env.${key}` });
    if (ingestionEnv[key] !== undefined && rootEnv[key] === undefined) {
      setPath(overlay, ['env', key], clone(ingestionEnv[key]));
      promise.push({ component: 'server', name: key, value: scalar(ingestionEnv[key]), path: `env.${key}` });
      warnings.push({
        code: 'restored-top-level-env',
        path: `env.${key}`,
        message: `clustering.ingestion.env.${key} restored to the top-level env for the single server`,
        blocking: false,
      });
    }
  }
  return finish(original, overlay, warnings, promise, (values) => hardCodedClusterUrls(values, options.release, ['frontend', 'ingestion']));
}

/**
 * Disables one cluster and keeps the other; the chart then points workers and connectors
 * at the remaining one. Without ingestion the frontend must run the background managers
 * again; without the frontend the root ingress serves ingestion.
 */
export function disableCluster(original: ValuesMap, cluster: Cluster, options: { release: string }): ValuesChange {
  const warnings: ValuesWarning[] = [];
  const other: Cluster = cluster === 'frontend' ? 'ingestion' : 'frontend';
  const clustering = mapAt(original, ['clustering']);
  const overlay: ValuesMap = { clustering: { [cluster]: { enabled: false } } };
  const promise: EnvPromise[] = [];
  if (clustering.enabled !== true) {
    warnings.push({ code: 'clustering-not-enabled', path: 'clustering.enabled', message: 'clustering is not enabled in these values: there is no cluster to disable', blocking: true });
  }
  if (mapAt(clustering, [other]).enabled === false) {
    warnings.push({
      code: 'invalid-clustering-values',
      path: `clustering.${other}.enabled`,
      message: `the ${other} cluster is already disabled: disabling the ${cluster} too leaves nothing; disable clustering instead`,
      blocking: true,
    });
  }
  if (cluster === 'frontend') {
    // The chart renders the root Ingress only without clustering, and the frontend's only
    // with the frontend: nothing serves users any more. Said at approval, not papered over.
    const frontendIngress = mapAt(clustering, ['frontend', 'ingress']);
    warnings.push({
      code: 'no-ingress',
      path: 'clustering.frontend.ingress',
      message:
        `with the frontend disabled the chart renders no Ingress${frontendIngress.enabled === true ? ` (${ingressHosts(frontendIngress) || 'no hosts'} goes away)` : ''}: ` +
        'users lose the UI/API ingress; the root ingress is not rendered in clustering mode',
      blocking: false,
    });
  } else {
    // The managers move to the frontend, with the settings the operator gave ingestion, and
    // are set explicitly: the chart's defaults turn three of them off on the frontend, so
    // leaving a key out (or null) would put `false` back.
    const frontendEnv = mapAt(clustering, ['frontend', 'env']);
    const ingestionEnv = mapAt(clustering, ['ingestion', 'env']);
    for (const key of FRONTEND_DISABLED_MANAGERS) {
      const wanted = ingestionEnv[key] ?? true;
      setPath(overlay, ['clustering', 'frontend', 'env', key], clone(wanted));
      promise.push({ component: 'frontend', name: key, value: scalar(wanted), path: `clustering.frontend.env.${key}` });
      if (scalar(wanted) !== scalar(frontendEnv[key] ?? (CHART_FRONTEND_DEFAULTS.includes(key) ? false : undefined))) {
        warnings.push({
          code: 'managers-enabled-on-frontend',
          path: `clustering.frontend.env.${key}`,
          message: `clustering.frontend.env.${key} set to ${scalar(wanted)}${ingestionEnv[key] !== undefined ? ' as ingestion had it' : ''}: without ingestion the frontend runs the managers`,
          blocking: false,
        });
      }
    }
  }
  return finish(original, overlay, warnings, promise, (values) => [...clusteringTraps(values, options.release), ...hardCodedClusterUrls(values, options.release, [cluster])]);
}

/** The traps in any clustering values: overriding top-level env, a root ingress left behind, -server URLs. */
export function clusteringTraps(values: ValuesMap, release: string): ValuesWarning[] {
  const warnings: ValuesWarning[] = [];
  const clustering = mapAt(values, ['clustering']);
  if (clustering.enabled !== true) return warnings;
  const rootEnv = mapAt(values, ['env']);
  for (const cluster of ['frontend', 'ingestion'] as const) {
    const block = mapAt(clustering, [cluster]);
    if (block.enabled === false) continue;
    for (const [key, value] of Object.entries(mapAt(block, ['env']))) {
      if (rootEnv[key] !== undefined && scalar(rootEnv[key]) !== scalar(value)) {
        warnings.push({
          code: 'top-level-env-override',
          path: `env.${key}`,
          message: `env.${key}=${scalar(rootEnv[key])} overrides clustering.${cluster}.env.${key}=${scalar(value)}: the top-level env wins`,
          blocking: false,
        });
      }
    }
  }
  const frontendOn = mapAt(clustering, ['frontend']).enabled !== false;
  if (frontendOn && mapAt(values, ['ingress']).enabled === true) {
    warnings.push({
      code: 'root-ingress',
      path: 'ingress',
      message: 'the root ingress is enabled but not rendered in clustering mode: move it to clustering.frontend.ingress',
      blocking: false,
    });
  }
  warnings.push(...hardCodedUrls(values, `${chartFullname(release, values)}-server`, 'hard-coded-server-url'));
  return warnings;
}

/** A warning when the target chart (version or range) may be older than `minimum`. */
export function chartVersionWarnings(target: string | undefined, minimum: string): ValuesWarning[] {
  if (!target) return [];
  const lowest = semver.validRange(target) ? semver.minVersion(target) : null;
  if (!lowest) {
    return [{ code: 'chart-too-old', path: 'version', message: `chart version "${target}" is neither a version nor a range`, blocking: true }];
  }
  if (semver.lt(lowest, minimum)) {
    return [
      {
        code: 'chart-too-old',
        path: 'version',
        message: `chart version ${target} allows ${lowest.version}, older than ${minimum}, the first with clustering`,
        blocking: true,
      },
    ];
  }
  return [];
}

function restoreRootIngress(original: ValuesMap, overlay: ValuesMap, warnings: ValuesWarning[]): void {
  const frontendIngress = mapAt(original, ['clustering', 'frontend', 'ingress']);
  if (frontendIngress.enabled !== true || mapAt(original, ['ingress']).enabled === true) return;
  overlay.ingress = clone(frontendIngress);
  warnings.push({
    code: 'restored-root-ingress',
    path: 'ingress',
    message: `clustering.frontend.ingress (${ingressHosts(frontendIngress) || 'no hosts'}) restored at the root`,
    blocking: false,
  });
}

function hardCodedClusterUrls(values: ValuesMap, release: string, gone: readonly Cluster[]): ValuesWarning[] {
  return gone.flatMap((c) => hardCodedUrls(values, `${chartFullname(release, values)}-${c}`, 'hard-coded-server-url'));
}

function hardCodedUrls(values: ValuesMap, service: string, code: WarningCode): ValuesWarning[] {
  const found: Array<[string, unknown]> = [
    ['worker.env.OPENCTI_URL', getPath(values, ['worker', 'env', 'OPENCTI_URL'])],
    ['connectorsGlobal.env.OPENCTI_URL', getPath(values, ['connectorsGlobal', 'env', 'OPENCTI_URL'])],
  ];
  const connectors = values.connectors;
  if (Array.isArray(connectors)) {
    connectors.forEach((c: unknown, i) => {
      if (isMap(c)) found.push([`connectors[${i}].env.OPENCTI_URL (${String(c.name)})`, getPath(c, ['env', 'OPENCTI_URL'])]);
    });
  }
  return found
    .filter(([, url]) => typeof url === 'string' && pointsAt(url, service))
    .map(([path, url]) => ({
      code,
      path,
      message: `${path} is hard-coded to ${String(url)}, a service that does not exist in this mode: remove it and let the chart set it`,
      blocking: false,
    }));
}

/** Whether a URL's host is the service (short name, namespaced or fully qualified). */
export function pointsAt(url: string, service: string): boolean {
  const host = /^[a-z]+:\/\/([^/:?#]+)/i.exec(url.trim())?.[1] ?? url.trim().split(/[/:]/)[0] ?? '';
  return host === service || host.startsWith(`${service}.`);
}

/** Env values as the chart renders them (`toString`). */
function scalar(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function ingressHosts(ingress: ValuesMap): string {
  const hosts = Array.isArray(ingress.hosts) ? ingress.hosts : [];
  return hosts
    .map((h: unknown) => (isMap(h) ? String(h.host) : String(h)))
    .filter(Boolean)
    .join(', ');
}

function finish(original: ValuesMap, overlay: ValuesMap, warnings: ValuesWarning[], promise: EnvPromise[], check: (values: ValuesMap) => ValuesWarning[]): ValuesChange {
  const values = applyOverlay(original, overlay);
  return { overlay, values, diff: diffValues(original, values), warnings: [...warnings, ...check(values)], promise };
}
