/**
 * `runbook schema <runbook>`: the runbook's input as JSON Schema, generated from the same
 * zod schema the CLI and the workflow validate with (zod 4's z.toJSONSchema), for editors
 * and for writing input files.
 */
import { z } from 'zod';
import type { CliContext } from '../context.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { type OutputFormat, renderData } from '../output.js';

export function inputJsonSchema(schema: z.ZodType, title: string): Record<string, unknown> {
  // The input side (what an operator writes: defaults are optional); transforms and
  // refinements cannot be expressed in JSON Schema and are checked by `start` and `plan`.
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  return { ...json, title };
}

export async function schemaCommand(ctx: CliContext, runbookName: string, format: OutputFormat): Promise<ExitCodeValue> {
  const runbook = (await ctx.catalog()).find(runbookName);
  const schema = inputJsonSchema(runbook.input, `${runbook.name} input`);
  ctx.stdout(renderData(format === 'yaml' ? 'yaml' : 'json', schema));
  return ExitCode.Ok;
}
