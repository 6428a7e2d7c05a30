import { CancellationScope, condition } from '@temporalio/workflow';

/** Runs `body` in a scope that an abort cancels, so long interruptible waits stop promptly. */
export async function abortable<T>(body: () => Promise<T>, abortRequested: () => boolean): Promise<T> {
  return CancellationScope.cancellable(async () => {
    const scope = CancellationScope.current();
    let done = false;
    // Resolves when an abort arrives or the body finished; cancels only in the first case.
    condition(() => done || abortRequested())
      .then(() => {
        if (!done) scope.cancel();
      })
      .catch(() => undefined);
    try {
      return await body();
    } finally {
      done = true;
    }
  });
}
