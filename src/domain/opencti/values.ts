/**
 * OpenCTI chart values as plain data: the clustering block's schema, helm-style merging
 * (an overlay's null deletes the key, as helm does when it coalesces values), a path diff
 * for the approval gate and redaction of secret-looking keys for display. Pure: used by
 * activities and workflows alike.
 */
import { z } from 'zod';
import { schemasOf } from '../shared-schemas.js';

const schema = schemasOf('domain/opencti/values');

export type ValuesMap = Record<string, unknown>;

export function isMap(value: unknown): value is ValuesMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep copy of JSON-like data (values never hold anything else). */
export function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** What helm does with `-f base -f overlay`: maps merge, everything else is replaced, null deletes. */
export function applyOverlay(base: ValuesMap, overlay: ValuesMap): ValuesMap {
  const out = clone(base);
  for (const [key, value] of Object.entries(overlay)) {
    if (value === null) delete out[key];
    else if (isMap(value) && isMap(out[key])) out[key] = applyOverlay(out[key], value);
    else out[key] = clone(isMap(value) ? dropNulls(value) : value);
  }
  return out;
}

/**
 * Merges two overlays into one that helm applies in a single file: later wins, nulls are
 * kept (they must still delete keys set by the files before it).
 */
export function mergeOverlays(first: ValuesMap, second: ValuesMap): ValuesMap {
  const out = clone(first);
  for (const [key, value] of Object.entries(second)) {
    out[key] = isMap(value) && isMap(out[key]) ? mergeOverlays(out[key], value) : clone(value);
  }
  return out;
}

function dropNulls(map: ValuesMap): ValuesMap {
  const out: ValuesMap = {};
  for (const [key, value] of Object.entries(map)) {
    if (value === null) continue;
    out[key] = isMap(value) ? dropNulls(value) : value;
  }
  return out;
}

export function getPath(values: ValuesMap, path: readonly string[]): unknown {
  let node: unknown = values;
  for (const key of path) {
    if (!isMap(node)) return undefined;
    node = node[key];
  }
  return node;
}

export function mapAt(values: ValuesMap, path: readonly string[]): ValuesMap {
  const found = getPath(values, path);
  return isMap(found) ? found : {};
}

/** Sets a value, creating maps on the way. */
export function setPath(values: ValuesMap, path: readonly string[], value: unknown): void {
  let node = values;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    node = isMap(next) ? next : (node[key] = {});
  }
  node[path.at(-1)!] = value;
}

/** Keys whose values are hidden in anything a human or the workflow history sees. */
const SECRET_KEY = /(pass(word|wd)?|secret|token|api[-_]?key|private[-_]?key|credential|access[-_]?key|erlang[-_]?cookie|cookie)/i;
/** Names of Secrets (tls.secretName, existingSecret...) are references, not secrets. */
const REFERENCE_KEY = /(name|ref|existingSecret)$/i;
export const HIDDEN = '***';

/** A copy for display: values under secret-looking keys are replaced (references such as `{name, key}` maps are kept). */
export function redactValues(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => redactValues(v));
  if (isMap(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValues(v, k)]));
  if (SECRET_KEY.test(key) && !REFERENCE_KEY.test(key) && value !== null && value !== undefined && typeof value !== 'boolean') return HIDDEN;
  return value;
}

export interface DiffLine {
  op: '+' | '-' | '~';
  path: string;
  before?: unknown;
  after?: unknown;
}

/** A path-by-path diff (maps are descended, arrays and scalars compared whole). */
export function diffValues(before: ValuesMap, after: ValuesMap, prefix = ''): DiffLine[] {
  const lines: DiffLine[] = [];
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  for (const key of keys) {
    const path = prefix ? `${prefix}.${key}` : key;
    const a = before[key];
    const b = after[key];
    if (a === undefined) lines.push({ op: '+', path, after: b });
    else if (b === undefined) lines.push({ op: '-', path, before: a });
    else if (isMap(a) && isMap(b)) lines.push(...diffValues(a, b, path));
    else if (JSON.stringify(a) !== JSON.stringify(b)) lines.push({ op: '~', path, before: a, after: b });
  }
  return lines;
}

/** One line per change, secrets hidden: `+ clustering.enabled: true`. */
export function formatDiff(lines: readonly DiffLine[]): string[] {
  const show = (path: string, v: unknown) => JSON.stringify(redactValues(v, path.split('.').at(-1)));
  return lines.map((l) =>
    l.op === '+'
      ? `+ ${l.path}: ${show(l.path, l.after)}`
      : l.op === '-'
        ? `- ${l.path}: ${show(l.path, l.before)}`
        : `~ ${l.path}: ${show(l.path, l.before)} -> ${show(l.path, l.after)}`,
  );
}

// ---- The schema of the clustering values (what `clustering:` must look like). ----

const EnvValue = schema('EnvValue', () => z.union([z.string(), z.number(), z.boolean(), z.null()]));

export const IngressValuesSchema = schema('IngressValuesSchema', () =>
  z.looseObject({
    enabled: z.boolean().optional(),
    className: z.string().optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    hosts: z
      .array(
        z.looseObject({
          host: z.string().min(1),
          paths: z.array(z.looseObject({ path: z.string(), pathType: z.enum(['Exact', 'Prefix', 'ImplementationSpecific']) })).optional(),
        }),
      )
      .optional(),
    tls: z.array(z.looseObject({ secretName: z.string().optional(), hosts: z.array(z.string()).optional() })).optional(),
  }),
);

const AutoscalingSchema = schema('AutoscalingSchema', () =>
  z
    .looseObject({
      enabled: z.boolean().optional(),
      minReplicas: z.number().int().min(1).optional(),
      maxReplicas: z.number().int().min(1).optional(),
      targetCPUUtilizationPercentage: z.number().int().min(1).max(100).optional(),
      targetMemoryUtilizationPercentage: z.number().int().min(1).max(100).optional(),
    })
    .refine((a) => a.minReplicas === undefined || a.maxReplicas === undefined || a.minReplicas <= a.maxReplicas, {
      message: 'minReplicas must not exceed maxReplicas',
    }),
);

const ServiceValuesSchema = schema('ServiceValuesSchema', () =>
  z.looseObject({
    type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    targetPort: z.union([z.number().int().min(1).max(65535), z.string()]).optional(),
    labels: z.record(z.string(), z.string()).optional(),
  }),
);

export const ClusterBlockSchema = schema('ClusterBlockSchema', () =>
  z.looseObject({
    enabled: z.boolean().optional(),
    replicaCount: z.number().int().min(0).optional(),
    env: z.record(z.string(), EnvValue).optional(),
    service: ServiceValuesSchema.optional(),
    resources: z.looseObject({ requests: z.record(z.string(), z.union([z.string(), z.number()])).optional(), limits: z.record(z.string(), z.union([z.string(), z.number()])).optional() }).optional(),
    autoscaling: AutoscalingSchema.optional(),
  }),
);

export const FrontendBlockSchema = schema('FrontendBlockSchema', () => ClusterBlockSchema.extend({ ingress: IngressValuesSchema.optional() }));

/** The values of a release in clustering mode (other keys pass through untouched). */
export const ClusteringValuesSchema = schema('ClusteringValuesSchema', () =>
  z
    .looseObject({
      clustering: z.looseObject({
        enabled: z.literal(true),
        frontend: FrontendBlockSchema.optional(),
        ingestion: ClusterBlockSchema.optional(),
      }),
      env: z.record(z.string(), EnvValue).optional(),
      ingress: IngressValuesSchema.optional(),
    })
    .refine((v) => v.clustering.frontend?.enabled !== false || v.clustering.ingestion?.enabled !== false, {
      message: 'clustering needs the frontend or the ingestion cluster enabled',
      path: ['clustering'],
    }),
);

export type ClusteringValues = z.output<typeof ClusteringValuesSchema>;

/** `clustering.frontend.replicaCount: Invalid input` style messages, one per issue. */
export function clusteringValuesProblems(values: ValuesMap): string[] {
  const parsed = ClusteringValuesSchema.safeParse(values);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
}
