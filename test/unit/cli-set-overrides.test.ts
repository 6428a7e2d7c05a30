import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CliError, ExitCode } from '../../src/cli/exit-codes.js';
import { applyOverrides, parseSetOverride, parseSetValue, splitPath } from '../../src/cli/set-overrides.js';

const invalid = (fn: () => unknown, message: RegExp) =>
  assert.throws(fn, (err: unknown) => err instanceof CliError && err.exitCode === ExitCode.InvalidInput && message.test(err.message));

describe('--set values', () => {
  it('types booleans, null, integers and JSON; leaves the rest as strings', () => {
    assert.equal(parseSetValue('true'), true);
    assert.equal(parseSetValue('false'), false);
    assert.equal(parseSetValue('null'), null);
    assert.equal(parseSetValue('42'), 42);
    assert.equal(parseSetValue('-3'), -3);
    assert.deepEqual(parseSetValue('["a","b"]'), ['a', 'b']);
    assert.deepEqual(parseSetValue('{"timeout":"2h"}'), { timeout: '2h' });
    assert.equal(parseSetValue('"3"'), '3', 'a quoted value is a string');
    assert.equal(parseSetValue('soctalk'), 'soctalk');
    assert.equal(parseSetValue(''), '');
  });

  it('keeps versions, decimals, leading zeros and huge numbers as strings', () => {
    assert.equal(parseSetValue('1.10'), '1.10');
    assert.equal(parseSetValue('1.2.3'), '1.2.3');
    assert.equal(parseSetValue('007'), '007');
    assert.equal(parseSetValue('12345678901234567890'), '12345678901234567890');
    assert.equal(parseSetValue('TRUE'), 'TRUE');
  });

  it('refuses a value that looks like JSON but is not', () => {
    invalid(() => parseSetValue('{"a":'), /looks like JSON but does not parse/);
  });
});

describe('--set paths', () => {
  it('splits on dots, with \\. for a literal dot', () => {
    assert.deepEqual(splitPath('approval.timeout'), ['approval', 'timeout']);
    assert.deepEqual(splitPath('labels.app\\.kubernetes\\.io/name'), ['labels', 'app.kubernetes.io/name']);
  });

  it('splits key and value at the first =', () => {
    assert.deepEqual(parseSetOverride('values.extraArgs=--a=b'), { path: ['values', 'extraArgs'], value: '--a=b' });
  });

  it('refuses a missing key, a missing = and empty segments', () => {
    invalid(() => parseSetOverride('=1'), /expected key=value/);
    invalid(() => parseSetOverride('release'), /expected key=value/);
    invalid(() => parseSetOverride('a..b=1'), /empty path segment/);
  });
});

describe('applying --set', () => {
  it('overrides nested fields, creates missing objects and leaves the input untouched', () => {
    const input = { release: 'soctalk', approval: { fourEyes: false } };
    const out = applyOverrides(input, [
      parseSetOverride('approval.fourEyes=true'),
      parseSetOverride('approval.approvers=["bob"]'),
      parseSetOverride('chart.version=1.10'),
      parseSetOverride('release=acme'),
    ]);
    assert.deepEqual(out, { release: 'acme', approval: { fourEyes: true, approvers: ['bob'] }, chart: { version: '1.10' } });
    assert.deepEqual(input, { release: 'soctalk', approval: { fourEyes: false } });
  });

  it('indexes existing arrays and appends at the end', () => {
    const out = applyOverrides({ tenants: [{ name: 'a' }] }, [parseSetOverride('tenants.0.name=acme'), parseSetOverride('tenants.1.name=globex')]);
    assert.deepEqual(out, { tenants: [{ name: 'acme' }, { name: 'globex' }] });
  });

  it('starts from an empty object when there is no input file', () => {
    assert.deepEqual(applyOverrides(undefined, [parseSetOverride('release=x')]), { release: 'x' });
  });

  it('refuses to walk through a scalar, a non-index into an array, or a gap', () => {
    invalid(() => applyOverrides({ release: 'x' }, [parseSetOverride('release.name=y')]), /release is "x", not an object/);
    invalid(() => applyOverrides({ tenants: [] }, [parseSetOverride('tenants.first=y')]), /is an array, "first" is not an index/);
    invalid(() => applyOverrides({ tenants: [] }, [parseSetOverride('tenants.3=y')]), /past the end/);
    invalid(() => applyOverrides([1], [parseSetOverride('a=1')]), /JSON object/);
  });
});
