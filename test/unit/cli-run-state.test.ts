import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listQuery } from '../../src/cli/commands/list.js';
import { statusChanges } from '../../src/cli/commands/watch.js';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { formatStatus } from '../../src/cli/format-status.js';
import { exitCodeFor, runState } from '../../src/cli/run-state.js';
import type { RunStatus } from '../../src/workflows/lib/status.js';

const base: RunStatus = {
  runbook: 'demo',
  release: 'soctalk',
  namespace: 'soctalk',
  phase: 'upgrading',
  steps: [{ name: 'preflight', startedAt: '2026-01-01T10:00:00.000Z', endedAt: '2026-01-01T10:00:05.000Z', outcome: 'succeeded', detail: 'ok' }],
  pendingApproval: null,
  gate: null,
  decisions: [],
  invalidMessages: [],
  facts: {},
};

describe('run state and exit codes', () => {
  it('follows the status outcome first', () => {
    assert.equal(runState('RUNNING', { ...base, outcome: { phase: 'completed', message: 'done', compensations: [] } }), 'completed');
    assert.equal(runState('FAILED', { ...base, outcome: { phase: 'rejected', message: 'no', compensations: [] } }), 'stopped');
    assert.equal(runState('FAILED', { ...base, outcome: { phase: 'failed', message: 'x', compensations: [] } }), 'failed');
  });

  it('falls back to the execution status, then to what the run waits for', () => {
    assert.equal(runState('TERMINATED', base), 'stopped');
    assert.equal(runState('TIMED_OUT', undefined), 'failed');
    assert.equal(runState('COMPLETED', undefined), 'completed');
    assert.equal(runState('RUNNING', base), 'running');
    assert.equal(runState('RUNNING', { ...base, phase: 'paused' }), 'waiting');
  });

  it('maps states to the documented codes', () => {
    assert.deepEqual(
      (['completed', 'failed', 'stopped', 'waiting', 'running'] as const).map(exitCodeFor),
      [ExitCode.Ok, ExitCode.Failed, ExitCode.Stopped, ExitCode.WaitingForHuman, ExitCode.Running],
    );
  });
});

describe('status report', () => {
  it('shows the steps as a table and how to approve', () => {
    const text = formatStatus({
      runId: 'release:soctalk/soctalk',
      execution: 'RUNNING',
      state: 'waiting',
      status: {
        ...base,
        phase: 'waiting-approval',
        pendingApproval: {
          gate: 'approve upgrade',
          since: '2026-01-01T10:00:05.000Z',
          timeoutAt: '2026-01-02T10:00:05.000Z',
          requestedBy: 'alice',
          fourEyes: true,
          requiresSchemaAck: true,
          summary: '2 migrations',
        },
        gate: {
          kind: 'approval',
          name: 'approve upgrade',
          summary: '2 migrations',
          since: '2026-01-01T10:00:05.000Z',
          timeoutAt: '2026-01-02T10:00:05.000Z',
          accepts: ['approve', 'reject', 'abort'],
          commands: ["runbook approve 'release:soctalk/soctalk' --ack-schema-changes", "runbook reject 'release:soctalk/soctalk'"],
        },
      },
    });
    assert.match(text, /STEP\s+OUTCOME\s+STARTED\s+ENDED\s+DETAIL\npreflight\s+succeeded\s+2026-01-01 10:00:00Z\s+2026-01-01 10:00:05Z\s+ok/);
    assert.match(text, /runbook approve 'release:soctalk\/soctalk' --ack-schema-changes/);
    assert.match(text, /four-eyes: anyone but alice/);
  });
});

describe('watch', () => {
  it('prints new steps, changed outcomes and phase changes only', () => {
    const next: RunStatus = {
      ...base,
      phase: 'verifying',
      steps: [...base.steps, { name: 'upgrade', startedAt: '2026-01-01T10:01:00.000Z', outcome: 'running' }],
    };
    assert.deepEqual(statusChanges(base, base), []);
    assert.deepEqual(statusChanges(base, next), ['2026-01-01 10:01:00Z  upgrade: running', 'phase: verifying']);
  });
});

describe('list query', () => {
  it('filters on the custom search attributes, quoting values', () => {
    assert.equal(listQuery({ phase: 'waiting-approval' }), 'UpgradePhase = "waiting-approval"');
    assert.equal(listQuery({ runbook: 'r', release: 'x"y', open: true }), 'UpgradeRunbook = "r" AND UpgradeRelease = "x\\"y" AND ExecutionStatus = "Running"');
    assert.equal(listQuery({}), 'UpgradeRunbook IS NOT NULL');
  });
});
