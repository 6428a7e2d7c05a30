/**
 * The `runbook` CLI's entry point: `npx runbook <command>` (bin/runbook.js),
 * `npm run runbook -- <command>`, or `node --import tsx src/cli/main.ts <command>`.
 *
 * Map of src/cli/: program.ts (commander: commands, options, help), commands/*.ts (one
 * command each), exit-codes.ts (every exit code), context.ts (lazy client, catalog and
 * identity), catalog.ts (the runbooks, and the RUNBOOK_CATALOG test hook), input.ts and
 * set-overrides.ts (input file, --set, local zod validation), identity.ts (--as,
 * RUNBOOK_USER, OS user), connection.ts (Temporal from the environment: local, TLS, API
 * key), read-run.ts / run-state.ts / format-status.ts (what `status` and `watch` show),
 * temporal-errors.ts (client errors -> messages and exit codes).
 */
import { runCli } from './program.js';

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  stdin: process.stdin,
  isTTY: process.stdout.isTTY,
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
});
// Let stdout drain (it is asynchronous on pipes) instead of calling process.exit().
process.exitCode = code;
