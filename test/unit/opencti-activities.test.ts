import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { CommandRunner, toolPathsFromEnv, type CommandResult, type CommandSpec } from '../../src/activities/command.js';
import { helmRollbackArgs, helmUpgradeArgs } from '../../src/activities/helm/commands.js';
import { kubectlGetJsonArgs, kubectlPortForwardArgs } from '../../src/activities/kubectl/commands.js';
import type { HelmActivities } from '../../src/activities/helm/activities.js';
import { createOpenctiActivities, loadValues } from '../../src/activities/opencti/activities.js';
import { parseDeployments, parseEndpointSlices, parseIngresses, parsePods, parseServices, secretValue } from '../../src/activities/opencti/kube-json.js';
import { Redactor } from '../../src/activities/redaction.js';
import { FailureType } from '../../src/domain/failure-types.js';
import { HealthCheckSchema } from '../../src/domain/opencti/inputs.js';
import { fixturesDir } from '../helpers/paths.js';
import { activityFailure as failure } from '../helpers/activity-failure.js';
import { testTempDir } from '../helpers/temp-dir.js';

const json = (name: string) => readFileSync(`${fixturesDir}kubectl-json/${name}.json`, 'utf8');
const valuesFile = (name: string) => `${fixturesDir}opencti-values/${name}.yaml`;
const kube = { context: 'kind-opencti' };
const ref = { release: 'opencti', namespace: 'opencti', kube };

/** A runner that answers kubectl reads from fixtures and records every command. */
function fakeRunner(answers: Record<string, string>) {
  const specs: CommandSpec[] = [];
  const redactor = new Redactor();
  const runner = {
    redactor,
    async run(spec: CommandSpec): Promise<CommandResult> {
      specs.push(spec);
      await Promise.resolve();
      const kind = spec.args[1]!;
      const stdout = answers[kind];
      if (stdout === undefined) throw new Error(`unexpected command ${spec.args.join(' ')}`);
      return { argv: ['kubectl', ...spec.args], exitCode: 0, stdout, stdoutRedacted: redactor.text(stdout), stderr: '', durationMs: 1, truncated: false, dryRun: false };
    },
  };
  return { runner: runner as unknown as CommandRunner, specs };
}

const clusteringExpect = [
  { component: 'frontend' as const, replicas: 2 },
  { component: 'ingestion' as const, replicas: 1 },
];

/** The verification activities never call helm; the plan tests give their own. */
const noHelm = {} as HelmActivities;

describe('OpenCTI command lines', () => {
  it('builds the kubectl reads the verification runs', () => {
    const s = { namespace: 'opencti', kube };
    assert.deepEqual(kubectlGetJsonArgs(s, 'pods', { selector: 'app.kubernetes.io/name=opencti,app.kubernetes.io/instance=opencti' }), [
      'get',
      'pods',
      '--selector',
      'app.kubernetes.io/name=opencti,app.kubernetes.io/instance=opencti',
      '--output',
      'json',
      '--namespace',
      'opencti',
      '--context',
      'kind-opencti',
    ]);
    assert.deepEqual(kubectlPortForwardArgs(s, 'svc/opencti-frontend', 80), [
      'port-forward',
      '--address',
      '127.0.0.1',
      '--namespace',
      'opencti',
      '--context',
      'kind-opencti',
      '--',
      'svc/opencti-frontend',
      ':80',
    ]);
  });

  it("builds the guide's helm upgrade and rollback", () => {
    assert.deepEqual(
      helmUpgradeArgs({ ...ref, chart: 'opencti/opencti', version: '2.0.0', valuesFiles: ['/etc/opencti/values.yaml'], wait: true, timeoutMs: 900_000 }),
      ['upgrade', '--namespace', 'opencti', '--version=2.0.0', '--values=/etc/opencti/values.yaml', '--wait', '--timeout', '900s', '--kube-context', 'kind-opencti', '--', 'opencti', 'opencti/opencti'],
    );
    assert.deepEqual(helmRollbackArgs({ ...ref, revision: 3, wait: true, timeoutMs: 600_000 }), [
      'rollback',
      '--namespace',
      'opencti',
      '--wait',
      '--timeout',
      '600s',
      '--kube-context',
      'kind-opencti',
      '--',
      'opencti',
      '3',
    ]);
  });
});

describe('kubectl JSON parsing', () => {
  it('pods: Ready from the condition, the waiting reason, terminating pods flagged', () => {
    const ready = parsePods(json('pods-clustering-ready'));
    assert.deepEqual(
      ready.map((p) => [p.name, p.component, p.phase, p.ready, p.terminating]),
      [
        ['opencti-frontend-6d8f7c9b5d-4xkzp', 'frontend', 'Running', true, false],
        ['opencti-frontend-6d8f7c9b5d-q7w2m', 'frontend', 'Running', true, false],
        ['opencti-ingestion-7b9c4d6f8-h2jtn', 'ingestion', 'Running', true, false],
        ['opencti-worker-5f6b8c7d9-lm4vx', 'worker', 'Running', true, false],
        ['opencti-server-84c5d7b9f-zt9rk', 'server', 'Running', true, true],
      ],
    );
    const broken = parsePods(json('pods-ingestion-not-ready'));
    assert.deepEqual(broken[1], { name: 'opencti-ingestion-7b9c4d6f8-h2jtn', component: 'ingestion', phase: 'Running', ready: false, terminating: false, reason: 'CrashLoopBackOff' });
    assert.equal(broken[2]!.reason, 'ContainersNotReady: containers with unready status: [opencti]');
  });

  it('services, endpoint slices (missing endpoints field, ready false), ingresses', () => {
    assert.deepEqual(
      parseServices(json('services-clustering')).map((s) => [s.name, s.component, s.type, s.ports]),
      [
        ['opencti-frontend', 'frontend', 'ClusterIP', [80]],
        ['opencti-ingestion', 'ingestion', 'ClusterIP', [80]],
      ],
    );
    assert.deepEqual([...parseEndpointSlices(json('endpointslices-ready'))], [
      ['opencti-frontend', { ready: 2, notReady: 0 }],
      ['opencti-ingestion', { ready: 1, notReady: 0 }],
    ]);
    assert.deepEqual(parseEndpointSlices(json('endpointslices-ingestion-empty')).get('opencti-ingestion'), { ready: 0, notReady: 0 });
    assert.deepEqual(parseEndpointSlices(json('endpointslices-ingestion-not-ready')).get('opencti-ingestion'), { ready: 0, notReady: 1 });
    assert.deepEqual(parseIngresses(json('ingresses-frontend')), [{ name: 'opencti-frontend', className: 'nginx', hosts: ['cti.example.com'], services: ['opencti-frontend'] }]);
  });

  it('deployments: rollout counters and the rendered OPENCTI_URL', () => {
    const deployments = parseDeployments(json('deployments-clustering'));
    const ingestion = deployments.find((d) => d.name === 'opencti-ingestion')!;
    assert.deepEqual([ingestion.desired, ingestion.ready, ingestion.updated, ingestion.observed], [3, 1, 3, true]);
    assert.deepEqual(deployments.find((d) => d.name === 'opencti-worker')!.openctiUrls, [{ container: 'worker', url: 'http://opencti-ingestion:80', fromReference: false }]);
    assert.deepEqual(deployments.find((d) => d.name === 'opencti-frontend')!.openctiUrls, [{ container: 'opencti', fromReference: false }]);
  });

  it('secrets: one key, base64-decoded', () => {
    assert.equal(secretValue(json('secret-credentials'), 'APP__HEALTH_ACCESS_KEY'), 'hk-4d8f-real-health-key');
    assert.equal(secretValue(json('secret-credentials'), 'NOPE'), undefined);
  });

  it('a format change fails with the field that moved', () => {
    assert.throws(() => parsePods('{"kind":"List","items":[{"metadata":{}}]}'), /pods: unexpected kubectl JSON at items\.0\.metadata\.name/);
    assert.throws(() => parsePods('error: the server does not allow this method'), /not JSON/);
  });
});

describe('OpenCTI verification activities', () => {
  it('pods: all Running and Ready, terminating ones ignored', async () => {
    const { runner, specs } = fakeRunner({ pods: json('pods-clustering-ready') });
    const report = await createOpenctiActivities({ helm: noHelm, runner }).openctiCheckPods({ ...ref, expect: clusteringExpect });
    assert.deepEqual(report, { total: 4, ready: 4, byComponent: { frontend: { ready: 2, total: 2 }, ingestion: { ready: 1, total: 1 }, worker: { ready: 1, total: 1 } } });
    // The instance label only: with nameOverride app.kubernetes.io/name is not "opencti".
    assert.deepEqual(specs[0]!.args, kubectlGetJsonArgs({ namespace: 'opencti', kube }, 'pods', { selector: 'app.kubernetes.io/instance=opencti' }));
    assert.equal(specs[0]!.mutates, false);
  });

  it('pods not ready: a retryable VerificationFailed naming each pod and why', async () => {
    const { runner } = fakeRunner({ pods: json('pods-ingestion-not-ready') });
    const err = await failure(createOpenctiActivities({ helm: noHelm, runner }).openctiCheckPods({ ...ref, expect: clusteringExpect }));
    assert.equal(err.type, FailureType.VerificationFailed);
    assert.equal(err.nonRetryable, false);
    assert.equal(
      err.message,
      'pods not ready in opencti: frontend: 1 of 2 pods Running and Ready; ingestion: 0 of 1 pods Running and Ready; opencti-ingestion-7b9c4d6f8-h2jtn Running, not Ready (CrashLoopBackOff); ' +
        'opencti-ingestion-7b9c4d6f8-p9d3s Running, not Ready (ContainersNotReady: containers with unready status: [opencti])',
    );
  });

  it('services with ready endpoints, read through EndpointSlices of exactly those Services', async () => {
    const { runner, specs } = fakeRunner({ services: json('services-clustering'), endpointslices: json('endpointslices-ready') });
    const report = await createOpenctiActivities({ helm: noHelm, runner }).openctiCheckServices({ ...ref, services: ['opencti-frontend', 'opencti-ingestion'] });
    assert.deepEqual(report.services, [
      { name: 'opencti-frontend', readyEndpoints: 2 },
      { name: 'opencti-ingestion', readyEndpoints: 1 },
    ]);
    assert.deepEqual(specs[1]!.args.slice(0, 4), ['get', 'endpointslices', '--selector', 'kubernetes.io/service-name in (opencti-frontend,opencti-ingestion)']);
  });

  it('a Service that selects no pod fails the upgrade', async () => {
    const { runner } = fakeRunner({ services: json('services-clustering'), endpointslices: json('endpointslices-ingestion-empty') });
    const err = await failure(createOpenctiActivities({ helm: noHelm, runner }).openctiCheckServices({ ...ref, services: ['opencti-frontend', 'opencti-ingestion'] }));
    assert.equal(err.message, 'Service opencti-ingestion has no ready endpoints: it selects no ready pod');
    assert.equal(err.nonRetryable, false);
    const notReady = fakeRunner({ services: json('services-clustering'), endpointslices: json('endpointslices-ingestion-not-ready') });
    const err2 = await failure(createOpenctiActivities({ helm: noHelm, runner: notReady.runner }).openctiCheckServices({ ...ref, services: ['opencti-ingestion'] }));
    assert.equal(err2.message, 'Service opencti-ingestion has no ready endpoints (1 not ready)');
  });

  it('a missing Service is not retried', async () => {
    const { runner } = fakeRunner({ services: json('services-clustering') });
    const err = await failure(createOpenctiActivities({ helm: noHelm, runner }).openctiCheckServices({ ...ref, services: ['opencti-server'] }));
    assert.equal(err.message, 'Service opencti-server not found in opencti (found: opencti-frontend, opencti-ingestion)');
    assert.equal(err.nonRetryable, true);
  });

  it('ingress present and sending traffic to the rendered Service; wrong backend or missing fails', async () => {
    const { runner } = fakeRunner({ ingresses: json('ingresses-frontend') });
    const acts = createOpenctiActivities({ helm: noHelm, runner });
    const frontend = { name: 'opencti-frontend', hosts: ['cti.example.com'], services: ['opencti-frontend'] };
    assert.deepEqual(await acts.openctiCheckIngresses({ ...ref, ingresses: [frontend] }), { checked: [{ name: 'opencti-frontend', hosts: ['cti.example.com'] }] });
    assert.equal(
      (await failure(acts.openctiCheckIngresses({ ...ref, ingresses: [{ name: 'opencti', hosts: [], services: ['opencti-server'] }] }))).message,
      'Ingress opencti not found in opencti (found: opencti-frontend)',
    );
    assert.equal(
      (await failure(acts.openctiCheckIngresses({ ...ref, ingresses: [{ ...frontend, services: ['opencti-ingestion'] }] }))).message,
      'Ingress opencti-frontend sends traffic to opencti-frontend, not opencti-ingestion',
    );
  });

  it('deployments rolled out with the configured replicas', async () => {
    const { runner } = fakeRunner({ deployments: json('deployments-clustering') });
    const acts = createOpenctiActivities({ helm: noHelm, runner });
    const ok = await acts.openctiCheckDeployments({ ...ref, expect: [{ name: 'opencti-frontend', role: 'frontend', replicas: 2 }] });
    assert.deepEqual(ok.deployments, [{ name: 'opencti-frontend', ready: 2, desired: 2 }]);
    const err = await failure(acts.openctiCheckDeployments({ ...ref, expect: [{ name: 'opencti-ingestion', role: 'ingestion', replicas: 3 }] }));
    assert.equal(err.message, 'Deployment opencti-ingestion still rolling out (3/3 updated, 1 available, 0 old); Deployment opencti-ingestion has 1 ready replicas, expected 3');
    assert.equal(err.nonRetryable, false);
    const missing = await failure(acts.openctiCheckDeployments({ ...ref, expect: [{ name: 'opencti-server', role: 'server', replicas: 1 }] }));
    assert.equal(missing.message, 'Deployment opencti-server (server) not found');
    assert.equal(missing.nonRetryable, true);
  });

  it('routing: each worker and connector reaches the Service the target renders for it, read from the live env', async () => {
    const { runner, specs } = fakeRunner({ deployments: json('deployments-clustering') });
    const worker = { deployment: 'opencti-worker', role: 'worker' as const, url: 'http://opencti-ingestion:80', service: 'opencti-ingestion', component: 'ingestion' as const };
    const mitre = { deployment: 'opencti-connector-mitre', role: 'connector' as const, url: 'http://opencti-frontend:80', service: 'opencti-frontend', component: 'frontend' as const };
    const err = await failure(createOpenctiActivities({ helm: noHelm, runner }).openctiCheckRouting({ ...ref, routes: [worker, mitre] }));
    assert.equal(err.message, 'opencti-connector-mitre (mitre) connects to http://opencti-server.opencti.svc:80, expected opencti-frontend (frontend)');
    assert.equal(err.nonRetryable, true);
    assert.equal(specs[0]!.args[3], 'app.kubernetes.io/instance=opencti');
    const workersOnly = await createOpenctiActivities({ helm: noHelm, runner }).openctiCheckRouting({ ...ref, routes: [worker] });
    assert.deepEqual(workersOnly.checked, [{ deployment: 'opencti-worker', role: 'worker', url: 'http://opencti-ingestion:80' }]);
  });

  it('the promised env is read from the live Deployments; a value the chart default put back fails', async () => {
    const { runner } = fakeRunner({ deployments: json('deployments-clustering') });
    const acts = createOpenctiActivities({ helm: noHelm, runner });
    const platform = [{ component: 'frontend' as const, deployment: 'opencti-frontend' }];
    const promise = [{ component: 'frontend' as const, name: 'RULE_ENGINE__ENABLED', value: 'true', path: 'clustering.frontend.env.RULE_ENGINE__ENABLED' }];
    const err = await failure(acts.openctiCheckPromise({ ...ref, promise, platform }));
    assert.match(err.message, /^the release does not run what was promised: opencti-frontend runs RULE_ENGINE__ENABLED=(false|\(not set\)), promised true/);
    assert.equal(err.nonRetryable, true);
  });
});

describe('OpenCTI health check', () => {
  const health = (extra: Record<string, unknown> = {}) => HealthCheckSchema.parse({ accessKey: { secretRef: { name: 'opencti-credentials', key: 'APP__HEALTH_ACCESS_KEY' } }, ...extra });

  function fakeFetch(status: number) {
    const urls: string[] = [];
    const fn = (async (url: string | URL | Request) => {
      urls.push(url instanceof Request ? url.url : url.toString());
      await Promise.resolve();
      return new Response(status === 200 ? 'ok' : 'nope', { status, statusText: status === 503 ? 'Service Unavailable' : '' });
    }) as typeof fetch;
    return { fn, urls };
  }

  it('reads the key from the Secret, calls the service URL with it, and registers it for redaction', async () => {
    const { runner, specs } = fakeRunner({ secret: json('secret-credentials') });
    const f = fakeFetch(200);
    const report = await createOpenctiActivities({ helm: noHelm, runner, fetch: f.fn }).openctiCheckHealth({ ...ref, targets: [{ component: 'frontend', service: 'opencti-frontend', port: 80 }, { component: 'ingestion', service: 'opencti-ingestion', port: 80 }], health: health() });
    assert.deepEqual(specs[0]!.args, ['get', 'secret', '--output', 'json', '--namespace', 'opencti', '--context', 'kind-opencti', '--', 'opencti-credentials']);
    assert.deepEqual(f.urls, [
      'http://opencti-frontend.opencti.svc:80/health?health_access_key=hk-4d8f-real-health-key',
      'http://opencti-ingestion.opencti.svc:80/health?health_access_key=hk-4d8f-real-health-key',
    ]);
    assert.deepEqual(report.checked, [
      { component: 'frontend', status: 200, url: 'http://opencti-frontend.opencti.svc:80/health' },
      { component: 'ingestion', status: 200, url: 'http://opencti-ingestion.opencti.svc:80/health' },
    ]);
    assert.equal(runner.redactor.text('key hk-4d8f-real-health-key'), 'key ***');
  });

  it('a 401 says the key is missing or still the default, and is not retried', async () => {
    const { runner } = fakeRunner({ secret: json('secret-credentials') });
    const err = await failure(createOpenctiActivities({ helm: noHelm, runner, fetch: fakeFetch(401).fn }).openctiCheckHealth({ ...ref, targets: [{ component: 'server', service: 'opencti-server', port: 80 }], health: health() }));
    assert.equal(err.type, FailureType.VerificationFailed);
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, /^server health http:\/\/opencti-server\.opencti\.svc:80\/health answered 401: health access key missing or still the default/);
    assert.doesNotMatch(err.message, /hk-4d8f/);
  });

  it('a 503 is a retryable failure with the status', async () => {
    const { runner } = fakeRunner({});
    const env = { OPENCTI_HEALTH_KEY: 'env-provided-key', RUNBOOK_SECRET_ENV_ALLOWLIST: 'OPENCTI_HEALTH_KEY' };
    const f = fakeFetch(503);
    const err = await failure(
      createOpenctiActivities({ helm: noHelm, runner, fetch: f.fn, env }).openctiCheckHealth({
        ...ref,
        targets: [{ component: 'ingestion', service: 'opencti-ingestion' }],
        health: health({ accessKey: { env: 'OPENCTI_HEALTH_KEY' }, via: 'url', baseUrls: { ingestion: 'https://ingestion.cti.example.com/' } }),
      }),
    );
    assert.equal(err.message, 'ingestion health https://ingestion.cti.example.com/health answered 503 Service Unavailable');
    assert.equal(err.nonRetryable, false);
    assert.deepEqual(f.urls, ['https://ingestion.cti.example.com/health?health_access_key=env-provided-key']);
  });

  it('a key reference that resolves to nothing is a NotFound naming it', async () => {
    const { runner } = fakeRunner({ secret: json('secret-credentials') });
    const acts = createOpenctiActivities({ helm: noHelm, runner, fetch: fakeFetch(200).fn, env: { RUNBOOK_SECRET_ENV_ALLOWLIST: 'NOPE' } });
    const missingKey = await failure(
      acts.openctiCheckHealth({ ...ref, targets: [{ component: 'server', service: 'opencti-server', port: 80 }], health: health({ accessKey: { secretRef: { name: 'opencti-credentials', key: 'HEALTH' } } }) }),
    );
    assert.equal(missingKey.message, 'health access key: Secret opencti-credentials in opencti has no key HEALTH');
    const missingEnv = await failure(acts.openctiCheckHealth({ ...ref, targets: [{ component: 'server', service: 'opencti-server', port: 80 }], health: health({ accessKey: { env: 'NOPE' } }) }));
    assert.equal(missingEnv.type, FailureType.NotFound);
  });

  it('an env key not on the worker allow-list is refused without being read; a bound key goes to its origin only', async () => {
    const { runner } = fakeRunner({});
    const target = { ...ref, targets: [{ component: 'ingestion' as const, service: 'opencti-ingestion' }] };
    const viaUrl = (base: string) => health({ accessKey: { env: 'AWS_SECRET_ACCESS_KEY' }, via: 'url', baseUrls: { ingestion: base } });
    const f = fakeFetch(200);
    const notListed = await failure(
      createOpenctiActivities({ helm: noHelm, runner, fetch: f.fn, env: { AWS_SECRET_ACCESS_KEY: 'cloud-secret' } }).openctiCheckHealth({ ...target, health: viaUrl('https://evil.example/') }),
    );
    assert.equal(notListed.type, FailureType.InvalidInput);
    assert.match(notListed.message, /^health\.accessKey\.env: AWS_SECRET_ACCESS_KEY is not on the worker's RUNBOOK_SECRET_ENV_ALLOWLIST/);
    const bound = { AWS_SECRET_ACCESS_KEY: 'cloud-secret', RUNBOOK_SECRET_ENV_ALLOWLIST: 'AWS_SECRET_ACCESS_KEY=https://ingestion.cti.example.com' };
    const elsewhere = await failure(createOpenctiActivities({ helm: noHelm, runner, fetch: f.fn, env: bound }).openctiCheckHealth({ ...target, health: viaUrl('https://evil.example/') }));
    assert.match(elsewhere.message, /may only be sent to https:\/\/ingestion\.cti\.example\.com .*not to https:\/\/evil\.example/);
    assert.deepEqual(f.urls, []);
    await createOpenctiActivities({ helm: noHelm, runner, fetch: f.fn, env: bound }).openctiCheckHealth({ ...target, health: viaUrl('https://ingestion.cti.example.com/') });
    assert.deepEqual(f.urls, ['https://ingestion.cti.example.com/health?health_access_key=cloud-secret']);
  });
});

describe('openctiPlanValues and openctiApplyValues', () => {
  /** helm as the plan and apply see it: the live manifest, the render, and the upgrade's values file as written. */
  function recordingHelm(opts: { live?: string; rendered?: string } = {}) {
    const upgrades: Array<{ valuesText: string; mode: number }> = [];
    const helm = {
      helmGetManifest: () => Promise.resolve(opts.live ?? ''),
      helmTemplate: () => Promise.resolve(opts.rendered ?? ''),
      async helmUpgrade(req: { values: { inline?: Record<string, unknown>; files: string[] } }) {
        // What helm would read: the generated values, inside this one activity.
        await Promise.resolve();
        upgrades.push({ valuesText: stringify(req.values.inline ?? {}), mode: 0o600 });
        assert.deepEqual(req.values.files, [], 'no file from another activity');
        return { revision: 3, status: 'deployed', chartVersion: '2.5.0', alreadyDone: false };
      },
    } as unknown as HelmActivities;
    return { helm, upgrades };
  }
  const request = {
    release: 'opencti',
    namespace: 'opencti',
    kube,
    values: { files: [valuesFile('ingress-tls')], inline: { worker: { replicaCount: 1 } }, set: { 'image.tag': '6.5.1' } },
    change: 'clustering' as const,
    chart: { ref: 'opencti/opencti' },
    version: '2.5.0',
    migration: { targetVersion: '2.5.0' },
  };

  it("reads the operator's files, returns a digest, a redacted preview, the diff and the promise; no file is left behind", async () => {
    const { runner } = fakeRunner({});
    const { helm } = recordingHelm();
    const plan = await createOpenctiActivities({ runner, helm }).openctiPlanValues(request);
    assert.equal('valuesFile' in plan, false);
    assert.doesNotMatch(JSON.stringify(plan), /rabbit-literal-password|literal-erlang-cookie/, 'secrets are nowhere in what the workflow gets');
    assert.match(plan.preview, /tag: "6\.5\.1"|tag: 6\.5\.1/);
    assert.match(plan.preview, /host: cti\.example\.com/);
    assert.ok(plan.diff.some((l) => l.startsWith('- ingress: ')));
    assert.deepEqual(plan.promise.map((p) => `${p.path}=${p.value}`).slice(0, 3), [
      'clustering.frontend.env.NOTIFICATION_MANAGER__ENABLED=false',
      'clustering.frontend.env.RULE_ENGINE__ENABLED=false',
      'clustering.frontend.env.TASK_SCHEDULER__ENABLED=false',
    ]);
    // Nothing rendered (this fake helm): that itself blocks.
    assert.ok(plan.warnings.some((w) => w.code === 'render-failed' && w.blocking));
    const again = await createOpenctiActivities({ runner, helm }).openctiPlanValues(request);
    assert.equal(again.sha256, plan.sha256, 'deterministic: the same inputs give the same digest');
  });

  it('apply regenerates the values in the same activity, checks the digest, and refuses edited values', async () => {
    const { runner } = fakeRunner({});
    const { helm, upgrades } = recordingHelm();
    const acts = createOpenctiActivities({ runner, helm });
    const plan = await acts.openctiPlanValues(request);
    const applied = await acts.openctiApplyValues({ ...request, expectSha256: plan.sha256, timeoutMs: 60_000, fromRevision: 2 });
    assert.equal(applied.sha256, plan.sha256);
    const written = parse(upgrades[0]!.valuesText) as Record<string, Record<string, unknown>>;
    assert.equal(written.ingress, undefined, 'the root ingress is gone from the values, not nulled');
    assert.equal(written.clustering!.enabled, true);
    assert.equal((written.rabbitmq!.auth as Record<string, string>).password, 'rabbit-literal-password', 'the real values reach helm');
    const edited = await failure(acts.openctiApplyValues({ ...request, expectSha256: 'f'.repeat(64), timeoutMs: 60_000, fromRevision: 2 }));
    assert.equal(edited.type, FailureType.InvalidValues);
    assert.match(edited.message, /the generated values changed since they were approved/);
  });

  it('in-place: no diff; values that already enable clustering are refused', async () => {
    const { runner } = fakeRunner({});
    const acts = createOpenctiActivities({ runner, helm: recordingHelm().helm });
    const plain = await acts.openctiPlanValues({ ...request, values: { files: [valuesFile('minimal')], set: {} }, change: 'none' });
    assert.deepEqual(plain.diff, []);
    assert.deepEqual(plain.promise, []);
    const clustered = await acts.openctiPlanValues({ ...request, values: { files: [valuesFile('clustering')], set: {} }, change: 'none' });
    assert.ok(clustered.warnings.some((w) => w.code === 'clustering-enabled' && w.blocking));
  });

  it('a values file missing on the worker is a NotFound', async () => {
    const err = await failure(loadValues({ files: ['/nonexistent/values.yaml'], set: {} }));
    assert.equal(err.type, FailureType.NotFound);
    assert.equal(err.message, 'values file /nonexistent/values.yaml cannot be read on the worker (ENOENT)');
  });
});

describe('OpenCTI health check through kubectl port-forward', () => {
  it('forwards svc/<release>-<component>, checks /health on the local port, then ends the port-forward', async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(200).end('{"status":"ok"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const argsFile = `${await testTempDir('pf')}/args`;
    process.env.FAKE_FORWARD_PORT = String(port);
    process.env.FAKE_FORWARD_ARGS = argsFile;
    try {
      const runner = new CommandRunner({ tools: { ...toolPathsFromEnv({}), kubectl: `${fixturesDir}bin/fake-port-forward.sh` }, heartbeatIntervalMs: 50, killGraceMs: 200 });
      const started = Date.now();
      const report = await createOpenctiActivities({ helm: noHelm, runner, env: { KEY: 'pf-health-key', RUNBOOK_SECRET_ENV_ALLOWLIST: 'KEY' } }).openctiCheckHealth({
        ...ref,
        targets: [{ component: 'frontend', service: 'opencti-frontend', port: 80 }],
        health: HealthCheckSchema.parse({ accessKey: { env: 'KEY' }, via: 'port-forward' }),
      });
      assert.deepEqual(report.checked, [{ component: 'frontend', status: 200, url: `http://127.0.0.1:${port}/health` }]);
      assert.deepEqual(seen, ['/health?health_access_key=pf-health-key']);
      assert.deepEqual((await readFile(argsFile, 'utf8')).trim().split('\n'), kubectlPortForwardArgs({ namespace: 'opencti', kube }, 'svc/opencti-frontend', 80));
      assert.ok(Date.now() - started < 10_000, 'the port-forward was ended, not left to run for its 60s');
    } finally {
      server.close();
      delete process.env.FAKE_FORWARD_PORT;
      delete process.env.FAKE_FORWARD_ARGS;
    }
  });
});
