// A minimal Kubernetes API client for test helpers that must run for a long time (the
// simulated snapshot controller polls twice a second): spawning kubectl for every poll
// would cost a process each time on a 2-core machine. It reads the kubeconfig that
// kwokctl writes (client certificates, files or inline data) and speaks plain HTTPS.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';

export interface KubeResponse<T = unknown> {
  status: number;
  body: T;
}

export type KubeRequest = <T = unknown>(
  method: string,
  path: string,
  body?: unknown,
  contentType?: string,
) => Promise<KubeResponse<T>>;

interface Named<T> {
  name: string;
  [key: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}

interface KubeconfigFile {
  'current-context'?: string;
  clusters?: Named<Record<string, string | boolean>>[];
  users?: Named<Record<string, string>>[];
  contexts?: Named<{ cluster: string; user: string }>[];
}

/** Credentials of the kubeconfig's current context. */
function loadKubeconfig(path: string) {
  const doc = parse(readFileSync(path, 'utf8')) as KubeconfigFile;
  const ctx = doc.contexts?.find((c) => c.name === doc['current-context'])?.context ?? doc.contexts?.[0]?.context;
  if (!ctx) throw new Error(`${path}: no context`);
  const cluster = doc.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  const user = doc.users?.find((u) => u.name === ctx.user)?.user ?? {};
  if (!cluster) throw new Error(`${path}: no cluster ${ctx.cluster}`);
  // Paths in a kubeconfig are relative to the kubeconfig's own directory.
  const file = (key: string, src: Record<string, unknown>): Buffer | undefined => {
    const data = src[`${key}-data`];
    if (typeof data === 'string') return Buffer.from(data, 'base64');
    const p = src[key];
    if (typeof p === 'string') return readFileSync(isAbsolute(p) ? p : resolve(dirname(path), p));
    return undefined;
  };
  return {
    server: String(cluster.server),
    ca: file('certificate-authority', cluster),
    insecure: cluster['insecure-skip-tls-verify'] === true,
    cert: file('client-certificate', user),
    key: file('client-key', user),
    token: typeof user.token === 'string' ? user.token : undefined,
  };
}

/** Returns a request function bound to the kubeconfig's current context. */
export function kubeClient(kubeconfigPath: string): KubeRequest {
  const cfg = loadKubeconfig(kubeconfigPath);
  return (method, path, body, contentType = 'application/json') =>
    new Promise((resolvePromise, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        new URL(path, cfg.server),
        {
          method,
          ca: cfg.ca,
          cert: cfg.cert,
          key: cfg.key,
          rejectUnauthorized: !cfg.insecure,
          timeout: 10_000,
          headers: {
            Accept: 'application/json',
            ...(payload ? { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload) } : {}),
            ...(cfg.token ? { Authorization: `Bearer ${cfg.token}` } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              // Non-JSON bodies (e.g. /readyz) are returned as text.
            }
            resolvePromise({ status: res.statusCode ?? 0, body: parsed as never });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
}
