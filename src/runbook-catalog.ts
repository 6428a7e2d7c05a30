/**
 * Every runbook people can start by name. Add a line here when a runbook lands; its
 * definition lives next to its input schema in src/domain/.
 */
import { OPENCTI_RUNBOOKS } from './domain/opencti/runbooks.js';
import type { RunbookDefinition } from './runbooks.js';
import { soctalkSystemRollbackRunbook, soctalkSystemUpgradeRunbook } from './domain/soctalk/system-runbooks.js';
import { soctalkFleetUpgradeRunbook, soctalkTenantUpgradeRunbook } from './domain/soctalk/tenant-runbooks.js';

export const RUNBOOKS: readonly RunbookDefinition[] = [
  soctalkSystemUpgradeRunbook,
  soctalkSystemRollbackRunbook,
  soctalkTenantUpgradeRunbook, soctalkFleetUpgradeRunbook, ...OPENCTI_RUNBOOKS];

export function findRunbook(name: string): RunbookDefinition {
  const found = RUNBOOKS.find((r) => r.name === name);
  if (!found) throw new Error(`unknown runbook "${name}"; known: ${RUNBOOKS.map((r) => r.name).join(', ') || '(none)'}`);
  return found;
}
