/**
 * The field-level diff at approval, where the approver reads it: the real soctalk-system
 * upgrade workflow on a dev server, its pre-flight diff done by the real helm and release
 * diff activities over what a stand-in helm prints (the live release and the target, a
 * Secret among them), the rest of its activities recorded stand-ins. `runbook status`
 * shows each changed object's fields as a unified diff, the Secret's data masked; no
 * secret value reaches any output format.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { CommandRunner } from '../../src/activities/command.js';
import { createHelmActivities } from '../../src/activities/helm/activities.js';
import { createReleaseDiffActivities } from '../../src/activities/release-diff.js';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { releaseWorkflowId } from '../../src/domain/workflow-ids.js';
import { workflowsPath } from '../../src/worker.js';
import { createLocalEnv, uniqueTaskQueue } from '../helpers/temporal.js';
import { systemActivities } from '../workflows/soctalk-system-mocks.js';
import { cliRunner, said } from './run-cli.js';

const secretDoc = (password: string, extra = '') => `---
# Source: soctalk-system/templates/db-secret.yaml
apiVersion: v1
kind: Secret
metadata:
  name: soctalk-system-db
  namespace: soctalk-system
type: Opaque
data:
  password: ${Buffer.from(password).toString('base64')}
  username: ${Buffer.from('soctalk').toString('base64')}
${extra}`;

const apiDoc = (tag: string, dbPassword: string, logLevel: string) => `---
# Source: soctalk-system/templates/api.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: soctalk-system-api
  namespace: soctalk-system
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: api
          image: ghcr.io/soctalk/soctalk-api:${tag}
          env:
            - name: DATABASE_URL
              value: postgres://soctalk:${dbPassword}@soctalk-system-postgres:5432/soctalk
            - name: LOG_LEVEL
              value: ${logLevel}
`;

const LIVE = secretDoc('old-db-pass-4e1f') + apiDoc('0.1.0', 'old-url-pass-77aa', 'info');
const TARGET = secretDoc('new-db-pass-9c2d', `  apiKey: ${Buffer.from('new-api-key-0b3e').toString('base64')}\n`) + apiDoc('0.2.0', 'new-url-pass-15cd', 'debug');
/** Every secret value in either manifest, as written and as base64. */
const SECRETS = ['old-db-pass-4e1f', 'new-db-pass-9c2d', 'new-api-key-0b3e', 'old-url-pass-77aa', 'new-url-pass-15cd'].flatMap((s) => [s, Buffer.from(s).toString('base64')]);

describe('runbook status at an approval: the field-level diff, secrets masked (real dev server)', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  let dir: string;
  let cli: ReturnType<typeof cliRunner>;

  before(async () => {
    env = await createLocalEnv();
    dir = await mkdtemp(join(tmpdir(), 'runbook-approval-diff-'));
    await writeFile(join(dir, 'live.yaml'), LIVE);
    await writeFile(join(dir, 'target.yaml'), TARGET);
    process.env.DIFF_HELM_DIR = dir;
    const helmStandIn = fileURLToPath(new URL('./fixtures/bin/diff-helm.sh', import.meta.url));
    const runner = new CommandRunner({ tools: { helm: helmStandIn, kubectl: 'false', pg_dump: 'false', pg_restore: 'false', psql: 'false' } });
    const diff = createReleaseDiffActivities(createHelmActivities({ runner, workDir: dir }));
    const taskQueue = uniqueTaskQueue('approval-diff');
    worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities: systemActivities({ diffRelease: (request: Parameters<typeof diff.diffRelease>[0]) => diff.diffRelease(request) }).activities });
    running = worker.run();
    cli = cliRunner({ TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: taskQueue, RUNBOOK_CATALOG: '' });
  });

  after(async () => {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running;
    await env?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('each changed object (kind, namespace, name) with its changed fields; Secret data and credentials in URLs masked', async () => {
    const input = join(dir, 'system.yaml');
    await writeFile(
      input,
      'targetVersion: 0.2.0\nimageTag: 0.2.0\ncompatibility:\n  file: /etc/soctalk/matrix.yaml\nbackup:\n  database:\n    mode: exec\napi:\n  healthUrl: http://soctalk-system-api.soctalk-system.svc/health/ready\n',
    );
    const id = releaseWorkflowId('soctalk-system', 'soctalk-system');
    const started = await cli(['start', 'soctalk-system-upgrade', '--input', input, '--wait'], { as: 'ria' });
    assert.equal(started.exitCode, ExitCode.WaitingForHuman, said(started));

    const status = await cli(['status', id], { as: 'sam' });
    assert.equal(status.exitCode, ExitCode.WaitingForHuman, said(status));
    const out = status.stdout;
    assert.match(out, /^Waiting for approval: pre-flight 4: approve soctalk-system 0\.1\.0 -> 0\.2\.0/m, said(status));
    assert.match(out, /Changed fields \(live -> target; secrets masked\):/);
    // Keyed by kind, namespace and name; the fields that change as unified diff lines.
    assert.match(out, /^ {2}~ Deployment soctalk-system\/soctalk-system-api$/m);
    assert.match(out, /^ {4}- +image: ghcr\.io\/soctalk\/soctalk-api:0\.1\.0$/m);
    assert.match(out, /^ {4}\+ +image: ghcr\.io\/soctalk\/soctalk-api:0\.2\.0$/m);
    assert.match(out, /^ {4}\+ +value: debug$/m, 'a plain value is shown as it is');
    assert.match(out, /value: postgres:\/\/soctalk:\(masked\)@soctalk-system-postgres:5432\/soctalk/, 'a password inside a URL is masked');
    assert.match(out, /^ {2}~ Secret soctalk-system\/soctalk-system-db$/m);
    assert.match(out, /^ {4}- +password: "?\(masked\)"?$/m);
    assert.match(out, /^ {4}\+ +password: "?\(masked, changed\)"?$/m, 'the approver sees that the password changes, not what to');
    assert.match(out, /^ {4}\+ +apiKey: "?\(masked\)"?$/m);
    assert.match(out, /^ {2}runbook approve 'release:soctalk-system\/soctalk-system' --ack-schema-changes$/m);

    // No output format carries a secret value, in clear or in base64.
    const outputs = [out, started.stdout, (await cli(['status', id, '-o', 'json'])).stdout, (await cli(['status', id, '-o', 'yaml'])).stdout];
    for (const text of outputs) for (const secret of SECRETS) assert.ok(!text.includes(secret), `${secret} leaked:\n${text}`);
    const json = JSON.parse(outputs[2]!) as { gate: { summary: string } };
    assert.match(json.gate.summary, /~ Secret soctalk-system\/soctalk-system-db/, 'the JSON output carries the same masked diff');

    const abort = await cli(['abort', id, '--reason', 'test done'], { as: 'sam' });
    assert.equal(abort.exitCode, ExitCode.Ok, said(abort));
  });
});
