// The real-fleet benchmark's command counting (bench/command-log.ts): the shims log and
// still run the real binary, and each logged line is named by its subcommand whether the
// project's argv builders (verb first, names after --) or the serial loop (flags first) wrote it.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { helmGetValuesArgs, helmHistoryArgs, helmListArgs, helmRepoAddArgs } from '../../src/activities/helm/commands.js';
import { kubectlGetJsonArgs, kubectlRolloutStatusArgs, kubectlVersionArgs } from '../../src/activities/kubectl/commands.js';
import { COMMAND_LOG_ENV, commandKind, commandTable, countCommands, writeCommandShims } from '../../bench/command-log.js';

const kube = { kubeconfig: '/k/config' };
const release = { release: 'tenant-a', namespace: 'tenant-a', kube };
const line = (tool: string, args: string[]) => `${tool} ${args.join(' ')}`;

describe('benchmark command log', () => {
  it('names the project argv builders by their subcommand', () => {
    assert.equal(commandKind(line('helm', helmHistoryArgs(release))), 'helm history');
    assert.equal(commandKind(line('helm', helmListArgs('tenant-a', kube))), 'helm list');
    assert.equal(commandKind(line('helm', helmGetValuesArgs(release, true))), 'helm get values');
    assert.equal(commandKind(line('helm', helmRepoAddArgs('bench', 'http://127.0.0.1:1'))), 'helm repo add');
    assert.equal(commandKind(line('kubectl', kubectlRolloutStatusArgs({ namespace: 'tenant-a', kube }, 'deploy/soctalk-adapter', 60_000))), 'kubectl rollout status');
    assert.equal(commandKind(line('kubectl', kubectlGetJsonArgs({ namespace: 'tenant-a', kube }, 'deployment', { name: 'soctalk-adapter' }))), 'kubectl get deployment');
    assert.equal(commandKind(line('kubectl', kubectlVersionArgs(kube))), 'kubectl version');
  });

  it('names the serial loop lines, flags before the subcommand', () => {
    assert.equal(commandKind('kubectl -n tenant-a rollout status deploy/soctalk-adapter --timeout=120s'), 'kubectl rollout status');
    assert.equal(commandKind('helm get values tenant-a -n tenant-a -a -o yaml'), 'helm get values');
    assert.equal(commandKind('kubectl -n tenant-a get endpointslices -l kubernetes.io/service-name=soctalk-adapter -o jsonpath={}'), 'kubectl get endpointslices');
    assert.equal(commandKind('helm upgrade tenant-a bench/soctalk-tenant --version 0.2.0 -n tenant-a --wait'), 'helm upgrade');
  });

  it('shims log every call, run the real binary with its arguments, and are counted per tenant', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'command-log-'));
    try {
      // Real binaries that print their arguments stand in for helm and kubectl.
      const shims = await writeCommandShims(dir, { helm: '/bin/echo', kubectl: '/bin/echo' });
      const log = join(dir, 'commands.log');
      const env = { [COMMAND_LOG_ENV]: log };
      const out = await execa(shims.HELM_BIN, ['upgrade', 'tenant-a', 'with space'], { env });
      assert.equal(out.stdout, 'upgrade tenant-a with space');
      await Promise.all(Array.from({ length: 20 }, () => execa(shims.KUBECTL_BIN, ['-n', 'x', 'rollout', 'status', 'deploy/a'], { env })));
      assert.equal((await readFile(log, 'utf8')).split('\n').filter(Boolean).length, 21, 'one whole line per call, concurrent calls included');
      const counts = await countCommands(log);
      assert.deepEqual([...counts], [['helm upgrade', 1], ['kubectl rollout status', 20]]);
      const table = commandTable(counts, new Map([['helm upgrade', 2]]), 2);
      assert.match(table.find((r) => r.startsWith('helm upgrade'))!, /helm upgrade\s+0\.50\s+1\.00$/);
      assert.match(table.at(-1)!, /total\s+10\.50\s+1\.00$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
