import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
