import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import type { CommandResult, CommandRunner, CommandSpec } from '../../src/activities/command.js';
import { createTenantActivities, type TenantUpgradeRequest } from '../../src/activities/soctalk/tenant.js';
import { FailureType } from '../../src/domain/failure-types.js';
import { checkValuesDocument, hookCommand, parseHeartbeat, parseNamespacePage, parseReleaseDeployments } from '../../src/activities/soctalk/tenant-parse.js';
import { testTempDir } from '../helpers/temp-dir.js';

/** Records every command and answers from a table keyed by the first argument(s). */
function stubRunner(answer: (spec: CommandSpec) => string | Promise<string>) {
  const specs: CommandSpec[] = [];
  const seenFiles: Record<string, { text: string; mode: number }> = {};
  const runner = {
    async run(spec: CommandSpec): Promise<CommandResult> {
      specs.push(spec);
      for (const arg of spec.args) {
        if (!arg.startsWith('--values=')) continue;
        const file = arg.slice('--values='.length);
        seenFiles[file] = { text: await readFile(file, 'utf8'), mode: (await stat(file)).mode & 0o777 };
      }
      const stdout = await answer(spec);
      return { argv: [typeof spec.tool === 'string' ? spec.tool : spec.tool.executable, ...spec.args], exitCode: 0, stdout, stdoutRedacted: stdout, stderr: '', durationMs: 1, truncated: false, dryRun: false };
    },
  };
  return { runner: runner as unknown as CommandRunner, specs, seenFiles };
}

/** The worker's command allow-list, as an operator would configure it. */
const COMMANDS = { RUNBOOK_COMMAND_ALLOWLIST: 'soctalk-cli=/usr/local/bin/soctalk-cli, alert-probe=/opt/probe/bin/probe' };

const releaseAnswers = (revision: { n: number }) => (spec: CommandSpec): string => {
  const [cmd] = spec.args;
  if (typeof spec.tool !== 'string') return 'adapter:\n  apiKey: s3cr3t-value\nimage:\n  tag: "0.1.0"\n';
  // The release's history as helm prints it: the latest revision is on 0.2.1 once upgraded.
  if (cmd === 'history') return JSON.stringify([{ revision: revision.n, updated: '', status: 'deployed', chart: `soctalk-tenant-${revision.n > 3 ? '0.2.1' : '0.1.0'}` }]);
  if (cmd === 'upgrade') revision.n += 1;
  if (cmd === 'get') return '{"adapter":{"apiKey":"from-release"}}';
  return '';
};

const request = (over: Partial<TenantUpgradeRequest> = {}): TenantUpgradeRequest => ({
  tenant: 'acme',
  release: 'tenant-acme',
  namespace: 'tenant-acme',
  kube: { context: 'prod' },
  chart: { ref: 'oci://ghcr.io/soctalk/charts/soctalk-tenant' },
  version: '0.2.1',
  valuesSource: { kind: 'command', command: 'soctalk-cli', args: ['render-values', '{slug}'], timeout: 120_000 },
  setString: { 'image.tag': '0.2.1' },
  timeoutMs: 15 * 60_000,
  fromRevision: 3,
  ...over,
});

describe('tenantHelmUpgrade', () => {
  it('renders values with soctalk-cli, hands them to helm in a private file, overrides the image tag, and returns only a digest', async () => {
    const workDir = await testTempDir('tenant-test');
    const { runner, specs, seenFiles } = stubRunner(releaseAnswers({ n: 3 }));
    const result = await createTenantActivities({ runner, workDir, env: COMMANDS }).tenantHelmUpgrade(request());

    const render = specs[0]!;
    // The program is the worker's allow-listed path, never looked up from the input.
    assert.deepEqual(render.tool, { executable: '/usr/local/bin/soctalk-cli' });
    assert.deepEqual(render.args, ['render-values', 'acme']);
    assert.equal(render.mutates, false);

    const upgrade = specs.find((s) => s.args[0] === 'upgrade')!;
    const [valuesFile, overrideFile] = upgrade.args.filter((a) => a.startsWith('--values=')).map((a) => a.slice('--values='.length));
    assert.ok(valuesFile && overrideFile);
    assert.deepEqual(upgrade.args, [
      'upgrade',
      '--namespace',
      'tenant-acme',
      '--version=0.2.1',
      `--values=${valuesFile}`,
      `--values=${overrideFile}`,
      '--wait',
      '--timeout',
      '900s',
      '--kube-context',
      'prod',
      '--',
      'tenant-acme',
      'oci://ghcr.io/soctalk/charts/soctalk-tenant',
    ]);
    assert.equal(upgrade.uninterruptible, true);
    assert.equal(upgrade.mutates, true);
    assert.equal(seenFiles[valuesFile]!.mode, 0o600);
    assert.match(seenFiles[valuesFile]!.text, /apiKey: s3cr3t-value/);
    // The image tag override is a values file (last, so it wins), never --set-string.
    assert.deepEqual(seenFiles[overrideFile], { text: 'image:\n  tag: 0.2.1\n', mode: 0o600 });
    await assert.rejects(stat(valuesFile), /ENOENT/, 'the values file is removed afterwards');
    await assert.rejects(stat(overrideFile), /ENOENT/, 'the override file is removed afterwards');

    const values = 'adapter:\n  apiKey: s3cr3t-value\nimage:\n  tag: "0.1.0"\n';
    assert.deepEqual(result, {
      revision: 4,
      status: 'deployed',
      chartVersion: '0.2.1',
      alreadyDone: false,
      valuesSource: 'command',
      valuesSha256: createHash('sha256').update(values).digest('hex'),
      valuesBytes: Buffer.byteLength(values),
    });
    assert.equal(JSON.stringify(result).includes('s3cr3t'), false);
  });

  it("reuses the release's values (helm get values -a) when asked", async () => {
    const workDir = await testTempDir('tenant-test');
    const { runner, specs, seenFiles } = stubRunner(releaseAnswers({ n: 3 }));
    await createTenantActivities({ runner, workDir }).tenantHelmUpgrade(request({ valuesSource: { kind: 'current' } }));
    assert.deepEqual(specs[0]!.args, ['get', 'values', '--namespace', 'tenant-acme', '--all', '--output', 'json', '--kube-context', 'prod', '--', 'tenant-acme']);
    assert.equal(Object.values(seenFiles)[0]!.text, '{"adapter":{"apiKey":"from-release"}}');
  });

  it('fetches values over HTTP with a bearer token from the named environment variable', async () => {
    const workDir = await testTempDir('tenant-test');
    const { runner, seenFiles } = stubRunner(releaseAnswers({ n: 3 }));
    const seen: { url: string; auth?: string }[] = [];
    const fetch = (async (url: string, init: RequestInit) => {
      seen.push({ url, auth: (init.headers as Record<string, string>).authorization });
      return new Response('image:\n  tag: "0.1.0"\n', { status: 200 });
    }) as unknown as typeof globalThis.fetch;
    await createTenantActivities({ runner, workDir, fetch, env: { SOCTALK_TOKEN: 'tok-123', RUNBOOK_SECRET_ENV_ALLOWLIST: 'SOCTALK_TOKEN' } }).tenantHelmUpgrade(
      request({ valuesSource: { kind: 'http', url: 'https://soctalk.example/api/tenants/{slug}/values', tokenEnv: 'SOCTALK_TOKEN', timeout: 60_000 } }),
    );
    assert.deepEqual(seen, [{ url: 'https://soctalk.example/api/tenants/acme/values', auth: 'Bearer tok-123' }]);
    assert.equal(Object.values(seenFiles)[0]!.text, 'image:\n  tag: "0.1.0"\n');
  });

  it('a tokenEnv not on the worker allow-list is refused before it is read or anything is fetched', async () => {
    const { runner, specs } = stubRunner(releaseAnswers({ n: 3 }));
    let fetched = 0;
    const fetch = (async () => {
      fetched += 1;
      return new Response('{}', { status: 200 });
    }) as unknown as typeof globalThis.fetch;
    const http = { kind: 'http' as const, url: 'https://evil.example/{slug}', tokenEnv: 'AWS_SECRET_ACCESS_KEY', timeout: 60_000 };
    await assert.rejects(createTenantActivities({ runner, workDir: tmpdir(), fetch, env: { AWS_SECRET_ACCESS_KEY: 'cloud', RUNBOOK_SECRET_ENV_ALLOWLIST: 'SOCTALK_TOKEN' } }).tenantHelmUpgrade(request({ valuesSource: http })), {
      type: 'InvalidInput',
      message: /^valuesSource\.tokenEnv: AWS_SECRET_ACCESS_KEY is not on the worker's RUNBOOK_SECRET_ENV_ALLOWLIST/,
    });
    // Bound to an origin: sent nowhere else.
    const bound = { SOCTALK_TOKEN: 'tok', RUNBOOK_SECRET_ENV_ALLOWLIST: 'SOCTALK_TOKEN=https://soctalk.example' };
    await assert.rejects(createTenantActivities({ runner, workDir: tmpdir(), fetch, env: bound }).tenantHelmUpgrade(request({ valuesSource: { ...http, tokenEnv: 'SOCTALK_TOKEN' } })), {
      message: /may only be sent to https:\/\/soctalk\.example .*not to https:\/\/evil\.example/,
    });
    assert.equal(fetched, 0);
    assert.equal(specs.length, 0);
  });

  it('refuses a values command not on the worker\'s RUNBOOK_COMMAND_ALLOWLIST before anything runs', async () => {
    const { runner, specs } = stubRunner(releaseAnswers({ n: 3 }));
    const activities = createTenantActivities({ runner, workDir: await testTempDir('tenant-test'), env: COMMANDS });
    await assert.rejects(activities.tenantHelmUpgrade(request({ valuesSource: { kind: 'command', command: 'bash', args: ['-c', 'id'], timeout: 1000 } })), {
      type: 'InvalidInput',
      message: /^valuesSource\.command: bash is not on the worker's RUNBOOK_COMMAND_ALLOWLIST, so nothing was run/,
    });
    await assert.rejects(activities.checkAlertFlow({ tenant: 'acme', check: { kind: 'command', command: 'curl', args: [], timeout: 1000 } }), {
      type: 'InvalidInput',
      message: /^alertCheck\.command: curl is not on the worker's RUNBOOK_COMMAND_ALLOWLIST/,
    });
    assert.equal(specs.length, 0);
  });

  it('does not upgrade again when an earlier attempt already did', async () => {
    const workDir = await testTempDir('tenant-test');
    const { runner, specs } = stubRunner(releaseAnswers({ n: 4 }));
    const result = await createTenantActivities({ runner, workDir, env: COMMANDS }).tenantHelmUpgrade(request());
    assert.equal(result.alreadyDone, true);
    assert.equal(specs.some((s) => s.args[0] === 'upgrade'), false);
  });

  it('refuses values that are not a YAML mapping, without quoting them', async () => {
    const workDir = await testTempDir('tenant-test');
    const { runner } = stubRunner((spec) => (typeof spec.tool === 'string' ? '' : '- secret-list-item\n'));
    await assert.rejects(createTenantActivities({ runner, workDir, env: COMMANDS }).tenantHelmUpgrade(request()), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.type, 'InvalidValues');
      assert.equal(err.nonRetryable, true);
      assert.equal(err.message.includes('secret-list-item'), false);
      return true;
    });
  });
});

describe('tenant kubectl and API activities', () => {
  it('lists tenant namespaces in one result for fleets started before paging', async () => {
    const { runner, specs } = stubRunner(() => JSON.stringify({ items: [{ metadata: { name: 'tenant-acme' } }, { metadata: { name: 'tenant-beta' } }] }));
    const names = await createTenantActivities({ runner, workDir: tmpdir() }).listTenantNamespaces({ selector: 'tenant=true,managed-by=soctalk', kube: { kubeconfig: '/k' } });
    assert.deepEqual(specs[0]!.args, ['get', 'namespaces', '--selector', 'tenant=true,managed-by=soctalk', '--output', 'json', '--kubeconfig', '/k']);
    assert.deepEqual(names, ['tenant-acme', 'tenant-beta']);
  });

  it('lists tenant namespaces with the runbook selector, one API page at a time', async () => {
    const { runner, specs } = stubRunner(() => JSON.stringify({ metadata: { continue: 'tok=en+/2' }, items: [{ metadata: { name: 'tenant-acme' } }, { metadata: { name: 'tenant-beta' } }] }));
    const activities = createTenantActivities({ runner, workDir: tmpdir() });
    const first = await activities.listTenantNamespacePage({ selector: 'tenant=true,managed-by=soctalk', kube: { kubeconfig: '/k' }, limit: 500 });
    assert.deepEqual(specs[0]!.args, ['get', '--raw', '/api/v1/namespaces?labelSelector=tenant%3Dtrue%2Cmanaged-by%3Dsoctalk&limit=500', '--kubeconfig', '/k']);
    assert.deepEqual(first, { names: ['tenant-acme', 'tenant-beta'], continueToken: 'tok=en+/2' });
    await activities.listTenantNamespacePage({ selector: 'tenant=true', kube: {}, limit: 2, continueToken: 'tok=en+/2' });
    assert.deepEqual(specs[1]!.args, ['get', '--raw', '/api/v1/namespaces?labelSelector=tenant%3Dtrue&limit=2&continue=tok%3Den%2B%2F2'], 'the token is URL-encoded');
  });

  it('answers expired for a page token the API server dropped, and fails the first page as any error', async () => {
    const gone = () => {
      throw ApplicationFailure.create({ type: FailureType.CommandFailed, message: 'Error from server (Expired): The provided continue parameter is too old to display a consistent list result.' });
    };
    const activities = createTenantActivities({ runner: stubRunner(gone).runner, workDir: tmpdir() });
    assert.deepEqual(await activities.listTenantNamespacePage({ selector: 'tenant=true', kube: {}, limit: 500, continueToken: 'old' }), { names: [], expired: true });
    await assert.rejects(activities.listTenantNamespacePage({ selector: 'tenant=true', kube: {}, limit: 500 }), /Expired/);
  });

  it('runs kubectl rollout status with the timeout, and turns a timeout into RolloutTimeout', async () => {
    const { runner, specs } = stubRunner(() => 'Waiting...\ndeployment "soctalk-adapter" successfully rolled out\n');
    const activities = createTenantActivities({ runner, workDir: tmpdir() });
    const line = await activities.rolloutStatus({ namespace: 'tenant-acme', kube: {}, target: 'deploy/soctalk-adapter', timeoutMs: 600_000 });
    assert.deepEqual(specs[0]!.args, ['rollout', 'status', '--watch', '--timeout', '600s', '--namespace', 'tenant-acme', '--', 'deploy/soctalk-adapter']);
    assert.equal(line, 'deployment "soctalk-adapter" successfully rolled out');

    const failing = {
      run: () => Promise.reject(ApplicationFailure.create({ type: 'CommandFailed', message: 'error: timed out waiting for the condition' })),
    } as unknown as CommandRunner;
    await assert.rejects(createTenantActivities({ runner: failing, workDir: tmpdir() }).rolloutStatus({ namespace: 'tenant-acme', kube: {}, target: 'deploy/x', timeoutMs: 1000 }), {
      type: 'RolloutTimeout',
    });
  });

  it('reads the adapter heartbeat from the MSSP API: tenant-health by slug, then the tenant runtime, with the worker\'s token', async () => {
    const calls: { url: string; auth?: string }[] = [];
    const fetch = (async (url: string, init?: RequestInit) => {
      calls.push({ url, auth: (init?.headers as Record<string, string> | undefined)?.authorization });
      if (url.endsWith('/api/mssp/dashboard/tenant-health')) {
        return Response.json({
          items: [
            { tenant_id: '7d0c0000-0000-4000-8000-000000000001', slug: 'beta', last_heartbeat: null, heartbeat_age_seconds: null, unhealthy: true },
            { tenant_id: '7d0c0000-0000-4000-8000-000000000002', slug: 'acme', last_heartbeat: '2026-11-22T01:00:00+00:00', heartbeat_age_seconds: 4, unhealthy: false },
          ],
        });
      }
      return Response.json({ id: '7d0c0000-0000-4000-8000-000000000002', slug: 'acme', runtime: { version: '0.2.1', health: 'ok', last_heartbeat: '2026-11-22T01:00:05+00:00' } });
    }) as unknown as typeof globalThis.fetch;
    const activities = createTenantActivities({ runner: stubRunner(() => '').runner, workDir: tmpdir(), fetch, env: { SOCTALK_MSSP_API_TOKEN: 'tok-123', SOCTALK_MSSP_API_URL: 'http://soctalk-system-api.soctalk-system.svc:8000/' } });
    const hb = await activities.adapterHeartbeat({ apiUrl: 'http://soctalk-system-api.soctalk-system.svc:8000', tenant: 'acme' });
    assert.deepEqual(calls, [
      { url: 'http://soctalk-system-api.soctalk-system.svc:8000/api/mssp/dashboard/tenant-health', auth: 'Bearer tok-123' },
      { url: 'http://soctalk-system-api.soctalk-system.svc:8000/api/mssp/tenants/7d0c0000-0000-4000-8000-000000000002', auth: 'Bearer tok-123' },
    ]);
    assert.deepEqual(hb, { at: '2026-11-22T01:00:05.000Z', version: '0.2.1' });
    // A tenant the MSSP API does not list has no heartbeat yet.
    assert.deepEqual(await activities.adapterHeartbeat({ apiUrl: 'http://soctalk-system-api.soctalk-system.svc:8000/', tenant: 'gamma' }), {});
  });

  it('the MSSP token goes only to the configured API origin: another apiUrl, or no configured URL, is refused before any request', async () => {
    let fetched = 0;
    const fetch = (async () => {
      fetched += 1;
      return Response.json({ items: [] });
    }) as unknown as typeof globalThis.fetch;
    const env = { SOCTALK_MSSP_API_TOKEN: 'tok-123', SOCTALK_MSSP_API_URL: 'http://soctalk-system-api.soctalk-system.svc:8000' };
    const activities = createTenantActivities({ runner: stubRunner(() => '').runner, workDir: tmpdir(), fetch, env });
    await assert.rejects(activities.adapterHeartbeat({ apiUrl: 'https://other-host.example', tenant: 'acme' }), {
      type: 'InvalidInput',
      message: /^heartbeat\.apiUrl: https:\/\/other-host\.example is not the worker's MSSP API \(http:\/\/soctalk-system-api\.soctalk-system\.svc:8000/,
    });
    const unconfigured = createTenantActivities({ runner: stubRunner(() => '').runner, workDir: tmpdir(), fetch, env: { SOCTALK_MSSP_API_TOKEN: 'tok-123' } });
    await assert.rejects(unconfigured.adapterHeartbeat({ apiUrl: 'http://soctalk-system-api.soctalk-system.svc:8000', tenant: 'acme' }), { message: /no SOCTALK_MSSP_API_URL/ });
    assert.equal(fetched, 0);
    // Without a token nothing secret is sent, so any validated URL may be polled.
    const tokenless = createTenantActivities({ runner: stubRunner(() => '').runner, workDir: tmpdir(), fetch, env: {} });
    assert.deepEqual(await tokenless.adapterHeartbeat({ apiUrl: 'https://other-host.example', tenant: 'acme' }), {});
  });

  it('checks that alerts flow with a command or an HTTP endpoint', async () => {
    const { runner, specs } = stubRunner(() => 'alert received in 3s\n');
    const activities = createTenantActivities({ runner, workDir: tmpdir(), env: COMMANDS, fetch: async () => new Response('pipeline: ok', { status: 200 }) });
    assert.equal(await activities.checkAlertFlow({ tenant: 'acme', check: { kind: 'command', command: 'alert-probe', args: ['send', '--', '-{slug}'], timeout: 60_000 } }), 'alert received in 3s');
    assert.deepEqual(specs[0]!.tool, { executable: '/opt/probe/bin/probe' });
    assert.deepEqual(specs[0]!.args, ['send', '--', '-acme']);
    await assert.rejects(
      activities.checkAlertFlow({ tenant: 'acme', check: { kind: 'http', url: 'http://x/{slug}', method: 'GET', expectBody: 'flowing', timeout: 1000 } }),
      /alerts do not flow for tenant-acme: http:\/\/x\/acme answered HTTP 200 without "flowing"/,
    );
  });
});

describe('tenant output parsing', () => {
  it('hook argv: the allow-listed program, the positionals with the slug in place', () => {
    assert.deepEqual(hookCommand(COMMANDS, { command: 'soctalk-cli', args: ['render-values', '{slug}', 'out/{slug}.yaml'] }, 'acme', 'valuesSource'), {
      executable: '/usr/local/bin/soctalk-cli',
      args: ['render-values', 'acme', 'out/acme.yaml'],
    });
    assert.deepEqual(hookCommand(COMMANDS, { command: 'alert-probe', args: [] }, 'acme', 'alertCheck'), { executable: '/opt/probe/bin/probe', args: [] });
  });

  it('hook argv: a name not on RUNBOOK_COMMAND_ALLOWLIST is refused naming the field and the setting', () => {
    const refused = (env: NodeJS.ProcessEnv, command: string, message: RegExp) =>
      assert.throws(() => hookCommand(env, { command, args: [] }, 'acme', 'valuesSource'), (err: unknown) => err instanceof ApplicationFailure && err.type === 'InvalidInput' && err.nonRetryable === true && message.test(err.message));
    refused(COMMANDS, 'sh', /^valuesSource\.command: sh is not on the worker's RUNBOOK_COMMAND_ALLOWLIST, so nothing was run: add sh=\/absolute\/path/);
    refused({}, 'soctalk-cli', /^valuesSource\.command: soctalk-cli is not on the worker's RUNBOOK_COMMAND_ALLOWLIST/);
    // A malformed list fails loudly rather than allowing more than meant.
    refused({ RUNBOOK_COMMAND_ALLOWLIST: 'soctalk-cli' }, 'soctalk-cli', /RUNBOOK_COMMAND_ALLOWLIST is malformed: soctalk-cli has no program/);
    refused({ RUNBOOK_COMMAND_ALLOWLIST: 'soctalk-cli=soctalk-cli' }, 'soctalk-cli', /is malformed: soctalk-cli=soctalk-cli is not an absolute path/);
    refused({ RUNBOOK_COMMAND_ALLOWLIST: 'soctalk-cli=/usr/bin/../../bin/sh' }, 'soctalk-cli', /is malformed: .* is not an absolute path/);
    refused({ RUNBOOK_COMMAND_ALLOWLIST: '/bin/sh=/bin/sh' }, 'soctalk-cli', /is malformed: "\/bin\/sh" is not a command name/);
  });

  it('namespace names and the release Deployments', () => {
    assert.deepEqual(parseNamespacePage('{"items":[{"metadata":{"name":"tenant-a"}},{"metadata":{}}]}'), { names: ['tenant-a'] });
    assert.deepEqual(parseNamespacePage('{"metadata":{"continue":"eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ"},"items":[{"metadata":{"name":"tenant-b"}}]}'), {
      names: ['tenant-b'],
      continueToken: 'eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ',
    });
    assert.deepEqual(parseNamespacePage('{"metadata":{"continue":""},"items":[]}'), { names: [] }, 'an empty token ends the list');
    const deployments = JSON.stringify({
      items: [
        { metadata: { name: 'wazuh-bridge', annotations: { 'meta.helm.sh/release-name': 'tenant-acme' } } },
        { metadata: { name: 'soctalk-adapter', labels: { 'app.kubernetes.io/instance': 'tenant-acme' } } },
        { metadata: { name: 'unrelated', annotations: { 'meta.helm.sh/release-name': 'other' } } },
      ],
    });
    assert.deepEqual(parseReleaseDeployments(deployments, 'tenant-acme'), ['soctalk-adapter', 'wazuh-bridge']);
  });

  it('heartbeat answers in camelCase, snake_case or nested under adapter', () => {
    assert.deepEqual(parseHeartbeat({ lastHeartbeatAt: '2026-11-22T01:00:00+01:00', adapterVersion: '0.2.1' }), { at: '2026-11-22T00:00:00.000Z', version: '0.2.1' });
    assert.deepEqual(parseHeartbeat({ adapter: { last_seen: 'not a date', version: '0.2.0' } }), { version: '0.2.0' });
    assert.deepEqual(parseHeartbeat(null), {});
  });

  it('values documents must be mappings', () => {
    checkValuesDocument('a: 1\n', 'x');
    checkValuesDocument('', 'x');
    assert.throws(() => checkValuesDocument('just a string', 'soctalk-cli'), /values from soctalk-cli are not a YAML mapping/);
    assert.throws(() => checkValuesDocument('a: [1\n', 'x'), /not valid YAML/);
  });
});
