/**
 * The `runbook` command line (commander): options, arguments and help for every command,
 * each handled in src/cli/commands/. `runCli` returns the exit code (exit-codes.ts).
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { decideCommand, type DecisionName } from './commands/decide.js';
import { listCommand, listQuery } from './commands/list.js';
import { planCommand } from './commands/plan.js';
import { startCommand } from './commands/start.js';
import { statusCommand } from './commands/status.js';
import { watchCommand } from './commands/watch.js';
import { type CliContext, type CliIO, createContext, type GlobalOptions } from './context.js';
import { table } from './format-status.js';
import { CliError, EXIT_CODES_HELP, ExitCode, type ExitCodeValue } from './exit-codes.js';

const collect = (value: string, previous: string[]) => [...previous, value];

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer`);
    return n;
  };
}

const seconds = (value: string) => positiveInt('seconds')(value) * 1000;

export function buildProgram(ctx: CliContext, done: (code: ExitCodeValue) => void): Command {
  const program = new Command('runbook')
    .description('Start, watch and decide on upgrade runbooks (Temporal workflows).')
    .option('--as <name>', 'your identity for decisions and requestedBy (default: $RUNBOOK_USER, else the OS user)')
    .option('--sign-key <path>', 'SSH ed25519 key that signs decisions when a run requires it: a private key, or a .pub held by ssh-agent (default: $RUNBOOK_SIGN_KEY, else ssh-agent)')
    .addOption(new Option('--timeout <seconds>', 'how long to wait for one answer from a run').default(60).argParser(positiveInt('--timeout')))
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      `\nTemporal connection: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE, TEMPORAL_API_KEY,\nTEMPORAL_TLS_CERT_PATH/KEY_PATH/CA_PATH, TEMPORAL_TLS_SERVER_NAME, TEMPORAL_TLS.\n\n${EXIT_CODES_HELP}`,
    )
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.stdout(s.replace(/\n$/, '')), writeErr: (s) => ctx.stderr(s.replace(/\n$/, '')) });

  const act =
    <A extends unknown[]>(handler: (...args: A) => Promise<ExitCodeValue>) =>
    async (...args: A) => {
      done(await handler(...args));
    };

  program
    .command('runbooks')
    .description('list the runbooks you can start')
    .action(
      act(async () => {
        const { runbooks } = await ctx.catalog();
        for (const line of table(['RUNBOOK', 'WORKFLOW TYPE', 'DESCRIPTION'], runbooks.map((r) => [r.name, r.workflowType, r.description]))) ctx.stdout(line);
        return ExitCode.Ok;
      }),
    );

  const inputOptions = (cmd: Command) =>
    cmd
      .option('-i, --input <file>', 'the input as JSON: a file, or - for stdin')
      .option('--set <key=value>', 'override a field by dotted path (repeatable); true/false/null/integers/JSON are typed, the rest are strings', collect, [])
      .option('--id <workflowId>', "use this workflow ID instead of the runbook's business ID")
      .addOption(new Option('--interval <seconds>', 'how often to poll while waiting').default(2000, '2').argParser(seconds));

  inputOptions(program.command('start').argument('<runbook>', 'runbook name (see `runbook runbooks`)'))
    .description('validate the input, then start a runbook')
    .option('-w, --wait', 'follow the run until it ends or waits for approval (exit code says which)')
    .action(act((runbook: string, opts: { input?: string; set: string[]; wait?: boolean; id?: string; interval: number }) => startCommand(ctx, runbook, opts)));

  inputOptions(program.command('plan').argument('<runbook>', 'runbook name'))
    .description('dry run: start the runbook with dryRun: true, wait, print the plan')
    .option('--json', 'print the result as JSON')
    .action(act((runbook: string, opts: { input?: string; set: string[]; id?: string; interval: number; json?: boolean }) => planCommand(ctx, runbook, opts)));

  program
    .command('status')
    .argument('<run>', 'workflow ID')
    .description("the run's steps, phase and what it waits for (exit code: see below)")
    .option('--json', 'print JSON for scripts')
    .action(act((run: string, opts: { json?: boolean }) => statusCommand(ctx, run, opts)));

  program
    .command('watch')
    .argument('<run>', 'workflow ID')
    .description('print progress until the run ends or waits for a person')
    .addOption(new Option('--interval <seconds>', 'how often to poll').default(2000, '2').argParser(seconds))
    .action(act((run: string, opts: { interval: number }) => watchCommand(ctx, run, opts)));

  program
    .command('list')
    .description('find runs by the UpgradePhase / UpgradeRunbook / UpgradeRelease search attributes')
    .option('--phase <phase>', 'e.g. waiting-approval, completed, failed')
    .option('--runbook <name>', 'runbook name')
    .option('--release <release>', 'Helm release')
    .option('--open', 'only runs still executing')
    .addOption(new Option('--limit <n>', 'at most this many runs').default(50).argParser(positiveInt('--limit')))
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', `\nExample query: ${listQuery({ phase: 'waiting-approval', runbook: 'soctalk-system-upgrade' })}`)
    .action(act((opts: { phase?: string; runbook?: string; release?: string; open?: boolean; limit: number; json?: boolean }) => listCommand(ctx, opts)));

  const decision = (name: DecisionName, description: string) =>
    program.command(name).argument('<run>', 'workflow ID').description(description);

  decision('approve', 'approve the pending approval gate')
    .option('-c, --comment <text>', 'recorded with the decision')
    .option('--ack-schema-changes', 'acknowledge forward-only schema changes (required when the gate says so)')
    .action(act((run: string, o: { comment?: string; ackSchemaChanges?: boolean }) => decideCommand(ctx, 'approve', run, o)));
  decision('reject', 'reject the pending approval gate; the run ends with nothing further changed')
    .option('-c, --comment <text>', 'recorded with the decision')
    .action(act((run: string, o: { comment?: string }) => decideCommand(ctx, 'reject', run, o)));
  decision('abort', 'stop the run; compensation undoes what was done')
    .requiredOption('-r, --reason <text>', 'why (required)')
    .action(act((run: string, o: { reason: string }) => decideCommand(ctx, 'abort', run, o)));
  decision('pause', 'pause the run at the next safe point')
    .option('-r, --reason <text>', 'why')
    .action(act((run: string, o: { reason?: string }) => decideCommand(ctx, 'pause', run, o)));
  decision('resume', 'resume a paused run')
    .option('-r, --reason <text>', 'why')
    .action(act((run: string, o: { reason?: string }) => decideCommand(ctx, 'resume', run, o)));
  decision('promote', 'promote a canary to the rest of the fleet')
    .option('-c, --comment <text>', 'recorded with the decision')
    .action(act((run: string, o: { comment?: string }) => decideCommand(ctx, 'promote', run, o)));
  decision('skip-tenant', 'leave a tenant out of a fleet run')
    .argument('<tenant>', 'tenant name')
    .option('-r, --reason <text>', 'why')
    .action(act((run: string, tenant: string, o: { reason?: string }) => decideCommand(ctx, 'skip-tenant', run, { ...o, tenant })));
  decision('retry-tenant', "retry a tenant's failed upgrade in a fleet run")
    .argument('<tenant>', 'tenant name')
    .option('-r, --reason <text>', 'why')
    .action(act((run: string, tenant: string, o: { reason?: string }) => decideCommand(ctx, 'retry-tenant', run, { ...o, tenant })));

  return program;
}

/** Parses argv (without node and the script), runs the command, returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  let code: ExitCodeValue = ExitCode.Ok;
  // Global options (--as, --timeout) are read when a command runs, after parsing.
  const ctx = createContext(io, () => program.opts<GlobalOptions>());
  const program = buildProgram(ctx, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end "with an error" in commander's exitOverride mode.
      return err.exitCode === 0 ? ExitCode.Ok : ExitCode.InvalidInput;
    }
    if (err instanceof CliError) {
      io.stderr(`runbook: ${err.message}`);
      return err.exitCode;
    }
    io.stderr(`runbook: ${err instanceof Error ? err.message : String(err)}`);
    return ExitCode.Failed;
  } finally {
    await ctx.close();
  }
}
