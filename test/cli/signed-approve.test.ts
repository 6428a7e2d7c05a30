/**
 * `runbook start` and `runbook approve` signing with real SSH keys (one from a key file, one
 * from a real ssh-agent) against a real Temporal dev server and a worker running the real
 * soctalk-system-rollback workflow (its activities mocked: the subject is who decided).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { statusQuery } from '../../src/workflows/lib/messages.js';
import { KeyDir, type TestKey } from '../helpers/ssh-keys.js';
import { createLocalEnv, uniqueTaskQueue, workflowBundle } from '../helpers/temporal.js';
import { systemActivities } from '../workflows/soctalk-system-mocks.js';
import { cliRunner, said } from './run-cli.js';

describe('runbook approve signs with a key from a real ssh-agent', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  let cli: ReturnType<typeof cliRunner>;
  const keys = new KeyDir();
  let ria: TestKey;
  let sam: TestKey;
  let agent: { sock: string; pid: number } | undefined;

  before(async () => {
    env = await createLocalEnv();
    const taskQueue = uniqueTaskQueue('signed-cli');
    worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities: systemActivities().activities });
    running = worker.run();
    cli = cliRunner({ TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: taskQueue, RUNBOOK_CATALOG: '' });
    ria = keys.key('ria');
    sam = keys.key('sam');
    const sock = join(keys.dir, 'agent.sock');
    const out = execFileSync('ssh-agent', ['-s', '-a', sock], { encoding: 'utf8' });
    agent = { sock, pid: Number(/SSH_AGENT_PID=(\d+)/.exec(out)![1]) };
  });

  after(async () => {
    if (agent) process.kill(agent.pid);
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running;
    await env?.teardown();
    keys.cleanup();
  });

  const agentEnv = () => ({ SSH_AUTH_SOCK: agent!.sock });
  const agentHolds = (key: TestKey) => {
    execFileSync('ssh-add', ['-D'], { env: { ...process.env, ...agentEnv() }, stdio: 'pipe' });
    execFileSync('ssh-add', [key.privatePath], { env: { ...process.env, ...agentEnv() }, stdio: 'pipe' });
  };

  it('the requester signs the start with a key file; four-eyes refuses her agent key; the approver\'s agent key approves', async () => {
    const input = join(keys.dir, 'rollback.json');
    writeFileSync(
      input,
      JSON.stringify({
        toRevision: 2,
        approval: { signatures: 'required', fourEyes: true, approvers: [{ name: 'ria', keys: [ria.publicKey] }, { name: 'sam', keys: [sam.publicKey] }] },
      }),
    );
    // Without a key, a four-eyes signed policy cannot even start.
    const unsigned = await cli(['start', 'soctalk-system-rollback', '--input', input], { as: 'ria', env: { SSH_AUTH_SOCK: '' } });
    assert.equal(unsigned.exitCode, ExitCode.InvalidInput, said(unsigned));
    assert.match(unsigned.stderr, /four-eyes with signatures: required needs a signed start/);

    const started = await cli(['start', 'soctalk-system-rollback', '--input', input, '--sign-key', ria.privatePath, '--wait'], { as: 'ria', env: { SSH_AUTH_SOCK: '' } });
    assert.equal(started.exitCode, ExitCode.WaitingForHuman, said(started));
    const id = /as (\S+) \(run/.exec(started.stdout)![1]!;

    agentHolds(ria);
    const own = await cli(['approve', id], { as: 'ria', env: agentEnv() });
    assert.equal(own.exitCode, ExitCode.Refused, said(own));
    assert.match(own.stderr, /four-eyes approval is on: ria requested this run and cannot approve it/);

    // Typing another name changes nothing: the key decides who approves.
    const pretend = await cli(['approve', id, '--as', 'sam'], { as: 'ria', env: agentEnv() });
    assert.equal(pretend.exitCode, ExitCode.Refused, said(pretend));
    assert.match(pretend.stderr, /your key SHA256:\S+ belongs to ria in this run's keyring, not to sam/);

    agentHolds(sam);
    const approved = await cli(['approve', id, '--comment', 'rollback reviewed'], { as: 'ria', env: agentEnv() });
    assert.equal(approved.exitCode, ExitCode.Ok, said(approved));
    assert.match(approved.stdout, new RegExp(`approve accepted \\(sam, signed with ${sam.fingerprint.replace(/[+/]/g, '\\$&')}\\)`));

    const handle = env.client.workflow.getHandle(id);
    await handle.result();
    const shown = await cli(['status', id]);
    assert.match(shown.stdout, new RegExp(`approve by sam \\(signed, ${sam.fingerprint.replace(/[+/]/g, '\\$&')}\\): rollback reviewed`), said(shown));
    const status = await handle.query(statusQuery);
    const decision = status.decisions.find((d) => d.kind === 'approve')!;
    assert.equal(decision.by, 'sam');
    assert.equal(decision.signer, 'sam');
    assert.equal(decision.fingerprint, sam.fingerprint);
    assert.equal(decision.comment, 'rollback reviewed');
    assert.equal(status.signatures?.start?.fingerprint, ria.fingerprint);

    // The record is re-verifiable with ssh-keygen alone: statement, signature and the keyring.
    const sig = join(keys.dir, 'decision.sig');
    writeFileSync(sig, decision.signature!);
    writeFileSync(join(keys.dir, 'allowed_signers'), `sam ${sam.publicKey}\n`);
    const verified = execFileSync('ssh-keygen', ['-Y', 'verify', '-f', join(keys.dir, 'allowed_signers'), '-I', 'sam', '-n', 'upgrade-runbooks', '-s', sig], { input: decision.statement, encoding: 'utf8' });
    assert.match(verified, /Good "upgrade-runbooks" signature for sam/);
    assert.equal(decision.statement!.split('\n').slice(0, 6).join('\n'), `upgrade-runbooks decision v1\nnamespace: default\nworkflow-id: ${id}\nrun-id: ${(await handle.describe()).runId}\nkind: approve\nby: sam`);

    // Aborts are signed the same way, over their reason.
    const again = await cli(['start', 'soctalk-system-rollback', '--input', input, '--sign-key', ria.privatePath, '--wait'], { as: 'ria', env: { SSH_AUTH_SOCK: '' } });
    assert.equal(again.exitCode, ExitCode.WaitingForHuman, said(again));
    const abort = await cli(['abort', id, '--reason', 'not today'], { as: 'ria', env: agentEnv() });
    assert.equal(abort.exitCode, ExitCode.Ok, said(abort));
    const second = env.client.workflow.getHandle(id);
    await assert.rejects(second.result());
    const abortRecord = (await second.query(statusQuery)).abortRequested;
    assert.equal(abortRecord?.by, 'sam');
    assert.equal(abortRecord?.fingerprint, sam.fingerprint);
  });
});
