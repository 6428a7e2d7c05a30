// A chart read from a repository gets its own helm repository config and cache
// (src/activities/helm/repository.ts). Against real helm and a real chart repository served
// over HTTP: `helm repo add` alone leaves the index in the private cache, so `helm template`
// of the chart works without a `helm repo update` after it; the runbook's repository step
// still runs both; the private directory is gone afterwards, also when the read fails.
import assert from 'node:assert/strict';
import { readFile, readdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { toolPathsFromEnv } from '../../src/activities/command.js';
import { withRepository } from '../../src/activities/helm/repository.js';
import type { ChartSource } from '../../src/domain/chart.js';
import { fixturesDir } from '../helpers/paths.js';

const helmBin = toolPathsFromEnv().helm;

describe('a private helm repository config per chart read', () => {
  let dir: string;
  let server: Server;
  let chart: ChartSource;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'helm-repository-test-'));
    const repo = join(dir, 'repo');
    await execa(helmBin, ['package', `${fixturesDir}charts/soctalk-tenant`, '--destination', repo]);
    server = createServer((req, res) => {
      readFile(join(repo, (req.url ?? '/').split('?')[0]!.replace(/^\/+/, '')))
        .then((body) => res.end(body))
        .catch(() => res.writeHead(404).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await execa(helmBin, ['repo', 'index', repo, '--url', url]);
    chart = { ref: 'fixtures/soctalk-tenant', repository: { name: 'fixtures', url } };
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  const recording = () => {
    const ran: string[][] = [];
    const runHelm = async (args: string[]) => {
      ran.push(args);
      return execa(helmBin, args);
    };
    return { ran, runHelm };
  };
  const workDir = async () => mkdtemp(join(dir, 'work-'));

  it('one `helm repo add --force-update` into the private cache, and the chart renders from it', async () => {
    const { ran, runHelm } = recording();
    const work = await workDir();
    const rendered = await withRepository(work, chart, runHelm, async (flags) => (await execa(helmBin, ['template', 't', chart.ref, '--kube-version', '1.36.1', ...flags])).stdout);
    assert.match(rendered, /kind: Deployment/);
    assert.equal(ran.length, 1, ran.map((a) => a.join(' ')).join('\n'));
    assert.deepEqual(ran[0]!.slice(0, 3), ['repo', 'add', '--force-update']);
    assert.ok(ran[0]!.some((a) => a.startsWith('--repository-config=')) && ran[0]!.some((a) => a.startsWith('--repository-cache=')), 'private config and cache');
    assert.deepEqual(await readdir(work), [], 'the private directory is removed');
  });

  it('the runbook\'s repository step runs add and update', async () => {
    const { ran, runHelm } = recording();
    await withRepository(await workDir(), chart, runHelm, () => Promise.resolve(), { update: true });
    assert.deepEqual(
      ran.map((a) => a.slice(0, 2).join(' ')),
      ['repo add', 'repo update'],
    );
  });

  it('a failing read still removes the private directory; a local chart gets no repository at all', async () => {
    const { ran, runHelm } = recording();
    const work = await workDir();
    await assert.rejects(withRepository(work, chart, runHelm, () => Promise.reject(new Error('render failed'))), /render failed/);
    assert.deepEqual(await readdir(work), []);
    const flags = await withRepository(work, { ref: `${fixturesDir}charts/soctalk-tenant` }, runHelm, (f) => Promise.resolve(f));
    assert.deepEqual(flags, []);
    assert.equal(ran.length, 1, 'only the repository chart added a repository');
  });
});
