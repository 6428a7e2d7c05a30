import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ApplicationFailure } from '@temporalio/common';
import type { CommandResult, CommandRunner, CommandSpec } from '../../src/activities/command.js';
import { createVerifyActivities, liveImages, readyEndpoints, splitImage } from '../../src/activities/release-verify.js';
import { FailureType } from '../../src/domain/failure-types.js';

describe('splitImage', () => {
  it('repository and tag', () => {
    assert.deepEqual(splitImage('ghcr.io/gbrigandi/soctalk-api:0.2.0'), { repository: 'ghcr.io/gbrigandi/soctalk-api', tag: '0.2.0' });
    assert.deepEqual(splitImage('postgres:15'), { repository: 'postgres', tag: '15' });
  });

  it('a registry port is not a tag', () => {
    assert.deepEqual(splitImage('registry.local:5000/soctalk-api'), { repository: 'registry.local:5000/soctalk-api' });
    assert.deepEqual(splitImage('registry.local:5000/soctalk-api:0.2.0-rc.1'), { repository: 'registry.local:5000/soctalk-api', tag: '0.2.0-rc.1' });
  });

  it('digests are ignored, with or without a tag', () => {
    const digest = '@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
    assert.deepEqual(splitImage(`ghcr.io/x/soctalk-api:0.2.0${digest}`), { repository: 'ghcr.io/x/soctalk-api', tag: '0.2.0' });
    assert.deepEqual(splitImage(`ghcr.io/x/soctalk-api${digest}`), { repository: 'ghcr.io/x/soctalk-api' });
  });

  it('no tag at all', () => {
    assert.deepEqual(splitImage('soctalk-api'), { repository: 'soctalk-api' });
    assert.deepEqual(splitImage(''), { repository: '' });
  });
});

describe('whole-release verification helpers', () => {
  it('live images: initContainers first, then containers (the order the rendered target uses)', () => {
    const deployment = {
      spec: { template: { spec: { initContainers: [{ name: 'db-init', image: 'ghcr.io/soctalk/soctalk-api:0.2.1' }], containers: [{ name: 'api', image: 'ghcr.io/soctalk/soctalk-api:0.2.1' }] } } },
    };
    assert.deepEqual(liveImages(deployment), ['ghcr.io/soctalk/soctalk-api:0.2.1', 'ghcr.io/soctalk/soctalk-api:0.2.1']);
    assert.deepEqual(liveImages(undefined), []);
  });

  it('ready endpoints across EndpointSlices; an endpoint without conditions counts as ready (the API default)', () => {
    assert.equal(readyEndpoints([{ endpoints: [{ conditions: { ready: true } }, { conditions: { ready: false } }] }, { endpoints: [{}] }]), 2);
    assert.equal(readyEndpoints([{ endpoints: [{ conditions: { ready: false } }] }, {}]), 0);
    assert.equal(readyEndpoints([]), 0);
  });
});

describe('verifyRenderedRelease', () => {
  const runnerAnswering = (objects: Record<string, unknown>, slices: unknown[]) => {
    const commands: string[][] = [];
    const runner = {
      async run(spec: CommandSpec): Promise<CommandResult> {
        commands.push([...spec.args]);
        let stdout = '';
        if (spec.args[0] === 'get' && spec.args[1] === 'endpointslices') stdout = JSON.stringify({ items: slices.map((slice, i) => ({ metadata: { name: `slice-${i}` }, ...(slice as object) })) });
        else if (spec.args[0] === 'get') {
          // kubectl get <kind> [flags] -- <name>: names come after `--`.
          const dash = spec.args.indexOf('--');
          const obj = dash > 0 ? objects[`${spec.args[1]}/${spec.args[dash + 1]}`] : undefined;
          stdout = obj ? JSON.stringify(obj) : '';
        }
        return { argv: [], exitCode: 0, stdout, stdoutRedacted: stdout, stderr: '', durationMs: 1, truncated: false, dryRun: false };
      },
    };
    return { runner: runner as unknown as CommandRunner, commands };
  };
  const pod = (images: string[]) => ({ metadata: { name: 'workload', namespace: 'tenant-acme' }, spec: { template: { spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) } } } });
  const workloads = [
    { kind: 'Deployment' as const, name: 'soctalk-adapter', images: ['ghcr.io/soctalk/soctalk-adapter:0.2.1'] },
    { kind: 'Deployment' as const, name: 'soctalk-runs-worker', images: ['ghcr.io/soctalk/soctalk-orchestrator:0.2.1'] },
  ];
  const request = { namespace: 'tenant-acme', kube: {}, workloads, services: ['soctalk-adapter'], timeoutMs: 60_000 };

  it('a workload left on an old image fails with its name, what it runs and what the target renders', async () => {
    const { runner } = runnerAnswering(
      { 'deployment/soctalk-adapter': pod(['ghcr.io/soctalk/soctalk-adapter:0.2.1']), 'deployment/soctalk-runs-worker': pod(['ghcr.io/soctalk/soctalk-orchestrator:0.2.0']) },
      [],
    );
    await assert.rejects(createVerifyActivities({ runner }).verifyRenderedRelease(request), (err: ApplicationFailure) => {
      assert.equal(err.type, FailureType.VerificationFailed);
      assert.equal(err.nonRetryable, true);
      assert.equal(
        err.message,
        'the release does not run what the target renders: Deployment/soctalk-runs-worker runs ghcr.io/soctalk/soctalk-orchestrator:0.2.0, the target renders ghcr.io/soctalk/soctalk-orchestrator:0.2.1',
      );
      return true;
    });
  });

  it('every workload rolled out on the rendered images and every Service with a ready endpoint passes; a Service without one is retried', async () => {
    const objects = { 'deployment/soctalk-adapter': pod(['ghcr.io/soctalk/soctalk-adapter:0.2.1']), 'deployment/soctalk-runs-worker': pod(['ghcr.io/soctalk/soctalk-orchestrator:0.2.1']) };
    const ok = runnerAnswering(objects, [{ endpoints: [{ conditions: { ready: true } }] }]);
    const res = await createVerifyActivities({ runner: ok.runner }).verifyRenderedRelease(request);
    assert.deepEqual(res.workloads, ['Deployment/soctalk-adapter', 'Deployment/soctalk-runs-worker']);
    assert.deepEqual(
      ok.commands.filter((c) => c[0] === 'rollout').map((c) => c[c.indexOf('--') + 1]),
      ['deployment/soctalk-adapter', 'deployment/soctalk-runs-worker'],
    );
    assert.ok(ok.commands.some((c) => c.includes('kubernetes.io/service-name=soctalk-adapter')));
    const empty = runnerAnswering(objects, [{ endpoints: [{ conditions: { ready: false } }] }]);
    await assert.rejects(createVerifyActivities({ runner: empty.runner }).verifyRenderedRelease(request), (err: ApplicationFailure) => {
      assert.equal(err.message, 'Service(s) without a ready endpoint: soctalk-adapter');
      assert.notEqual(err.nonRetryable, true);
      return true;
    });
  });
});
