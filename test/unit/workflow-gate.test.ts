import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gateOf } from '../../src/cli/gate.js';
import { gateCommand, Gates, shellQuote } from '../../src/workflows/lib/gate.js';
import type { DecisionRecord, RunStatus } from '../../src/workflows/lib/status.js';

function gates(workflowId = 'fleet:prod') {
  const decisions: DecisionRecord[] = [];
  const g = new Gates({
    workflowId: () => workflowId,
    recordDecision: (kind, { by, comment }) => {
      const r = { at: 'now', kind, by, ...(comment ? { comment } : {}) };
      decisions.push(r);
      return r;
    },
    abortRequested: () => false,
    changed: () => undefined,
  });
  return { g, decisions };
}

describe('the gate primitive', () => {
  it('quotes the workflow ID so a pasted command is one word whatever it holds', () => {
    assert.equal(shellQuote('fleet:prod'), "'fleet:prod'");
    assert.equal(shellQuote("it's; rm -rf /"), `'it'\\''s; rm -rf /'`);
    assert.equal(gateCommand('approve', 'release:soctalk-system/soctalk-system', { requiresSchemaAck: true }), "runbook approve 'release:soctalk-system/soctalk-system' --ack-schema-changes");
    assert.equal(gateCommand('abort', 'fleet:prod'), "runbook abort 'fleet:prod' --reason '<reason>'");
  });

  it('a promotion gate accepts promote and abort, and says so', () => {
    const { g } = gates();
    g.open({ kind: 'promotion', name: 'promote to wave 1', summary: 'canary baked', timeout: 3_600_000 });
    const view = g.view!;
    assert.deepEqual(view.accepts, ['promote', 'abort']);
    assert.deepEqual(view.commands, ["runbook promote 'fleet:prod'", "runbook abort 'fleet:prod' --reason '<reason>'"]);
    assert.ok(view.timeoutAt);
    assert.equal(g.refusal('promote', { by: 'carol' }), undefined);
    // The refusal names the message that IS accepted, with its command: never a rewritten text.
    assert.equal(
      g.refusal('approve', { by: 'carol' }),
      `the run is not waiting for approval: it waits at "promote to wave 1" and accepts promote (runbook promote 'fleet:prod'), or abort`,
    );
  });

  it('an approval gate accepts approve, reject and abort; its policy refusals apply', () => {
    const { g, decisions } = gates('release:opencti/opencti');
    g.open({ kind: 'approval', name: 'approve the upgrade', summary: 's', timeout: 1, requiresSchemaAck: true, refusals: { approve: (a) => (a.by === 'bob' ? 'bob requested this run' : undefined) } });
    assert.deepEqual(g.view!.accepts, ['approve', 'reject', 'abort']);
    assert.equal(g.view!.commands[0], "runbook approve 'release:opencti/opencti' --ack-schema-changes");
    assert.equal(g.refusal('approve', { by: 'bob' }), 'bob requested this run');
    assert.match(g.refusal('promote', { by: 'x' }) ?? '', /^the fleet is not waiting for promotion: it waits at "approve the upgrade" and accepts approve \(runbook approve 'release:opencti\/opencti' --ack-schema-changes\), or abort$/);
    assert.equal(g.decide('approve', { by: 'sam', comment: 'go' }), 'approved "approve the upgrade"');
    assert.deepEqual(decisions.map((d) => [d.kind, d.by, d.comment]), [['approve', 'sam', 'go']]);
    assert.equal(g.refusal('approve', { by: 'sam' }), 'the run is not waiting for approval', 'a decided gate takes no second decision');
  });

  it('a paused fleet accepts resume and abort', () => {
    const { g } = gates();
    g.open({ kind: 'paused', name: 'paused', summary: 'no new tenant starts' });
    assert.deepEqual(g.view!.commands, ["runbook resume 'fleet:prod'", "runbook abort 'fleet:prod' --reason '<reason>'"]);
    assert.equal(g.view!.timeoutAt, undefined);
    assert.match(g.refusal('promote', { by: 'x' }) ?? '', /accepts resume \(runbook resume 'fleet:prod'\), or abort$/);
    g.close();
    assert.equal(g.view, null);
    assert.equal(g.refusal('approve', { by: 'x' }), 'the run is not waiting for approval');
  });

  it("the CLI's hints for a run from before the gate contract are the primitive's commands, for every kind of gate", () => {
    const id = "fleet:it's";
    const old = (phase: string, extra: Partial<RunStatus>): RunStatus =>
      ({ runbook: 'r', phase, steps: [], decisions: [], invalidMessages: [], facts: {}, pendingApproval: null, ...extra }) as unknown as RunStatus;
    const pendingApproval = { gate: 'g', since: '2026-01-01T00:00:00Z', timeoutAt: '2026-01-02T00:00:00Z', fourEyes: false, requiresSchemaAck: true, summary: 's' };
    const cases: [RunStatus, Parameters<Gates['open']>[0]][] = [
      [old('waiting-approval', { pendingApproval }), { kind: 'approval', name: 'g', summary: 's', requiresSchemaAck: true }],
      [old('waiting-promotion', { pendingApproval: { ...pendingApproval, requiresSchemaAck: false } }), { kind: 'promotion', name: 'g', summary: 's' }],
      [old('paused', {}), { kind: 'paused', name: 'paused', summary: 's' }],
      // A fleet paused while tenants are in flight: its phase is still its upgrade phase.
      [old('upgrading wave 1', { facts: { fleet: { paused: true } } }), { kind: 'paused', name: 'paused', summary: 's' }],
    ];
    for (const [status, spec] of cases) {
      const { g } = gates(id);
      g.open(spec);
      const derived = gateOf(id, status);
      assert.equal(derived?.kind, spec.kind);
      assert.deepEqual(derived.accepts, g.view!.accepts, spec.kind);
      assert.deepEqual(derived.commands, g.view!.commands, spec.kind);
    }
  });
});
