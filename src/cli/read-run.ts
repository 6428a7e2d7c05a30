/** Reads one run: Temporal's description (execution status) and the runbook's status query. */
import { type Client, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failure-types.js';
import { pendingActivityProgress } from './activity-progress.js';
import { statusQuery } from '../workflows/lib/messages.js';
import type { RunStatus } from '../workflows/lib/status.js';
import type { StatusReport } from './format-status.js';
import { runState } from './run-state.js';
import { toCliError } from './temporal-errors.js';

/** A closed run is queried by replaying it on a worker; do not wait long when none is there. */
const CLOSED_QUERY_TIMEOUT_MS = 10_000;

export async function readRun(client: Client, runId: string, timeoutMs: number): Promise<StatusReport> {
  const handle = client.workflow.getHandle(runId);
  let execution: string;
  let workflowType: string;
  let progress: StatusReport['progress'];
  try {
    const description = await client.withDeadline(Date.now() + timeoutMs, () => handle.describe());
    execution = description.status.name;
    workflowType = description.type;
    progress = await pendingActivityProgress(client, description);
  } catch (err) {
    throw toCliError(err, runId, timeoutMs);
  }
  const open = execution === 'RUNNING';
  const queryTimeout = open ? timeoutMs : Math.min(timeoutMs, CLOSED_QUERY_TIMEOUT_MS);
  let status: RunStatus | undefined;
  let statusUnavailable: string | undefined;
  try {
    status = await client.withDeadline(Date.now() + queryTimeout, () => handle.query(statusQuery));
  } catch (err) {
    if (open) throw toCliError(err, runId, queryTimeout);
    statusUnavailable = `no worker answered the status query within ${Math.round(queryTimeout / 1000)}s (a closed run is queried by replaying it on a worker)`;
  }
  let state = runState(execution, status);
  if (!status && execution === 'FAILED') {
    // Without a worker, the failure Temporal recorded still says whether a human stopped the run.
    const failure = await recordedFailure(client, runId, timeoutMs);
    if (failure) {
      if (STOPPED_TYPES.has(failure.type ?? '')) state = 'stopped';
      statusUnavailable = `${statusUnavailable ?? ''}\nRecorded failure (${failure.type ?? 'unknown type'}): ${failure.message}`.trim();
    }
  }
  return {
    runId,
    workflowType,
    execution,
    state,
    ...(status ? { status } : {}),
    ...(progress?.length ? { progress } : {}),
    ...(statusUnavailable ? { statusUnavailable } : {}),
  };
}

const STOPPED_TYPES = new Set<string>([FailureType.Aborted, FailureType.Rejected, FailureType.ApprovalTimedOut]);

async function recordedFailure(client: Client, runId: string, timeoutMs: number): Promise<ApplicationFailure | undefined> {
  try {
    await client.withDeadline(Date.now() + timeoutMs, () => client.workflow.getHandle(runId).result());
  } catch (err) {
    if (err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure) return err.cause;
  }
  return undefined;
}
