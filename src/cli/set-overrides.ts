/**
 * `--set key.path=value`: dotted-path overrides applied to the input file before it is
 * validated, like helm's --set.
 *
 * Values are "JSON-ish": `true`, `false`, `null`, integers, and anything that starts as a
 * JSON object, array or quoted string are parsed as JSON; everything else stays a string.
 * Decimals stay strings on purpose (`--set chart.version=1.10` must not become 1.1); quote
 * to force a string (`--set replicas='"3"'`). A literal dot in a key is written `\.`; a
 * numeric segment indexes an existing array (`tenants.0.name=acme`).
 */
import { FORBIDDEN_KEYS } from '../domain/grammar.js';
import { CliError, ExitCode } from './exit-codes.js';

export interface SetOverride {
  path: string[];
  value: unknown;
}

const INTEGER = /^-?(0|[1-9]\d*)$/;

export function parseSetValue(raw: string): unknown {
  const text = raw.trim();
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null') return null;
  if (INTEGER.test(text)) {
    const n = Number(text);
    if (Number.isSafeInteger(n)) return n;
    return raw;
  }
  if (/^[[{"]/.test(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new CliError(ExitCode.InvalidInput, `--set value ${raw} looks like JSON but does not parse: ${(err as Error).message}`);
    }
  }
  return raw;
}

export function splitPath(key: string): string[] {
  const segments: string[] = [];
  let current = '';
  for (let i = 0; i < key.length; i += 1) {
    const ch = key[i]!;
    if (ch === '\\' && key[i + 1] === '.') {
      current += '.';
      i += 1;
    } else if (ch === '.') {
      segments.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  segments.push(current);
  return segments;
}

export function parseSetOverride(arg: string): SetOverride {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new CliError(ExitCode.InvalidInput, `--set ${arg}: expected key=value, such as --set approval.fourEyes=true`);
  const key = arg.slice(0, eq).trim();
  const path = splitPath(key);
  if (path.some((segment) => segment === '')) {
    throw new CliError(ExitCode.InvalidInput, `--set ${arg}: "${key}" has an empty path segment`);
  }
  const forbidden = path.find((segment) => FORBIDDEN_KEYS.has(segment));
  if (forbidden !== undefined) {
    // Setting it would change Object.prototype (or a constructor) in the CLI, not the input.
    throw new CliError(ExitCode.InvalidInput, `--set ${key}: "${forbidden}" is not an input field and may not be set: use the field's own name, such as --set approval.fourEyes=true`);
  }
  return { path, value: parseSetValue(arg.slice(eq + 1)) };
}

const isContainer = (v: unknown): v is Record<string, unknown> | unknown[] => typeof v === 'object' && v !== null;

/** Returns a copy of `input` with every override applied in order; intermediate objects are created. */
export function applyOverrides(input: unknown, overrides: readonly SetOverride[]): unknown {
  if (overrides.length === 0) return input;
  const root: unknown = input === undefined ? {} : structuredClone(input);
  if (!isContainer(root) || Array.isArray(root)) {
    throw new CliError(ExitCode.InvalidInput, '--set needs the input to be a JSON object');
  }
  for (const { path, value } of overrides) {
    let node: Record<string, unknown> | unknown[] = root;
    for (let i = 0; i < path.length; i += 1) {
      const segment = path[i]!;
      const last = i === path.length - 1;
      const where = path.slice(0, i + 1).join('.');
      if (Array.isArray(node)) {
        if (!INTEGER.test(segment) || Number(segment) < 0) {
          throw new CliError(ExitCode.InvalidInput, `--set ${path.join('.')}: ${path.slice(0, i).join('.')} is an array, "${segment}" is not an index`);
        }
        const index = Number(segment);
        if (index > node.length) {
          throw new CliError(ExitCode.InvalidInput, `--set ${path.join('.')}: index ${index} is past the end of ${path.slice(0, i).join('.')} (length ${node.length})`);
        }
        if (last) {
          node[index] = value;
        } else {
          if (!isContainer(node[index])) node[index] = {};
          node = node[index] as Record<string, unknown> | unknown[];
        }
      } else {
        if (last) {
          node[segment] = value;
        } else {
          const next = node[segment];
          if (next !== undefined && next !== null && !isContainer(next)) {
            throw new CliError(ExitCode.InvalidInput, `--set ${path.join('.')}: ${where} is ${JSON.stringify(next)}, not an object`);
          }
          if (!isContainer(next)) node[segment] = {};
          node = node[segment] as Record<string, unknown> | unknown[];
        }
      }
    }
  }
  return root;
}
