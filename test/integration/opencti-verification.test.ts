// The OpenCTI verification activities against a real API server (KWOK: real etcd,
// kube-apiserver and controllers, simulated kubelets): the 2.x fixture chart installed in
// clustering mode, read back through the real kubectl JSON of Pods, Deployments, Services,
// EndpointSlices and Ingresses, healthy and with an ingestion pod that never gets Ready.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { CommandRunner } from '../../src/activities/command.js';
import type { HelmActivities } from '../../src/activities/helm/activities.js';
import { createOpenctiActivities } from '../../src/activities/opencti/activities.js';
import { FailureType } from '../../src/domain/failure-types.js';
import { createKwokCluster, Fault, FAULT_LABEL, type KwokCluster } from '../helpers/kwok.js';
import { fixturesDir } from '../helpers/paths.js';
import { activityFailure as failure } from '../helpers/activity-failure.js';

const chart = `${fixturesDir}charts/opencti-2`;

/** Retries a check until it passes (the simulated kubelet and controllers need a moment). */
async function eventually<T>(check: () => Promise<T>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
}

describe('OpenCTI verification against a KWOK cluster', () => {
  let cluster: KwokCluster;
  let acts: ReturnType<typeof createOpenctiActivities>;
  let ref: { release: string; namespace: string; kube: { kubeconfig: string } };
  const expect = [
    { component: 'frontend' as const, role: 'frontend' as const, name: 'opencti-frontend', replicas: 2 },
    { component: 'ingestion' as const, role: 'ingestion' as const, name: 'opencti-ingestion', replicas: 1 },
  ];

  async function helmUpgrade(values: Record<string, unknown>): Promise<void> {
    const file = `${cluster.kubeconfig}.opencti-values.json`;
    await writeFile(file, JSON.stringify(values));
    await execa(cluster.env.HELM_BIN ?? 'helm', ['upgrade', '--install', 'opencti', chart, '--namespace', 'opencti', '--values', file, '--kubeconfig', cluster.kubeconfig], { env: cluster.env });
  }

  const clustering = (ingestionPodLabels: Record<string, string> = {}) => ({
    clustering: {
      enabled: true,
      frontend: { replicaCount: 2, ingress: { enabled: true, className: 'nginx', hosts: [{ host: 'cti.example.com', paths: [{ path: '/', pathType: 'Prefix' }] }] } },
      ingestion: { replicaCount: 1, podLabels: ingestionPodLabels },
    },
    connectors: [{ name: 'opencti', enabled: true, image: { repository: 'opencti/connector-opencti' } }],
  });

  before(async () => {
    cluster = await createKwokCluster('opencti-verify');
    await cluster.kubectl(['create', 'namespace', 'opencti']);
    ref = { release: 'opencti', namespace: 'opencti', kube: { kubeconfig: cluster.kubeconfig } };
    acts = createOpenctiActivities({ helm: {} as HelmActivities, runner: new CommandRunner({ tools: { helm: cluster.env.HELM_BIN ?? 'helm', kubectl: cluster.env.KUBECTL_BIN ?? 'kubectl', pg_dump: 'pg_dump', pg_restore: 'pg_restore', psql: 'psql' } }) });
  });
  after(async () => {
    await cluster?.delete();
  });

  it('a healthy clustering release passes every check', async () => {
    await helmUpgrade(clustering());
    const pods = await eventually(() => acts.openctiCheckPods({ ...ref, expect }));
    assert.deepEqual(pods.byComponent, { connector: { ready: 1, total: 1 }, frontend: { ready: 2, total: 2 }, ingestion: { ready: 1, total: 1 }, worker: { ready: 1, total: 1 } });
    const deployments = await eventually(() => acts.openctiCheckDeployments({ ...ref, expect }));
    assert.deepEqual(deployments.deployments, [
      { name: 'opencti-frontend', ready: 2, desired: 2 },
      { name: 'opencti-ingestion', ready: 1, desired: 1 },
    ]);
    // The check passes with one ready endpoint a Service; the EndpointSlice controller may add
    // the second frontend pod a moment after the pods are Ready, so wait for both.
    await eventually(async () => {
      const services = await acts.openctiCheckServices({ ...ref, services: ['opencti-frontend', 'opencti-ingestion'] });
      assert.deepEqual(services.services, [
        { name: 'opencti-frontend', readyEndpoints: 2 },
        { name: 'opencti-ingestion', readyEndpoints: 1 },
      ]);
    });
    assert.deepEqual(await acts.openctiCheckIngresses({ ...ref, ingresses: [{ name: 'opencti-frontend', hosts: ['cti.example.com'], services: ['opencti-frontend'] }] }), {
      checked: [{ name: 'opencti-frontend', hosts: ['cti.example.com'] }],
    });
    const routing = await acts.openctiCheckRouting({
      ...ref,
      routes: [
        { deployment: 'opencti-worker', role: 'worker', service: 'opencti-ingestion', component: 'ingestion' },
        { deployment: 'opencti-opencti-connector', role: 'connector', service: 'opencti-frontend', component: 'frontend' },
      ],
    });
    assert.deepEqual(
      routing.checked.map((c) => [c.deployment, c.url]).sort(),
      [
        ['opencti-opencti-connector', 'http://opencti-frontend:80'],
        ['opencti-worker', 'http://opencti-ingestion:80'],
      ],
    );
  });

  it('a Service that selects no pod has no ready endpoints', async () => {
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'opencti-orphan', namespace: 'opencti', labels: { 'app.kubernetes.io/name': 'opencti', 'app.kubernetes.io/instance': 'opencti' } },
      spec: { selector: { 'app.kubernetes.io/name': 'opencti', 'opencti.component': 'server' }, ports: [{ port: 80, targetPort: 4000 }] },
    };
    await cluster.kubectl(['apply', '--filename', '-'], { input: JSON.stringify(service) });
    const err = await failure(eventually(() => acts.openctiCheckServices({ ...ref, services: ['opencti-orphan'] }), 3_000));
    assert.equal(err.message, 'Service opencti-orphan has no ready endpoints: it selects no ready pod');
    await cluster.kubectl(['delete', 'service', 'opencti-orphan', '--namespace', 'opencti']);
  });

  it('an upgrade whose new ingestion pod never gets Ready: pods and rollout fail while the old pod still serves', async () => {
    await helmUpgrade(clustering({ [FAULT_LABEL]: Fault.NeverReady }));
    const pods = await eventually(async () => {
      const err = await failure(acts.openctiCheckPods({ ...ref, expect }));
      assert.match(err.message, /never-ready/);
      return err;
    });
    assert.equal(pods.type, FailureType.VerificationFailed);
    assert.equal(pods.nonRetryable, false);
    assert.match(pods.message, /^pods not ready in opencti: opencti-ingestion-\S+ Running, not Ready \(ContainersNotReady: readiness probe failed/);
    const rollout = await failure(acts.openctiCheckDeployments({ ...ref, expect }));
    assert.equal(rollout.message, 'Deployment opencti-ingestion still rolling out (1/1 updated, 1 available, 1 old)');
  });

  it('a fresh ingestion that never gets Ready: no pod Ready and its Service has only not-ready endpoints', async () => {
    await execa(cluster.env.HELM_BIN ?? 'helm', ['uninstall', 'opencti', '--namespace', 'opencti', '--wait', '--kubeconfig', cluster.kubeconfig], { env: cluster.env });
    await helmUpgrade(clustering({ [FAULT_LABEL]: Fault.NeverReady }));
    const services = await eventually(async () => {
      const err = await failure(acts.openctiCheckServices({ ...ref, services: ['opencti-frontend', 'opencti-ingestion'] }));
      assert.match(err.message, /not ready\)$/);
      return err;
    });
    assert.equal(services.message, 'Service opencti-ingestion has no ready endpoints (1 not ready)');
    const pods = await failure(acts.openctiCheckPods({ ...ref, expect }));
    assert.match(pods.message, /^pods not ready in opencti: ingestion: 0 of 1 pods Running and Ready; opencti-ingestion-\S+ Running, not Ready/);
  });
});
