/**
 * Parsers for `kubectl get ... -o json` (v1 List objects) of the kinds the OpenCTI
 * verification reads: Pods, Services, EndpointSlices, Ingresses, Deployments, Secrets.
 * Validated with zod (only the fields used), so a format change fails with the field.
 */
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { FailureType } from '../../domain/failure-types.js';

const Meta = z.looseObject({
  name: z.string(),
  namespace: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  generation: z.number().int().optional(),
  deletionTimestamp: z.string().optional(),
});

const Condition = z.looseObject({ type: z.string(), status: z.string(), reason: z.string().optional(), message: z.string().optional() });

const PodJson = z.looseObject({
  metadata: Meta,
  status: z
    .looseObject({
      phase: z.string().optional(),
      conditions: z.array(Condition).optional(),
      containerStatuses: z
        .array(
          z.looseObject({
            name: z.string(),
            ready: z.boolean(),
            restartCount: z.number().int().optional(),
            state: z.record(z.string(), z.looseObject({ reason: z.string().optional() })).optional(),
          }),
        )
        .optional(),
    })
    .optional(),
});

const ServiceJson = z.looseObject({
  metadata: Meta,
  spec: z.looseObject({
    type: z.string().optional(),
    selector: z.record(z.string(), z.string()).optional(),
    ports: z.array(z.looseObject({ name: z.string().optional(), port: z.number().int(), targetPort: z.union([z.number(), z.string()]).optional() })).optional(),
  }),
});

const EndpointSliceJson = z.looseObject({
  metadata: Meta,
  addressType: z.string(),
  endpoints: z
    .array(
      z.looseObject({
        addresses: z.array(z.string()),
        conditions: z.looseObject({ ready: z.boolean().optional(), serving: z.boolean().optional(), terminating: z.boolean().optional() }).optional(),
        targetRef: z.looseObject({ kind: z.string().optional(), name: z.string().optional() }).optional(),
      }),
    )
    .nullish(),
});

const IngressJson = z.looseObject({
  metadata: Meta,
  spec: z.looseObject({
    ingressClassName: z.string().optional(),
    rules: z
      .array(
        z.looseObject({
          host: z.string().optional(),
          http: z
            .looseObject({
              paths: z.array(
                z.looseObject({
                  path: z.string().optional(),
                  backend: z.looseObject({ service: z.looseObject({ name: z.string(), port: z.looseObject({ number: z.number().optional(), name: z.string().optional() }).optional() }).optional() }),
                }),
              ),
            })
            .optional(),
        }),
      )
      .optional(),
  }),
});

const EnvVar = z.looseObject({ name: z.string(), value: z.string().optional(), valueFrom: z.unknown().optional() });

const DeploymentJson = z.looseObject({
  metadata: Meta,
  spec: z.looseObject({
    replicas: z.number().int().optional(),
    template: z.looseObject({ spec: z.looseObject({ containers: z.array(z.looseObject({ name: z.string(), env: z.array(EnvVar).optional() })) }) }),
  }),
  status: z
    .looseObject({
      observedGeneration: z.number().int().optional(),
      replicas: z.number().int().optional(),
      updatedReplicas: z.number().int().optional(),
      readyReplicas: z.number().int().optional(),
      availableReplicas: z.number().int().optional(),
    })
    .optional(),
});

const SecretJson = z.looseObject({ metadata: Meta, data: z.record(z.string(), z.string()).optional() });

const listOf = <T extends z.ZodType>(item: T) => z.looseObject({ kind: z.literal('List').or(z.string().endsWith('List')), items: z.array(item) });

function parse<T>(schema: z.ZodType<T>, text: string, what: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw ApplicationFailure.create({ type: FailureType.CommandFailed, nonRetryable: true, message: `${what}: kubectl output is not JSON: ${text.slice(0, 200)}` });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw ApplicationFailure.create({
      type: FailureType.CommandFailed,
      nonRetryable: true,
      message: `${what}: unexpected kubectl JSON at ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    });
  }
  return parsed.data;
}

export interface PodState {
  name: string;
  component?: string;
  phase: string;
  ready: boolean;
  terminating: boolean;
  /** Why it is not ready, for humans: "CrashLoopBackOff", "ContainersNotReady: ...". */
  reason?: string;
}

export function parsePods(text: string): PodState[] {
  return parse(listOf(PodJson), text, 'pods').items.map((p) => {
    const readyCondition = p.status?.conditions?.find((c) => c.type === 'Ready');
    const waiting = p.status?.containerStatuses?.flatMap((c) => Object.values(c.state ?? {}).map((s) => s.reason).filter((r): r is string => !!r)) ?? [];
    const ready = readyCondition?.status === 'True';
    const reason = ready ? undefined : (waiting[0] ?? [readyCondition?.reason, readyCondition?.message].filter(Boolean).join(': ')) || undefined;
    return {
      name: p.metadata.name,
      ...(p.metadata.labels?.['opencti.component'] ? { component: p.metadata.labels['opencti.component'] } : {}),
      phase: p.status?.phase ?? 'Unknown',
      ready,
      terminating: p.metadata.deletionTimestamp !== undefined,
      ...(reason ? { reason } : {}),
    };
  });
}

export interface ServiceInfo {
  name: string;
  component?: string;
  type: string;
  ports: number[];
  selector: Record<string, string>;
}

export function parseServices(text: string): ServiceInfo[] {
  return parse(listOf(ServiceJson), text, 'services').items.map((s) => ({
    name: s.metadata.name,
    ...(s.metadata.labels?.['opencti.component'] ? { component: s.metadata.labels['opencti.component'] } : {}),
    type: s.spec.type ?? 'ClusterIP',
    ports: (s.spec.ports ?? []).map((p) => p.port),
    selector: s.spec.selector ?? {},
  }));
}

export interface EndpointCount {
  ready: number;
  notReady: number;
}

/** Ready endpoints per Service (label kubernetes.io/service-name), over all its slices. A nil `ready` counts as ready, as the API says. */
export function parseEndpointSlices(text: string): Map<string, EndpointCount> {
  const counts = new Map<string, EndpointCount>();
  for (const slice of parse(listOf(EndpointSliceJson), text, 'endpointslices').items) {
    const service = slice.metadata.labels?.['kubernetes.io/service-name'];
    if (!service) continue;
    const count = counts.get(service) ?? { ready: 0, notReady: 0 };
    for (const e of slice.endpoints ?? []) {
      if (e.conditions?.ready === false) count.notReady += 1;
      else count.ready += 1;
    }
    counts.set(service, count);
  }
  return counts;
}

export interface IngressInfo {
  name: string;
  className?: string;
  hosts: string[];
  /** Every backend Service the rules send traffic to. */
  services: string[];
}

export function parseIngresses(text: string): IngressInfo[] {
  return parse(listOf(IngressJson), text, 'ingresses').items.map((i) => {
    const rules = i.spec.rules ?? [];
    return {
      name: i.metadata.name,
      ...(i.spec.ingressClassName ? { className: i.spec.ingressClassName } : {}),
      hosts: rules.map((r) => r.host).filter((h): h is string => !!h),
      services: [...new Set(rules.flatMap((r) => r.http?.paths ?? []).map((p) => p.backend.service?.name).filter((n): n is string => !!n))],
    };
  });
}

export interface DeploymentInfo {
  name: string;
  component?: string;
  desired: number;
  /** Pods of every ReplicaSet (old ones still terminating or serving during a rollout). */
  total: number;
  ready: number;
  updated: number;
  available: number;
  /** The controller has seen the latest spec. */
  observed: boolean;
  /** OPENCTI_URL of each container: a literal value, "(from a reference)", or absent. */
  openctiUrls: Array<{ container: string; url?: string; fromReference: boolean }>;
  /** Literal env of the first container (references: undefined value). */
  env: Record<string, string | undefined>;
}

export function parseDeployments(text: string): DeploymentInfo[] {
  return parse(listOf(DeploymentJson), text, 'deployments').items.map((d) => ({
    name: d.metadata.name,
    ...(d.metadata.labels?.['opencti.component'] ? { component: d.metadata.labels['opencti.component'] } : {}),
    desired: d.spec.replicas ?? 1,
    total: d.status?.replicas ?? 0,
    ready: d.status?.readyReplicas ?? 0,
    updated: d.status?.updatedReplicas ?? 0,
    available: d.status?.availableReplicas ?? 0,
    observed: (d.status?.observedGeneration ?? 0) >= (d.metadata.generation ?? 0),
    openctiUrls: d.spec.template.spec.containers.map((c) => {
      const env = c.env?.find((e) => e.name === 'OPENCTI_URL');
      return { container: c.name, ...(env?.value !== undefined ? { url: env.value } : {}), fromReference: env?.valueFrom !== undefined };
    }),
    env: Object.fromEntries((d.spec.template.spec.containers[0]?.env ?? []).map((e) => [e.name, e.valueFrom !== undefined ? undefined : (e.value ?? '')])),
  }));
}

/** One key of a Secret, decoded; undefined when the key is absent. */
export function secretValue(text: string, key: string): string | undefined {
  const encoded = parse(SecretJson, text, 'secret').data?.[key];
  return encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8');
}
