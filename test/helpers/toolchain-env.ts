// The real tools' locations, exactly as scripts/toolchain.sh decides them (env var, PATH,
// or its build cache), so test helpers never guess paths of their own. The script prints
// `export A='x' B='y'` lines; parsing them keeps one source of truth.
import { execa } from 'execa';
import { repoRoot } from './paths.js';

export type Component = 'temporal' | 'test-server' | 'helm' | 'kubectl' | 'kwok' | 'kube' | 'etcd' | 'postgres' | 'seaweedfs';

const cache = new Map<Component, Record<string, string>>();

const ASSIGNMENT = /([A-Z_][A-Z0-9_]*)='([^']*)'/g;
const EXPORT_LINE = /^export( [A-Z_][A-Z0-9_]*='[^']*')+$/;

/**
 * The variables of `toolchain.sh env` output. Any line that is not an `export NAME='value'...`
 * line is an error: callers `eval` this output, where such a line would run as a command.
 */
export function parseToolchainEnv(stdout: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    if (!EXPORT_LINE.test(line)) throw new Error(`scripts/toolchain.sh env printed a line that is not an export: ${JSON.stringify(line)}`);
    for (const m of line.matchAll(ASSIGNMENT)) vars[m[1]!] = m[2]!;
  }
  return vars;
}

/** Env vars (HELM_BIN, KUBECTL_BIN, PG_BIN_DIR, ...) for the components; builds missing ones. */
export async function toolchainEnv(...components: Component[]): Promise<Record<string, string>> {
  const missing = components.filter((c) => !cache.has(c));
  for (const c of missing) {
    const { stdout } = await execa('bash', [`${repoRoot}scripts/toolchain.sh`, 'env', c], { stderr: 'inherit' });
    cache.set(c, parseToolchainEnv(stdout));
  }
  return Object.assign({}, ...components.map((c) => cache.get(c) ?? {})) as Record<string, string>;
}
