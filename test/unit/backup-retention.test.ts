// Retention never removes a backup a run may still restore: the record's heldUntil (the
// run's remaining timeouts from the backup on) keeps it whatever the count.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BackupRecord } from '../../src/activities/postgres/backup.js';
import { localBackupStore } from '../../src/activities/storage/local-store.js';
import { applyRetention, isHeld } from '../../src/activities/storage/retention.js';
import { backupNameOf } from '../../src/domain/backup-name.js';
import { backupHoldMs } from '../../src/workflows/soctalk/backup-profile.js';

const WORKFLOW_ID = 'release:soctalk-system/soctalk-system';
const NOW = Date.parse('2026-12-01T12:00:00Z');
const hour = 3_600_000;

function record(runId: string, createdAgoMs: number, heldForMs?: number): BackupRecord {
  return {
    name: backupNameOf(WORKFLOW_ID, runId),
    path: `/backups/${runId}.dump`,
    storage: 'local',
    sizeBytes: 10,
    sha256: 'ab'.repeat(32),
    createdAt: new Date(NOW - createdAgoMs).toISOString(),
    workflowId: WORKFLOW_ID,
    runId,
    ...(heldForMs !== undefined ? { heldUntil: new Date(NOW - createdAgoMs + heldForMs).toISOString() } : {}),
  };
}

describe('backup retention and holds', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'retention-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the newest N, the current one and every held one; removes the rest', async () => {
    const store = localBackupStore(join(dir, 'a'));
    const old = [
      record('run-1', 30 * 24 * hour, 25 * hour), // hold long over
      record('run-2', 20 * 24 * hour), // never held (a record from before holds)
      record('run-3', 2 * hour, 26 * hour), // its run may still restore it
      record('run-4', 1 * hour, 25 * hour), // newest of the others: kept by the count
    ];
    const current = record('run-5', 0, 25 * hour);
    for (const r of [...old, current]) await store.writeRecord(r.name, JSON.stringify(r));

    const removed = await applyRetention(store, current, 2, NOW);
    assert.deepEqual(removed.sort(), [old[0]!.name, old[1]!.name].sort());
    const left = (await readdir(join(dir, 'a'))).map((f) => f.replace(/\.json$/, '')).sort();
    assert.deepEqual(left, [old[2]!.name, old[3]!.name, current.name].sort(), 'run-3 stays although it is beyond the count: it is held');
  });

  it('with N = 1 only the current backup and held ones survive', async () => {
    const store = localBackupStore(join(dir, 'b'));
    const held = record('run-held', 3 * hour, 4 * hour);
    const expired = record('run-expired', 5 * hour, 4 * hour);
    const current = record('run-now', 0, 4 * hour);
    for (const r of [held, expired, current]) await store.writeRecord(r.name, JSON.stringify(r));
    assert.deepEqual(await applyRetention(store, current, 1, NOW), [expired.name]);
    // Once the hold is over, the next backup's retention removes it.
    assert.deepEqual(await applyRetention(store, current, 1, NOW + 2 * hour), [held.name]);
  });

  it('isHeld: only a heldUntil in the future holds', () => {
    assert.equal(isHeld({ heldUntil: new Date(NOW + 1).toISOString() }, NOW), true);
    assert.equal(isHeld({ heldUntil: new Date(NOW).toISOString() }, NOW), false);
    assert.equal(isHeld({}, NOW), false);
  });

  it('the system upgrade holds its backup for every wait and step that can still restore it', () => {
    const timeouts = { migration: 600_000, upgrade: 600_000, rollback: 600_000, backup: 1_800_000, verify: 300_000 };
    assert.equal(backupHoldMs({ approval: { timeout: 86_400_000 }, timeouts }), 86_400_000 + 600_000 * 3 + 300_000 + 2 * 1_800_000);
    assert.ok(backupHoldMs({ approval: { timeout: 60_000 }, timeouts }) < backupHoldMs({ approval: { timeout: 120_000 }, timeouts }), 'a longer approval wait holds longer');
  });
});
