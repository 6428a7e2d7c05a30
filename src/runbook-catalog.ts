/**
 * Every runbook people can start by name. Add a line here when a runbook lands; its
 * definition lives next to its input schema in src/domain/.
 */
import type { RunbookDefinition } from './runbooks.js';

export const RUNBOOKS: readonly RunbookDefinition[] = [];

export function findRunbook(name: string): RunbookDefinition {
  const found = RUNBOOKS.find((r) => r.name === name);
  if (!found) throw new Error(`unknown runbook "${name}"; known: ${RUNBOOKS.map((r) => r.name).join(', ') || '(none)'}`);
  return found;
}
