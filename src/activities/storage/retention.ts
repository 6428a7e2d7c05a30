/**
 * Retention: keep the newest N backups of a release, remove the older ones. The backup the
 * current run just took is always kept, whatever N. Older backups of the same release
 * cannot be in use by another running run: every runbook that changes (or restores) a
 * release runs under that release's one workflow ID, so while this run goes, no other run
 * on the release does. Best effort: a backup that cannot be removed is left and logged,
 * it never fails the run.
 */
import { log } from '@temporalio/activity';
import type { BackupRecord } from '../postgres/backup.js';
import { backupNameStem } from '../../domain/backup-name.js';
import type { BackupStore } from './backup-store.js';

export async function applyRetention(store: BackupStore, current: BackupRecord, keep: number): Promise<string[]> {
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
