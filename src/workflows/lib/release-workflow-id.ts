/**
 * The workflow's own guard for "one run per release": a run that changes a release refuses
 * to start under any workflow ID but the release's business ID, whoever started it (the CLI
 * refuses a custom --id too, but a client or the Web UI can start a workflow directly).
 * Called right after the input is parsed, before any activity is scheduled.
 */
import { ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import { FailureType } from '../../domain/failure-types.js';
import { releaseWorkflowIdProblem } from '../../domain/workflow-ids.js';

export function requireReleaseWorkflowId(runbook: string, target: { namespace: string; release: string; dryRun?: boolean }): void {
  // A plan changes nothing, so it may run beside the real run (the CLI allows --id for it too).
  if (target.dryRun) return;
  const problem = releaseWorkflowIdProblem(runbook, workflowInfo().workflowId, target.namespace, target.release);
  if (problem) throw ApplicationFailure.create({ type: FailureType.InvalidInput, nonRetryable: true, message: problem });
}
