/**
 * The `type` of every ApplicationFailure the project raises, so that workflows, the CLI
 * and operators can branch on a stable name instead of parsing messages.
 */
export const FailureType = {
  /** The run's input is invalid; the message names the field. Never retried. */
  InvalidInput: 'InvalidInput',
  /** An executable (helm, kubectl, pg_dump...) is not installed or not configured. */
  CommandNotFound: 'CommandNotFound',
  /** A command exceeded its own timeout; retried with backoff. */
  CommandTimeout: 'CommandTimeout',
  /** The cluster API could not be reached (connection refused, TLS or i/o timeout). */
  ClusterUnreachable: 'ClusterUnreachable',
  /** PostgreSQL could not be reached or is not accepting connections yet (libpq's connection errors); retried. */
  DatabaseUnreachable: 'DatabaseUnreachable',
  /** Helm holds a lock on the release: another install/upgrade/rollback is running. */
  ReleaseBusy: 'ReleaseBusy',
  /** The API server answered 5xx, throttled, or etcd changed leader. */
  ServerUnavailable: 'ServerUnavailable',
  /** A concurrent writer changed the object; re-reading and retrying is safe. */
  Conflict: 'Conflict',
  /** A chart, release, object or backup does not exist. */
  NotFound: 'NotFound',
  /** Values, YAML or manifests are invalid. */
  InvalidValues: 'InvalidValues',
  /** `helm template` refused the chart (kubeVersion constraint, template or schema error): permanent, never retried. */
  RenderFailed: 'RenderFailed',
  /** RBAC or authentication refused the request. */
  Forbidden: 'Forbidden',
  /** The change touches an immutable field (for example a Job's pod template). */
  ImmutableField: 'ImmutableField',
  /** helm --wait or a rollout wait ran out of time: the release did not become ready. */
  RolloutTimeout: 'RolloutTimeout',
  /** A command failed in a way none of the rules above recognise. */
  CommandFailed: 'CommandFailed',
  /** The release is stuck in pending-install/upgrade/rollback (a stale helm lock). */
  ReleaseLocked: 'ReleaseLocked',
  /** The compatibility matrix or an ordering rule refuses the requested versions. */
  Incompatible: 'IncompatibleVersions',
  /** A required API group or CRD is missing from the cluster. */
  PrerequisiteMissing: 'PrerequisiteMissing',
  /** A migration Job reported Failed. */
  MigrationFailed: 'MigrationFailed',
  /** Post-upgrade verification (rollout, image, health, endpoints) failed. */
  VerificationFailed: 'VerificationFailed',
  /** A human aborted the run, or approval was rejected or timed out. */
  Aborted: 'Aborted',
  Rejected: 'Rejected',
  ApprovalTimedOut: 'ApprovalTimedOut',
  /** A chat notification did not go out (never fails a runbook). */
  NotificationFailed: 'NotificationFailed',
  /** A compensation failed: the message starts with "manual action needed:". */
  CompensationFailed: 'CompensationFailed',
} as const;

export type FailureTypeName = (typeof FailureType)[keyof typeof FailureType];
