import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { withValuesFiles } from '../../src/activities/helm/values-files.js';
import { testTempDir } from '../helpers/temp-dir.js';

const workDir = () => testTempDir('values-files-test');

describe('withValuesFiles', () => {
  it('only files: passed through in order, no temp directory', async () => {
    const dir = await workDir();
    const files = await withValuesFiles(dir, { files: ['/a.yaml', '/b.yaml'], set: {} }, (f) => Promise.resolve(f));
    assert.deepEqual(files, ['/a.yaml', '/b.yaml']);
    assert.deepEqual(await readdir(dir), []);
  });

  it('inline values go to a 0600 file after the listed ones, and are removed afterwards', async () => {
    const dir = await workDir();
    let seen: { files: string[]; mode: number; text: string } | undefined;
    const result = await withValuesFiles(dir, { files: ['/base.yaml'], inline: { api: { replicas: 2 }, secretKey: 's3cr3t' }, set: {} }, async (files) => {
      const inline = files[1]!;
      seen = { files, mode: (await stat(inline)).mode & 0o777, text: await readFile(inline, 'utf8') };
      return 'done';
    });
    assert.equal(result, 'done');
    assert.equal(seen?.files.length, 2);
    assert.equal(seen.files[0], '/base.yaml');
    assert.equal(seen.mode, 0o600);
    assert.deepEqual(parse(seen.text), { api: { replicas: 2 }, secretKey: 's3cr3t' });
    assert.equal(dirname(dirname(seen.files[1]!)), dir);
    assert.equal(existsSync(seen.files[1]!), false);
    assert.deepEqual(await readdir(dir), []);
  });

  it('the private directory is removed when the command fails too', async () => {
    const dir = await workDir();
    let file = '';
    await assert.rejects(
      withValuesFiles(dir, { files: [], inline: { a: 1 }, set: {} }, (files) => {
        file = files[0]!;
        return Promise.reject(new Error('helm failed'));
      }),
      /helm failed/,
    );
    assert.equal(existsSync(file), false);
    assert.deepEqual(await readdir(dir), []);
  });

  it('set pairs become a nested values file (strings, merged by dotted path), after inline values', async () => {
    const dir = await workDir();
    const set = { 'image.tag': '0.10', 'image.pullPolicy': 'Always', 'api.podLabels.team': 'soc', replicas: '3' };
    const seen = await withValuesFiles(dir, { files: [], inline: { x: true }, set }, async (files) => ({
      names: files.map((f) => f.split('/').pop()),
      set: parse(await readFile(files[1]!, 'utf8')) as unknown,
      mode: (await stat(files[1]!)).mode & 0o777,
    }));
    assert.deepEqual(seen.names, ['inline-values.yaml', 'set-values.yaml']);
    assert.equal(seen.mode, 0o600);
    // Strings stay strings: "0.10" is not the number 0.1, "3" is not 3.
    assert.deepEqual(seen.set, { image: { tag: '0.10', pullPolicy: 'Always' }, api: { podLabels: { team: 'soc' } }, replicas: '3' });
    assert.deepEqual(await readdir(dir), []);
  });

  it('numbers, booleans and null keep their type (a value helm reads as false stays false)', async () => {
    const dir = await workDir();
    const text = await withValuesFiles(dir, { files: [], set: { 'migration.hook': false, 'api.replicas': 2, 'api.podLabels': null, 'image.tag': '0.10' } }, (f) =>
      readFile(f[0]!, 'utf8'),
    );
    assert.deepEqual(parse(text), { migration: { hook: false }, api: { replicas: 2, podLabels: null }, image: { tag: '0.10' } });
    // The tag is quoted: YAML would otherwise read 0.10 as the number 0.1.
    assert.match(text, /tag: "0\.10"/);
  });

  it('set pairs keep their values out of the file list (argv): only paths are returned', async () => {
    const dir = await workDir();
    const files = await withValuesFiles(dir, { files: [], set: { 'db.password': 'hunter2' } }, (f) => Promise.resolve(f));
    assert.equal(files.length, 1);
    assert.ok(!files.some((f) => f.includes('hunter2')));
  });

  it('an escaped dot is part of the key, as with helm --set (annotation names)', async () => {
    const dir = await workDir();
    const values = await withValuesFiles(dir, { files: [], set: { 'podAnnotations.prometheus\\.io/scrape': 'true' } }, async (f) => parse(await readFile(f[0]!, 'utf8')) as unknown);
    assert.deepEqual(values, { podAnnotations: { 'prometheus.io/scrape': 'true' } });
  });

  it('a __proto__ key is written as a key and pollutes nothing', async () => {
    const dir = await workDir();
    const values = await withValuesFiles(dir, { files: [], set: { '__proto__.polluted': 'yes', 'constructor.prototype.polluted': 'yes' } }, async (f) =>
      readFile(f[0]!, 'utf8'),
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
    assert.match(values, /__proto__:\n {2}polluted: yes/);
  });
});
