// A real Helm chart repository on loopback, so the runbooks' `helm repo add` and
// `helm repo update` steps run for real: the fixture charts of test/fixtures/charts are
// packaged with `helm package` at every version listed in catalog.json, indexed with
// `helm repo index`, and served by a plain Node HTTP server on 127.0.0.1 (random port).
//
//   const repo = await startChartRepo();   // repo.url: http://127.0.0.1:<port>
//   await repo.stop();
//
// Run directly (node --import tsx test/helpers/chart-repo.ts) it prints the URL and serves
// until SIGINT/SIGTERM, for the demo or for poking at it by hand.
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { fixturesDir } from './paths.js';
import { toolchainEnv } from './toolchain-env.js';

export interface CatalogEntry {
  dir: string;
  version: string;
  appVersion: string;
}

export interface ChartRepo {
  /** Base URL for `helm repo add <name> <url>`. */
  url: string;
  /** Directory holding index.yaml and the packaged .tgz files. */
  dir: string;
  /** What was packaged, e.g. { dir: 'opencti-2', version: '2.0.0', appVersion: '6.5.0' }. */
  charts: CatalogEntry[];
  stop(): Promise<void>;
}

export const chartsDir = join(fixturesDir, 'charts');

export async function readCatalog(): Promise<CatalogEntry[]> {
  const raw = JSON.parse(await readFile(join(chartsDir, 'catalog.json'), 'utf8')) as { charts: CatalogEntry[] };
  return raw.charts;
}

/** Packages every catalog entry into dir with the given helm binary. */
export async function packageCharts(helm: string, dir: string, charts: CatalogEntry[]): Promise<void> {
  for (const c of charts) {
    await execa(helm, ['package', join(chartsDir, c.dir), '--version', c.version, '--app-version', c.appVersion, '--destination', dir]);
  }
}

export async function startChartRepo(): Promise<ChartRepo> {
  const { HELM_BIN: helm = 'helm' } = await toolchainEnv('helm');
  const dir = await mkdtemp(join(tmpdir(), 'chart-repo-'));
  const charts = await readCatalog();
  try {
    await packageCharts(helm, dir, charts);
    // Serve only the files that exist now (index.yaml is added below): no path traversal.
    const server = createServer((req, res) => {
      const name = basename(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
      readdir(dir).then(
        (files) => {
          if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405).end();
          if (!files.includes(name)) return void res.writeHead(404).end('not found\n');
          const type = name.endsWith('.yaml') ? 'application/x-yaml' : 'application/gzip';
          res.writeHead(200, { 'Content-Type': type });
          if (req.method === 'HEAD') return void res.end();
          createReadStream(join(dir, name)).pipe(res);
        },
        () => void res.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await execa(helm, ['repo', 'index', dir, '--url', url]);
    return {
      url,
      dir,
      charts,
      async stop() {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const repo = await startChartRepo();
  console.log(repo.url);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void repo.stop().then(() => process.exit(0)));
}
