import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Values } from '../../domain/chart.js';

/**
 * Gives helm the operator's values as `--values` files: the listed files, then inline
 * values and dotted-path pairs written to private temp files (mode 0600) that are removed
 * afterwards. Image tag overrides are passed as --set-string by the caller.
 */
export async function withValuesFiles<T>(workDir: string, values: Values, use: (files: string[]) => Promise<T>): Promise<T> {
  const setPairs = Object.keys(values.set ?? {}).length > 0;
  if (!values.inline && !setPairs) return use([...values.files]);
  const dir = await mkdtemp(join(workDir, 'values-'));
  try {
    const files = [...values.files];
    if (values.inline) {
      const inline = join(dir, 'inline-values.yaml');
      await writeFile(inline, stringify(values.inline), { mode: 0o600 });
      files.push(inline);
    }
    if (setPairs) {
      // --set pairs as a values file keyed by their dotted paths, so they are not in argv.
      const nested = Object.create(null) as Record<string, unknown>;
      for (const [path, value] of Object.entries(values.set)) setPath(nested, path, value);
      const setFile = join(dir, 'set-values.yaml');
      await writeFile(setFile, stringify(nested), { mode: 0o600 });
      files.push(setFile);
    }
    return await use(files);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Sets `value` at a dotted path the way `helm --set-string` reads it: `\.` is a literal dot
 * inside a key (`podAnnotations.prometheus\.io/scrape`). Objects have no prototype, so a
 * key such as `__proto__` is just a key.
 */
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = splitPath(path);
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = Object.hasOwn(node, key) ? node[key] : undefined;
    node = (typeof next === 'object' && next !== null ? next : (node[key] = Object.create(null) as Record<string, unknown>)) as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

function splitPath(path: string): string[] {
  const keys: string[] = [];
  let key = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path[i]!;
    if (ch === '\\' && i + 1 < path.length) key += path[++i];
    else if (ch === '.') {
      keys.push(key);
      key = '';
    } else key += ch;
  }
  keys.push(key);
  return keys;
}
