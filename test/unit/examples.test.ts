import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { CompatibilityMatrixSchema } from '../../src/domain/soctalk/compatibility.js';
import { formatIssues } from '../../src/domain/validate.js';
import { RUNBOOKS } from '../../src/runbook-catalog.js';
import { repoRoot } from '../helpers/paths.js';

// The README's example inputs are what people paste into the Web UI's start form: each
// must stay valid for its runbook's schema, and every runbook must have one.
describe('examples/', () => {
  it('has an example input for every runbook in the catalog', async () => {
    const files = new Set(await readdir(`${repoRoot}examples`));
    for (const r of RUNBOOKS) assert.ok(files.has(`${r.name}.json`), `examples/${r.name}.json is missing`);
  });

  for (const runbook of RUNBOOKS) {
    it(`examples/${runbook.name}.json is a valid ${runbook.workflowType} input`, async () => {
      const raw: unknown = JSON.parse(await readFile(`${repoRoot}examples/${runbook.name}.json`, 'utf8'));
      const parsed = runbook.input.safeParse(raw);
      assert.ok(parsed.success, parsed.success ? '' : formatIssues(parsed.error).join('; '));
    });
  }

  it('examples/compatibility-matrix.yaml is a valid matrix', async () => {
    const parsed = CompatibilityMatrixSchema.safeParse(parse(await readFile(`${repoRoot}examples/compatibility-matrix.yaml`, 'utf8')));
    assert.ok(parsed.success);
  });
});
