/**
 * The Temporal Web UI as an operator uses it, in a real browser (Debian's chromium driven
 * by playwright-core): the dev server's UI lists runs filtered by our search attributes,
 * and a run's page shows the static summary it was started with and the current details
 * the workflow keeps up to date (phase, what it waits for, how to approve). A fleet with a
 * failed tenant: the History tab (where the UI opens) shows the gate's timer with the command
 * that decides it, the details a per-wave table and the failed tenant while the fleet goes
 * on; a long helm upgrade: the Pending Activities tab shows its heartbeat (workloads ready).
 *
 * The activities are the recorded SocTalk mocks: this test is about what the UI shows,
 * the runbook itself is tested elsewhere. Chromium comes from scripts/toolchain.sh
 * (CHROMIUM_PATH); a missing browser fails the test, it is never skipped.
 *
 * WEB_UI_SCREENSHOTS=<dir> keeps the screenshots; otherwise they are kept only on failure.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { CommandRunner } from '../../src/activities/command.js';
import { createHelmActivities } from '../../src/activities/helm/activities.js';
import { fleetWorkflowId } from '../../src/domain/workflow-ids.js';
import { HEARTBEAT_THROTTLE } from '../../src/worker.js';
import { approveUpdate, promoteUpdate, statusQuery } from '../../src/workflows/lib/messages.js';
import { fleetProgressQuery } from '../../src/workflows/soctalk/fleet/progress.js';
import { soctalkFleetUpgrade } from '../../src/workflows/soctalk/fleet-upgrade.js';
import { soctalkSystemUpgrade } from '../../src/workflows/soctalk/system-upgrade.js';
import { businessWorkflowId, waitForPhase } from '../helpers/workflow-harness.js';
import { freePort } from '../helpers/postgres.js';
import { createLocalEnv, uniqueTaskQueue, workflowBundle } from '../helpers/temporal.js';
import { systemActivities } from '../workflows/soctalk-system-mocks.js';
import { tenantMocks, upgradeSpec } from '../workflows/soctalk-tenant-mocks.js';

const cliFixture = (p: string) => fileURLToPath(new URL(`../cli/fixtures/${p}`, import.meta.url));

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  // Without these Chromium keeps trying to reach Google's services.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const baseInput = {
  targetVersion: '0.2.0',
  imageTag: '0.2.0',
  requestedBy: 'ria',
  schemaChanges: true,
  compatibility: { file: '/etc/soctalk/compatibility-matrix.yaml' },
  backup: { database: { mode: 'exec' } },
  api: { healthUrl: 'http://soctalk-system-api.soctalk-system.svc/health/ready' },
};

/** Typographic quotes and the ellipsis: what the UI shows of generated text is plain ASCII punctuation. */
const TYPOGRAPHIC = /[\u2018\u2019\u201c\u201d\u2026]/;

const STATIC_SUMMARY = 'web-ui test: soctalk-system 0.1.0 -> 0.2.0 with schema migration';
const QUERY = 'UpgradeRelease="soctalk-system" AND UpgradePhase="waiting-approval"';

function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH;
  if (!path) {
    throw new Error(
      'CHROMIUM_PATH is not set: run the tests with `npm test` (it runs scripts/toolchain.sh), or ' +
        '`eval "$(bash scripts/toolchain.sh env chromium)"` first',
    );
  }
  return path;
}

/** Polls `read` until `accept` holds; fails with the last value seen. */
async function eventually<T>(what: string, read: () => Promise<T>, accept: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let error: unknown;
  while (Date.now() < deadline) {
    try {
      last = await read();
      if (accept(last)) return last;
    } catch (err) {
      error = err;
    }
    await sleep(250);
  }
  assert.fail(`${what} within ${timeoutMs} ms; last seen: ${last === undefined ? String(error) : JSON.stringify(last)}`);
}

/**
 * The iframe in which the UI renders a User Metadata panel's Markdown: the innermost element
 * holding both the panel's heading and an iframe is the panel.
 */
function panelIframe(page: Page, heading: string): Locator {
  return page
    .locator('div')
    .filter({ has: page.getByRole('heading', { name: heading, exact: true }) })
    .filter({ has: page.locator('iframe') })
    .last()
    .locator('iframe');
}

function panelText(page: Page, heading: string): Promise<string> {
  return panelIframe(page, heading).contentFrame().locator('body').innerText({ timeout: 5_000 });
}

describe('Temporal Web UI (dev server UI in Debian chromium)', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  /** The second test's worker: the fixture bundle (every runbook plus a slow helm upgrade). */
  let fixtureWorker: Worker | undefined;
  let fixtureRunning: Promise<void> | undefined;
  let fixtureDir: string | undefined;
  /** Screenshots stay when a test failed (or WEB_UI_SCREENSHOTS names where to keep them). */
  let keepShots = Boolean(process.env.WEB_UI_SCREENSHOTS);
  let browser: BrowserContext;
  let profileDir: string;
  let shots: string;
  let ui: string;
  const timings: Record<string, number> = {};

  before(async () => {
    const executablePath = chromiumPath();
    const t0 = Date.now();
    const uiPort = await freePort();
    ui = `http://127.0.0.1:${uiPort}`;
    env = await createLocalEnv({ uiPort });
    timings.devServer = Date.now() - t0;
    const t1 = Date.now();
    profileDir = await mkdtemp(join(tmpdir(), 'web-ui-chromium-'));
    shots = process.env.WEB_UI_SCREENSHOTS ?? (await mkdtemp(join(tmpdir(), 'web-ui-shots-')));
    await mkdir(shots, { recursive: true });
    browser = await chromium.launchPersistentContext(profileDir, {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1400, height: 1000 },
    });
    timings.chromium = Date.now() - t1;
  });

  after(async () => {
    await browser?.close();
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    if (fixtureWorker?.getState() === 'RUNNING') fixtureWorker.shutdown();
    await running;
    await fixtureRunning;
    if (fixtureDir) await rm(fixtureDir, { recursive: true, force: true });
    if (shots && !keepShots) await rm(shots, { recursive: true, force: true });
    await env?.teardown();
    if (profileDir) await rm(profileDir, { recursive: true, force: true });
  });

  it('finds a run waiting for approval by its search attributes and shows its static summary and current details', async (t: TestContext) => {
    const taskQueue = uniqueTaskQueue('web-ui');
    const t0 = Date.now();
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: systemActivities().activities,
    });
    running = worker.run();
    timings.bundleAndWorker = Date.now() - t0;

    const t1 = Date.now();
    // Under the release's business ID, as `runbook start` does (the workflow refuses any other).
    const start = (input: Record<string, unknown>, staticSummary: string) =>
      env.client.workflow.start(soctalkSystemUpgrade, { taskQueue, workflowId: businessWorkflowId('soctalkSystemUpgrade', input)!, staticSummary, args: [input] });
    // The run to find, and two the query must leave out: one of the same release that needed
    // no approval and completed (first: one run per release at a time), and another release
    // waiting for approval.
    const completed = await start({ ...baseInput, approval: { required: false } }, 'decoy: completed');
    await completed.result();
    const target = await start(baseInput, STATIC_SUMMARY);
    const otherRelease = await start({ ...baseInput, release: 'soctalk-staging' }, 'decoy: another release');
    await waitForPhase(target, 'waiting-approval');
    await waitForPhase(otherRelease, 'waiting-approval');
    // Visibility is eventually consistent: the UI lists what the server's visibility store has.
    await eventually(`visibility lists exactly one run for ${QUERY}`, () => env.client.workflow.count(QUERY), (c) => c.count === 1);
    timings.runsWaiting = Date.now() - t1;

    const page = await browser.newPage();
    let passed = false;
    const shot = async (name: string) => {
      const path = join(shots, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    };
    try {
      // ---- the workflows list, filtered by the search attributes ------------------------
      const t2 = Date.now();
      const listUrl = `${ui}/namespaces/default/workflows?query=${encodeURIComponent(QUERY)}`;
      await page.goto(listUrl);
      const runLink = page.getByRole('link', { name: target.workflowId, exact: true });
      await runLink.waitFor({ timeout: 30_000 });
      // The filter the UI applied, shown as chips parsed back from the query.
      const filterBar = await page.locator('body').innerText();
      assert.match(filterBar, /UpgradeRelease\s*=\s*"soctalk-system"/);
      assert.match(filterBar, /UpgradePhase\s*=\s*"waiting-approval"/);
      assert.equal(await page.getByRole('link', { name: otherRelease.workflowId, exact: true }).count(), 0, 'another release is filtered out');
      // The completed run shares the release's workflow ID: only the waiting run is listed.
      assert.equal(await runLink.count(), 1, 'a completed run of the same release is filtered out');
      assert.ok(!(await page.locator('body').innerText()).includes(completed.firstExecutionRunId), 'the completed run is not listed');
      timings.list = Date.now() - t2;
      t.diagnostic(`list: ${await shot('1-list')}`);

      // ---- the run's page: User Metadata holds the summary and the current details ------
      const t3 = Date.now();
      await runLink.click();
      await page.waitForURL(`**/workflows/${encodeURIComponent(target.workflowId)}/**`);
      await page.getByTestId('user-metadata-tab').click();
      await page.waitForURL('**/user-metadata');

      const summary = await eventually(
        'the static summary is shown',
        () => panelText(page, 'Summary'),
        (text) => text.includes(STATIC_SUMMARY),
      );
      assert.equal(summary.trim(), STATIC_SUMMARY);

      const details = await eventually(
        'the current details show the pending approval',
        () => panelText(page, 'Current Details'),
        (text) => text.includes('Waiting for approval'),
      );
      timings.details = Date.now() - t3;
      t.diagnostic(`current details as rendered:\n${details}`);
      t.diagnostic(`details: ${await shot('2-user-metadata')}`);
      assert.match(details, /soctalk-system-upgrade · release soctalk-system in soctalk-system/);
      assert.match(details, /^Phase: waiting-approval$/m);
      assert.match(details, /^Step: pre-flight 4: approve soctalk-system 0\.1\.0 -> 0\.2\.0 \(since /m);
      assert.match(details, /^Waiting for approval: pre-flight 4: approve soctalk-system 0\.1\.0 -> 0\.2\.0 \(until /m);
      assert.match(details, /^Schema changes: forward-only/m, 'the approval summary keeps its own lines');
      // The exact command an operator copies: `--` must survive Markdown rendering.
      assert.ok(details.includes(`runbook approve '${target.workflowId}' --ack-schema-changes`), 'the approve command, verbatim and shell-safe');
      assert.ok(details.includes('"acknowledgeSchemaChanges": true'), 'how to approve from the UI with a Signal or Update');
      assert.doesNotMatch(details, TYPOGRAPHIC, 'JSON and commands keep their straight quotes');
      // Shown, not just present: the UI sizes the frame from its content (a little short),
      // so the command must lie inside the frame's visible box.
      const frame = panelIframe(page, 'Current Details');
      const frameBox = await frame.boundingBox();
      const commandBox = await frame.contentFrame().locator('code', { hasText: 'runbook approve' }).boundingBox();
      assert.ok(frameBox && commandBox, 'the frame and the command are laid out');
      assert.ok(commandBox.y + commandBox.height <= frameBox.y + frameBox.height, `the command (${JSON.stringify(commandBox)}) is inside the frame (${JSON.stringify(frameBox)})`);

      // ---- approve through the client; the UI then shows the outcome --------------------
      const ack = await target.executeUpdate(approveUpdate, { args: [{ by: 'sam', comment: 'looks right in the UI', acknowledgeSchemaChanges: true }] });
      assert.equal(ack.accepted, true);
      const result = await target.result();
      assert.equal(result.revision, 4);
      await page.reload();
      const closed = await eventually(
        'the current details show the outcome',
        () => panelText(page, 'Current Details'),
        (text) => /Phase: completed/.test(text),
      );
      assert.doesNotMatch(closed, /Waiting for approval/);
      t.diagnostic(`completed: ${await shot('3-completed')}`);
      passed = true;
    } finally {
      t.diagnostic(`timings (ms): ${JSON.stringify(timings)}`);
      if (!passed) t.diagnostic(`failure screenshot: ${await shot('failure').catch((err: unknown) => String(err))} (screenshots in ${shots})`);
      await page.close();
      await otherRelease.terminate('web-ui test finished').catch(() => undefined);
      if (!passed) keepShots = true;
    }
  });

  it('a fleet with a failed tenant and a long step in progress, where an operator looks', async (t: TestContext) => {
    // ---- a worker on the CLI tests' bundle: the real fleet, and a real helm upgrade activity
    // against a stand-in helm that blocks like `helm upgrade --wait` (kubectl reports rollout).
    fixtureDir = await mkdtemp(join(tmpdir(), 'web-ui-fleet-'));
    process.env.SLOW_HELM_STATE = join(fixtureDir, 'slow-helm');
    process.env.SLOW_HELM_SECONDS = '60';
    await mkdir(process.env.SLOW_HELM_STATE);
    const runner = new CommandRunner({ tools: { helm: cliFixture('bin/slow-helm.sh'), kubectl: cliFixture('bin/rollout-kubectl.sh'), pg_dump: 'false', pg_restore: 'false', psql: 'false' } });
    const helm = createHelmActivities({ runner, workDir: fixtureDir });
    const mocks = tenantMocks({ failing: ['wf2'], hold: ['wf3'] });
    const taskQueue = uniqueTaskQueue('web-ui-fleet');
    const noop = () => undefined;
    const logger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
    fixtureWorker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await bundleWorkflowCode({ workflowsPath: cliFixture('gate-workflows.ts'), logger }),
      activities: { ...mocks.activities, helmUpgrade: (input: Parameters<typeof helm.helmUpgrade>[0]) => helm.helmUpgrade(input) },
      ...HEARTBEAT_THROTTLE,
    });
    fixtureRunning = fixtureWorker.run();

    const fleet = await env.client.workflow.start(soctalkFleetUpgrade, {
      taskQueue,
      workflowId: fleetWorkflowId('web-mixed'),
      args: [
        {
          name: 'web-mixed',
          upgrade: { ...upgradeSpec, heartbeat: { settle: '1s' } },
          bakeTime: '1s',
          tenants: { list: ['wf1', 'wf2', 'wf3'], exclude: [], selector: 'tenant=true,managed-by=soctalk' },
          canaries: { count: 1 },
          waves: { sizes: [2] },
          manualPromotion: true,
          failureBudget: { maxFailed: 1 },
        },
      ],
    });
    const page = await browser.newPage();
    let passed = false;
    const shot = async (name: string) => {
      const path = join(shots, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    };
    /** A run's page; a tab needs the run ID in the path (the bare workflow ID opens the history). */
    const runPage = (h: { workflowId: string; firstExecutionRunId: string }, tab?: string) =>
      `${ui}/namespaces/default/workflows/${encodeURIComponent(h.workflowId)}${tab ? `/${h.firstExecutionRunId}/${tab}` : ''}`;
    try {
      // ---- the page the UI opens on (History): the gate's timer says what it waits for --
      await eventually('the fleet waits for promotion', () => fleet.query(statusQuery), (s) => s.gate?.kind === 'promotion');
      await page.goto(runPage(fleet));
      const history = await eventually(
        'the event history shows the promotion timer with its summary',
        () => page.locator('body').innerText(),
        (text) => text.includes('Waiting for promotion'),
      );
      t.diagnostic(`history: ${await shot('4-fleet-history')}`);
      assert.ok(history.includes("Waiting for promotion: promote to wave 1 -- runbook promote 'fleet:web-mixed'"), 'the timer names the gate and the command that decides it');

      // ---- promoted: a tenant fails while another still upgrades ----------------------
      await fleet.executeUpdate(promoteUpdate, { args: [{ by: 'carol' }] });
      await eventually(
        'wf2 failed while wf3 upgrades',
        () => fleet.query(fleetProgressQuery),
        (p) => p.tenants.some((x) => x.tenant === 'wf2' && x.state === 'failed') && p.tenants.some((x) => x.tenant === 'wf3' && x.state === 'running'),
      );
      await page.goto(runPage(fleet, 'user-metadata'));
      const during = await eventually(
        'the current details name the failed tenant while the fleet goes on',
        () => panelText(page, 'Current Details'),
        (text) => text.includes('Failed tenants (1)'),
      );
      t.diagnostic(`fleet details during:\n${during}`);
      t.diagnostic(`fleet during: ${await shot('5-fleet-details-during')}`);
      // Rendered as a table (cells come out tab-separated), one row per wave.
      assert.match(during, /^Wave\tTenants\tUpgraded\tFailed\tRunning\tPending\tSkipped$/m);
      assert.match(during, /^canary\t1\t1\t0\t0\t0\t0$/m);
      assert.match(during, /^wave 1 \(now\)\t2\t0\t1\t1\t0\t0$/m);
      assert.match(during, /^wf2: deploy\/soctalk-adapter in tenant-wf2 did not become ready/m);
      assert.doesNotMatch(during, TYPOGRAPHIC);

      mocks.release('wf3');
      await fleet.result();
      await page.reload();
      const ended = await eventually(
        'the current details show how the fleet ended',
        () => panelText(page, 'Current Details'),
        (text) => /Outcome:/.test(text),
      );
      t.diagnostic(`fleet details ended:\n${ended}`);
      t.diagnostic(`fleet ended: ${await shot('6-fleet-details-ended')}`);
      assert.match(ended, /^Phase: completed-with-failures$/m);
      assert.match(ended, /^wave 1\t2\t1\t1\t0\t0\t0$/m);
      assert.match(ended, /^Outcome: completed with 1 failure\(s\): wf2 \(failed: deploy\/soctalk-adapter in tenant-wf2 did not become ready/m);
      assert.doesNotMatch(ended, /Failed tenants \(/, 'once ended, the outcome names them (once)');

      // ---- a long step: the pending activity's heartbeat, as the UI shows it ----------
      const slow = await env.client.workflow.start('cliFixtureSlowUpgrade', { taskQueue, workflowId: `release:apps/slowapp-${taskQueue}`, args: [{ release: 'slowapp', namespace: 'apps' }] });
      // The first heartbeats are of the commands before the upgrade: wait until the server has
      // one from inside `helm upgrade --wait`, then load the page (it shows what the server has).
      await eventually(
        'the server has a heartbeat with the workloads',
        async () => {
          const payload = (await slow.describe()).raw.pendingActivities?.[0]?.heartbeatDetails?.payloads?.[0];
          return payload?.data ? Buffer.from(payload.data).toString('utf8') : '';
        },
        (details) => details.includes('slowapp-api'),
        60_000,
      );
      const pending = await eventually(
        'the pending activity shows what the helm upgrade waits for',
        async () => {
          await page.goto(runPage(slow, 'pending-activities'));
          await page.getByText('Heartbeat Details', { exact: true }).waitFor({ timeout: 20_000 });
          return page.locator('body').innerText();
        },
        (text) => text.includes('"name": "slowapp-api"'),
        45_000,
      );
      t.diagnostic(`pending: ${await shot('7-pending-activity')}`);
      assert.ok(pending.includes('"waitingFor": "helm upgrade --wait: the workloads of slowapp to be ready"'), 'what it waits for');
      assert.match(pending, /"name": "slowapp-api",\s+"ready": [0-3],\s+"desired": 3/, 'ready/desired replicas of the release workloads');
      assert.match(pending, /"command": "\S*slow-helm\.sh upgrade .* -- slowapp demo\/slowapp/, 'the command running now');
      assert.doesNotMatch(pending, /other-api/, 'only the workloads of this release');
      await slow.result();
      passed = true;
    } finally {
      if (!passed) keepShots = true;
      if (!passed) t.diagnostic(`failure screenshot: ${await shot('failure-fleet').catch((err: unknown) => String(err))} (screenshots in ${shots})`);
      await page.close();
      await fleet.terminate('web-ui test finished').catch(() => undefined);
    }
  });
});
