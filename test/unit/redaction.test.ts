import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { describeParseError } from '../../src/activities/parse-errors.js';
import { Redactor } from '../../src/activities/redaction.js';

describe('Redactor', () => {
  const r = new Redactor(['s3cret-value']);

  it('hides the values of secret-looking --set keys, in both argv forms', () => {
    assert.deepEqual(
      r.argv(['helm', 'upgrade', '--set', 'image.tag=0.2.0,postgresql.auth.password=pw1234', '--set-string=api.token=abc', '--set', 'replicas=3']),
      ['helm', 'upgrade', '--set', 'image.tag=0.2.0,postgresql.auth.password=***', '--set-string=api.token=***', '--set', 'replicas=3'],
    );
  });

  it('hides registered values anywhere, longest first', () => {
    const child = r.with(['abcd', 'abcdef']);
    assert.equal(child.text('x s3cret-value abcdef abcd'), 'x *** *** ***');
    assert.equal(r.text('abcdef'), 'abcdef', 'the parent is unchanged');
  });

  it('hides URL passwords', () => {
    assert.equal(r.text('postgresql://soctalk:pa55@db:5432/soctalk'), 'postgresql://soctalk:***@db:5432/soctalk');
  });

  it('ignores values too short to be secrets', () => {
    assert.equal(new Redactor(['ab']).text('about'), 'about');
  });
});

describe('redaction by value, and parse errors that never quote the text', () => {
  it('hides values registered from a values tree wherever they appear, URL passwords, and key=value secrets in free text', () => {
    const r = new Redactor();
    r.addSecretsFrom({ opencti: { adminPassword: 'canary-pw-1', url: 'http://ops:canary-url-2@opencti:8080', note: 'plain' }, rabbitmq: { erlangCookie: 12345678 } });
    const text = r.text('diff: + note: canary-pw-1 at http://x:y@h and canary-url-2; cookie 12345678; token=abc123 "apiKey": "zzz9"; secretName: keep-me');
    for (const leaked of ['canary-pw-1', 'canary-url-2', '12345678', 'abc123', 'zzz9', 'x:y@']) assert.ok(!text.includes(leaked), `${leaked} in ${text}`);
    assert.match(text, /secretName: keep-me/, 'a reference is not a secret');
  });

  it('names file, line and column of a YAML or JSON error, and not the offending line', () => {
    const yamlText = 'db:\n  password: canary-yaml-3\n bad: indent\n';
    let yamlError: unknown;
    try {
      parseYaml(yamlText);
    } catch (err) {
      yamlError = err;
    }
    const yamlMessage = describeParseError('values.yaml', yamlError, yamlText);
    assert.match(yamlMessage, /^values\.yaml is not valid YAML \(line \d+, column \d+: [A-Z_]+\)$/);
    assert.ok(!yamlMessage.includes('canary-yaml-3'));

    const jsonText = '{\n  "password": canary-json-4\n}';
    let jsonError: unknown;
    try {
      JSON.parse(jsonText);
    } catch (err) {
      jsonError = err;
    }
    const jsonMessage = describeParseError('input.json', jsonError, jsonText);
    assert.match(jsonMessage, /^input\.json is not valid JSON \(line 2, column \d+\)$/);
    assert.ok(!jsonMessage.includes('canary-json-4'));
  });
});
