import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { createClusterCapabilityActivities, parseApiResourceKinds, parseApiVersions, parseServerVersion } from '../../src/activities/cluster-capabilities.js';
import type { CommandRunner } from '../../src/activities/command.js';
import { asRenderFailure } from '../../src/activities/helm/activities.js';
import { FailureType } from '../../src/domain/failure-types.js';

// The shape kubectl 1.3x prints: SHORTNAMES is empty for many rows, so columns are read at the header's offsets.
const API_RESOURCES = [
  'NAME                              SHORTNAMES   APIVERSION                        NAMESPACED   KIND',
  'configmaps                        cm           v1                                true         ConfigMap',
  'bindings                                       v1                                true         Binding',
  'deployments                       deploy       apps/v1                           true         Deployment',
  'ciliumnetworkpolicies             cnp,ciliumnp cilium.io/v2                      true         CiliumNetworkPolicy',
  'validatingadmissionpolicies                    admissionregistration.k8s.io/v1   false        ValidatingAdmissionPolicy',
  '',
].join('\n');

describe('reading the cluster capabilities for helm template', () => {
  it('server version from kubectl version -o json', () => {
    const json = JSON.stringify({ clientVersion: { gitVersion: 'v1.31.0' }, serverVersion: { major: '1', minor: '33', gitVersion: 'v1.33.1' } });
    assert.equal(parseServerVersion(json), 'v1.33.1');
  });

  it('no serverVersion (API server down) is a retryable ClusterUnreachable', () => {
    assert.throws(
      () => parseServerVersion(JSON.stringify({ clientVersion: { gitVersion: 'v1.31.0' } })),
      (err: ApplicationFailure) => err.type === FailureType.ClusterUnreachable && !err.nonRetryable,
    );
  });

  it('output that is not kubectl version JSON is a non-retryable CommandFailed, not a SyntaxError', () => {
    for (const text of ['error: You must be logged in to the server', JSON.stringify({ serverVersion: { gitVersion: 133 } })]) {
      assert.throws(
        () => parseServerVersion(text),
        (err: ApplicationFailure) => err.type === FailureType.CommandFailed && err.nonRetryable === true && /cluster version/.test(err.message),
      );
    }
  });

  it('group/versions from kubectl api-versions', () => {
    assert.deepEqual(parseApiVersions('admissionregistration.k8s.io/v1\napps/v1\n\nv1\n'), ['admissionregistration.k8s.io/v1', 'apps/v1', 'v1']);
  });

  it('group/version/Kind from the api-resources table, empty SHORTNAMES included', () => {
    assert.deepEqual(parseApiResourceKinds(API_RESOURCES), [
      'v1/ConfigMap',
      'v1/Binding',
      'apps/v1/Deployment',
      'cilium.io/v2/CiliumNetworkPolicy',
      'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy',
    ]);
    assert.deepEqual(parseApiResourceKinds(''), []);
    assert.deepEqual(parseApiResourceKinds('no header here\n'), []);
  });
});

describe('helm template failures', () => {
  const chart = { chart: { ref: 'oci://ghcr.io/soctalk/charts/soctalk-system' }, version: '0.2.1' };
  const commandFailure = (type: string, stderrTail: string) =>
    ApplicationFailure.create({ type, nonRetryable: false, message: `${type}: \`helm template ...\` exited 1: ${stderrTail}`, details: [{ argv: ['helm', 'template'], exitCode: 1, stderrTail }] });

  it('a kubeVersion constraint error is a permanent RenderFailed that keeps helm\'s error and says it is not retried', () => {
    const stderr = 'Error: chart requires kubeVersion: >=1.28.0-0 which is incompatible with Kubernetes v1.20.0';
    const err = asRenderFailure(commandFailure(FailureType.CommandFailed, stderr), chart) as ApplicationFailure;
    assert.equal(err.type, FailureType.RenderFailed);
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, /^helm template of oci:\/\/ghcr\.io\/soctalk\/charts\/soctalk-system 0\.2\.1 failed \(a render error is permanent, not retried\): Error: chart requires kubeVersion/);
  });

  it('a template error classified as NotFound or InvalidValues becomes RenderFailed too', () => {
    for (const type of [FailureType.NotFound, FailureType.InvalidValues]) {
      const err = asRenderFailure(commandFailure(type, 'Error: could not find template templates/jobs/alembic-upgrade.yaml in chart'), chart) as ApplicationFailure;
      assert.equal(err.type, FailureType.RenderFailed);
      assert.equal(err.nonRetryable, true);
    }
  });

  it('fetching the chart over a flaky network, a timeout or a missing helm keep their own type', () => {
    for (const type of [FailureType.ClusterUnreachable, FailureType.ServerUnavailable, FailureType.CommandTimeout, FailureType.CommandNotFound]) {
      const original = commandFailure(type, 'dial tcp: i/o timeout');
      assert.equal(asRenderFailure(original, chart), original);
    }
    const plain = new Error('not an ApplicationFailure');
    assert.equal(asRenderFailure(plain, chart), plain);
  });
});

describe('sharing a recent cluster capabilities read between a fleet\'s tenants', () => {
  /** A runner that answers the three kubectl reads, counts them and can be told to fail. */
  function fakeKubectl() {
    const calls: string[][] = [];
    let failNext = false;
    const runner = {
      async run(spec: { args: readonly string[] }) {
        calls.push([...spec.args]);
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (failNext) {
          failNext = false;
          throw ApplicationFailure.create({ type: FailureType.ClusterUnreachable, message: 'connection refused' });
        }
        if (spec.args[0] === 'version') return { stdout: JSON.stringify({ serverVersion: { gitVersion: 'v1.33.1' } }) };
        if (spec.args[0] === 'api-versions') return { stdout: 'apps/v1\nv1\n' };
        return { stdout: API_RESOURCES };
      },
    };
    return { calls, runner: runner as unknown as CommandRunner, failOnce: () => (failNext = true) };
  }

  it('shares one read among concurrent and recent callers that allow it, for the same kube target only', async () => {
    let clock = 1_000_000;
    const k = fakeKubectl();
    const caps = createClusterCapabilityActivities({ runner: k.runner, now: () => clock });
    const readClusterCapabilities = (input: Parameters<typeof caps.readClusterCapabilities>[0]) => caps.readClusterCapabilities(input);
    const kube = { context: 'prod' };
    const [a, b] = await Promise.all([readClusterCapabilities({ kube, maxAgeMs: 30_000 }), readClusterCapabilities({ kube, maxAgeMs: 30_000 })]);
    assert.equal(k.calls.length, 3, 'one read: version, api-versions, api-resources');
    assert.equal(a.readMsAgo, undefined, 'the first caller made the read');
    assert.equal(b.readMsAgo, 0);
    assert.deepEqual({ ...b, readMsAgo: undefined }, { ...a, readMsAgo: undefined });
    clock += 20_000;
    assert.equal((await readClusterCapabilities({ kube, maxAgeMs: 30_000 })).readMsAgo, 20_000);
    assert.equal(k.calls.length, 3);
    await readClusterCapabilities({ kube: { context: 'staging' }, maxAgeMs: 30_000 });
    assert.equal(k.calls.length, 6, 'another cluster is read on its own');
    assert.deepEqual(k.calls.at(-1), ['api-resources', '--context', 'staging']);
  });

  it('reads anew without maxAgeMs (a single runbook), once the last read is older, and after a failed read', async () => {
    let clock = 1_000_000;
    const k = fakeKubectl();
    const caps = createClusterCapabilityActivities({ runner: k.runner, now: () => clock });
    const readClusterCapabilities = (input: Parameters<typeof caps.readClusterCapabilities>[0]) => caps.readClusterCapabilities(input);
    await readClusterCapabilities({ kube: {} });
    await readClusterCapabilities({ kube: {} });
    assert.equal(k.calls.length, 6, 'no maxAgeMs: always a new read');
    clock += 30_001;
    await readClusterCapabilities({ kube: {}, maxAgeMs: 30_000 });
    assert.equal(k.calls.length, 9, 'older than maxAgeMs: a new read');
    clock += 30_001;
    k.failOnce();
    await assert.rejects(readClusterCapabilities({ kube: {}, maxAgeMs: 30_000 }), /connection refused/);
    const again = await readClusterCapabilities({ kube: {}, maxAgeMs: 30_000 });
    assert.equal(again.readMsAgo, undefined, 'a failed read is never shared');
    assert.equal(again.kubeVersion, 'v1.33.1');
  });
});
