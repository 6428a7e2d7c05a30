import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Values } from '../../domain/chart.js';

/**
 * Gives helm the operator's values as `--values` files: the listed files, then inline
 * values written to a private temp file (mode 0600) that is removed afterwards. --set pairs
 * are passed as --set-string by the caller.
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
      const nested: Record<string, unknown> = {};
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

function setPath(target: Record<string, unknown>, path: string, value: string): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    node = (typeof next === 'object' && next !== null ? next : (node[key] = {})) as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}
