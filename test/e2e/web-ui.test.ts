/**
 * The Temporal Web UI as an operator uses it, in a real browser (Debian's chromium driven
 * by playwright-core): the dev server's UI lists runs filtered by our search attributes,
 * and a run's page shows the static summary it was started with and the current details
 * the workflow keeps up to date (phase, what it waits for, how to approve).
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
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { approveUpdate } from '../../src/workflows/lib/messages.js';
import { soctalkSystemUpgrade } from '../../src/workflows/soctalk/system-upgrade.js';
import { waitForPhase } from '../helpers/workflow-harness.js';
import { freePort } from '../helpers/postgres.js';
import { createLocalEnv, uniqueTaskQueue, workflowBundle } from '../helpers/temporal.js';
import { systemActivities } from '../workflows/soctalk-system-mocks.js';

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
    await running;
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
    const start = (workflowId: string, input: Record<string, unknown>, staticSummary: string) =>
      env.client.workflow.start(soctalkSystemUpgrade, { taskQueue, workflowId, staticSummary, args: [input] });
    // The run to find, and two the query must leave out: another release waiting for
    // approval, and one of the same release that needed no approval and completed.
    const target = await start(`web-ui-target-${taskQueue}`, baseInput, STATIC_SUMMARY);
    const otherRelease = await start(`web-ui-other-release-${taskQueue}`, { ...baseInput, release: 'soctalk-staging' }, 'decoy: another release');
    const completed = await start(`web-ui-completed-${taskQueue}`, { ...baseInput, approval: { required: false } }, 'decoy: completed');
    await waitForPhase(target, 'waiting-approval');
    await waitForPhase(otherRelease, 'waiting-approval');
    await completed.result();
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
      assert.equal(await page.getByRole('link', { name: completed.workflowId, exact: true }).count(), 0, 'a completed run is filtered out');
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
      if (passed && !process.env.WEB_UI_SCREENSHOTS) await rm(shots, { recursive: true, force: true });
    }
  });
});
