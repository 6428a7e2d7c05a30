// Repository charts with tenants in parallel (issue 17's real fleet, on KWOK, halted on
// this): every activity that reads a repository chart adds the repository to a private helm
// config and cache of its own. Twelve concurrent renders of one repository chart against the
// real chart repository must all render, leave the worker's shared helm repository config
// untouched (nothing depends on which worker ran the step) and leave no private directory
// behind. `helm repo add` alone leaves the index in the private cache, so a chart read runs
// no `helm repo update`; the runbook's repository step (helmRepoSync) runs both.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { CommandRunner, toolPathsFromEnv } from '../../src/activities/command.js';
import { createHelmActivities } from '../../src/activities/helm/activities.js';
import { withRepository } from '../../src/activities/helm/repository.js';
import { startChartRepo, type ChartRepo } from '../helpers/chart-repo.js';

describe('repository charts rendered in parallel', () => {
  let repo: ChartRepo;
  let dir: string;
  const saved = { config: process.env.HELM_REPOSITORY_CONFIG, cache: process.env.HELM_REPOSITORY_CACHE };

  before(async () => {
    repo = await startChartRepo();
    dir = await mkdtemp(join(tmpdir(), 'helm-repository-test-'));
    // The worker's shared helm config: the renders must not write it.
    process.env.HELM_REPOSITORY_CONFIG = join(dir, 'shared', 'repositories.yaml');
    process.env.HELM_REPOSITORY_CACHE = join(dir, 'shared', 'cache');
  });
  after(async () => {
    process.env.HELM_REPOSITORY_CONFIG = saved.config;
    process.env.HELM_REPOSITORY_CACHE = saved.cache;
    await repo.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('twelve concurrent helm template runs of one repository chart all render; no shared state is written', async () => {
    const workDir = await mkdtemp(join(dir, 'work-'));
    const helm = createHelmActivities({ runner: new CommandRunner({ tools: toolPathsFromEnv() }), workDir });
    const chart = { ref: 'fixture/soctalk-tenant', repository: { name: 'fixture', url: repo.url } };
    // As the cluster renders it (the chart has a kubeVersion constraint).
    const capabilities = { kubeVersion: 'v1.33.1', apiVersions: ['apps/v1', 'v1'] };
    const renders = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        helm.helmTemplate({ release: `tenant-${i}`, namespace: `tenant-${i}`, kube: {}, chart, version: i % 2 ? '0.2.0' : '0.1.0', values: { files: [], set: {} }, capabilities }),
      ),
    );
    renders.forEach((manifest, i) => {
      assert.match(manifest, /^kind: Deployment$/m, `render ${i} has the tenant's Deployment`);
      assert.match(manifest, new RegExp(`namespace: "?tenant-${i}"?`), `render ${i} is for its own release`);
    });
    assert.equal(existsSync(join(dir, 'shared')), false, 'the shared helm repository config and cache stay untouched');
    assert.deepEqual(await readdir(workDir), [], 'no private repository directory is left behind');
  });

  /** Runs helm for real and records each argv. */
  const recording = () => {
    const ran: string[][] = [];
    const runHelm = async (args: string[]) => {
      ran.push(args);
      return execa(toolPathsFromEnv().helm, args);
    };
    return { ran, runHelm };
  };

  it('a chart read runs one `helm repo add --force-update` into its private cache, and the chart renders from that', async () => {
    const { ran, runHelm } = recording();
    const workDir = await mkdtemp(join(dir, 'work-'));
    const chart = { ref: 'fixture/soctalk-tenant', repository: { name: 'fixture', url: repo.url } };
    const rendered = await withRepository(workDir, chart, runHelm, async (flags) => (await execa(toolPathsFromEnv().helm, ['template', 't', chart.ref, '--kube-version', '1.33.1', ...flags])).stdout);
    assert.match(rendered, /^kind: Deployment$/m);
    assert.deepEqual(ran.map((a) => a.slice(0, 3).join(' ')), ['repo add --force-update'], 'no helm repo update before the read');
    assert.ok(ran[0]!.some((a) => a.startsWith('--repository-config=')) && ran[0]!.some((a) => a.startsWith('--repository-cache=')), 'a private config and cache');
    assert.deepEqual(await readdir(workDir), [], 'the private directory is removed');
    await assert.rejects(withRepository(workDir, chart, runHelm, () => Promise.reject(new Error('render failed'))), /render failed/);
    assert.deepEqual(await readdir(workDir), [], 'removed after a failed read too');
  });

  it('the runbook\'s repository step runs helm repo add, then helm repo update', async () => {
    const { ran, runHelm } = recording();
    await withRepository(await mkdtemp(join(dir, 'work-')), { ref: 'fixture/soctalk-tenant', repository: { name: 'fixture', url: repo.url } }, runHelm, () => Promise.resolve(), { update: true });
    assert.deepEqual(ran.map((a) => a.slice(0, 2).join(' ')), ['repo add', 'repo update']);
  });

  it('helmRepoSync checks the repository answers, and a wrong URL fails naming it', async () => {
    const helm = createHelmActivities({ runner: new CommandRunner({ tools: toolPathsFromEnv() }), workDir: dir });
    await helm.helmRepoSync({ ref: 'fixture/soctalk-tenant', repository: { name: 'fixture', url: repo.url } });
    await assert.rejects(
      helm.helmRepoSync({ ref: 'fixture/soctalk-tenant', repository: { name: 'fixture', url: 'http://127.0.0.1:1' } }),
      (err: Error) => /127\.0\.0\.1:1/.test(err.message),
    );
    assert.equal(existsSync(join(dir, 'shared')), false);
  });
});
