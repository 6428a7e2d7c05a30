/**
 * Every exit code of the `runbook` CLI, in one place, so scripts can branch on them:
 *
 *   runbook start soctalk-system-upgrade --input in.json --wait
 *   case $? in 0) echo done;; 4) echo "waiting for approval";; 3) echo "stopped by a human";; *) exit 1;; esac
 *
 * Commands that report on a run (`status`, `watch`, `start --wait`, `plan`) exit with the
 * run's state; commands that send a decision exit 0 when the workflow accepted it.
 */
export const ExitCode = {
  /** The command did what was asked; for a run: it completed. */
  Ok: 0,
  /** The run failed (compensation ran), or the command itself failed (Temporal unreachable, no answer in time). */
  Failed: 1,
  /** Invalid input or usage: a zod error naming the field, an unknown runbook, a bad --set, an unknown option. */
  InvalidInput: 2,
  /** The run was aborted, rejected, its approval timed out, or it was cancelled or terminated. */
  Stopped: 3,
  /** The run waits for a human: an approval gate (or a pause) needs `runbook approve|reject|resume`. */
  WaitingForHuman: 4,
  /** The workflow's validator refused the decision (four-eyes, not an approver, nothing waits...), or `plan` found that a gate would refuse the run; stderr says why. */
  Refused: 5,
  /** No such run (or it has finished and takes no more decisions), or a run on that release is already running. */
  NotFoundOrConflict: 6,
  /** `status`: the run is still in progress and does not wait for anyone. */
  Running: 7,
  /** A fleet completed, but some tenants failed, were skipped or conflicted; the output names each with its reason. */
  CompletedWithFailures: 8,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error whose message is for the operator as is, with the exit code the CLI ends with. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCodeValue,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The help text's epilogue: the same table, for `runbook --help`. */
export const EXIT_CODES_HELP = `Exit codes:
  0  done (the run completed, or the decision was accepted)
  1  the run failed, or the command failed (Temporal unreachable, no answer in time)
  2  invalid input or usage (the message names the field)
  3  the run was aborted, rejected, its approval timed out, or it was cancelled/terminated
  4  the run waits for a human (approval, or resume after a pause)
  5  the workflow refused the decision, or (plan) a gate would refuse the run (the message says why)
  6  no such run, or a run on that release is already running
  7  (status) the run is in progress and waits for nobody
  8  a fleet completed with failures: some tenants failed, were skipped or conflicted (each is named)`;
