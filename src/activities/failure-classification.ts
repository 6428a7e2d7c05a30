import { FailureType, type FailureTypeName } from '../domain/failure-types.js';

export interface Classification {
  type: FailureTypeName;
  retryable: boolean;
}

export interface FailedCommand {
  exitCode: number | undefined;
  /** Redacted stderr (and stdout, for tools that report errors there). */
  output: string;
  timedOut: boolean;
}

interface Rule {
  pattern: RegExp;
  type: FailureTypeName;
  retryable: boolean;
}

/**
 * Ordered: the first match wins, so specific messages come before the generic ones
 * ("release: not found" is permanent, but "the server could not find the requested
 * resource" during an API server restart is not a missing chart).
 */
export const CLASSIFICATION_RULES: readonly Rule[] = [
  // helm's lock on the release: wait for the other operation and try again.
  { pattern: /another operation \(install\/upgrade\/rollback\) is in progress/i, type: FailureType.ReleaseBusy, retryable: true },
  // helm --wait / kubectl wait running out of time is a failed rollout, not a flaky API.
  { pattern: /timed out waiting for the condition|context deadline exceeded|progress deadline exceeded/i, type: FailureType.RolloutTimeout, retryable: false },
  { pattern: /etcdserver: (leader changed|request timed out|too many requests)|etcdserver: no leader/i, type: FailureType.ServerUnavailable, retryable: true },
  { pattern: /the object has been modified; please apply your changes|Operation cannot be fulfilled on/i, type: FailureType.Conflict, retryable: true },
  { pattern: /field is immutable|is immutable|cannot patch .* Invalid value/i, type: FailureType.ImmutableField, retryable: false },
  {
    pattern: /\bforbidden\b|\bUnauthorized\b|you must be logged in|cannot (get|list|create|update|patch|delete) resource|password authentication failed/i,
    type: FailureType.Forbidden,
    retryable: false,
  },
  // libpq (pg_dump, pg_restore, psql) failing to reach the database: after a refused password
  // (libpq words that "connection to server ... failed" too), before the cluster's "connection
  // refused" (the same words, another fix) and before NotFound (a missing socket file is
  // "No such file or directory").
  {
    pattern: /connection to server (at|on socket) .* failed|could not connect to server|could not translate host name .* to address|server closed the connection unexpectedly|the database system is (starting up|shutting down|in recovery mode)/i,
    type: FailureType.DatabaseUnreachable,
    retryable: true,
  },
  {
    pattern: /connection refused|connection to the server .* was refused|connection reset by peer|no route to host|i\/o timeout|TLS handshake timeout|dial tcp|unexpected EOF|Unable to connect to the server/i,
    type: FailureType.ClusterUnreachable,
    retryable: true,
  },
  {
    pattern: /the server is currently unable to handle the request|Internal error occurred|\b(500|502|503|504) (Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout)\b|ServiceUnavailable|TooManyRequests|the server has received too many requests|http2: client connection lost/i,
    type: FailureType.ServerUnavailable,
    retryable: true,
  },
  {
    pattern: /YAML parse error|error converting YAML|yaml: line \d+|unable to parse|values don't meet the specifications|error validating data|Invalid value:|unknown field|invalid (argument|value|flag)|parse error/i,
    type: FailureType.InvalidValues,
    retryable: false,
  },
  {
    pattern: /release: not found|chart .*not found|not found in .* repository|no such file or directory|\(NotFound\)|NotFound|repo .* not found|failed to fetch .* 404|does not exist|No such file/i,
    type: FailureType.NotFound,
    retryable: false,
  },
];

export function classifyFailure(failed: FailedCommand): Classification {
  if (failed.timedOut) return { type: FailureType.CommandTimeout, retryable: true };
  for (const rule of CLASSIFICATION_RULES) {
    if (rule.pattern.test(failed.output)) return { type: rule.type, retryable: rule.retryable };
  }
  // Unknown failures retry: the activity's retry policy bounds the attempts, and the
  // step itself is idempotent, so one more try is cheaper than a false permanent error.
  return { type: FailureType.CommandFailed, retryable: true };
}
