import { CancellationScope, condition } from '@temporalio/workflow';

/**
 * The interruptible steps that are running, each in a scope of its own that an abort
 * cancels, so a long wait (a Job, a rollout) stops at once instead of when it returns.
 * One condition for the whole run waits for the abort, not one per step: a condition per
 * step cost a promise chain per step and a check on every activation. The cancellation
 * still happens where it always did (when the condition is checked after the abort's
 * handler), so the commands come in the same order and saved histories replay.
 */
export class InterruptibleSteps {
  private readonly running = new Set<CancellationScope>();

  constructor(abortRequested: () => boolean) {
    condition(abortRequested)
      .then(() => {
        for (const scope of this.running) scope.cancel();
      })
      // The workflow itself was cancelled: its steps' scopes are cancelled with it.
      .catch(() => undefined);
  }

  async run<T>(body: () => Promise<T>): Promise<T> {
    const scope = new CancellationScope({ cancellable: true });
    this.running.add(scope);
    try {
      return await scope.run(body);
    } finally {
      this.running.delete(scope);
    }
  }
}
