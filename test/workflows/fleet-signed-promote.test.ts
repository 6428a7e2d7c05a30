/**
 * Signed decisions in the fleet runbook: the promote gate wants a statement of kind
 * "promote" from a key other than the one that signed the start, and the signed start
 * survives continue-as-new (it travels in the memo).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import type { FleetUpgradeInput } from '../../src/domain/soctalk/fleet-input.js';
import type { SignedKind } from '../../src/domain/signatures/statement.js';
import { fleetWorkflowId } from '../../src/domain/workflow-ids.js';
import { promoteUpdate, statusQuery } from '../../src/workflows/lib/messages.js';
import { START_SIGNATURE_MEMO } from '../../src/workflows/lib/signed-decisions.js';
import { soctalkFleetUpgrade } from '../../src/workflows/soctalk/fleet-upgrade.js';
import { KeyDir, statementFor, type TestKey } from '../helpers/ssh-keys.js';
import { eventually, refusalOf, useWorkflowTestEnv } from '../helpers/workflow-harness.js';
import { tenantMocks, upgradeSpec } from './soctalk-tenant-mocks.js';

const letters = (n: number) => Array.from({ length: n }, (_, i) => `t${String(i + 1).padStart(2, '0')}`);

describe('soctalkFleetUpgrade with signed decisions', () => {
  const t = useWorkflowTestEnv();
  const keys = new KeyDir();
  let dave: TestKey;
  let carol: TestKey;
  before(() => {
    dave = keys.key('dave');
    carol = keys.key('carol');
  });
  after(() => keys.cleanup());

  const approval = () => ({
    signatures: 'required',
    fourEyes: true,
    approvers: [
      { name: 'carol', keys: [carol.publicKey] },
      { name: 'dave', keys: [dave.publicKey] },
    ],
  });

  type Sign = (k: TestKey, kind: SignedKind, comment?: string) => Promise<Record<string, string>>;

  async function runFleet(input: Partial<FleetUpgradeInput>, tenants: string[], drive?: (h: WorkflowHandle<typeof soctalkFleetUpgrade>, sign: Sign) => Promise<void>, record = false) {
    const m = tenantMocks({ tenants });
    return t.withWorker(
      m.activities,
      async (taskQueue) => {
        const workflowId = fleetWorkflowId(`signed-${taskQueue}`);
        const namespace = t.env.namespace ?? 'default';
        const sign = async (key: TestKey, kind: SignedKind, comment?: string, runId = 'new') => {
          const statement = statementFor({ namespace, workflowId, runId, kind, by: key.name, issuedAt: new Date(await t.env.currentTimeMs()).toISOString(), ...(comment ? { comment } : {}) });
          return { by: key.name, statement, signature: keys.sign(key, statement), ...(comment ? { comment } : {}) };
        };
        const start = await sign(dave, 'start');
        const handle = await t.env.client.workflow.start(soctalkFleetUpgrade, {
          taskQueue,
          workflowId,
          args: [{ name: 'signed', upgrade: upgradeSpec, requestedBy: 'dave', approval: approval(), ...input } as FleetUpgradeInput],
          memo: { [START_SIGNATURE_MEMO]: { statement: start.statement, signature: start.signature } },
        });
        if (drive) await drive(handle, async (k, kind, comment) => sign(k, kind, comment, (await handle.describe()).runId));
        const outcome = await handle.result().then(
          (result) => ({ result, error: undefined }),
          (error: unknown) => ({ result: undefined, error }),
        );
        if (record) await t.record(handle);
        return { ...outcome, status: await handle.query(statusQuery) };
      },
      'fleet-signed',
    );
  }

  it('promotes only with a signed promote statement from a key that did not sign the start', async () => {
    const { result, error, status } = await runFleet({ canaries: { count: 1 }, waves: { sizes: [2] }, manualPromotion: true }, ['a', 'b', 'c'], async (h, sign) => {
      await eventually(() => h.query(statusQuery), (s) => s.phase === 'waiting-promotion', { tick: () => t.env.sleep(5_000) });
      const refusal = (args: Record<string, string>) => refusalOf(h.executeUpdate(promoteUpdate, { args: [args as never] }));
      assert.match(await refusal({ by: 'carol' }), /no signature/);
      assert.match(await refusal(await sign(carol, 'approve')), /signs a approve decision, not promote/);
      assert.match(await refusal(await sign(dave, 'promote')), /four-eyes approval is on: dave requested this run/);
      const ack = await h.executeUpdate(promoteUpdate, { args: [(await sign(carol, 'promote', 'canary looks good')) as never] });
      assert.equal(ack.message, 'promoted to wave 1');
    }, true);
    assert.equal(error, undefined, String(error));
    assert.equal(result!.totals.done, 3);
    const promoted = status.decisions.find((d) => d.kind === 'promote')!;
    assert.equal(promoted.signer, 'carol');
    assert.equal(promoted.fingerprint, carol.fingerprint);
    assert.equal(status.signatures?.start?.fingerprint, dave.fingerprint);
  });

  it('a signed start still holds after continue-as-new, long after it was issued', async () => {
    const { result, error, status } = await runFleet({ canaries: { count: 2 }, waves: { sizes: [40] }, maxParallel: 8, continueAsNewAfterEvents: 500, bakeTime: '20m' }, letters(110));
    assert.equal(error, undefined, String(error));
    assert.ok(result!.generations > 1, `generations: ${result!.generations}`);
    assert.equal(result!.totals.done, 110);
    assert.equal(status.signatures?.start?.fingerprint, dave.fingerprint);
  });
});
