/**
 * The MSSP API reads of the tenant heartbeat settle, as the real SocTalk API serves them:
 * GET /api/mssp/dashboard/tenant-health (one row per tenant: tenant_id, slug,
 * last_heartbeat, heartbeat_age_seconds) finds the tenant by slug, and GET
 * /api/mssp/tenants/{id} returns its `runtime`, which every adapter heartbeat
 * (POST /api/internal/adapter/heartbeat) overwrites with the adapter's version and the time.
 * Both routes need a bearer token of an MSSP-side role; it is the worker's own setting.
 */
import { ApplicationFailure } from '@temporalio/common';
import { humanDuration } from '../../domain/duration.js';
import { FailureType } from '../../domain/failure-types.js';
import { sameOriginUrl } from '../../domain/grammar.js';
import { tenantHealthRow, tenantRuntimeHeartbeat, type AdapterHeartbeat } from './tenant-parse.js';

/** The worker's own setting: the MSSP API bearer token for the heartbeat settle (never named by a run's input). */
export const MSSP_API_TOKEN_ENV = 'SOCTALK_MSSP_API_TOKEN';
/** The worker's own setting: the MSSP API the token belongs to; the token is sent to no other origin. */
export const MSSP_API_URL_ENV = 'SOCTALK_MSSP_API_URL';

export interface MsspClient {
  fetch: typeof globalThis.fetch;
  env: NodeJS.ProcessEnv;
  /** How long one request may take; a slow answer is retried by the activity's policy. */
  timeoutMs: number;
}

/**
 * The MSSP token's header for requests to `apiUrl` (from input): only when `apiUrl` is on
 * the origin the worker configured for that token, so an input can never send it elsewhere.
 */
export function msspAuthorization(env: NodeJS.ProcessEnv, apiUrl: string): Record<string, string> {
  const token = env[MSSP_API_TOKEN_ENV];
  if (!token) return {};
  const configured = env[MSSP_API_URL_ENV];
  const refuse = (message: string) => ApplicationFailure.create({ type: FailureType.InvalidInput, nonRetryable: true, message });
  if (!configured) {
    throw refuse(`heartbeat.apiUrl: the worker holds ${MSSP_API_TOKEN_ENV} but no ${MSSP_API_URL_ENV}; set ${MSSP_API_URL_ENV} to the MSSP API the token belongs to (it is sent to no other origin)`);
  }
  const allowed = new URL(configured).origin;
  const asked = new URL(apiUrl).origin;
  if (asked !== allowed) {
    throw refuse(`heartbeat.apiUrl: ${asked} is not the worker's MSSP API (${allowed}, ${MSSP_API_URL_ENV}); its token is sent only there: set heartbeat.apiUrl to ${allowed}`);
  }
  return { authorization: `Bearer ${token}` };
}

/** The URL without query string or credentials, for messages. */
const safeUrl = (url: string): string => {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
};

/** GET one MSSP API route as JSON; every way it can fail says which URL and what to do. */
async function getJson(client: MsspClient, apiUrl: string, path: string): Promise<unknown> {
  let url: string;
  try {
    // A path join that changed the host would carry the token there: refused.
    url = sameOriginUrl(apiUrl, path).toString();
  } catch (err) {
    throw ApplicationFailure.create({ type: FailureType.InvalidInput, nonRetryable: true, message: `heartbeat.apiUrl: ${(err as Error).message}` });
  }
  const token = client.env[MSSP_API_TOKEN_ENV];
  const headers = { accept: 'application/json', ...msspAuthorization(client.env, apiUrl) };
  const where = `the MSSP API ${safeUrl(url)}`;
  try {
    const res = await client.fetch(url, { headers, signal: AbortSignal.timeout(client.timeoutMs) });
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      const why = token ? `it does not accept the token in ${MSSP_API_TOKEN_ENV}` : `the worker has no ${MSSP_API_TOKEN_ENV}`;
      throw ApplicationFailure.create({
        type: FailureType.Forbidden,
        nonRetryable: true,
        message: `${where} answered HTTP ${res.status}: ${why}; set ${MSSP_API_TOKEN_ENV} on the worker to a token of an MSSP role (MSSP admin or manager, analyst, platform admin)`,
      });
    }
    if (!res.ok) {
      await res.body?.cancel();
      const retryable = res.status >= 500 || res.status === 429 || res.status === 408;
      throw ApplicationFailure.create({
        type: res.status === 404 ? FailureType.NotFound : retryable ? FailureType.ServerUnavailable : FailureType.CommandFailed,
        nonRetryable: !retryable,
        message: `${where} answered HTTP ${res.status}`,
      });
    }
    return await res.json();
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err;
    const e = err as Error;
    const what = e.name === 'TimeoutError' ? `did not answer within ${humanDuration(client.timeoutMs)}` : `could not be read (${e.name}: ${e.message})`;
    // Retryable: an API that is restarting with the upgrade answers a little later.
    throw ApplicationFailure.create({ type: FailureType.ServerUnavailable, nonRetryable: false, message: `${where} ${what}` });
  }
}

/** The tenant adapter's last heartbeat and version; {} while the MSSP API lists no such tenant. */
export async function readAdapterHeartbeat(client: MsspClient, input: { apiUrl: string; tenant: string }): Promise<AdapterHeartbeat> {
  const row = tenantHealthRow(await getJson(client, input.apiUrl, '/api/mssp/dashboard/tenant-health'), input.tenant);
  if (!row) return {};
  const seen = tenantRuntimeHeartbeat(await getJson(client, input.apiUrl, `/api/mssp/tenants/${encodeURIComponent(row.tenantId)}`));
  const rowTime = row.lastHeartbeat && !Number.isNaN(Date.parse(row.lastHeartbeat)) ? new Date(row.lastHeartbeat).toISOString() : undefined;
  return { ...seen, ...(seen.at || !rowTime ? {} : { at: rowTime }) };
}
