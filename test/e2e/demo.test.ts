import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { repoRoot } from '../helpers/paths.js';

// The README's main job, exactly as a user runs it (with --yes so nobody has to approve):
// it must bring everything up, upgrade the system and the fleet in the local cluster, and
// clean up after itself.
describe('npm run demo -- --yes', () => {
  it('upgrades soctalk-system and every tenant, then removes what it started', async () => {
    const result = await execa('npx', ['tsx', 'scripts/demo.ts', '--yes', '--tenants', '4', '--ui-port', '0'], {
      cwd: repoRoot,
      reject: false,
      all: true,
      timeout: 9 * 60_000,
    });
    assert.equal(result.exitCode, 0, result.all);
    const out = result.all ?? '';
    assert.match(out, /approved automatically \(--yes\)/);
    assert.match(out, /soctalk-system now at revision 2/);
    assert.match(out, /soctalk-system\s+soctalk-system\s+2\s+.*deployed\s+soctalk-system-0\.2\.0/);
    for (const t of ['acme', 'beta', 'gamma', 'delta']) assert.match(out, new RegExp(`tenant-${t}\\s+tenant-${t}\\s+2\\s+.*deployed\\s+soctalk-tenant-0\\.2\\.0`));
    assert.match(out, /"done":4,"failed":0/);
    assert.match(out, /cleaning up/);
  });
});
