/**
 * Compensations are registered before the step that needs them and run last-in-first-out
 * inside a non-cancellable scope: an abort or a workflow cancellation can start them but
 * never interrupt them. The first one that fails stops the unwinding (running the rest
 * could make things worse, e.g. restoring an old schema under new code) and is escalated.
 */
import { CancellationScope } from '@temporalio/workflow';
import { describeStop } from './errors.js';
import type { StepJournal } from './journal.js';

export interface Compensation {
  /** What it does, for humans: "helm rollback soctalk-system to revision 3". */
  name: string;
  run: () => Promise<string | void>;
}

export interface UnwindReport {
  done: string[];
  failed?: { name: string; error: string };
  notRun: string[];
}

export class CompensationStack {
  private readonly stack: Compensation[] = [];

  push(name: string, run: Compensation['run']): void {
    this.stack.push({ name, run });
  }

  /** Drops a compensation that is no longer needed (its step was undone another way). */
  remove(name: string): void {
    const i = this.stack.findIndex((c) => c.name === name);
    if (i >= 0) this.stack.splice(i, 1);
  }

  get size(): number {
    return this.stack.length;
  }

  names(): string[] {
    return this.stack.map((c) => c.name);
  }

  async unwind(journal: StepJournal): Promise<UnwindReport> {
    return CancellationScope.nonCancellable(async () => {
      const report: UnwindReport = { done: [], notRun: [] };
      while (this.stack.length > 0) {
        const next = this.stack.pop()!;
        const record = journal.start(`compensate: ${next.name}`);
        try {
          const detail = await next.run();
          journal.end(record, 'compensated', detail || undefined);
          report.done.push(detail ? `${next.name} (${detail})` : next.name);
        } catch (err) {
          const message = describeStop(err).message;
          journal.end(record, 'failed', message);
          report.failed = { name: next.name, error: message };
          report.notRun = this.stack.splice(0).reverse().map((c) => c.name);
          break;
        }
      }
      return report;
    });
  }
}
