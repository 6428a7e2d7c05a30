// A loopback stand-in for the SocTalk API's MSSP routes the tenant heartbeat settle reads,
// written from the real API (soctalk/soctalk src/soctalk/core/api: adapter.py,
// mssp_dashboard.py, tenants.py), not copied:
//   POST /api/internal/adapter/heartbeat   {tenant_id, version, health, metrics} -> the
//        tenant's runtime gets version, health, last_heartbeat (the API's clock, ISO with
//        +00:00) and metrics_snapshot; the adapter's own bearer token is not modelled
//   GET  /api/mssp/dashboard/tenant-health -> {items: [{tenant_id, slug, display_name, state,
//        last_heartbeat, heartbeat_age_seconds, unhealthy}]} (unhealthy: no heartbeat or older than 300s)
//   GET  /api/mssp/tenants/{id}            -> TenantRead {id, slug, display_name, state, profile,
//        created_at, state_changed_at, runtime}; 404 {"detail": "tenant not found"}
// Both GET routes answer 401 {"detail": "authentication required"} without the bearer token.
// `hang` makes every request wait for ever (a stuck API), to test the client's timeout.
//
//   const api = await startMsspApi({ token: 'tok', tenants: [{ slug: 'acme' }] });
//   await api.adapterBeats('acme', '0.2.1');   // what the adapter does every 60s
//   api.url; api.requests; await api.stop();
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Tenant {
  id: string;
  slug: string;
  runtime: Record<string, unknown>;
}

export interface MsspApi {
  url: string;
  /** Method and path of every request, in order. */
  requests: string[];
  tenantId(slug: string): string;
  /** The adapter of `slug` posts a heartbeat reporting `version`, as the real adapter does. */
  adapterBeats(slug: string, version: string): Promise<void>;
  /** Every request from now on waits for ever (until stop). */
  hang(): void;
  stop(): Promise<void>;
}

const HEARTBEAT_UNHEALTHY_AGE_SECONDS = 300;

export async function startMsspApi(opts: { token: string; tenants: { slug: string }[] }): Promise<MsspApi> {
  const tenants = new Map<string, Tenant>(opts.tenants.map((t) => [t.slug, { id: randomUUID(), slug: t.slug, runtime: {} }]));
  const requests: string[] = [];
  const hanging = new Set<ServerResponse>();
  let hang = false;
  const createdAt = new Date().toISOString();

  const send = (res: ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const authorized = (req: IncomingMessage) => req.headers.authorization === `Bearer ${opts.token}`;
  const readBody = async (req: IncomingMessage): Promise<unknown> => {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    return JSON.parse(text) as unknown;
  };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(`${req.method} ${path}`);
    if (hang) {
      hanging.add(res);
      return;
    }
    void (async () => {
      if (req.method === 'POST' && path === '/api/internal/adapter/heartbeat') {
        const beat = (await readBody(req)) as { tenant_id: string; version: string; health: string; metrics?: unknown };
        const tenant = [...tenants.values()].find((t) => t.id === beat.tenant_id);
        if (!tenant) return send(res, 404, { detail: 'tenant not found' });
        tenant.runtime = { ...tenant.runtime, version: beat.version, health: beat.health, last_heartbeat: new Date().toISOString().replace('Z', '+00:00'), metrics_snapshot: beat.metrics ?? {} };
        return send(res, 200, { ok: true });
      }
      if (req.method !== 'GET') return send(res, 405, { detail: 'Method Not Allowed' });
      if (!authorized(req)) return send(res, 401, { detail: 'authentication required' });
      if (path === '/api/mssp/dashboard/tenant-health') {
        const now = Date.now();
        const items = [...tenants.values()]
          .sort((a, b) => a.slug.localeCompare(b.slug))
          .map((t) => {
            const last = typeof t.runtime.last_heartbeat === 'string' ? t.runtime.last_heartbeat : null;
            const age = last === null ? null : Math.floor((now - Date.parse(last)) / 1000);
            return { tenant_id: t.id, slug: t.slug, display_name: t.slug, state: 'active', last_heartbeat: last, heartbeat_age_seconds: age, unhealthy: age === null || age > HEARTBEAT_UNHEALTHY_AGE_SECONDS };
          });
        return send(res, 200, { items });
      }
      const byId = /^\/api\/mssp\/tenants\/([^/]+)$/.exec(path);
      if (byId) {
        const tenant = [...tenants.values()].find((t) => t.id === decodeURIComponent(byId[1]!));
        if (!tenant) return send(res, 404, { detail: 'tenant not found' });
        return send(res, 200, { id: tenant.id, slug: tenant.slug, display_name: tenant.slug, state: 'active', profile: 'poc', created_at: createdAt, state_changed_at: createdAt, runtime: tenant.runtime });
      }
      return send(res, 404, { detail: 'Not Found' });
    })().catch((err: unknown) => send(res, 500, { detail: String(err) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const tenantId = (slug: string): string => {
    const t = tenants.get(slug);
    if (!t) throw new Error(`no tenant ${slug} in the MSSP API stand-in`);
    return t.id;
  };
  return {
    url,
    requests,
    tenantId,
    async adapterBeats(slug, version) {
      const res = await fetch(`${url}/api/internal/adapter/heartbeat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ tenant_id: tenantId(slug), version, health: 'ok', metrics: { alerts_forwarded: 0 } }),
      });
      if (!res.ok) throw new Error(`heartbeat of ${slug} answered ${res.status}`);
    },
    hang() {
      hang = true;
    },
    async stop() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
