/**
 * The runbooks people can start, by name: the CLI, the chat-ops service and the README
 * use this one table for workflow type, input schema, business workflow ID and summary.
 */
import type { z } from 'zod';

export interface RunbookDefinition<S extends z.ZodType = z.ZodType> {
  /** What operators type: `runbook start soctalk-system-upgrade`. */
  name: string;
  /** The exported workflow function's name. */
  workflowType: string;
  description: string;
  input: S;
  /** The business ID; runs on the same release share it, so a second concurrent run is refused. */
  workflowId(input: z.output<S>): string;
  /** One line for the Web UI's static summary. */
  summary(input: z.output<S>): string;
}

export function defineRunbook<S extends z.ZodType>(definition: RunbookDefinition<S>): RunbookDefinition<S> {
  return definition;
}
