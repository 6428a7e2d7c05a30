/**
 * Retention: keep the newest N backups of a release, remove the older ones. Never removed,
 * whatever N: the backup the current run just took, and any backup still held by its run
 * (the record's heldUntil is in the future: that run may still restore it). Every runbook
 * that changes a release runs under that release's one workflow ID (the workflows refuse
 * any other), so a held backup of another run is one whose run crashed or is being
 * replayed, and it is kept until its hold ends. Best effort: a backup that cannot be
 * removed is left and logged, it never fails the run.
 */
import { log } from '@temporalio/activity';
import type { BackupRecord } from '../postgres/backup.js';
import { backupNameStem } from '../../domain/backup-name.js';
import type { BackupStore } from './backup-store.js';

/** Whether a run may still need this backup at `now` (ms). */
export function isHeld(record: Pick<BackupRecord, 'heldUntil'>, now: number): boolean {
  return record.heldUntil !== undefined && Date.parse(record.heldUntil) > now;
}

export async function applyRetention(store: BackupStore, current: BackupRecord, keep: number, now = Date.now()): Promise<string[]> {
  const stem = backupNameStem(current.name);
  if (!stem) return [];
  const removed: string[] = [];
  try {
    const names = (await store.listNames(stem)).filter((n) => n !== current.name && backupNameStem(n) === stem);
    const records: BackupRecord[] = [];
    for (const name of names) {
      const text = await store.readRecord(name);
      if (text) records.push(JSON.parse(text) as BackupRecord);
    }
    records.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    for (const old of records.slice(Math.max(0, keep - 1))) {
      if (isHeld(old, now)) {
        safeLog(`backup retention keeps ${old.name}: held by run ${old.workflowId ?? '?'}/${old.runId ?? '?'} until ${old.heldUntil}`);
        continue;
      }
      await store.remove(old.name);
      removed.push(old.name);
    }
  } catch (err) {
    safeLog(`backup retention skipped: ${String((err as Error).message ?? err)}`);
  }
  if (removed.length) safeLog(`backup retention removed ${removed.join(', ')} (keeping ${keep} per release)`);
  return removed;
}

function safeLog(message: string): void {
  try {
    log.info(message);
  } catch {
    // outside an activity
  }
}
