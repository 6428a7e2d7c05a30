/**
 * An operator's command named by an input (the tenant values command, the alert check):
 * the NAME of an entry of the worker's RUNBOOK_COMMAND_ALLOWLIST plus arguments. The
 * program is never the input's; the arguments are positionals, never options: an argument
 * may start with `-` only after a `--` argument (for tools that end their options there),
 * so an input cannot add, say, `--output=/etc/x` or `--config=...` to the operator's tool.
 * Arguments are passed as an argv array (execa, no shell), so quotes, `;`, `$()` and spaces
 * are just characters; control characters (newlines, NUL) are refused.
 */
import { z } from 'zod';
import { schemasOf } from './shared-schemas.js';

const schema = schemasOf('domain/operator-command');

/** Lowercase letters, digits, `.`, `_`, `-`; starts with a letter or digit; at most 63. */
export const COMMAND_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export const CommandNameSchema = schema('CommandNameSchema', () =>
  z
    .string({ error: 'required: the name of a command on the worker\'s RUNBOOK_COMMAND_ALLOWLIST (such as soctalk-cli)' })
    .regex(COMMAND_NAME, 'a command is the NAME of an entry of the worker\'s RUNBOOK_COMMAND_ALLOWLIST (lowercase letters, digits, ".", "_", "-"), never a path or a program line'),
);

const CONTROL = /[\u0000-\u001f\u007f]/;

/** The positional arguments: at most 64, each at most 1024 characters. */
export const CommandArgsSchema = schema('CommandArgsSchema', () =>
  z
    .array(z.string().min(1, 'an argument is never empty').max(1024).refine((a) => !CONTROL.test(a), { message: 'an argument has no control characters (newlines, tabs, NUL)' }))
    .max(64)
    .superRefine((args, ctx) => {
      const end = args.indexOf('--');
      args.forEach((arg, i) => {
        if (arg.startsWith('-') && (end < 0 || i < end)) {
          ctx.addIssue({
            code: 'custom',
            path: [i],
            message: `"${arg.slice(0, 40)}" would be an option: arguments are positionals (an argument may start with "-" only after a "--" argument); options belong in the program the worker's RUNBOOK_COMMAND_ALLOWLIST names`,
          });
        }
      });
    })
    .default([]),
);

/** `{slug}` substituted into each argument, and the result checked again (never an option, never a control character). */
export function commandArgsFor(args: readonly string[], slug: string): string[] {
  const out = args.map((a) => a.replaceAll('{slug}', slug));
  const checked = CommandArgsSchema.safeParse(out);
  if (!checked.success) throw new Error(`the arguments after {slug} substitution are refused: ${checked.error.issues[0]?.message ?? 'invalid'}`);
  return out;
}
