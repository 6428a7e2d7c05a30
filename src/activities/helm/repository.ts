import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChartSource } from '../../domain/chart.js';
import { helmRepoAddArgs, helmRepoUpdateArgs, withHelmFlags } from './commands.js';

/** Runs one helm command (argv without the executable); the runner's own run, bound to the activity. */
type RunHelm = (args: string[]) => Promise<unknown>;

/**
 * Gives one activity its own helm repository configuration and cache: the runbook's
 * `helm repo add --force-update` into a private directory, then the command that reads the
 * chart with the same flags, then the directory is removed. `helm repo add` downloads the
 * repository's index into that cache, so in a fresh directory the runbook's `helm repo
 * update` would only download it again: it runs where asked (`update`, the runbook's own
 * repository step), not before every chart read (a fleet reads the chart twice a tenant).
 *
 * Why not helm's shared config: tenants of a fleet run in parallel on one worker, and a
 * `helm repo update` rewrites the index file that another tenant's `helm template` is reading
 * at that moment ("empty index.yaml file", measured with 10 parallel tenants on KWOK). And a
 * repository added by one activity would not be there for the next one on another replica.
 * Local paths and oci:// references need no repository and get no flags.
 */
export async function withRepository<T>(
  workDir: string,
  chart: ChartSource,
  runHelm: RunHelm,
  use: (flags: string[]) => Promise<T>,
  { update = false }: { update?: boolean } = {},
): Promise<T> {
  if (!chart.repository) return use([]);
  const dir = await mkdtemp(join(workDir, 'helm-repository-'));
  try {
    const flags = [`--repository-config=${join(dir, 'repositories.yaml')}`, `--repository-cache=${join(dir, 'cache')}`];
    await runHelm(withHelmFlags(helmRepoAddArgs(chart.repository.name, chart.repository.url), flags));
    if (update) await runHelm(withHelmFlags(helmRepoUpdateArgs(chart.repository.name), flags));
    return await use(flags);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
