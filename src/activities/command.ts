/**
 * The only place in the project that starts a process. Everything that touches helm,
 * kubectl or PostgreSQL goes through CommandRunner.run(), which gives every command the
 * same guarantees: argv arrays (never a shell), a timeout, cancellation that ends the whole
 * process tree, heartbeats with the last lines of output, capped output, redaction of
 * secrets, and failures classified into typed ApplicationFailures.
 */
import { finished } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { execa } from 'execa';
import { FailureType } from '../domain/failure-types.js';
import { classifyFailure } from './failure-classification.js';
import { Redactor } from './redaction.js';

export type ToolName = 'helm' | 'kubectl' | 'pg_dump' | 'pg_restore' | 'psql';

/** The environment variable that names each tool's executable. */
export const TOOL_ENV_VARS: Readonly<Record<ToolName, string>> = {
  helm: 'HELM_BIN',
  kubectl: 'KUBECTL_BIN',
  pg_dump: 'PG_DUMP_BIN',
  pg_restore: 'PG_RESTORE_BIN',
  psql: 'PSQL_BIN',
};

export type ToolPaths = Readonly<Record<ToolName, string>>;

/** Executables from the environment, falling back to the bare name (looked up on PATH). */
export function toolPathsFromEnv(env: NodeJS.ProcessEnv = process.env): ToolPaths {
  const pgBin = env.PG_BIN_DIR ? `${env.PG_BIN_DIR.replace(/\/$/, '')}/` : '';
  const pick = (tool: ToolName, fallback: string) => env[TOOL_ENV_VARS[tool]] || fallback;
  return {
    helm: pick('helm', 'helm'),
    kubectl: pick('kubectl', 'kubectl'),
    pg_dump: pick('pg_dump', `${pgBin}pg_dump`),
    pg_restore: pick('pg_restore', `${pgBin}pg_restore`),
    psql: pick('psql', `${pgBin}psql`),
  };
}

export interface CommandSpec {
  /** A configured tool, or an explicit executable (an operator's hook such as `soctalk-cli`). */
  tool: ToolName | { executable: string };
  args: readonly string[];
  /** Changes the cluster or a database. In dry-run mode such commands are recorded, not run. */
  mutates: boolean;
  /**
   * Must not be killed by cancellation: interrupting `helm upgrade` leaves the release
   * locked in pending-upgrade. Cancellation is reported in heartbeats and the command is
   * left to finish (its own --timeout bounds it); only the hard timeout still kills it.
   */
  uninterruptible?: boolean;
  /** Written to the process's stdin (for example a manifest for `kubectl apply -f -`). */
  input?: string;
  /** A file streamed to stdin (a database dump for pg_restore through kubectl exec). */
  inputFile?: string;
  /** A stream piped to stdin (a dump read from backup storage); the command sees EOF when it ends. */
  inputStream?: Readable;
  /** Streams stdout to this file instead of capturing it (binary dumps). */
  stdoutFile?: string;
  /** Streams stdout into this sink instead of capturing it (a dump on its way to backup storage); ended with the output. */
  stdoutStream?: Writable;
  /** How often to heartbeat while it runs (default: the runner's); short for steps an abort must stop quickly. */
  heartbeatIntervalMs?: number;
  timeoutMs?: number;
  /** A periodic read alongside another command (progress polling): not logged each time. */
  quiet?: boolean;
  /** Extra environment (PGPASSWORD...). Its values are treated as secrets, unless `envSecrets` narrows that. */
  env?: Readonly<Record<string, string>>;
  /** The names of the `env` variables that hold secrets (PGPASSWORD); the others (PGHOST, PGUSER...) stay readable in messages. */
  envSecrets?: readonly string[];
  /** More literal values to redact from everything this command reports. */
  secrets?: readonly string[];
  maxOutputBytes?: number;
  /** Exit codes that count as success (default: 0). */
  okExitCodes?: readonly number[];
  cwd?: string;
}

export interface CommandResult {
  /** The redacted command line, executable first. Safe to log and to return to workflows. */
  argv: string[];
  exitCode: number;
  /** Raw stdout, for parsing inside the activity. Never return it to a workflow: use `stdoutRedacted`. */
  stdout: string;
  stdoutRedacted: string;
  stderr: string;
  durationMs: number;
  truncated: boolean;
  dryRun: boolean;
}

/** What a dry run records instead of running. */
export interface RecordedCommand {
  argv: string[];
  input?: string;
}

/** What a long step is waiting for, read in parallel with the command (helm --wait, a Job). */
export interface WaitProgress {
  waitingFor?: string;
  /** Workloads of the release: ready/desired replicas. */
  workloads?: { kind: string; name: string; ready: number; desired: number; updated?: number }[];
  /** Pods of a Job: phase, container restarts and a reason such as ImagePullBackOff. */
  pods?: { name: string; phase: string; restarts?: number; reason?: string }[];
}

export interface CommandHeartbeat extends WaitProgress {
  /** The command running now (redacted); each command sends its own heartbeat when it starts. */
  command: string;
  elapsedMs: number;
  lastLines: string[];
  cancelRequested?: boolean;
}

/** How a command learns about its activity: cancellation and heartbeats. */
export interface RunContext {
  signal?: AbortSignal;
  heartbeat?: (details: CommandHeartbeat) => void;
  /** The latest parallel read of what the command waits for, merged into every heartbeat. */
  progress?: () => WaitProgress | undefined;
}

export interface CommandLogger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
}

export interface CommandRunnerOptions {
  tools: ToolPaths;
  redactor?: Redactor;
  dryRun?: boolean;
  defaultTimeoutMs?: number;
  /** Per stream. Past it the rest of the output is dropped and `truncated` is set. */
  maxOutputBytes?: number;
  /** After SIGTERM, how long the process tree gets before SIGKILL. */
  killGraceMs?: number;
  heartbeatIntervalMs?: number;
  logger?: CommandLogger;
}

const TAIL_LINES = 8;

export class CommandRunner {
  readonly redactor: Redactor;
  readonly dryRun: boolean;
  /** Every mutating command a dry run skipped, in order. */
  readonly recorded: RecordedCommand[] = [];
  private readonly options: Required<Omit<CommandRunnerOptions, 'redactor' | 'logger' | 'dryRun'>> & {
    logger?: CommandLogger;
  };

  constructor(options: CommandRunnerOptions) {
    this.redactor = options.redactor ?? new Redactor();
    this.dryRun = options.dryRun ?? false;
    this.options = {
      tools: options.tools,
      defaultTimeoutMs: options.defaultTimeoutMs ?? 5 * 60_000,
      maxOutputBytes: options.maxOutputBytes ?? 16 * 1024 * 1024,
      killGraceMs: options.killGraceMs ?? 10_000,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 5_000,
      logger: options.logger,
    };
  }

  /** A runner that shares tools and settings but records mutating commands instead of running them. */
  asDryRun(): CommandRunner {
    return new CommandRunner({ ...this.options, redactor: this.redactor, dryRun: true });
  }

  executable(tool: CommandSpec['tool']): string {
    return typeof tool === 'string' ? this.options.tools[tool] : tool.executable;
  }

  async run(spec: CommandSpec, context: RunContext = {}): Promise<CommandResult> {
    const secretEnv = Object.entries(spec.env ?? {})
      .filter(([name]) => !spec.envSecrets || spec.envSecrets.includes(name))
      .map(([, value]) => value);
    const redactor = this.redactor.with([...(spec.secrets ?? []), ...secretEnv]);
    const executable = this.executable(spec.tool);
    const argv = redactor.argv([executable, ...spec.args]);
    const commandLine = argv.join(' ');
    const started = Date.now();

    if (this.dryRun && spec.mutates) {
      this.recorded.push({
        argv,
        ...(spec.input !== undefined ? { input: redactor.text(spec.input) } : {}),
        ...(spec.inputFile !== undefined ? { input: `<${spec.inputFile}` } : {}),
      });
      this.options.logger?.info('dry run: not running', { command: commandLine });
      return { argv, exitCode: 0, stdout: '', stdoutRedacted: '', stderr: '', durationMs: 0, truncated: false, dryRun: true };
    }
    if (context.signal?.aborted && !spec.uninterruptible) {
      throw new CancelledFailure(`not started, the activity was cancelled: ${commandLine}`);
    }

    const timeoutMs = spec.timeoutMs ?? this.options.defaultTimeoutMs;
    const maxBytes = spec.maxOutputBytes ?? this.options.maxOutputBytes;
    const stdout = new CappedBuffer(maxBytes);
    const stderr = new CappedBuffer(maxBytes);
    const tail = new LineTail(TAIL_LINES);

    if (!spec.quiet) this.options.logger?.info('running command', { command: commandLine, timeoutMs });
    const child = execa(executable, [...spec.args], {
      reject: false,
      buffer: false,
      // Own process group, so that a kill reaches helm's or a shell hook's children too.
      detached: true,
      ...(spec.inputFile !== undefined
        ? { inputFile: spec.inputFile }
        : spec.input !== undefined
          ? { input: spec.input }
          : spec.inputStream !== undefined
            ? { stdin: 'pipe' as const }
            : { stdin: 'ignore' as const }),
      ...(spec.stdoutFile !== undefined ? { stdout: { file: spec.stdoutFile } } : {}),
      env: spec.env ? { ...spec.env } : undefined,
      extendEnv: true,
      cwd: spec.cwd,
      stripFinalNewline: false,
    });
    // A stdoutFile or stdoutStream is a dump (database content): it goes there only, never
    // into memory, heartbeats or error messages.
    // The sink is not ended here: the caller commits it only when the command succeeded (a
    // killed pg_dump's output must never become a backup).
    const sink = spec.stdoutStream;
    let sinkDone: Promise<unknown> | undefined;
    if (sink && child.stdout) {
      child.stdout.pipe(sink, { end: false });
      sinkDone = Promise.race([finished(child.stdout), new Promise<never>((_, reject) => sink.once('error', reject))]);
    }
    if (spec.inputStream && child.stdin) {
      // A command that exits before reading everything (an error) closes its stdin: not our failure.
      child.stdin.on('error', () => undefined);
      spec.inputStream.on('error', () => child.stdin?.destroy());
      spec.inputStream.pipe(child.stdin);
    }
    if (spec.stdoutFile === undefined && spec.stdoutStream === undefined) {
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout.push(chunk);
        tail.push(chunk);
      });
    }
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr.push(chunk);
      tail.push(chunk);
    });

    let ending: 'timeout' | 'cancel' | undefined;
    let cancelRequested = false;
    let forceKill: NodeJS.Timeout | undefined;
    const killTree = (why: 'timeout' | 'cancel') => {
      if (ending || child.pid === undefined) return;
      ending = why;
      signalGroup(child.pid, 'SIGTERM');
      forceKill = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), this.options.killGraceMs);
    };
    const onAbort = () => {
      cancelRequested = true;
      if (spec.uninterruptible) {
        this.options.logger?.warn('cancellation requested; letting the command finish so nothing is left locked', {
          command: commandLine,
        });
        sendHeartbeat();
        return;
      }
      killTree('cancel');
    };
    const sendHeartbeat = () =>
      context.heartbeat?.({
        command: commandLine,
        elapsedMs: Date.now() - started,
        lastLines: tail.lines().map((l) => redactor.text(l)),
        ...(cancelRequested ? { cancelRequested } : {}),
        ...context.progress?.(),
      });

    context.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => killTree('timeout'), timeoutMs);
    const beat = setInterval(sendHeartbeat, spec.heartbeatIntervalMs ?? this.options.heartbeatIntervalMs);
    sendHeartbeat();

    const result = await child;
    // The sink has all of stdout (or failed) before the command counts as finished.
    const sinkError = await sinkDone?.then(
      () => undefined,
      (err: unknown) => err,
    );
    clearTimeout(timer);
    clearInterval(beat);
    if (forceKill) clearTimeout(forceKill);
    context.signal?.removeEventListener('abort', onAbort);
    // The group may outlive its leader (a backgrounded grandchild); do not leave it behind.
    if (ending && child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');

    const out: CommandResult = {
      argv,
      exitCode: result.exitCode ?? -1,
      stdout: stdout.text(),
      stdoutRedacted: redactor.text(stdout.text()),
      stderr: redactor.text(stderr.text()),
      durationMs: Date.now() - started,
      truncated: stdout.truncated || stderr.truncated,
      dryRun: false,
    };

    // ENOENT opening inputFile/stdoutFile is about that file, not the executable.
    const cause = result.cause as NodeJS.ErrnoException | undefined;
    if (cause?.code === 'ENOENT' && cause.syscall === 'open') {
      throw ApplicationFailure.create({
        type: FailureType.NotFound,
        nonRetryable: true,
        message: `${cause.path ?? 'a file'} does not exist (or its directory does not): \`${commandLine}\` was given it as ${cause.path === spec.inputFile ? 'inputFile' : 'stdoutFile'}`,
        details: [{ argv }],
      });
    }
    if (result.code === 'ENOENT' || (result.failed && /ENOENT/.test(String(result.message)) && result.exitCode === undefined)) {
      const envVar = typeof spec.tool === 'string' ? TOOL_ENV_VARS[spec.tool] : undefined;
      throw ApplicationFailure.create({
        type: FailureType.CommandNotFound,
        nonRetryable: true,
        message: envVar
          ? `${typeof spec.tool === 'string' ? spec.tool : executable} not found ("${executable}"): install it or set ${envVar}`
          : `${executable} not found: install it or fix the configured path`,
        details: [{ argv }],
      });
    }
    if (ending === 'cancel') {
      throw new CancelledFailure(`cancelled, process tree terminated: ${commandLine}`);
    }
    if (ending === 'timeout') {
      throw failure(FailureType.CommandTimeout, true, `timed out after ${timeoutMs}ms`, out);
    }
    const ok = spec.okExitCodes ?? [0];
    if (ok.includes(out.exitCode) && sinkError) {
      throw ApplicationFailure.create({
        type: FailureType.CommandFailed,
        nonRetryable: false,
        message: `\`${commandLine}\` finished but its output could not be stored: ${String((sinkError as Error).message ?? sinkError)}`,
        details: [{ argv }],
      });
    }
    if (!ok.includes(out.exitCode)) {
      const { type, retryable } = classifyFailure({
        exitCode: out.exitCode,
        output: `${out.stderr}\n${lastLines(out.stdoutRedacted, 20)}`,
        timedOut: false,
      });
      throw failure(type, retryable, `exited ${out.exitCode}`, out);
    }
    this.options.logger?.info('command finished', { command: commandLine, durationMs: out.durationMs });
    return out;
  }
}

function failure(type: string, retryable: boolean, what: string, out: CommandResult): ApplicationFailure {
  const stderrTail = lastLines(out.stderr || out.stdoutRedacted, 12);
  return ApplicationFailure.create({
    type,
    nonRetryable: !retryable,
    message: `${type}: \`${out.argv.join(' ')}\` ${what}${stderrTail ? `: ${stderrTail}` : ''}`,
    details: [{ argv: out.argv, exitCode: out.exitCode, stderrTail }],
  });
}

function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** Keeps the first `max` bytes of a stream. */
class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    if (this.size >= this.max) {
      this.truncated = true;
      return;
    }
    const room = this.max - this.size;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (kept.length < chunk.length) this.truncated = true;
    this.chunks.push(kept);
    this.size += kept.length;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** The last few complete lines of combined output, for heartbeats. */
class LineTail {
  private buffer = '';
  private readonly kept: string[] = [];

  constructor(private readonly n: number) {}

  push(chunk: Buffer): void {
    this.buffer += chunk.toString('utf8');
    const parts = this.buffer.split('\n');
    this.buffer = parts.pop() ?? '';
    for (const line of parts) {
      if (line.trim() === '') continue;
      this.kept.push(line.slice(0, 500));
      if (this.kept.length > this.n) this.kept.shift();
    }
    if (this.buffer.length > 4096) this.buffer = this.buffer.slice(-4096);
  }

  lines(): string[] {
    return this.buffer.trim() ? [...this.kept, this.buffer.slice(0, 500)].slice(-this.n) : [...this.kept];
  }
}
