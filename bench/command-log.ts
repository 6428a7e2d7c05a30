/**
 * Counts what each side of the real-fleet benchmark ran: `helm` and `kubectl` are reached
 * through a two-line shim that appends its argv to a log, then execs the real binary. Both
 * the serial loop and the fleet's worker get the shims (HELM_BIN, KUBECTL_BIN), each with
 * its own log, so "the same checks" is a printed fact (upgrade, template, rollout status,
 * image reads per tenant on both sides), not a claim.
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const COMMAND_LOG_ENV = 'BENCH_COMMAND_LOG';

/** Writes helm and kubectl shims into `dir`; returns HELM_BIN and KUBECTL_BIN naming them. */
export async function writeCommandShims(dir: string, real: { helm: string; kubectl: string }): Promise<{ HELM_BIN: string; KUBECTL_BIN: string }> {
  const shim = async (tool: 'helm' | 'kubectl') => {
    const path = join(dir, tool);
    // One short line per command: O_APPEND keeps concurrent writers' lines whole.
    await writeFile(path, `#!/bin/sh\nprintf '%s\\n' "${tool} $*" >> "$${COMMAND_LOG_ENV}"\nexec '${real[tool]}' "$@"\n`);
    await chmod(path, 0o755);
    return path;
  };
  return { HELM_BIN: await shim('helm'), KUBECTL_BIN: await shim('kubectl') };
}

/** Flags whose value is the next argv word, so it is not taken for a subcommand. */
const VALUE_FLAGS = new Set(['--kubeconfig', '--context', '-n', '--namespace', '-o', '--output', '-l', '--selector', '--timeout', '--version', '-f', '--values', '--set-string', '--set', '--field-selector']);
/** Subcommands named by their first two words (`rollout status`, `get values`, `get deployment`). */
const TWO_WORD = new Set(['rollout', 'get', 'repo']);

/** `helm upgrade`, `kubectl rollout status`, `kubectl get endpointslices` ... from one logged argv line. */
export function commandKind(line: string): string {
  const [tool = '?', ...args] = line.trim().split(/\s+/);
  const words: string[] = [];
  for (let i = 0; i < args.length && words.length < 2; i += 1) {
    const a = args[i]!;
    if (a.startsWith('-')) {
      if (VALUE_FLAGS.has(a)) i += 1;
      continue;
    }
    words.push(a);
    if (words.length === 1 && !TWO_WORD.has(a)) break;
  }
  return [tool, ...words].join(' ');
}

/** How many of each kind of command a log holds. */
export async function countCommands(logFile: string): Promise<Map<string, number>> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const kind = commandKind(line);
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return counts;
}

/** Rows "kind  serial  fleet" per tenant, sorted by kind, for the report. */
export function commandTable(serial: Map<string, number>, fleet: Map<string, number>, tenants: number): string[] {
  const kinds = [...new Set([...serial.keys(), ...fleet.keys()])].sort();
  const per = (n: number | undefined) => ((n ?? 0) / tenants).toFixed(2).padStart(6);
  const width = Math.max(...kinds.map((k) => k.length), 8);
  return [
    `${'command'.padEnd(width)}  serial  fleet   (per tenant)`,
    ...kinds.map((k) => `${k.padEnd(width)}  ${per(serial.get(k))}  ${per(fleet.get(k))}`),
    `${'total'.padEnd(width)}  ${per([...serial.values()].reduce((a, b) => a + b, 0))}  ${per([...fleet.values()].reduce((a, b) => a + b, 0))}`,
  ];
}
