/**
 * Every workflow the worker registers (its workflowsPath). Each is loaded when a run of it
 * starts, not before: the worker evaluates this module for every workflow it starts (each
 * run gets its own module state), and importing all eight runbooks made a tenant upgrade
 * build the OpenCTI and system runbooks' schemas too, and keep them in memory while cached.
 * The "eager" mode keeps every runbook inside the one bundle (no chunk to fetch).
 */
type WorkflowFn = (...args: never[]) => Promise<unknown>;

/** A workflow that loads its module on first call; the module's own function does the work. */
function loadedOnStart<F extends WorkflowFn>(load: () => Promise<F>): F {
  return (async (...args: Parameters<F>) => (await load())(...args)) as F;
}

export const toolchainPreflight = loadedOnStart(async () => (await import(/* webpackMode: "eager" */ './toolchain-preflight.js')).toolchainPreflight);
export const soctalkTenantUpgrade = loadedOnStart(async () => (await import(/* webpackMode: "eager" */ './soctalk/tenant-upgrade.js')).soctalkTenantUpgrade);
export const openctiUpgradeV2 = loadedOnStart(async () => (await import(/* webpackMode: "eager" */ './opencti/opencti-upgrade-v2.js')).openctiUpgradeV2);
export const openctiClusteringMigration = loadedOnStart(
  async () => (await import(/* webpackMode: "eager" */ './opencti/opencti-clustering-migration.js')).openctiClusteringMigration,
);
export const openctiRollback = loadedOnStart(async () => (await import(/* webpackMode: "eager" */ './opencti/opencti-rollback.js')).openctiRollback);
export const soctalkFleetUpgrade = loadedOnStart(async () => (await import(/* webpackMode: "eager" */ './soctalk/fleet-upgrade.js')).soctalkFleetUpgrade);
export const soctalkSystemUpgrade = loadedOnStart(async () => (await import(/* webpackMode: "eager" */ './soctalk/system-upgrade.js')).soctalkSystemUpgrade);
export const soctalkSystemRollback = loadedOnStart(async () => (await import(/* webpackMode: "eager" */ './soctalk/system-rollback.js')).soctalkSystemRollback);
