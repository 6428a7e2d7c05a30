import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { workflowCacheSize } from '../../src/worker/cache.js';

describe('workflowCacheSize', () => {
  it('is the expected parallelism plus headroom, not the SDK heap-sized default', () => {
    assert.equal(workflowCacheSize({}), 150);
    assert.equal(workflowCacheSize({ WORKER_FLEET_PARALLELISM: '20' }), 70);
  });
  it('takes an explicit size over the parallelism', () => {
    assert.equal(workflowCacheSize({ WORKER_MAX_CACHED_WORKFLOWS: '500', WORKER_FLEET_PARALLELISM: '20' }), 500);
  });
  it('names the variable when a value is not a positive whole number', () => {
    assert.throws(() => workflowCacheSize({ WORKER_MAX_CACHED_WORKFLOWS: '0' }), /WORKER_MAX_CACHED_WORKFLOWS=0 must be a positive whole number/);
    assert.throws(() => workflowCacheSize({ WORKER_FLEET_PARALLELISM: 'lots' }), /WORKER_FLEET_PARALLELISM=lots must be/);
  });
});
