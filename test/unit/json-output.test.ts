import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { parseKubeList, parseKubeObject } from '../../src/activities/kube-json.js';
import { parseNamespaceNames, parseReleaseDeployments } from '../../src/activities/soctalk/tenant-parse.js';
import { FailureType } from '../../src/domain/failure-types.js';

function failure(fn: () => unknown): ApplicationFailure {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApplicationFailure, `not one of our failures: ${String(err)}`);
    return err;
  }
  assert.fail('should have thrown');
}

// Malformed tool output is one of our failure types (non-retryable CommandFailed naming what
// and where), never a SyntaxError from JSON.parse or a TypeError further on.
describe('the one validated JSON parser for kubectl and helm output', () => {
  it('reads lists and objects', () => {
    assert.deepEqual(
      parseKubeList('{"kind":"List","items":[{"metadata":{"name":"a","labels":{"x":"1"}}}]}', 'pods').map((o) => o.metadata.name),
      ['a'],
    );
    assert.equal(parseKubeObject('{"kind":"Job","metadata":{"name":"j"},"status":{"succeeded":1}}', 'job j').status?.succeeded, 1);
  });

  for (const [name, fn, message] of [
    ['kube list: not JSON', () => parseKubeList('error: You must be logged in to the server', 'pods'), /^pods: kubectl output is not JSON: error: You must be logged in/],
    ['kube list: items not an array', () => parseKubeList('{"items":{}}', 'pods'), /^pods: unexpected kubectl JSON at items: /],
    ['kube object: nameless', () => parseKubeObject('{"metadata":{}}', 'job j'), /^job j: unexpected kubectl JSON at metadata\.name: /],
    ['namespaces: truncated', () => parseNamespaceNames('{"items":[{"metadata":'), /^namespaces: kubectl output is not JSON/],
    ['deployments: wrong shape', () => parseReleaseDeployments('{"items":[{"metadata":{"annotations":[]}}]}', 'tenant-a'), /^deployments: unexpected kubectl JSON at items\.0\.metadata\.annotations: /],
  ] as const) {
    it(name, () => {
      const f = failure(fn);
      assert.equal(f.type, FailureType.CommandFailed);
      assert.equal(f.nonRetryable, true);
      assert.match(f.message, message);
    });
  }
});
