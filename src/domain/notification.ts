/** What a run tells the chat channel (sent by the notify activity, best effort). */
export interface RunNotification {
  kind: 'waiting-approval' | 'completed' | 'failed' | 'rolled-back' | 'aborted';
  runbook: string;
  /** Filled in by the activity from its context when the workflow does not know it. */
  workflowId?: string;
  release?: string;
  namespace?: string;
  summary: string;
  /** How to approve, for waiting-approval messages. */
  approveCommand?: string;
}
