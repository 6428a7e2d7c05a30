// Every workflow the worker registers (its workflowsPath).
export { toolchainPreflight } from './toolchain-preflight.js';
export { soctalkTenantUpgrade } from './soctalk/tenant-upgrade.js';
export { openctiUpgradeV2 } from './opencti/opencti-upgrade-v2.js';
export { openctiClusteringMigration } from './opencti/opencti-clustering-migration.js';
export { openctiRollback } from './opencti/opencti-rollback.js';
export { soctalkFleetUpgrade } from './soctalk/fleet-upgrade.js';
export { soctalkSystemUpgrade } from './soctalk/system-upgrade.js';
export { soctalkSystemRollback } from './soctalk/system-rollback.js';
