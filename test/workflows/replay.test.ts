import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { fixturesDir } from '../helpers/paths.js';
import { workflowBundle } from '../helpers/temporal.js';

// Saved histories of real runs, replayed against today's workflow code: a change that would
// make running workflows non-deterministic (a step moved, an activity renamed) fails here
// instead of in production. Record new ones with RECORD_HISTORIES=<dir> (see the tests).
describe('replay of saved histories', async () => {
  const dir = `${fixturesDir}histories/`;
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json'));

  it('has histories to replay', () => {
    assert.ok(files.length >= 3);
  });

  for (const file of files) {
    it(file, async () => {
      // fromObject reads protobuf's JSON form (the SDK's historyFromJSON trips over two copies of protobufjs).
      const history = proto.temporal.api.history.v1.History.fromObject(JSON.parse(await readFile(dir + file, 'utf8')) as Record<string, unknown>);
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, `replay-${file}`);
    });
  }
});
