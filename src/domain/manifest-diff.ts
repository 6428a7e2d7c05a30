/**
 * What `helm diff` would show, without the plugin: the live release's manifest (`helm get
 * manifest`) against the target's rendering (`helm template`), summarised for humans:
 * objects added, changed and removed, and image changes.
 */
import { parseAllDocuments } from 'yaml';

export interface ImageChange {
  object: string;
  container: string;
  from?: string;
  to?: string;
}

export interface ManifestDiff {
  added: string[];
  removed: string[];
  changed: string[];
  unchanged: number;
  imageChanges: ImageChange[];
}

interface Obj {
  kind?: string;
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
  spec?: { template?: { spec?: PodSpec }; jobTemplate?: { spec?: { template?: { spec?: PodSpec } } } };
}
interface PodSpec {
  containers?: { name: string; image?: string }[];
  initContainers?: { name: string; image?: string }[];
}

/** Objects of a multi-document manifest, keyed "Kind/name" (namespaced as rendered). */
export function manifestObjects(manifest: string): Map<string, Obj> {
  const objects = new Map<string, Obj>();
  for (const doc of parseAllDocuments(manifest)) {
    const value = doc.toJS() as Obj | null;
    if (!value || typeof value !== 'object' || !value.kind || !value.metadata?.name) continue;
    objects.set(`${value.kind}/${value.metadata.name}`, value);
  }
  return objects;
}

function images(obj: Obj): Map<string, string | undefined> {
  const spec = obj.spec?.template?.spec ?? obj.spec?.jobTemplate?.spec?.template?.spec;
  const out = new Map<string, string | undefined>();
  for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) out.set(c.name, c.image);
  return out;
}

/** Helm hooks (a migration Job run as pre-upgrade hook) are in `helm template` but never in `helm get manifest`. */
const isHook = (obj: Obj): boolean => obj.metadata?.annotations?.['helm.sh/hook'] !== undefined;

export function diffManifests(live: string, target: string): ManifestDiff {
  // Hooks are left out on both sides: otherwise every hook shows up as "added" on every upgrade.
  const withoutHooks = (objects: Map<string, Obj>) => new Map([...objects].filter(([, obj]) => !isHook(obj)));
  const before = withoutHooks(manifestObjects(live));
  const after = withoutHooks(manifestObjects(target));
  const diff: ManifestDiff = { added: [], removed: [], changed: [], unchanged: 0, imageChanges: [] };
  for (const [key, obj] of after) {
    const old = before.get(key);
    if (!old) diff.added.push(key);
    else if (deepEqual(old, obj)) diff.unchanged += 1;
    else diff.changed.push(key);
    const oldImages = old ? images(old) : new Map<string, string | undefined>();
    const newImages = images(obj);
    for (const [container, image] of newImages) {
      if (oldImages.get(container) !== image) {
        diff.imageChanges.push({ object: key, container, ...(oldImages.get(container) ? { from: oldImages.get(container) } : {}), ...(image ? { to: image } : {}) });
      }
    }
    // A container the target drops (a sidecar removed) is an image change too: "from -> (none)".
    for (const [container, image] of oldImages) {
      if (!newImages.has(container) && image) diff.imageChanges.push({ object: key, container, from: image });
    }
  }
  for (const key of before.keys()) if (!after.has(key)) diff.removed.push(key);
  return diff;
}

export function summarizeDiff(diff: ManifestDiff): string {
  const parts = [
    `${diff.added.length} added`,
    `${diff.changed.length} changed`,
    `${diff.removed.length} removed`,
    `${diff.unchanged} unchanged`,
  ];
  const imageLines = diff.imageChanges.map((c) => `${c.object} ${c.container}: ${c.from ?? '(new)'} -> ${c.to ?? '(none)'}`);
  return [parts.join(', '), ...(diff.added.length ? [`added: ${diff.added.join(', ')}`] : []), ...(diff.removed.length ? [`removed: ${diff.removed.join(', ')}`] : []), ...(diff.changed.length ? [`changed: ${diff.changed.join(', ')}`] : []), ...imageLines].join('\n');
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
