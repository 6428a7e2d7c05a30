// The tenant upgrade's heartbeat settle against an MSSP API on loopback that answers with
// the real SocTalk API's shapes (test/helpers/mssp-api.ts): the real adapterHeartbeat
// activity over real HTTP, alone and inside the real soctalkTenantUpgrade workflow on a
// real-time Temporal dev server (the settle compares the API's clock with the rollout's,
// so time must not be skipped). The cluster side of the tenant upgrade is recorded mocks.
//
//   eval "$(bash scripts/toolchain.sh env temporal)"; node --import tsx --test test/integration/mssp-heartbeat.test.ts
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { CommandRunner, toolPathsFromEnv } from '../../src/activities/command.js';
import { createTenantActivities, MSSP_API_TOKEN_ENV, MSSP_API_URL_ENV } from '../../src/activities/soctalk/tenant.js';
import { FailureType } from '../../src/domain/failure-types.js';
import { tenantWorkflowId } from '../../src/domain/soctalk/tenant-runbooks.js';
import { soctalkTenantUpgrade } from '../../src/workflows/soctalk/tenant-upgrade.js';
import { statusQuery } from '../../src/workflows/lib/messages.js';
import type { RunStatus } from '../../src/workflows/lib/status.js';
import { startMsspApi, type MsspApi } from '../helpers/mssp-api.js';
import { createLocalEnv, uniqueTaskQueue, workflowBundle } from '../helpers/temporal.js';
import { runningStep, waitForStatus } from '../helpers/workflow-harness.js';
import { tenantMocks, upgradeSpec } from '../workflows/soctalk-tenant-mocks.js';
import { activityFailure as failure } from '../helpers/activity-failure.js';

const TOKEN = 'mssp-analyst-token';
const HEARTBEAT_STEP = 'adapter heartbeat reports the target version';
const runner = new CommandRunner({ tools: toolPathsFromEnv({}) });
const activities = (env: NodeJS.ProcessEnv, msspRequestTimeoutMs?: number) =>
  createTenantActivities({ runner, workDir: tmpdir(), env, ...(msspRequestTimeoutMs ? { msspRequestTimeoutMs } : {}) });

describe('the MSSP heartbeat settle over real HTTP', { timeout: 3 * 60_000 }, () => {
  let api: MsspApi;
  let env: TestWorkflowEnvironment;

  before(async () => {
    [api, env] = await Promise.all([startMsspApi({ token: TOKEN, tenants: [{ slug: 'acme' }, { slug: 'beta' }] }), createLocalEnv(), workflowBundle()]);
  });
  after(async () => {
    await env?.teardown();
    await api?.stop();
  });

  describe('the adapterHeartbeat activity', () => {
    it('reads the last heartbeat and version the adapter posted, with the worker\'s token; {} before any heartbeat or for a tenant the API does not list', async () => {
      const acts = activities({ [MSSP_API_TOKEN_ENV]: TOKEN, [MSSP_API_URL_ENV]: api.url });
      assert.deepEqual(await acts.adapterHeartbeat({ apiUrl: api.url, tenant: 'beta' }), {}, 'no heartbeat yet');
      const before = api.requests.length;
      await api.adapterBeats('beta', '0.2.0');
      const seen = await acts.adapterHeartbeat({ apiUrl: api.url, tenant: 'beta' });
      assert.equal(seen.version, '0.2.0');
      assert.ok(seen.at && Date.now() - Date.parse(seen.at) < 5_000, `a fresh heartbeat: ${seen.at}`);
      assert.deepEqual(api.requests.slice(before), [
        'POST /api/internal/adapter/heartbeat',
        'GET /api/mssp/dashboard/tenant-health',
        `GET /api/mssp/tenants/${api.tenantId('beta')}`,
      ]);
      assert.deepEqual(await acts.adapterHeartbeat({ apiUrl: api.url, tenant: 'gamma' }), {});
    });

    it('401: permanent, and says which setting of the worker to fix', async () => {
      const wrong = await failure(activities({ [MSSP_API_TOKEN_ENV]: 'expired', [MSSP_API_URL_ENV]: api.url }).adapterHeartbeat({ apiUrl: api.url, tenant: 'acme' }));
      assert.equal(wrong.type, FailureType.Forbidden);
      assert.equal(wrong.nonRetryable, true);
      assert.equal(
        wrong.message,
        `the MSSP API ${api.url}/api/mssp/dashboard/tenant-health answered HTTP 401: it does not accept the token in SOCTALK_MSSP_API_TOKEN; ` +
          'set SOCTALK_MSSP_API_TOKEN on the worker to a token of an MSSP role (MSSP admin or manager, analyst, platform admin)',
      );
      const none = await failure(activities({}).adapterHeartbeat({ apiUrl: api.url, tenant: 'acme' }));
      assert.match(none.message, /answered HTTP 401: the worker has no SOCTALK_MSSP_API_TOKEN; set SOCTALK_MSSP_API_TOKEN on the worker/);
    });

    it('an API that does not answer: a retryable failure after the request timeout, naming the URL', async () => {
      const stuck = await startMsspApi({ token: TOKEN, tenants: [{ slug: 'acme' }] });
      try {
        stuck.hang();
        const t0 = Date.now();
        const f = await failure(activities({ [MSSP_API_TOKEN_ENV]: TOKEN, [MSSP_API_URL_ENV]: stuck.url }, 400).adapterHeartbeat({ apiUrl: stuck.url, tenant: 'acme' }));
        const ms = Date.now() - t0;
        assert.equal(f.type, FailureType.ServerUnavailable);
        assert.equal(f.nonRetryable, false, 'retried by the activity policy: an API restarting with the upgrade answers later');
        assert.equal(f.message, `the MSSP API ${stuck.url}/api/mssp/dashboard/tenant-health did not answer within 400ms`);
        assert.ok(ms >= 400 && ms < 3_000, `gave up after ${ms} ms`);
      } finally {
        await stuck.stop();
      }
      // Nobody listening at all: the same kind of failure.
      const down = await failure(activities({ [MSSP_API_TOKEN_ENV]: TOKEN, [MSSP_API_URL_ENV]: 'http://127.0.0.1:9' }, 400).adapterHeartbeat({ apiUrl: 'http://127.0.0.1:9', tenant: 'acme' }));
      assert.equal(down.type, FailureType.ServerUnavailable);
      assert.match(down.message, /^the MSSP API http:\/\/127\.0\.0\.1:9\/api\/mssp\/dashboard\/tenant-health could not be read \(TypeError: fetch failed\)$/);
    });
  });

  describe('inside the tenant upgrade', () => {
    /** Runs acme's upgrade to 0.2.1 with the real heartbeat activity; `during` plays the adapter once the settle polls. */
    async function upgrade(workerEnv: NodeJS.ProcessEnv, during?: () => Promise<void>) {
      const real = activities(workerEnv);
      const m = tenantMocks({ overrides: { adapterHeartbeat: (args: { apiUrl: string; tenant: string }) => real.adapterHeartbeat(args) } });
      const taskQueue = uniqueTaskQueue('heartbeat');
      const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities: m.activities });
      return worker.runUntil(async () => {
        const handle = await env.client.workflow.start(soctalkTenantUpgrade, {
          taskQueue,
          // The tenant's business ID: the tenant upgrade refuses any other (runs here are one after another).
          workflowId: tenantWorkflowId('acme'),
          args: [{ tenant: 'acme', ...upgradeSpec, heartbeat: { apiUrl: api.url, settle: '1s', timeout: '4s', pollInterval: '500ms' } }],
        });
        if (during) {
          await waitForStatus(handle, runningStep(HEARTBEAT_STEP), 30_000);
          await during();
        }
        const outcome = await handle.result().then(
          (result) => ({ result, error: undefined }),
          (error: unknown) => ({ result: undefined, error }),
        );
        const status: RunStatus = await handle.query(statusQuery);
        const step = status.steps.find((s) => s.name === HEARTBEAT_STEP);
        const rolledOutAt = Date.parse(status.steps.find((s) => s.name === 'let heartbeat settle')!.startedAt);
        return { ...outcome, status, step, rolledOutAt, m };
      });
    }
    const failureOf = (error: unknown) => {
      assert.ok(error instanceof WorkflowFailedError, String(error));
      assert.ok(error.cause instanceof ApplicationFailure, String(error.cause));
      return error.cause;
    };
    const healthReads = () => api.requests.filter((r) => r === 'GET /api/mssp/dashboard/tenant-health').length;

    it('settles once the adapter posts a heartbeat after the rollout reporting the target version', async () => {
      await api.adapterBeats('acme', '0.2.0'); // the old adapter, before the upgrade
      const reads = healthReads();
      let readsBeforeBeat = 0;
      const run = await upgrade({ [MSSP_API_TOKEN_ENV]: TOKEN, [MSSP_API_URL_ENV]: api.url }, async () => {
        // The new adapter comes up after the settle has polled (and refused the old heartbeat).
        while (healthReads() === reads) await new Promise((r) => setTimeout(r, 50));
        readsBeforeBeat = healthReads() - reads;
        await api.adapterBeats('acme', '0.2.1');
      });
      assert.equal(run.error, undefined, String(run.error));
      const hb = run.result?.heartbeat;
      assert.equal(hb?.version, '0.2.1');
      assert.ok(hb && Date.parse(hb.at) > run.rolledOutAt, `${hb?.at} is after the rollout`);
      assert.equal(run.step?.outcome, 'succeeded');
      assert.match(run.step?.detail ?? '', /^heartbeat at \S+ reports 0\.2\.1$/);
      assert.ok(readsBeforeBeat >= 1 && healthReads() - reads > readsBeforeBeat, `polled ${readsBeforeBeat} time(s) before the new heartbeat, ${healthReads() - reads} in all`);
    });

    it('a stale heartbeat (from before the rollout) never settles, even reporting the target version: the run fails and rolls back', async () => {
      await api.adapterBeats('acme', '0.2.1');
      const staleAt = new Date(Date.parse((await activities({ [MSSP_API_TOKEN_ENV]: TOKEN, [MSSP_API_URL_ENV]: api.url }).adapterHeartbeat({ apiUrl: api.url, tenant: 'acme' })).at!)).toISOString();
      const run = await upgrade({ [MSSP_API_TOKEN_ENV]: TOKEN, [MSSP_API_URL_ENV]: api.url });
      const f = failureOf(run.error);
      assert.equal(f.type, FailureType.VerificationFailed);
      assert.match(f.message, new RegExp(`the soctalk-adapter of tenant-acme did not report 0\\.2\\.1 with a heartbeat after the rollout within 4s \\(last: ${staleAt.replace(/\./g, '\\.')}, version 0\\.2\\.1\\)`));
      assert.equal(run.step?.outcome, 'failed');
      assert.deepEqual(run.m.rolledBack(), ['acme'], 'compensated by helm rollback');
    });

    it('a fresh heartbeat reporting another version fails naming the version it reports', async () => {
      const run = await upgrade({ [MSSP_API_TOKEN_ENV]: TOKEN, [MSSP_API_URL_ENV]: api.url }, () => api.adapterBeats('acme', '0.2.0'));
      const f = failureOf(run.error);
      assert.equal(f.type, FailureType.VerificationFailed);
      const last = /\(last: (\S+), version 0\.2\.0\)/.exec(f.message);
      assert.ok(last, f.message);
      assert.ok(Date.parse(last[1]!) > run.rolledOutAt, 'the heartbeat it saw is a fresh one');
      assert.deepEqual(run.m.rolledBack(), ['acme']);
    });

    it('401 from the MSSP API: the run fails at once (no retries) with what to fix, and rolls back', async () => {
      const reads = healthReads();
      const run = await upgrade({ [MSSP_API_TOKEN_ENV]: 'expired', [MSSP_API_URL_ENV]: api.url });
      const f = failureOf(run.error);
      assert.equal(f.type, FailureType.Forbidden);
      assert.match(f.message, /answered HTTP 401: it does not accept the token in SOCTALK_MSSP_API_TOKEN/);
      assert.equal(healthReads() - reads, 1, 'a permanent failure is not retried');
      assert.match(run.step?.detail ?? '', /HTTP 401/);
      assert.deepEqual(run.m.rolledBack(), ['acme']);
    });
  });
});
