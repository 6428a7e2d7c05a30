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
 */
export function parseRunInput<S extends z.ZodType>(schema: S, raw: unknown, runbook: string): z.output<S> {
  const parsed = schema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  throw ApplicationFailure.create({
    type: FailureType.InvalidInput,
    nonRetryable: true,
    message: `${runbook}: invalid input: ${formatIssues(parsed.error).join('; ')}`,
  });
}
