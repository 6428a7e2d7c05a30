/**
 * Signed decisions judged by the workflow itself (soctalk-system-rollback as the host: one
 * approval gate, mocked activities). Keys and signatures come from the real ssh-keygen.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../src/domain/failure-types.js';
import { keyringDigest } from '../../src/domain/signatures/keyring.js';
import type { SignedKind } from '../../src/domain/signatures/statement.js';
import { abortUpdate, approveSignal, approveUpdate, rejectUpdate, statusQuery } from '../../src/workflows/lib/messages.js';
import { START_SIGNATURE_MEMO } from '../../src/workflows/lib/signed-decisions.js';
import { soctalkSystemRollback, type SystemRollbackResult } from '../../src/workflows/soctalk/system-rollback.js';
import { KeyDir, statementFor, type TestKey } from '../helpers/ssh-keys.js';
import { eventually, failureOf, refusalOf, useWorkflowTestEnv, waitForPhase } from '../helpers/workflow-harness.js';
import { systemActivities } from './soctalk-system-mocks.js';

describe('signed approvals (workflow)', () => {
  const t = useWorkflowTestEnv();
  const keys = new KeyDir();
  let ria: TestKey;
  let sam: TestKey;
  let chatops: TestKey;
  before(() => {
    ria = keys.key('ria');
    sam = keys.key('sam');
    chatops = keys.key('chat-ops');
  });
  after(() => keys.cleanup());

  const policy = (extra: Record<string, unknown> = {}) => ({
    signatures: 'required',
    approvers: ['sam', 'ria'],
    keys: [
      { name: 'ria', key: ria.publicKey },
      { name: 'sam', key: sam.publicKey },
    ],
    ...extra,
  });

  type Sign = (key: TestKey, kind: SignedKind, fields?: { by?: string; comment?: string; runId?: string; workflowId?: string; issuedAt?: string; nonce?: string; via?: string }) => Promise<{ statement: string; signature: string }>;

  async function run(
    input: Record<string, unknown>,
    drive: (h: WorkflowHandle, sign: Sign) => Promise<void>,
    opts: { memo?: (workflowId: string, sign: Sign) => Promise<Record<string, unknown>>; activities?: Parameters<typeof systemActivities>[0]; record?: boolean } = {},
  ) {
    const mocks = systemActivities(opts.activities);
    return t.withWorker(
      mocks.activities,
      async (taskQueue) => {
        const workflowId = `signed-${taskQueue}`;
        let runId = '';
        const sign: Sign = async (key, kind, fields = {}) => {
          const statement = statementFor({
            namespace: t.env.namespace ?? 'default',
            workflowId,
            runId: kind === 'start' ? 'new' : runId,
            kind,
            by: key.name,
            issuedAt: new Date(await t.env.currentTimeMs()).toISOString(),
            ...fields,
          });
          return { statement, signature: keys.sign(key, statement) };
        };
        const memo = opts.memo ? await opts.memo(workflowId, sign) : undefined;
        const handle = await t.env.client.workflow.start(soctalkSystemRollback, { taskQueue, workflowId, args: [{ toRevision: 2, ...input }], ...(memo ? { memo } : {}) });
        runId = handle.firstExecutionRunId;
        await drive(handle, sign);
        const settled: { result?: SystemRollbackResult; failure?: ApplicationFailure } = await handle.result().then(
          (result: SystemRollbackResult) => ({ result }),
          (error: unknown) => ({ failure: failureOf(error) }),
        );
        if (opts.record) await t.record(handle);
        return { ...settled, status: await handle.query(statusQuery), mocks };
      },
      'signed',
    );
  }

  const waiting = (h: WorkflowHandle) => waitForPhase(h, 'waiting-approval');

  async function refused(h: WorkflowHandle, args: Record<string, unknown>, reason: RegExp, update = approveUpdate): Promise<void> {
    assert.match(await refusalOf(h.executeUpdate(update, { args: [args as never] })), reason);
  }

  const abortCleanly = async (h: WorkflowHandle, sign: Sign) => {
    await h.executeUpdate(abortUpdate, { args: [{ by: 'ria', reason: 'test done', ...(await sign(ria, 'abort', { comment: 'test done' })) }] });
  };

  it('accepts a signed approval and records signer, fingerprint and signature', async () => {
    const { result, status } = await run({ requestedBy: 'ria', approval: policy() }, async (h, sign) => {
      await waiting(h);
      const s = await sign(sam, 'approve', { comment: 'diff reviewed' });
      const ack = await h.executeUpdate(approveUpdate, { args: [{ by: 'sam', comment: 'diff reviewed', ...s }] });
      assert.equal(ack.accepted, true);
    }, { record: true });
    assert.ok(result);
    const decision = status.decisions.find((d) => d.kind === 'approve')!;
    assert.equal(decision.signer, 'sam');
    assert.equal(decision.fingerprint, sam.fingerprint);
    assert.match(decision.signature ?? '', /^-----BEGIN SSH SIGNATURE-----/);
    assert.equal(decision.comment, 'diff reviewed');
    assert.deepEqual(status.signatures?.signers.map((s) => s.fingerprint), [ria.fingerprint, sam.fingerprint]);
  });

  it('refuses, with the reason, every decision that does not prove its approver and this run', async () => {
    const mallory = keys.key('mallory');
    const { failure, mocks } = await run({ requestedBy: 'ria', approval: policy() }, async (h, sign) => {
      await waiting(h);
      await refused(h, { by: 'sam' }, /requires signed decisions and this one has no signature/);
      await refused(h, { by: 'sam', ...(await sign(mallory, 'approve', { by: 'sam' })) }, /unknown key SHA256:\S+: it is not in this run's keyring/);
      await refused(h, { by: 'sam', ...(await sign(ria, 'approve', { by: 'sam' })) }, new RegExp(`key ${ria.fingerprint.replace(/[+/]/g, '\\$&')} belongs to ria, not to sam`));
      await refused(h, { by: 'sam', ...(await sign(sam, 'approve', { runId: 'another-run' })) }, /the statement is for another run .*run another-run/);
      await refused(h, { by: 'sam', ...(await sign(sam, 'approve', { workflowId: 'some-other-release' })) }, /for another run \(namespace \S+, workflow some-other-release/);
      await refused(h, { by: 'sam', ...(await sign(sam, 'reject')) }, /the statement signs a reject decision, not approve/);
      await refused(h, { by: 'sam', comment: 'ship it, all fine', ...(await sign(sam, 'approve', { comment: 'looks risky' })) }, /the comment differs from the one that was signed/);
      const early = await sign(sam, 'approve');
      await t.env.sleep('16m');
      await refused(h, { by: 'sam', ...early }, /more than 15 min before .* \(workflow time\): sign it again/);
      // An invalid Signal is recorded and ignored rather than refused to a caller.
      await h.signal(approveSignal, { by: 'sam' });
      const { invalidMessages: invalid } = await eventually(() => h.query(statusQuery), (s) => s.invalidMessages.length > 0, { ms: 5_000 });
      assert.match(invalid[0]?.reason ?? '', /no signature/);
      assert.equal((await h.query(statusQuery)).phase, 'waiting-approval', 'nothing was accepted');
      await refused(h, { by: 'ria', reason: 'x', ...(await sign(ria, 'abort', { comment: 'y' })) }, /reason differs from the one that was signed/, abortUpdate);
      await h.executeUpdate(rejectUpdate, { args: [{ by: 'sam', comment: 'no', ...(await sign(sam, 'reject', { comment: 'no' })) }] });
    });
    assert.equal(failure?.type, FailureType.Rejected);
    assert.ok(!mocks.names().includes('helmRollback'));
  });

  it('four-eyes with two real keys: the key that signed the start cannot approve, another can; a spent nonce is refused', async () => {
    // ria holds one key under two names; four-eyes compares keys, not just names.
    const ringed = policy({ fourEyes: true, keys: [{ name: 'ria', key: ria.publicKey }, { name: 'ria-admin', key: ria.publicKey }, { name: 'sam', key: sam.publicKey }], approvers: [] });
    let startNonce = '';
    const { result, status } = await run(
      { requestedBy: 'ria', approval: ringed },
      async (h, sign) => {
        await waiting(h);
        await refused(h, { by: 'ria', ...(await sign(ria, 'approve')) }, /four-eyes approval is on: ria requested this run/);
        await refused(h, { by: 'ria-admin', ...(await sign(ria, 'approve', { by: 'ria-admin' })) }, /four-eyes approval is on: key SHA256:\S+ signed the start of this run \(ria\) and cannot approve it/);
        await refused(h, { by: 'sam', ...(await sign(sam, 'approve', { nonce: startNonce })) }, /nonce \S+ was already used in this run/);
        await h.executeUpdate(approveUpdate, { args: [{ by: 'sam', ...(await sign(sam, 'approve')) }] });
      },
      {
        memo: async (_id, sign) => {
          const start = await sign(ria, 'start');
          startNonce = /nonce: (\S+)/.exec(start.statement)![1]!;
          return { [START_SIGNATURE_MEMO]: start };
        },
      },
    );
    assert.ok(result);
    assert.equal(status.signatures?.start?.fingerprint, ria.fingerprint);
    assert.equal(status.decisions.find((d) => d.kind === 'approve')?.fingerprint, sam.fingerprint);
  });

  it('four-eyes refuses to start without a signed start, before anything runs', async () => {
    const { failure, mocks } = await run({ requestedBy: 'ria', approval: policy({ fourEyes: true }) }, async () => undefined);
    assert.equal(failure?.type, FailureType.InvalidInput);
    assert.match(failure?.message ?? '', /four-eyes with signatures: required needs a signed start/);
    assert.deepEqual(mocks.names(), []);
  });

  it('a start signed for another requester fails the run', async () => {
    const { failure } = await run({ requestedBy: 'ria', approval: policy({ fourEyes: true }) }, async () => undefined, {
      memo: async (_id, sign) => ({ [START_SIGNATURE_MEMO]: await sign(sam, 'start') }),
    });
    assert.equal(failure?.type, FailureType.InvalidInput);
    assert.match(failure?.message ?? '', /the signed start does not hold: the decision says "by": "ria" but the statement was signed for sam/);
  });

  it('accepts an approval relayed by chat-ops for a mapped Slack user, and says so', async () => {
    const relayed = policy({ relays: [{ name: 'chat-ops', key: chatops.publicKey, users: { 'slack:U123': 'sam' } }] });
    const { result, status } = await run({ requestedBy: 'ria', approval: relayed }, async (h, sign) => {
      await waiting(h);
      await refused(h, { by: 'ria', ...(await sign(chatops, 'approve', { by: 'ria', via: 'slack:U123' })) }, /chat-ops may sign for slack:U123 only as sam, not as ria/);
      await h.executeUpdate(approveUpdate, { args: [{ by: 'sam', ...(await sign(chatops, 'approve', { by: 'sam', via: 'slack:U123' })) }] });
    });
    assert.ok(result);
    const decision = status.decisions.find((d) => d.kind === 'approve')!;
    assert.equal(decision.signer, 'sam via chat-ops (Slack U123)');
    assert.equal(decision.fingerprint, chatops.fingerprint);
  });

  it('loads a referenced keyring at the start and records its digest', async () => {
    const text = `sam ${sam.publicKey}\n`;
    const { status, mocks } = await run(
      { requestedBy: 'ria', approval: { signatures: 'required', keyring: { configMap: { namespace: 'upgrade-runbooks', name: 'approvers', key: 'allowed_signers' } } } },
      async (h, sign) => {
        await waiting(h);
        await refused(h, { by: 'ria', ...(await sign(ria, 'approve')) }, /unknown key/);
        await h.executeUpdate(approveUpdate, { args: [{ by: 'sam', ...(await sign(sam, 'approve')) }] });
      },
      { activities: { loadKeyring: async () => ({ source: 'configmap upgrade-runbooks/approvers key allowed_signers', digest: keyringDigest(text), keys: [{ name: 'sam', key: sam.publicKey }] }) } },
    );
    assert.equal(mocks.names()[0], 'loadKeyring');
    assert.deepEqual(status.signatures?.keyring, { source: 'configmap upgrade-runbooks/approvers key allowed_signers', digest: keyringDigest(text) });
    assert.equal(status.decisions.find((d) => d.kind === 'approve')?.signer, 'sam');
  });

  it('an abort must be signed too, and its record says who signed', async () => {
    const { failure, mocks } = await run({ requestedBy: 'ria', approval: policy() }, async (h, sign) => {
      await waiting(h);
      await refused(h, { by: 'ria', reason: 'test done' }, /no signature/, abortUpdate);
      await abortCleanly(h, sign);
      assert.equal((await h.query(statusQuery)).abortRequested?.fingerprint, ria.fingerprint);
    });
    assert.equal(failure?.type, FailureType.Aborted);
    assert.deepEqual(mocks.names(), ['helmAssertNotLocked']);
  });
});
