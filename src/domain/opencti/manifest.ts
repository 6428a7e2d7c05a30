/**
 * The OpenCTI objects of a release, read from a manifest (`helm get manifest` of the live
 * revision, or `helm template` of the target as the cluster renders it) and classified by
 * the chart's own labels: `app.kubernetes.io/instance` (the release), `opencti.component`
 * (server, frontend, ingestion, worker) and `opencti.connector: <name>` (connectors carry
 * no component label). Names are never computed: a release called anything, with
 * `fullnameOverride` or `nameOverride`, is read as it is. Pure: used by activities and
 * workflows alike.
 */
import { parseAllDocuments } from 'yaml';

export type PlatformComponent = 'server' | 'frontend' | 'ingestion';
export type WorkloadRole = PlatformComponent | 'worker' | 'connector';

const PLATFORM: readonly string[] = ['server', 'frontend', 'ingestion'];

export interface EnvEntry {
  /** The literal value; undefined when it comes from a Secret or ConfigMap reference. */
  value?: string;
  /** `secret:<name>/<key>` or `configmap:<name>/<key>` for references. */
  from?: string;
}

export interface Probe {
  /** httpGet path (with its query), when the probe is an HTTP GET. */
  path?: string;
  /** The probe runs a command (the chart's exec probe reads the key from the pod's env). */
  exec?: boolean;
}

export interface Workload {
  name: string;
  role: WorkloadRole;
  /** `opencti.connector` of a connector. */
  connector?: string;
  /** spec.replicas as rendered; undefined when the chart leaves it out (an HPA owns it). */
  replicas?: number;
  /** The pod template's labels (what a Service must select). */
  podLabels: Record<string, string>;
  /** Env of the first container, in render order (the chart's precedence already applied). */
  env: Record<string, EnvEntry>;
  readinessProbe?: Probe;
}

export interface ServiceObject {
  name: string;
  selector: Record<string, string>;
  /** The first port (the chart's http port) and all ports. */
  port?: number;
  ports: number[];
}

export interface IngressObject {
  name: string;
  hosts: string[];
  services: string[];
}

export interface AutoscalerObject {
  name: string;
  /** The Deployment it scales. */
  target: string;
  minReplicas?: number;
}

export interface ReleaseObjects {
  workloads: Workload[];
  services: ServiceObject[];
  ingresses: IngressObject[];
  autoscalers: AutoscalerObject[];
  /**
   * Documents the API server would refuse to build (a mapping key twice, broken YAML):
   * `helm template` prints them, `helm upgrade` fails on them.
   */
  problems: string[];
}

interface Obj {
  kind?: string;
  metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined);
const rec = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const labelsOf = (v: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(rec(v)).flatMap(([k, x]) => (str(x) === undefined ? [] : [[k, str(x)!]])));

/** The objects of the release `release` in a multi-document manifest; hooks and other releases' objects are left out. */
export function releaseObjects(manifest: string, release: string): ReleaseObjects {
  const out: ReleaseObjects = { workloads: [], services: [], ingresses: [], autoscalers: [], problems: [] };
  for (const doc of parseAllDocuments(manifest, { uniqueKeys: true })) {
    if (doc.errors.length > 0) {
      const text = manifest.slice(doc.range[0], doc.range[2]);
      const what = /^kind:\s*(\S+)[\s\S]*?^\s{2}name:\s*(\S+)/m.exec(text);
      out.problems.push(`${what ? `${what[1]}/${what[2]}` : 'a document'}: ${doc.errors.map((e) => e.message.split('\n')[0]).join('; ')}`);
      continue;
    }
    const obj = doc.toJS() as Obj | null;
    if (!obj || typeof obj !== 'object' || !obj.kind || !obj.metadata?.name) continue;
    if (obj.metadata.annotations?.['helm.sh/hook'] !== undefined) continue;
    const labels = obj.metadata.labels ?? {};
    // Objects without the instance label (a subchart's) are not the chart's; ours always carry it.
    if (labels['app.kubernetes.io/instance'] !== release) continue;
    const spec = rec(obj.spec);
    const name = obj.metadata.name;
    if (obj.kind === 'Deployment') {
      const role = labels['opencti.connector'] !== undefined ? 'connector' : labels['opencti.component'];
      if (!role || !(PLATFORM.includes(role) || role === 'worker' || role === 'connector')) continue;
      const template = rec(spec.template);
      const container = rec(arr(rec(template.spec).containers)[0]);
      out.workloads.push({
        name,
        role: role as WorkloadRole,
        ...(role === 'connector' ? { connector: labels['opencti.connector'] } : {}),
        ...(typeof spec.replicas === 'number' ? { replicas: spec.replicas } : {}),
        podLabels: labelsOf(rec(template.metadata).labels),
        env: envOf(container.env),
        ...(container.readinessProbe ? { readinessProbe: probeOf(container.readinessProbe) } : {}),
      });
    } else if (obj.kind === 'Service') {
      const ports = arr(spec.ports).map((p) => rec(p).port).filter((p): p is number => typeof p === 'number');
      out.services.push({ name, selector: labelsOf(spec.selector), ...(ports[0] !== undefined ? { port: ports[0] } : {}), ports });
    } else if (obj.kind === 'Ingress') {
      const rules = arr(spec.rules).map(rec);
      const services = rules.flatMap((r) => arr(rec(r.http).paths)).map((p) => str(rec(rec(rec(p).backend).service).name) ?? str(rec(rec(p).backend).serviceName));
      out.ingresses.push({
        name,
        hosts: rules.map((r) => str(r.host)).filter((h): h is string => !!h),
        services: [...new Set(services.filter((s): s is string => !!s))],
      });
    } else if (obj.kind === 'HorizontalPodAutoscaler') {
      const target = rec(spec.scaleTargetRef);
      if (str(target.kind) === 'Deployment' && str(target.name)) {
        out.autoscalers.push({ name, target: str(target.name)!, ...(typeof spec.minReplicas === 'number' ? { minReplicas: spec.minReplicas } : {}) });
      }
    }
  }
  return out;
}

function envOf(list: unknown): Record<string, EnvEntry> {
  const env: Record<string, EnvEntry> = {};
  for (const item of arr(list).map(rec)) {
    const name = str(item.name);
    if (!name || env[name]) continue; // kubelet uses the last, but the chart never renders a key twice; keep the first
    const from = rec(item.valueFrom);
    const secret = rec(from.secretKeyRef);
    const config = rec(from.configMapKeyRef);
    if (str(secret.name)) env[name] = { from: `secret:${str(secret.name)}/${str(secret.key) ?? name}` };
    else if (str(config.name)) env[name] = { from: `configmap:${str(config.name)}/${str(config.key) ?? name}` };
    else env[name] = { value: str(item.value) ?? '' };
  }
  return env;
}

function probeOf(raw: unknown): Probe {
  const probe = rec(raw);
  const path = str(rec(probe.httpGet).path);
  return { ...(path !== undefined ? { path } : {}), ...(probe.exec ? { exec: true } : {}) };
}

/** Whether a Service's selector selects pods with these labels (an empty selector selects nothing the chart made). */
export function selects(service: ServiceObject, podLabels: Record<string, string>): boolean {
  const entries = Object.entries(service.selector);
  return entries.length > 0 && entries.every(([k, v]) => podLabels[k] === v);
}

/** The host of a URL (`http://x.ns.svc:80/path` -> `x.ns.svc`). */
export function urlHost(url: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\/([^/:?#]+)/i.exec(url.trim())?.[1] ?? url.trim().split(/[/:]/)[0] ?? '';
}

/** Whether a URL's host is the Service (short name, namespaced or fully qualified). */
export function urlPointsAt(url: string, service: string): boolean {
  const host = urlHost(url);
  return host === service || host.startsWith(`${service}.`);
}

// ---- What the release must look like: derived from the rendered target. ----

export interface PlatformTarget {
  component: PlatformComponent;
  deployment: string;
  /** Ready replicas expected at least: spec.replicas, or the HPA's minimum. */
  replicas: number;
  /** The Service that selects this Deployment's pods (health, port-forward, routing). */
  service?: string;
  servicePort?: number;
  /** Every Service named for this component that selects NO pod of it (the 2.0.1x defect). */
  servicesSelectingNothing: string[];
}

export interface RouteTarget {
  deployment: string;
  role: 'worker' | 'connector';
  /** OPENCTI_URL as rendered (undefined: from a reference, or not set). */
  url?: string;
  /** The Service the URL reaches, and the platform component behind it. */
  service?: string;
  component?: PlatformComponent;
}

export interface RenderedTopology {
  clustering: boolean;
  platform: PlatformTarget[];
  /** Every Deployment of the release (platform, workers, connectors) with its expected replicas. */
  deployments: Array<{ name: string; role: WorkloadRole; replicas: number }>;
  /** Services expected to have ready endpoints. */
  services: string[];
  ingresses: IngressObject[];
  routes: RouteTarget[];
}

/** The platform component a Service name is for, from the Deployment it shares a name with. */
function componentOfServiceName(objects: ReleaseObjects, service: string): PlatformComponent | undefined {
  const w = objects.workloads.find((x) => x.name === service && PLATFORM.includes(x.role));
  return w?.role as PlatformComponent | undefined;
}

export function renderedTopology(objects: ReleaseObjects): RenderedTopology {
  const platformWorkloads = objects.workloads.filter((w) => PLATFORM.includes(w.role));
  const expectedReplicas = (w: Workload): number => {
    const hpa = objects.autoscalers.find((a) => a.target === w.name);
    if (w.replicas !== undefined) return hpa?.minReplicas !== undefined ? Math.min(w.replicas, hpa.minReplicas) : w.replicas;
    return hpa?.minReplicas ?? 1;
  };
  const platform: PlatformTarget[] = platformWorkloads.map((w) => {
    const selecting = objects.services.filter((s) => selects(s, w.podLabels));
    // The chart's Service for a component shares the Deployment's name; prefer it among those that select the pods.
    const service = selecting.find((s) => s.name === w.name) ?? selecting[0];
    const named = objects.services.filter((s) => s.name === w.name && !selects(s, w.podLabels));
    return {
      component: w.role as PlatformComponent,
      deployment: w.name,
      replicas: expectedReplicas(w),
      ...(service ? { service: service.name, ...(service.port !== undefined ? { servicePort: service.port } : {}) } : {}),
      servicesSelectingNothing: named.filter((s) => !objects.workloads.some((x) => selects(s, x.podLabels))).map((s) => s.name),
    };
  });
  const serviceToComponent = (name: string): PlatformComponent | undefined => {
    const svc = objects.services.find((s) => s.name === name);
    const behind = svc ? platformWorkloads.find((w) => selects(svc, w.podLabels)) : undefined;
    return (behind?.role as PlatformComponent | undefined) ?? componentOfServiceName(objects, name);
  };
  const routes: RouteTarget[] = objects.workloads
    .filter((w) => w.role === 'worker' || w.role === 'connector')
    .map((w) => {
      const url = w.env.OPENCTI_URL?.value;
      const service = url === undefined ? undefined : objects.services.find((s) => urlPointsAt(url, s.name))?.name;
      const component = service ? serviceToComponent(service) : undefined;
      return {
        deployment: w.name,
        role: w.role as 'worker' | 'connector',
        ...(url !== undefined ? { url } : {}),
        ...(service ? { service } : {}),
        ...(component ? { component } : {}),
      };
    });
  return {
    clustering: platformWorkloads.some((w) => w.role !== 'server'),
    platform,
    deployments: objects.workloads.map((w) => ({ name: w.name, role: w.role, replicas: expectedReplicas(w) })),
    services: platform.flatMap((p) => [p.service, ...p.servicesSelectingNothing]).filter((s): s is string => !!s),
    ingresses: objects.ingresses,
    routes,
  };
}

/**
 * Where the chart's connectivity matrix says a worker or connector must connect, given the
 * platform components that exist: workers to ingestion (else the frontend), connectors to
 * the frontend (else ingestion), both to the server in single mode.
 */
export function guideTarget(role: 'worker' | 'connector', components: readonly PlatformComponent[]): PlatformComponent | undefined {
  if (components.includes('server')) return 'server';
  const order: PlatformComponent[] = role === 'worker' ? ['ingestion', 'frontend'] : ['frontend', 'ingestion'];
  return order.find((c) => components.includes(c));
}
