/**
 * What an approver needs to see: for each changed object of the release (kind, namespace,
 * name), the changed fields as a unified diff of the object's YAML, live (`helm get
 * manifest`) against target (`helm template`). The text diff is the `diff` library's.
 *
 * Secrets never show: every value of a Secret's data/stringData and every secret-looking
 * value (by key or env var name: password, token, apiKey...; passwords in URLs) is replaced
 * by a mask on both sides, marked "(changed)" on the target side when it differs, so the
 * approver still sees that a credential changes. The result is capped (lines per object and
 * in all) and says how much it left out, because it goes into the approval and the history.
 */
import { structuredPatch } from 'diff';
import { parseAllDocuments, stringify } from 'yaml';

export interface ObjectFieldDiff {
  kind: string;
  namespace: string;
  name: string;
  change: 'added' | 'changed' | 'removed';
  /** Unified-diff hunks (lines starting with "@@", " ", "-", "+"), capped; empty for added/removed. */
  lines: string[];
  /** Diff lines of this object beyond the cap. */
  omittedLines: number;
}

export interface FieldDiff {
  objects: ObjectFieldDiff[];
  /** Changed objects not shown at all once the total cap was reached. */
  omittedObjects: number;
  /** All diff lines left out (per-object caps and objects left out). */
  omittedLines: number;
}

export interface FieldDiffOptions {
  /** The release's namespace: objects rendered without metadata.namespace live there. */
  namespace: string;
  maxLinesPerObject?: number;
  maxLines?: number;
  context?: number;
}

interface Obj {
  kind?: string;
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/**
 * The objects of a multi-document manifest, helm hooks left out (they are in `helm
 * template` but never in `helm get manifest`, so they would always look added).
 */
export function manifestDocuments(manifest: string): Obj[] {
  const out: Obj[] = [];
  for (const doc of parseAllDocuments(manifest)) {
    const value = doc.toJS() as Obj | null;
    if (!isRecord(value) || !value.kind || !value.metadata?.name) continue;
    if (value.metadata.annotations?.['helm.sh/hook'] !== undefined) continue;
    out.push(value);
  }
  return out;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const MASK = '(masked)';
export const MASK_CHANGED = '(masked, changed)';

/** Keys and env var names whose values are credentials. */
const SECRET_KEY = /(pass(word|wd|phrase)?|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credential|auth|cookie|session[-_]?key|salt|dsn)$/i;
/** A password in a URL: scheme://user:password@host. */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)([^\s@/]+)(@)/gi;

export const isSecretKey = (key: string): boolean => SECRET_KEY.test(key.replace(/[-_.]?(path|file|ref|name|names|key[-_]?ref)$/i, '_x_safe'));

/** Values that are credentials whatever their key: private keys, bearer tokens. */
const SECRET_VALUE = /-----BEGIN [A-Z ]*PRIVATE KEY-----|\bBearer\s+[A-Za-z0-9._~+/=-]{16,}/;

function maskUrls(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (SECRET_VALUE.test(value)) return MASK;
  return value.replace(URL_PASSWORD, `$1${MASK}$3`);
}


function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

type Shape = 'record' | 'array' | 'scalar' | 'none';
const shapeOf = (v: unknown): Shape => (v === undefined ? 'none' : Array.isArray(v) ? 'array' : isRecord(v) ? 'record' : 'scalar');

/**
 * Masks a pair of values at the same path (live, target). `forced`: everything below is a
 * secret (a Secret's data, the value of a key named like a credential).
 */
function maskPair(live: unknown, target: unknown, forced: boolean): [unknown, unknown] {
  const ls = shapeOf(live);
  const ts = shapeOf(target);
  if (ls !== 'none' && ts !== 'none' && ls !== ts) {
    // A field that changed shape: mask each side on its own.
    return [maskPair(live, undefined, forced)[0], maskPair(undefined, target, forced)[1]];
  }
  const shape = ls === 'none' ? ts : ls;
  if (shape === 'record') {
    const l = (live ?? {}) as Record<string, unknown>;
    const t = (target ?? {}) as Record<string, unknown>;
    // env entries: { name: DB_PASSWORD, value: ... }
    const envSecret = [l.name, t.name].some((n) => typeof n === 'string' && isSecretKey(n));
    const outL: Record<string, unknown> = {};
    const outT: Record<string, unknown> = {};
    for (const key of new Set([...Object.keys(l), ...Object.keys(t)])) {
      const [ml, mt] = maskPair(l[key], t[key], forced || isSecretKey(key) || (key === 'value' && envSecret));
      if (key in l) outL[key] = ml;
      if (key in t) outT[key] = mt;
    }
    return [ls === 'none' ? undefined : outL, ts === 'none' ? undefined : outT];
  }
  if (shape === 'array') {
    const l = (live ?? []) as unknown[];
    const t = (target ?? []) as unknown[];
    const outL: unknown[] = [];
    const outT: unknown[] = [];
    for (let i = 0; i < Math.max(l.length, t.length); i += 1) {
      const [ml, mt] = maskPair(l[i], t[i], forced);
      if (i < l.length) outL.push(ml);
      if (i < t.length) outT.push(mt);
    }
    return [ls === 'none' ? undefined : outL, ts === 'none' ? undefined : outT];
  }
  if (forced) {
    const l = live === undefined ? undefined : MASK;
    const t = target === undefined ? undefined : live !== undefined && !sameValue(live, target) ? MASK_CHANGED : MASK;
    return [l, t];
  }
  return [maskUrls(live), maskUrls(target)];
}

/** Both sides of one object with secrets masked; a Secret's data and stringData entirely. */
export function maskObjects(live: Obj | undefined, target: Obj | undefined): [Obj | undefined, Obj | undefined] {
  const isSecret = (live?.kind ?? target?.kind) === 'Secret';
  const l: Record<string, unknown> | undefined = live ? { ...live } : undefined;
  const t: Record<string, unknown> | undefined = target ? { ...target } : undefined;
  const secretFields: Record<string, [unknown, unknown]> = {};
  if (isSecret) {
    for (const field of ['data', 'stringData']) {
      secretFields[field] = maskPair(live?.[field], target?.[field], true);
      delete l?.[field];
      delete t?.[field];
    }
  }
  const [ml, mt] = maskPair(l, t, false) as [Record<string, unknown> | undefined, Record<string, unknown> | undefined];
  for (const [field, [fl, ft]] of Object.entries(secretFields)) {
    if (ml && fl !== undefined) ml[field] = fl;
    if (mt && ft !== undefined) mt[field] = ft;
  }
  return [ml, mt];
}

const MAX_LINE = 300;
const clipLine = (line: string) => (line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}... (${line.length - MAX_LINE} more characters)` : line);

const keyOf = (o: Obj, namespace: string) => `${o.kind}\u0000${o.metadata?.namespace ?? namespace}\u0000${o.metadata?.name}`;

/** Changed objects' fields as unified diffs; added and removed objects by name. */
export function fieldDiff(liveManifest: string, targetManifest: string, options: FieldDiffOptions): FieldDiff {
  const perObject = options.maxLinesPerObject ?? 40;
  const total = options.maxLines ?? 120;
  const index = (manifest: string) => new Map(manifestDocuments(manifest).map((o) => [keyOf(o, options.namespace), o] as const));
  const before = index(liveManifest);
  const after = index(targetManifest);
  const keys = [...new Set([...after.keys(), ...before.keys()])].sort();
  const result: FieldDiff = { objects: [], omittedObjects: 0, omittedLines: 0 };
  let used = 0;
  for (const key of keys) {
    const [kind, namespace, name] = key.split('\u0000') as [string, string, string];
    const old = before.get(key);
    const now = after.get(key);
    if (old && now && sameValue(old, now)) continue;
    const change = !old ? 'added' : !now ? 'removed' : 'changed';
    let lines: string[] = [];
    if (change === 'changed') {
      const [ml, mt] = maskObjects(old, now);
      const patch = structuredPatch('live', 'target', stringify(ml, { lineWidth: 0 }), stringify(mt, { lineWidth: 0 }), undefined, undefined, { context: options.context ?? 2 });
      lines = patch.hunks.flatMap((h) => [`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, ...h.lines.map(clipLine)]);
      // A difference only in masked values that are equal (never happens) or formatting: nothing to show.
      if (lines.length === 0) continue;
    }
    const room = Math.max(0, Math.min(perObject, total - used));
    if (used >= total) {
      result.omittedObjects += 1;
      result.omittedLines += lines.length;
      continue;
    }
    const shown = lines.slice(0, room);
    used += shown.length + 1;
    result.objects.push({ kind, namespace, name, change, lines: shown, omittedLines: lines.length - shown.length });
    result.omittedLines += lines.length - shown.length;
  }
  return result;
}

/** The field diff as text for the approval (and `runbook status`). */
export function formatFieldDiff(diff: FieldDiff): string {
  const out: string[] = [];
  for (const o of diff.objects) {
    const where = `${o.kind} ${o.namespace}/${o.name}`;
    if (o.change !== 'changed') {
      out.push(`${o.change === 'added' ? '+' : '-'} ${where} (${o.change})`);
      continue;
    }
    out.push(`~ ${where}`, ...o.lines.map((l) => `  ${l}`));
    if (o.omittedLines) out.push(`  ... ${o.omittedLines} more diff line(s) of ${where} left out`);
  }
  if (diff.omittedObjects) out.push(`... ${diff.omittedObjects} more changed object(s) left out (${diff.omittedLines} diff lines in all left out)`);
  return out.join('\n');
}
