/**
 * A runbook's input as the operator gave it: read from a file or stdin, overridden by
 * --set, completed by the CLI (requestedBy, dryRun), then validated locally with the
 * catalog's zod schema so mistakes are reported before anything reaches Temporal.
 */
import { describeParseError } from '../activities/parse-errors.js';
import { inlineSecretPaths, inlineSecretsRefusal } from '../codec/inline-secrets.js';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import type { RunbookDefinition } from '../runbooks.js';
import { CliError, ExitCode } from './exit-codes.js';
import { applyOverrides, parseSetOverride } from './set-overrides.js';

async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** `--input file.json|file.yaml`, `--input -` (stdin), or no input at all (`{}`, for --set only). */
export async function readInputSource(source: string | undefined, stdin: NodeJS.ReadableStream = process.stdin): Promise<unknown> {
  if (source === undefined) return {};
  const name = source === '-' ? 'stdin' : source;
  let text: string;
  try {
    text = source === '-' ? await readStdin(stdin) : await readFile(source, 'utf8');
  } catch (err) {
    throw new CliError(ExitCode.InvalidInput, `cannot read the input ${name}: ${(err as Error).message}`);
  }
  if (text.trim() === '') throw new CliError(ExitCode.InvalidInput, `the input ${name} is empty: expected a JSON or YAML object`);
  return parseInputText(text, name);
}

/** JSON when it looks like JSON (or the file is .json), YAML otherwise; errors name the line. */
export function parseInputText(text: string, name: string): unknown {
  const json = /\.json$/i.test(name) || /^\s*[{[]/.test(text);
  if (json) {
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new CliError(ExitCode.InvalidInput, `the input ${describeParseError(name, err, text)}`);
    }
  }
  try {
    // Plain YAML 1.2 core schema: no custom tags, no merge keys, so a value is what it reads as.
    return parseYaml(text, { schema: 'core', merge: false, maxAliasCount: 100 }) as unknown;
  } catch (err) {
    throw new CliError(ExitCode.InvalidInput, `the input ${describeParseError(name, err, text)}`);
  }
}

interface ZodDefLike {
  type?: string;
  shape?: Record<string, unknown>;
  innerType?: unknown;
  in?: unknown;
  options?: unknown[];
  left?: unknown;
  right?: unknown;
}

function defOf(schema: unknown): ZodDefLike | undefined {
  return (schema as { _zod?: { def?: ZodDefLike } } | undefined)?._zod?.def;
}

/**
 * Whether the input schema declares a top-level field, looking through the wrappers
 * runbook schemas use (default, optional, pipe/transform, refine) and into unions.
 */
export function schemaHasField(schema: z.ZodType, field: string, depth = 0): boolean {
  const def = defOf(schema);
  if (!def || depth > 20) return false;
  if (def.type === 'object' && def.shape) return Object.hasOwn(def.shape, field);
  if (def.type === 'union' && def.options) return def.options.some((o) => schemaHasField(o as z.ZodType, field, depth + 1));
  if (def.type === 'intersection') {
    return schemaHasField(def.left as z.ZodType, field, depth + 1) || schemaHasField(def.right as z.ZodType, field, depth + 1);
  }
  const inner = def.innerType ?? def.in;
  return inner !== undefined && schemaHasField(inner as z.ZodType, field, depth + 1);
}

/** One line per issue, the field as a dotted path: `approval.timeout: "5x" is not a duration`. */
export function formatZodIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    const at = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) lines.push(`${at ? `${at}.` : ''}${key}: unknown field (the schema does not have it)`);
      continue;
    }
    if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) {
      lines.push(`${at || '(input)'}: required (expected ${issue.expected})`);
      continue;
    }
    lines.push(`${at || '(input)'}: ${issue.message}`);
  }
  return lines;
}

export interface PreparedInput {
  /** What the workflow receives: the operator's JSON with --set, requestedBy and dryRun applied. */
  raw: Record<string, unknown>;
  /** The schema's output (defaults applied), for the workflow ID and the summary. */
  parsed: unknown;
  /** Notes for stderr (for example a requestedBy that the identity replaced). */
  notes: string[];
}

export interface PrepareOptions {
  sets?: readonly string[];
  identity: string;
  dryRun?: boolean;
  /** The CLI's payload codec is on: inline secrets are then encrypted, not refused. */
  codecEnabled?: boolean;
}

export function prepareInput(runbook: RunbookDefinition, fromSource: unknown, options: PrepareOptions): PreparedInput {
  const overrides = (options.sets ?? []).map(parseSetOverride);
  const withSets = applyOverrides(fromSource, overrides);
  if (typeof withSets !== 'object' || withSets === null || Array.isArray(withSets)) {
    throw new CliError(ExitCode.InvalidInput, `invalid input for ${runbook.name}:\n  - (input): expected a JSON object`);
  }
  const raw = { ...(withSets as Record<string, unknown>) };
  const notes: string[] = [];
  if (schemaHasField(runbook.input, 'requestedBy')) {
    // The requester is whoever runs the command: four-eyes approval relies on it.
    if (typeof raw.requestedBy === 'string' && raw.requestedBy !== options.identity) {
      notes.push(`requestedBy "${raw.requestedBy}" in the input is replaced by your identity "${options.identity}" (use --as to change it)`);
    }
    raw.requestedBy = options.identity;
  }
  if (options.dryRun) {
    if (!schemaHasField(runbook.input, 'dryRun')) {
      throw new CliError(ExitCode.InvalidInput, `runbook ${runbook.name} has no dry run (its input has no "dryRun" field): use start`);
    }
    raw.dryRun = true;
  }
  const result = runbook.input.safeParse(raw);
  if (!result.success) {
    const lines = formatZodIssues(result.error.issues).map((l) => `  - ${l}`);
    throw new CliError(ExitCode.InvalidInput, `invalid input for ${runbook.name}:\n${lines.join('\n')}`);
  }
  // Without the codec, Temporal would store inline secrets in clear: refuse before starting.
  const inlineSecrets = options.codecEnabled ? [] : inlineSecretPaths(result.data);
  if (inlineSecrets.length) throw new CliError(ExitCode.InvalidInput, inlineSecretsRefusal(`invalid input for ${runbook.name}`, inlineSecrets));
  return { raw, parsed: result.data, notes };
}
