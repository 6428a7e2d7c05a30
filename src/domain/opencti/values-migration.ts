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
  | 'clustering-enabled';

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
  for (const key of FRONTEND_DISABLED_MANAGERS) {
    if (frontendEnv[key] === undefined) setPath(frontend, ['env', key], false);
    if (rootEnv[key] === undefined) continue;
    if (moveEnv) {
      setPath(overlay, ['env', key], null);
      if (ingestionEnv[key] === undefined) setPath(ingestion, ['env', key], clone(rootEnv[key]));
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
      if (typeof url === 'string' && pointsAt(url, `${options.release}-server`)) {
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
  return finish(original, fullOverlay, warnings, (values) => [
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
  for (const key of FRONTEND_DISABLED_MANAGERS) {
    if (ingestionEnv[key] !== undefined && rootEnv[key] === undefined) {
      setPath(overlay, ['env', key], clone(ingestionEnv[key]));
      warnings.push({
        code: 'restored-top-level-env',
        path: `env.${key}`,
        message: `clustering.ingestion.env.${key} restored to the top-level env for the single server`,
        blocking: false,
      });
    }
  }
  return finish(original, overlay, warnings, (values) => hardCodedClusterUrls(values, options.release, ['frontend', 'ingestion']));
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
    restoreRootIngress(original, overlay, warnings);
  } else {
    // The managers move to the frontend, with the settings the operator gave ingestion.
    const frontendEnv = mapAt(clustering, ['frontend', 'env']);
    const ingestionEnv = mapAt(clustering, ['ingestion', 'env']);
    for (const key of FRONTEND_DISABLED_MANAGERS) {
      const fromIngestion = ingestionEnv[key];
      if (fromIngestion !== undefined && scalar(fromIngestion) !== scalar(frontendEnv[key])) {
        setPath(overlay, ['clustering', 'frontend', 'env', key], clone(fromIngestion));
        warnings.push({
          code: 'managers-enabled-on-frontend',
          path: `clustering.frontend.env.${key}`,
          message: `clustering.frontend.env.${key} set to ${scalar(fromIngestion)} as ingestion had it: without ingestion the frontend runs the managers`,
          blocking: false,
        });
      } else if (fromIngestion === undefined && frontendEnv[key] !== undefined && frontendEnv[key] !== true && frontendEnv[key] !== 'true') {
        setPath(overlay, ['clustering', 'frontend', 'env', key], null);
        warnings.push({
          code: 'managers-enabled-on-frontend',
          path: `clustering.frontend.env.${key}`,
          message: `clustering.frontend.env.${key} removed: without ingestion the frontend must run this manager`,
          blocking: false,
        });
      }
    }
  }
  return finish(original, overlay, warnings, (values) => [...clusteringTraps(values, options.release), ...hardCodedClusterUrls(values, options.release, [cluster])]);
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
  warnings.push(...hardCodedUrls(values, `${release}-server`, 'hard-coded-server-url'));
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
  return gone.flatMap((c) => hardCodedUrls(values, `${release}-${c}`, 'hard-coded-server-url'));
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

function finish(original: ValuesMap, overlay: ValuesMap, warnings: ValuesWarning[], check: (values: ValuesMap) => ValuesWarning[]): ValuesChange {
  const values = applyOverlay(original, overlay);
  return { overlay, values, diff: diffValues(original, values), warnings: [...warnings, ...check(values)] };
}

// ---- What the release should look like, for verification. ----

export interface PlatformExpectation {
  component: Component;
  /** The Deployment and Service `<release>-<component>`. */
  name: string;
  /** Ready replicas expected at least (autoscaling: its minimum). */
  replicas: number;
}

export interface Topology {
  clustering: boolean;
  platform: PlatformExpectation[];
  ingress?: { name: string; service: string };
  /** Where the chart points workers and connectors; undefined when none is enabled. */
  workerTarget?: Component;
  connectorTarget?: Component;
}

/** What the chart renders from these values (the guide's service names and connectivity matrix). */
export function expectedTopology(values: ValuesMap, release: string): Topology {
  const clustering = mapAt(values, ['clustering']);
  const on = clustering.enabled === true;
  const replicasOf = (block: ValuesMap): number => {
    const autoscaling = mapAt(block, ['autoscaling']);
    if (autoscaling.enabled === true) return typeof autoscaling.minReplicas === 'number' ? autoscaling.minReplicas : 1;
    return typeof block.replicaCount === 'number' ? block.replicaCount : 1;
  };
  const platform: PlatformExpectation[] = [];
  if (!on) platform.push({ component: 'server', name: `${release}-server`, replicas: replicasOf(values) });
  const frontendOn = on && mapAt(clustering, ['frontend']).enabled !== false;
  const ingestionOn = on && mapAt(clustering, ['ingestion']).enabled !== false;
  if (frontendOn) platform.push({ component: 'frontend', name: `${release}-frontend`, replicas: replicasOf(mapAt(clustering, ['frontend'])) });
  if (ingestionOn) platform.push({ component: 'ingestion', name: `${release}-ingestion`, replicas: replicasOf(mapAt(clustering, ['ingestion'])) });

  let ingress: Topology['ingress'];
  if (frontendOn) {
    if (mapAt(clustering, ['frontend', 'ingress']).enabled === true) ingress = { name: `${release}-frontend`, service: `${release}-frontend` };
  } else if (mapAt(values, ['ingress']).enabled === true) {
    ingress = { name: release, service: `${release}-${on ? 'ingestion' : 'server'}` };
  }
  const workerTarget: Component = !on ? 'server' : ingestionOn ? 'ingestion' : 'frontend';
  const connectorTarget: Component = !on ? 'server' : frontendOn ? 'frontend' : 'ingestion';
  const connectors = Array.isArray(values.connectors) ? values.connectors.filter((c: unknown) => isMap(c) && c.enabled !== false) : [];
  return {
    clustering: on,
    platform,
    ...(ingress ? { ingress } : {}),
    ...(mapAt(values, ['worker']).enabled !== false ? { workerTarget } : {}),
    ...(connectors.length > 0 ? { connectorTarget } : {}),
  };
}
