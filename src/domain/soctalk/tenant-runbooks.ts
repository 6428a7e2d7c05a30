/** The SocTalk tenant runbooks as operators start them by name (CLI, chat, README). */
import { defineRunbook } from '../../runbooks.js';
import { fleetWorkflowId, releaseWorkflowId } from '../workflow-ids.js';
import { FleetUpgradeInputSchema } from './fleet-input.js';
import { tenantNamespace, tenantRelease, TenantUpgradeInputSchema } from './tenant-upgrade-input.js';

export const tenantWorkflowId = (slug: string): string => releaseWorkflowId(tenantNamespace(slug), tenantRelease(slug));

export const soctalkTenantUpgradeRunbook = defineRunbook({
  name: 'soctalk-tenant-upgrade',
  workflowType: 'soctalkTenantUpgrade',
  description: "Upgrade one SocTalk tenant's data plane (tenant-<slug>), never ahead of soctalk-system",
  input: TenantUpgradeInputSchema,
  workflowId: (input) => tenantWorkflowId(input.tenant),
  summary: (input) => `soctalk-tenant ${input.version} for tenant-${input.tenant}${input.breakingChange ? ' (breaking change: PVC snapshots first)' : ''}`,
});

export const soctalkFleetUpgradeRunbook = defineRunbook({
  name: 'soctalk-fleet-upgrade',
  workflowType: 'soctalkFleetUpgrade',
  description: 'Upgrade every SocTalk tenant in canary-first waves with bake time and a failure budget',
  input: FleetUpgradeInputSchema,
  workflowId: (input) => fleetWorkflowId(input.name),
  summary: (input) =>
    `${input.dryRun ? 'plan: ' : ''}soctalk-tenant ${input.upgrade.version} across ${input.tenants.list ? `${input.tenants.list.length} listed tenants` : `namespaces ${input.tenants.selector}`}`,
});
