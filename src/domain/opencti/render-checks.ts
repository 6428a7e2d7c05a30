/**
 * Checks of the target as the cluster renders it, before approval: does the rendered
 * manifest do what the run promises (the env it sets, where workers and connectors go),
 * and which traps of the real chart bite (Services that select no pod, replicas rendered
 * over an autoscaler's, an Ingress that goes away, probes that call /health with a key the
 * pods do not have). Each finding says what to do. Pure.
 */
import { guideTarget, type PlatformComponent, type ReleaseObjects, type RenderedTopology } from './manifest.js';
import type { EnvPromise, ValuesWarning } from './values-migration.js';

const warning = (code: ValuesWarning['code'], path: string, message: string, blocking: boolean): ValuesWarning => ({ code, path, message, blocking });

/** The promised env against the rendered Deployments: a promise the chart would not keep blocks the run. */
export function promiseChecks(target: ReleaseObjects, promise: readonly EnvPromise[]): ValuesWarning[] {
  const out: ValuesWarning[] = [];
  for (const p of promise) {
    const workload = target.workloads.find((w) => w.role === p.component);
    if (!workload) {
      out.push(warning('promise-not-rendered', p.path, `the plan sets ${p.path}=${p.value}, but the target renders no ${p.component} Deployment`, true));
      continue;
    }
    const rendered = workload.env[p.name];
    if (rendered?.value !== p.value) {
      const got = rendered === undefined ? 'not set' : rendered.value === undefined ? `from ${rendered.from}` : `${rendered.value}`;
      out.push(
        warning(
          'promise-not-rendered',
          p.path,
          `the plan sets ${p.path}=${p.value}, but ${workload.name} renders ${p.name} ${got}` +
            ' (a top-level env, envFromSecrets or envFromConfigMap key wins over clustering.*.env: move it under the cluster that needs it)',
          true,
        ),
      );
    }
  }
  return out;
}

/** Everything the rendered target itself gets wrong, and what changes against the live release. */
export function renderedChecks(target: ReleaseObjects, topology: RenderedTopology, live?: ReleaseObjects): ValuesWarning[] {
  const out: ValuesWarning[] = [];
  for (const problem of target.problems) {
    out.push(warning('render-failed', 'manifest', `the target manifest cannot be applied (helm upgrade would fail to build it): ${problem}`, true));
  }
  if (topology.platform.length === 0) {
    out.push(warning('render-failed', 'manifest', 'the target renders no OpenCTI platform Deployment (opencti.component server, frontend or ingestion)', true));
  }
  for (const p of topology.platform) {
    for (const name of p.servicesSelectingNothing) {
      const svc = target.services.find((s) => s.name === name);
      out.push(
        warning(
          'service-selects-nothing',
          `Service/${name}`,
          `Service ${name} selects ${Object.entries(svc?.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || 'nothing'}, which no pod of the release carries: it would have no endpoints (${p.deployment} is unreachable through it)`,
          true,
        ),
      );
    }
    if (!p.service) out.push(warning('service-selects-nothing', `Deployment/${p.deployment}`, `no Service of the target selects the pods of ${p.deployment}`, true));
  }
  const components = topology.platform.map((p) => p.component);
  for (const r of topology.routes) {
    const want = guideTarget(r.role, components);
    if (r.url === undefined) {
      const w = target.workloads.find((x) => x.name === r.deployment);
      const from = w?.env.OPENCTI_URL?.from;
      out.push(warning('routing', `Deployment/${r.deployment}`, `${r.deployment} gets OPENCTI_URL ${from ? `from ${from}` : 'from nowhere'}: where it connects is not checked`, !from));
    } else if (!r.service) {
      out.push(
        warning('routing', `Deployment/${r.deployment}`, `${r.deployment} connects to ${r.url}, a Service the target does not render: remove the hard-coded OPENCTI_URL and let the chart set it`, true),
      );
    } else if (want && r.component !== want) {
      out.push(warning('routing', `Deployment/${r.deployment}`, `${r.deployment} connects to ${r.service} (${r.component ?? 'no platform pods'}), the upgrade guide routes ${r.role}s to ${want}`, true));
    }
  }
  for (const w of target.workloads) {
    const hpa = target.autoscalers.find((a) => a.target === w.name);
    const liveW = live?.workloads.find((x) => x.name === w.name);
    const liveHpa = live?.autoscalers.find((a) => a.target === w.name);
    if (w.replicas !== undefined && (hpa || liveHpa)) {
      out.push(
        warning(
          'replicas-reset',
          `Deployment/${w.name}`,
          `${w.name} is autoscaled but the chart renders replicas: ${w.replicas}: the upgrade resets it to ${w.replicas} until the autoscaler scales again` +
            `${liveW && liveW.replicas === undefined ? ' (the live revision leaves replicas to the autoscaler)' : ''}. Fix: set its replicaCount to the scale it runs at, or accept the dip`,
          false,
        ),
      );
    }
  }
  for (const i of live?.ingresses ?? []) {
    if (!target.ingresses.some((t) => t.name === i.name)) {
      const replaced = target.ingresses.map((t) => t.name).join(', ');
      out.push(
        warning(
          'ingress-removed',
          `Ingress/${i.name}`,
          `Ingress ${i.name} (${i.hosts.join(', ') || 'no hosts'}) is not in the target${replaced ? `; the target serves ingress through ${replaced}` : ': users lose the UI/API ingress'}`,
          false,
        ),
      );
    }
  }
  return out;
}

/** A platform Deployment whose readiness probe carries a literal health key while its pods get the key from a Secret. */
export interface ProbeKeyCheck {
  deployment: string;
  component: PlatformComponent;
  probeKey: string;
  secret: { name: string; key: string };
}

/** The probe keys to compare with the Secret the pods read (the activity reads it; the value never leaves it). */
export function probeKeyChecks(target: ReleaseObjects): ProbeKeyCheck[] {
  const out: ProbeKeyCheck[] = [];
  for (const w of target.workloads) {
    if (w.role !== 'server' && w.role !== 'frontend' && w.role !== 'ingestion') continue;
    const path = w.readinessProbe?.path;
    const from = w.env.APP__HEALTH_ACCESS_KEY?.from;
    if (!path || !from?.startsWith('secret:')) continue;
    const key = new URLSearchParams(path.split('?')[1] ?? '').get('health_access_key');
    if (key === null) continue;
    const [name, secretKey] = from.slice('secret:'.length).split('/') as [string, string];
    out.push({ deployment: w.name, component: w.role, probeKey: key, secret: { name, key: secretKey } });
  }
  return out;
}

export const PROBE_KEY_FIX =
  'on chart 2.5.0 or later set env.APP__HEALTH_ACCESS_KEY to null (the chart then renders an exec probe reading the key from the pod environment); ' +
  'before 2.5.0 set readinessProbeCustom, livenessProbeCustom and startupProbeCustom (an exec probe reading APP__HEALTH_ACCESS_KEY)';
