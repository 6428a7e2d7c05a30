/**
 * How many workflows the worker keeps in its sticky cache. The SDK's default grows with
 * the heap (thousands on a large machine), which is memory the chart's 1 GiB limit does
 * not have. A fleet keeps at most its parallelism of tenant workflows running plus its own
 * parent, so the cache is sized from the parallelism the worker is expected to serve; a
 * workflow evicted beyond that is replayed on its next task, which is slower, never wrong.
 */
const CACHE_ENV = 'WORKER_MAX_CACHED_WORKFLOWS';
const PARALLELISM_ENV = 'WORKER_FLEET_PARALLELISM';
/** Tenant workflows running at once across the fleets this worker serves. */
const DEFAULT_PARALLELISM = 100;
/** Room for fleet parents, system upgrades and single runs beside the tenants. */
const HEADROOM = 50;

function positiveInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name}=${raw} must be a positive whole number`);
  return value;
}

export function workflowCacheSize(env: NodeJS.ProcessEnv = process.env): number {
  return positiveInt(env, CACHE_ENV) ?? (positiveInt(env, PARALLELISM_ENV) ?? DEFAULT_PARALLELISM) + HEADROOM;
}
