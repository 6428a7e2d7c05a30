/**
 * Input validation shared by the CLI (before starting) and the workflows themselves (runs
 * started from the Web UI skip the CLI): every problem is reported with its field path.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { z } from 'zod';
import { FailureType } from './failure-types.js';

/** "backup.database.mode: Invalid input; timeouts.upgrade: ..." */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(input)'}: ${issue.message}`);
}

/**
 * Parses a workflow's input; a bad input fails the run as non-retryable (it never retries
 * the workflow task), with a message naming each field.
 *
 * The parsed input is frozen: its defaults are objects the schema hands to every run
 * (zod copies a default only one level deep), and the schemas are shared by every
 * workflow of a worker thread (shared-schemas.ts), so a run that changed its input in
 * place could change another run's. Frozen, such a change fails at once instead.
 */
export function parseRunInput<S extends z.ZodType>(schema: S, raw: unknown, runbook: string): z.output<S> {
  const parsed = schema.safeParse(raw ?? {});
  if (parsed.success) return deepFreeze(parsed.data);
  throw ApplicationFailure.create({
    type: FailureType.InvalidInput,
    nonRetryable: true,
    message: `${runbook}: invalid input: ${formatIssues(parsed.error).join('; ')}`,
  });
}

function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}
