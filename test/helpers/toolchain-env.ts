// The real tools' locations, exactly as scripts/toolchain.sh decides them (env var, PATH,
// or its build cache), so test helpers never guess paths of their own. The script prints
// `export A='x' B='y'` lines; parsing them keeps one source of truth.
import { execa } from 'execa';
import { repoRoot } from './paths.js';

export type Component = 'temporal' | 'test-server' | 'helm' | 'kubectl' | 'kwok' | 'kube' | 'etcd' | 'postgres' | 'seaweedfs';

const cache = new Map<Component, Record<string, string>>();

/** Env vars (HELM_BIN, KUBECTL_BIN, PG_BIN_DIR, ...) for the components; builds missing ones. */
export async function toolchainEnv(...components: Component[]): Promise<Record<string, string>> {
  const missing = components.filter((c) => !cache.has(c));
  for (const c of missing) {
    const { stdout } = await execa('bash', [`${repoRoot}scripts/toolchain.sh`, 'env', c], { stderr: 'inherit' });
    const vars: Record<string, string> = {};
    for (const m of stdout.matchAll(/([A-Z_]+)='([^']*)'/g)) vars[m[1]!] = m[2]!;
    cache.set(c, vars);
  }
  return Object.assign({}, ...components.map((c) => cache.get(c) ?? {})) as Record<string, string>;
}
