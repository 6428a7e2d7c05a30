/** What a runbook tells its Run, and how each step is run. */
import type { ApprovalPolicy } from '../../domain/approval-policy.js';
import type { RunNotification } from '../../domain/notification.js';

export interface RunOptions {
  runbook: string;
  release?: string;
  namespace?: string;
  targetVersion?: string;
  requestedBy?: string;
  approval: ApprovalPolicy;
  /** Off only where the server has not registered the custom search attributes. */
  searchAttributes?: boolean;
  /** The notify activity; best effort, never blocks the runbook. */
  notify?: (event: RunNotification) => Promise<unknown>;
  /** @deprecated The gate derives its commands (workflow ID, --ack-schema-changes); ignored. */
  approveHint?: string;
  /** The run has promotion gates (a fleet): installs the promote Update and Signal. */
  promotion?: boolean;
}

export interface StepOptions<T> {
  /**
   * The step must not be interrupted (helm upgrade, the migration Job): an abort or a
   * cancellation takes effect when it returns, so nothing is left in pending-upgrade.
   */
  uninterruptible?: boolean;
  /**
   * The step changes the cluster or a database. Uninterruptible steps always do. When such
   * a step ran and no compensation undid it, the run's outcome says so instead of claiming
   * that nothing changed.
   */
  mutates?: boolean;
  /** One line for the journal from the step's result. */
  detail?: (result: T) => string | undefined;
}
