import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gateTimerSummary } from '../../src/workflows/lib/gate-commands.js';
import { StepJournal } from '../../src/workflows/lib/journal.js';
import type { GateView, RunStatus } from '../../src/workflows/lib/status.js';
import { currentDetails } from '../../src/workflows/lib/view.js';
import { DETAILS_FAILED_MAX, fleetDetails } from '../../src/workflows/soctalk/fleet/details.js';
import { FleetState } from '../../src/workflows/soctalk/fleet/state.js';

/** Typographic quotes and the ellipsis: generated text is plain ASCII punctuation. */
const TYPOGRAPHIC = /[\u2018\u2019\u201c\u201d\u2026]/;
const budget = { maxFailed: 100 };

const gate: GateView = {
  kind: 'approval',
  name: 'approve soctalk-system 0.1.0 -> 0.2.0',
  summary: 'Upgrade soctalk-system\nDiff: 1 changed',
  since: '2026-12-01T10:00:00Z',
  timeoutAt: '2026-12-02T10:00:00Z',
  accepts: ['approve', 'reject', 'abort'],
  commands: ["runbook approve 'release:s/s' --ack-schema-changes", "runbook reject 'release:s/s'", "runbook abort 'release:s/s' --reason '<reason>'"],
};
const status = (extra: Partial<RunStatus> = {}): RunStatus => ({
  runbook: 'soctalk-system-upgrade',
  phase: 'waiting-approval',
  steps: [],
  pendingApproval: null,
  gate: null,
  decisions: [],
  invalidMessages: [],
  facts: {},
  ...extra,
});

function fleet(failed: number): FleetState {
  const state = new FleetState();
  const wave1 = Array.from({ length: failed + 2 }, (_, i) => `t${i + 1}`);
  state.plan([
    { index: 0, name: 'canary', canary: true, tenants: ['c1'] },
    { index: 1, name: 'wave 1', canary: false, tenants: wave1 },
    { index: 2, name: 'wave 2', canary: false, tenants: ['z1'] },
  ]);
  state.started('c1', 1_000);
  state.finished('c1', 'succeeded', 'revision 3 -> 4', 5_000, budget);
  state.wave = 1;
  for (const t of wave1.slice(0, failed)) {
    state.started(t, 6_000);
    state.finished(t, 'failed', `helm upgrade: \`helm upgrade --wait ${t} --namespace x\` failed: the workloads of ${t} did not become ready`, 9_000, budget);
  }
  state.started(wave1[failed]!, 10_000);
  return state;
}

describe('the Web UI current details', () => {
  it('an approval that must be signed: commands before the summary, ASCII punctuation only', () => {
    const text = currentDetails(status({ gate }), new StepJournal(), true);
    assert.doesNotMatch(text, TYPOGRAPHIC);
    assert.match(text, /"statement": "\.\.\.", "signature": "\.\.\."/);
    const commands = text.indexOf('Commands: `runbook approve');
    assert.ok(commands > 0 && commands < text.indexOf('Upgrade soctalk-system'), 'how to decide comes before the (long) summary');
  });

  it("a runbook's section goes after what the run waits for and before the gate's summary", () => {
    const text = currentDetails(status({ gate }), new StepJournal(), false, ['| Wave | Tenants |']);
    assert.ok(text.indexOf('Commands:') < text.indexOf('| Wave |'));
    assert.ok(text.indexOf('| Wave |') < text.indexOf('Upgrade soctalk-system'));
  });
});

describe('the fleet section of the details', () => {
  it('one row per wave and the failed tenants so far, each with its reason', () => {
    const lines = fleetDetails(fleet(2), 'fleet:prod', false);
    assert.deepEqual(lines.slice(0, 5), [
      '| Wave | Tenants | Upgraded | Failed | Running | Pending | Skipped |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      '| canary | 1 | 1 | 0 | 0 | 0 | 0 |',
      '| wave 1 (now) | 4 | 0 | 2 | 1 | 1 | 0 |',
      '| wave 2 | 1 | 0 | 0 | 0 | 1 | 0 |',
    ]);
    assert.deepEqual(lines.slice(5), [
      '',
      'Failed tenants (2):',
      '',
      // The message's backticks (a shortened command) would break the Markdown list: plain quotes.
      "- `t1`: helm upgrade: 'helm upgrade ...' failed: the workloads of t1 did not become ready",
      "- `t2`: helm upgrade: 'helm upgrade ...' failed: the workloads of t2 did not become ready",
    ]);
    assert.doesNotMatch(lines.join('\n'), TYPOGRAPHIC);
  });

  it('a long list is cut, with the command that lists them all; once the run ends the outcome names them instead', () => {
    const many = fleetDetails(fleet(DETAILS_FAILED_MAX + 3), "fleet:it's", false);
    assert.equal(many.filter((l) => l.startsWith('- `t')).length, DETAILS_FAILED_MAX);
    assert.equal(many.at(-1), "and 3 more: `runbook fleet 'fleet:it'\\''s' --state failed`");
    const ended = fleetDetails(fleet(2), 'fleet:prod', true);
    assert.equal(ended.length, 5, 'the table only');
    assert.equal(ended[3], '| wave 1 | 4 | 0 | 2 | 1 | 1 | 0 |', 'no wave is "now" once the run ended');
  });

  it('nothing before the waves are planned', () => {
    assert.deepEqual(fleetDetails(new FleetState(), 'fleet:prod', false), []);
  });
});

describe("the gate's timer summary (the Web UI's event history)", () => {
  it('what the run waits for and the command that decides it, on one line', () => {
    assert.equal(
      gateTimerSummary(gate),
      "Waiting for approval: approve soctalk-system 0.1.0 -> 0.2.0 -- runbook approve 'release:s/s' --ack-schema-changes",
    );
    assert.equal(gateTimerSummary({ kind: 'promotion', name: 'promote\nto wave 1', commands: ["runbook promote 'fleet:x'"] }), "Waiting for promotion: promote to wave 1 -- runbook promote 'fleet:x'");
    const long = gateTimerSummary({ ...gate, name: 'x'.repeat(1000) });
    assert.equal(long.length, 400);
    assert.ok(long.endsWith('...'));
  });
});
