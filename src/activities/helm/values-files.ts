import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Values } from '../../domain/chart.js';

/**
 * Gives helm the operator's values as `--values` files: the listed files, then inline
 * values, dotted-path pairs and the string overrides (image tags) written to private temp
 * files (mode 0600, in a 0700 directory) that are removed afterwards. Nothing of them is
 * argv: a comma, an equals sign, a bracket or a newline in a value is just a character,
 * and a tag such as "0.10" stays a string. The overrides file comes last so it wins, as
 * --set-string would.
 */
export async function withValuesFiles<T>(
  workDir: string,
  values: Values,
  use: (files: string[]) => Promise<T>,
  overrides: Readonly<Record<string, string>> = {},
): Promise<T> {
  const setPairs = Object.keys(values.set ?? {}).length > 0;
  const hasOverrides = Object.keys(overrides).length > 0;
  if (!values.inline && !setPairs && !hasOverrides) return use([...values.files]);
  const dir = await mkdtemp(join(workDir, 'values-'));
  try {
    const files = [...values.files];
    const write = async (name: string, content: unknown) => {
      const file = join(dir, name);
      await writeFile(file, stringify(content), { mode: 0o600 });
      files.push(file);
    };
    if (values.inline) await write('inline-values.yaml', values.inline);
    // --set pairs as a values file keyed by their dotted paths, so they are not in argv.
    if (setPairs) await write('set-values.yaml', nestedOf(values.set));
    if (hasOverrides) await write('override-values.yaml', nestedOf(overrides));
    return await use(files);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Dotted paths -> a nested object without prototypes. */
export function nestedOf(pairs: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const nested = Object.create(null) as Record<string, unknown>;
  for (const [path, value] of Object.entries(pairs)) setPath(nested, path, value);
  return nested;
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
