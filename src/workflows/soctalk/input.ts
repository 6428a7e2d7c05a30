import type { z } from 'zod';
import { FailureType } from '../../domain/failure-types.js';
import { refuse } from '../lib/errors.js';

/** Validates a run's input inside the workflow (Web UI starts skip the CLI): non-retryable, naming the field. */
export function parseInput<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.slice(0, 5).map((i) => `${i.path.length ? i.path.join('.') : '(input)'}: ${i.message}`);
  throw refuse(FailureType.InvalidInput, `invalid input: ${problems.join('; ')}`);
}
