/**
 * The one parser for JSON that tools print (`helm ... -o json`, `kubectl get -o json`):
 * checked with zod, so output that is not JSON, or not the shape a step reads, becomes a
 * non-retryable CommandFailed that says what and where, never a SyntaxError or a
 * TypeError three calls later.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { z } from 'zod';
import { FailureType } from '../domain/failure-types.js';

export interface JsonOutputOptions {
  /** The tool named in the message where `what` does not say it ("pods: unexpected kubectl JSON"). */
  tool?: string;
}

export function parseJsonOutput<T>(schema: z.ZodType<T>, text: string, what: string, options: JsonOutputOptions = {}): T {
  const tool = options.tool ? `${options.tool} ` : '';
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw ApplicationFailure.create({ type: FailureType.CommandFailed, nonRetryable: true, message: `${what}: ${tool}output is not JSON: ${text.slice(0, 200)}` });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw ApplicationFailure.create({
      type: FailureType.CommandFailed,
      nonRetryable: true,
      message: `${what}: unexpected ${tool}JSON at ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    });
  }
  return parsed.data;
}
