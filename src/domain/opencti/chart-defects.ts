/**
 * Known defects of devops-ia/helm-opencti chart versions, as data: which versions, what
 * breaks, when it matters and what to do. Checked in pre-flight and in `plan`, before any
 * change. From the chart's history:
 *
 * - 2.0.12 to 2.0.19: the clustering Services (frontend, ingestion) select
 *   `opencti.component: server`, which no pod carries in clustering mode: no endpoints.
 *   Fixed in 2.1.0 ("resolve label selector on clustering").
 * - before 2.1.4: the clustering frontend Ingress and the HPAs render the label
 *   `opencti.component` twice (server labels plus their own): helm fails to render them.
 *   Fixed in 2.1.4 ("labels on ingress, networkpolicy and hpa").
 * - before 2.0.3: the probes take the health key from `env` only, never from `secrets`.
 * - before 2.5.0: a health key given through `envFromSecrets` is not seen by the probes,
 *   which then call /health with the default key (`ChangeMe`) or none. 2.5.0 renders an
 *   exec probe that reads the key from the pod's environment.
 */
import semver from 'semver';
import type { ValuesMap } from './values.js';
import { getPath, mapAt } from './values.js';

export type DefectId = 'clustering-services-select-server' | 'clustering-labels-render-twice' | 'probe-ignores-secrets' | 'probe-ignores-env-from-secrets';

export interface ChartDefect {
  id: DefectId;
  /** semver range of the affected chart versions. */
  versions: string;
  defect: string;
  /** Whether the defect bites these values (the chart values the release will run with). */
  applies: (values: ValuesMap) => boolean;
  /** Refuse (true) or warn. */
  blocking: boolean;
  fix: string;
}

const clustering = (v: ValuesMap): boolean => mapAt(v, ['clustering']).enabled === true;
const frontendOn = (v: ValuesMap): boolean => clustering(v) && mapAt(v, ['clustering', 'frontend']).enabled !== false;

export const CHART_DEFECTS: readonly ChartDefect[] = [
  {
    id: 'clustering-services-select-server',
    versions: '>=2.0.12 <2.1.0',
    defect: 'the clustering Services select opencti.component=server: frontend and ingestion Services get no endpoints',
    applies: clustering,
    blocking: true,
    fix: 'target chart 2.1.0 or later (2.1.4 or later for the frontend Ingress and autoscaling)',
  },
  {
    id: 'clustering-labels-render-twice',
    versions: '<2.1.4',
    defect: 'the clustering frontend Ingress and autoscalers render the opencti.component label twice and fail to render',
    applies: (v) =>
      (frontendOn(v) && mapAt(v, ['clustering', 'frontend', 'ingress']).enabled === true) ||
      (clustering(v) && ['frontend', 'ingestion'].some((c) => mapAt(v, ['clustering', c, 'autoscaling']).enabled === true)),
    blocking: true,
    fix: 'target chart 2.1.4 or later, or leave clustering.frontend.ingress and clustering.*.autoscaling disabled',
  },
  {
    id: 'probe-ignores-secrets',
    versions: '>=2.0.0 <2.0.3',
    defect: 'the probes take the health key from env.APP__HEALTH_ACCESS_KEY only, not from the chart-managed secrets',
    applies: (v) => Array.isArray(v.secrets) && v.secrets.some((s) => getPath(s as ValuesMap, ['data', 'APP__HEALTH_ACCESS_KEY']) !== undefined),
    blocking: false,
    fix: 'target chart 2.0.3 or later',
  },
  {
    id: 'probe-ignores-env-from-secrets',
    versions: '<2.5.0',
    defect: 'the health key comes from envFromSecrets, but the probes call /health with env.APP__HEALTH_ACCESS_KEY (default ChangeMe): pods never become Ready',
    applies: (v) => mapAt(v, ['envFromSecrets']).APP__HEALTH_ACCESS_KEY !== undefined,
    // The render check (probe key against the Secret) decides whether it really bites; this one warns.
    blocking: false,
    fix: 'target chart 2.5.0 or later with env.APP__HEALTH_ACCESS_KEY set to null (exec probe reading the pod env), or set readinessProbeCustom/livenessProbeCustom/startupProbeCustom',
  },
];

export interface DefectFinding {
  id: DefectId;
  version: string;
  blocking: boolean;
  message: string;
}

/** The known defects of `version` that bite `values`; a range is judged by its lowest version. */
export function chartDefects(version: string | undefined, values: ValuesMap): DefectFinding[] {
  if (!version) return [];
  const exact = semver.valid(version) ?? (semver.validRange(version) ? semver.minVersion(version)?.version : undefined);
  if (!exact) return [];
  return CHART_DEFECTS.filter((d) => semver.satisfies(exact, d.versions) && d.applies(values)).map((d) => ({
    id: d.id,
    version: exact,
    blocking: d.blocking,
    message: `chart ${exact} (${d.versions}): ${d.defect}. Fix: ${d.fix}`,
  }));
}
