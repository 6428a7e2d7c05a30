import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { schemasOf } from '../../src/domain/shared-schemas.js';
import { repoRoot } from '../helpers/paths.js';

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : Promise.resolve(e.name.endsWith('.ts') ? [join(dir, e.name)] : []))));
  return nested.flat();
}

describe('schemas built once per workflow thread (src/domain/shared-schemas.ts)', () => {
  it('gives a second evaluation of a module the schemas the first one built', () => {
    // What two workflows do: each evaluates the module again and asks for the same schema.
    let builds = 0;
    const first = schemasOf('test/shared-schemas-a')('X', () => ({ built: ++builds }));
    const second = schemasOf('test/shared-schemas-a')('X', () => ({ built: ++builds }));
    assert.equal(second, first);
    assert.equal(builds, 1);
    assert.notEqual(schemasOf('test/shared-schemas-b')('X', () => ({ built: ++builds })), first);
  });

  it('refuses a module that builds two schemas under one name', () => {
    const schema = schemasOf('test/shared-schemas-c');
    schema('X', () => 1);
    assert.throws(() => schema('X', () => 2), /test\/shared-schemas-c builds two schemas named X/);
  });

  it('names every module by its path, so no two modules share a schema by mistake', async () => {
    const src = join(repoRoot, 'src');
    const seen = new Map<string, string>();
    for (const file of await sourceFiles(src)) {
      for (const [, name] of (await readFile(file, 'utf8')).matchAll(/^const \w+ = schemasOf\('([^']+)'\);$/gm)) {
        const path = relative(src, file).replace(/\.ts$/, '');
        assert.equal(name, path, `${path} calls schemasOf('${name}'): name it by its path`);
        assert.ok(!seen.has(name), `${name} is used by ${seen.get(name)} and ${path}`);
        seen.set(name, path);
      }
    }
    assert.ok(seen.size >= 10, `only ${seen.size} schema modules found`);
  });
});
