/** `-o text|json|yaml` on every read command (`--json` stays as the short form of `-o json`). */
import { Option } from 'commander';
import { stringify } from 'yaml';
import { CliError, ExitCode } from './exit-codes.js';

export type OutputFormat = 'text' | 'json' | 'yaml';

export const outputOption = () => new Option('-o, --output <format>', 'text, json or yaml').choices(['text', 'json', 'yaml']).default('text');

export function outputFormat(opts: { output?: string; json?: boolean }): OutputFormat {
  if (opts.json) return 'json';
  const format = opts.output ?? 'text';
  if (format !== 'text' && format !== 'json' && format !== 'yaml') throw new CliError(ExitCode.InvalidInput, `-o ${format}: expected text, json or yaml`);
  return format;
}

/** Data for scripts: JSON (two-space indent) or YAML; plain ASCII quotes in both. */
export function renderData(format: Exclude<OutputFormat, 'text'>, data: unknown): string {
  return format === 'json' ? JSON.stringify(data, null, 2) : stringify(data, { lineWidth: 0 }).replace(/\n$/, '');
}
