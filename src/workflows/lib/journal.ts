/**
 * The step journal: every runbook step, as the runbook names it, with start and end times,
 * outcome and a one-line detail. It is the backbone of the status query.
 */
import type { StepOutcome, StepRecord } from './status.js';

export class StepJournal {
  readonly steps: StepRecord[] = [];

  start(name: string): StepRecord {
    const record: StepRecord = { name, startedAt: new Date().toISOString(), outcome: 'running' };
    this.steps.push(record);
    return record;
  }

  end(record: StepRecord, outcome: Exclude<StepOutcome, 'running'>, detail?: string): void {
    record.outcome = outcome;
    record.endedAt = new Date().toISOString();
    if (detail !== undefined) record.detail = detail;
  }

  skip(name: string, reason: string): void {
    const now = new Date().toISOString();
    this.steps.push({ name, startedAt: now, endedAt: now, outcome: 'skipped', detail: reason });
  }

  current(): StepRecord | undefined {
    return [...this.steps].reverse().find((s) => s.outcome === 'running');
  }
}
