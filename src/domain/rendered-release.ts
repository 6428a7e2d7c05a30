/**
 * What a rendered chart (`helm template`) or a live release (`helm get manifest`) contains,
 * read from the YAML itself: every object with the template it came from (helm's
 * `# Source:` line), the workloads with the images each of their containers runs, and the
 * Services. Verification and the migration check are derived from this, never from the
 * object names a runbook expects.
 */
import { parseAllDocuments } from 'yaml';

export interface RenderedObject {
  kind: string;
  name: string;
  /** The chart template that rendered it ("soctalk-system/templates/30-api.yaml"), when helm said. */
  source?: string;
  /** helm.sh/hook annotation ("pre-upgrade,post-install"), when it is a hook. */
  hook?: string;
  doc: Record<string, unknown>;
}

export interface RenderedContainer {
  name: string;
  image: string;
  init: boolean;
  /** command and args joined by spaces, to recognise what the container runs. */
  commandLine: string;
}

export interface RenderedWorkload {
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet';
  name: string;
  /** Every container and initContainer image, in pod-spec order: what the cluster must run. */
  images: string[];
}

export const WORKLOAD_KINDS: readonly RenderedWorkload['kind'][] = ['Deployment', 'StatefulSet', 'DaemonSet'];

/** Splits on helm's document separators and keeps each document's `# Source:` template. */
export function renderedObjects(manifest: string): RenderedObject[] {
  const out: RenderedObject[] = [];
  for (const doc of parseAllDocuments(manifest)) {
    const value = doc.toJS() as Record<string, unknown> | null;
    if (!value || typeof value !== 'object' || Array.isArray(value)) continue;
    const kind = value.kind;
    const metadata = value.metadata as { name?: unknown; annotations?: Record<string, string> } | undefined;
    if (typeof kind !== 'string' || typeof metadata?.name !== 'string') continue;
    // helm's "# Source:" comment sits before the document's first key (yaml attaches it to the contents).
    const comments = `${doc.commentBefore ?? ''}\n${(doc.contents as { commentBefore?: string | null } | null)?.commentBefore ?? ''}`;
    const source = /(?:^|\n)\s*Source:\s*(\S+)/.exec(comments)?.[1];
    const hook = metadata.annotations?.['helm.sh/hook'];
    out.push({ kind, name: metadata.name, ...(source ? { source } : {}), ...(hook ? { hook } : {}), doc: value });
  }
  return out;
}

interface PodSpecShape {
  containers?: { name?: string; image?: string; command?: unknown[]; args?: unknown[] }[];
  initContainers?: { name?: string; image?: string; command?: unknown[]; args?: unknown[] }[];
}

/** The pod spec of a workload, Job or CronJob. */
export function podSpecOf(obj: RenderedObject): PodSpecShape | undefined {
  const spec = obj.doc.spec as { template?: { spec?: PodSpecShape }; jobTemplate?: { spec?: { template?: { spec?: PodSpecShape } } } } | undefined;
  return obj.kind === 'CronJob' ? spec?.jobTemplate?.spec?.template?.spec : spec?.template?.spec;
}

export function containersOf(obj: RenderedObject): RenderedContainer[] {
  const pod = podSpecOf(obj);
  if (!pod) return [];
  const one = (c: NonNullable<PodSpecShape['containers']>[number], init: boolean): RenderedContainer => ({
    name: c.name ?? '',
    image: c.image ?? '',
    init,
    commandLine: [...(c.command ?? []), ...(c.args ?? [])].map(String).join(' '),
  });
  return [...(pod.initContainers ?? []).map((c) => one(c, true)), ...(pod.containers ?? []).map((c) => one(c, false))];
}

/** The Deployments, StatefulSets and DaemonSets with their images (helm hooks excluded: they are not part of the release). */
export function renderedWorkloads(objects: readonly RenderedObject[]): RenderedWorkload[] {
  return objects
    .filter((o): o is RenderedObject & { kind: RenderedWorkload['kind'] } => (WORKLOAD_KINDS as readonly string[]).includes(o.kind) && !o.hook)
    .map((o) => ({ kind: o.kind, name: o.name, images: containersOf(o).map((c) => c.image) }));
}

/** Services that select pods (a Service without a selector has no endpoints to wait for). */
export function renderedServices(objects: readonly RenderedObject[]): string[] {
  return objects
    .filter((o) => o.kind === 'Service' && !o.hook)
    .filter((o) => {
      const spec = o.doc.spec as { selector?: Record<string, string>; type?: string } | undefined;
      return spec?.type !== 'ExternalName' && Object.keys(spec?.selector ?? {}).length > 0;
    })
    .map((o) => o.name);
}

/** "registry/soctalk-api:0.2.0" -> { repository: "registry/soctalk-api", tag: "0.2.0" } (digests ignored). */
export function splitImage(image: string): { repository: string; tag?: string } {
  const noDigest = image.split('@')[0]!;
  const colon = noDigest.lastIndexOf(':');
  return colon > noDigest.lastIndexOf('/') ? { repository: noDigest.slice(0, colon), tag: noDigest.slice(colon + 1) } : { repository: noDigest };
}

/**
 * Workloads of the rendered target that would still run an image of the product at
 * another tag than the target: an image key the overrides did not reach (a values file
 * pinning it). "soctalk-runs-worker runs ghcr.io/soctalk/soctalk-runs-worker:0.2.0".
 */
export function workloadsOffTag(workloads: readonly RenderedWorkload[], repositoryPattern: RegExp, tags: readonly string[]): { workload: string; images: string[] }[] {
  const wanted = new Set(tags);
  return workloads
    .map((w) => ({
      workload: `${w.kind}/${w.name}`,
      images: w.images.filter((i) => repositoryPattern.test(splitImage(i).repository) && !wanted.has(splitImage(i).tag ?? '')),
    }))
    .filter((w) => w.images.length > 0);
}
