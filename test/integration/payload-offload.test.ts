// The claim-check codec against the real components (issue 17): SeaweedFS as the payload
// store, a real Temporal dev server, and the production worker (src/worker.ts in its own
// process, codec keys and RUNBOOK_PAYLOAD_STORE from its environment). A SocTalk fleet of
// 400 tenants (the benchmarks' instant activities) continues as new every 500 events, with
// an offload threshold of 4 KiB so its carry is offloaded.
//
// What it proves: every continue-as-new carry in the server's history is a claim of a few
// hundred bytes; the object it names is in the store, encrypted (no tenant name in it);
// the claim decodes to the next generation's carry; the fleet finishes with every tenant
// upgraded; and an object altered in the store is refused, never decoded.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { CLAIM_CHECK_ENCODING } from '../../src/codec/claim-check-codec.js';
import { chainCodecs, codecDataConverter, payloadCodecsFromEnv } from '../../src/codec/data-converter.js';
import type { FleetUpgradeInput } from '../../src/domain/soctalk/fleet-input.js';
import { fleetWorkflowId } from '../../src/domain/workflow-ids.js';
import type { FleetCarry } from '../../src/workflows/soctalk/fleet-upgrade.js';
import { startProductionWorker, type ProductionWorker } from '../helpers/production-worker.js';
import { startSeaweedfs, type Seaweedfs } from '../helpers/seaweedfs.js';
import { createLocalEnv, uniqueTaskQueue } from '../helpers/temporal.js';

const TENANTS = 400;
const PREFIX = 'offload-test/';
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

describe('payload offload through SeaweedFS and a real Temporal server', { timeout: 5 * 60_000 }, () => {
  let s3: Seaweedfs;
  let env: TestWorkflowEnvironment;
  let worker: ProductionWorker;
  let codecEnv: Record<string, string>;
  const taskQueue = uniqueTaskQueue('offload');
  const name = `offload-${Date.now()}`;
  const carries: Payload[] = [];

  before(async () => {
    [s3, env] = await Promise.all([startSeaweedfs(), createLocalEnv()]);
    codecEnv = { ...s3.workerEnv(PREFIX), RUNBOOK_CODEC_KEYS: `k1=${randomBytes(32).toString('base64')}`, RUNBOOK_PAYLOAD_STORE: 's3', RUNBOOK_PAYLOAD_OFFLOAD_BYTES: '4096' };
    worker = await startProductionWorker({
      ...codecEnv,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      UPGRADE_RUNBOOKS_BENCH_ACTIVITIES: 'bench/fleet-activities.ts',
      BENCH_TENANTS: String(TENANTS),
      BENCH_ACTIVITY_MS: '0',
    });
  });
  after(async () => {
    await worker?.stop();
    await env?.teardown();
    await s3?.stop();
  });

  it('runs the fleet to the end with every carry offloaded: small claims in history, encrypted objects in the store', async () => {
    assert.match(worker.log.join(''), /"payloadOffload":"payloads over 4096 bytes go to s3:\/\/[^/]+\/offload-test\/payloads\/"/);
    const client = new Client({ connection: env.connection, dataConverter: codecDataConverter(codecEnv)! });
    const input: FleetUpgradeInput = {
      name,
      upgrade: { version: '0.2.1', compatibility: { file: '/bench/matrix.yaml' }, heartbeat: { settle: 1 } },
      canaries: { count: 10 },
      waves: { percentages: [10, 50, 100] },
      maxParallel: 20,
      bakeTime: 1,
      continueAsNewAfterEvents: 500,
    };
    const handle = await client.workflow.start('soctalkFleetUpgrade', { taskQueue, workflowId: fleetWorkflowId(name), args: [input] });
    const result = (await handle.result()) as { totals: { done: number; failed: number }; generations: number };
    assert.equal(result.totals.done, TENANTS);
    assert.equal(result.totals.failed, 0);
    assert.ok(result.generations >= 2, `${result.generations} generation(s): the fleet must have continued as new`);

    // The server's own view, without any codec: what Temporal stores.
    const runs: string[] = [];
    for await (const wf of env.client.workflow.list({ query: `WorkflowId = '${fleetWorkflowId(name)}'` })) runs.push(wf.runId);
    for (const runId of runs) {
      const history = await env.client.workflow.getHandle(fleetWorkflowId(name), runId).fetchHistory();
      for (const ev of history.events ?? []) {
        const carried = ev.workflowExecutionContinuedAsNewEventAttributes?.input?.payloads?.[1];
        if (carried) carries.push(carried);
      }
    }
    assert.equal(carries.length, result.generations - 1);
    for (const claim of carries) {
      assert.equal(text(claim.metadata?.encoding), CLAIM_CHECK_ENCODING);
      assert.ok(claim.data!.length < 300, `a claim of ${claim.data!.length} bytes`);
    }

    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `${PREFIX}payloads/` }));
    const keys = (listed.Contents ?? []).map((o) => o.Key!);
    for (const claim of carries) {
      const { sha256 } = JSON.parse(text(claim.data)) as { sha256: string };
      assert.ok(keys.includes(`${PREFIX}payloads/${sha256}`), `the carry's object ${sha256} is in the store`);
      const object = await (await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: `${PREFIX}payloads/${sha256}` }))).Body!.transformToString();
      assert.ok(!object.includes('bench-00001'), 'the stored carry is ciphertext');
    }
  });

  it('decodes a claim to the carry it stands for, and refuses it once its object is altered in the store', async () => {
    assert.ok(carries.length > 0);
    const codec = chainCodecs(payloadCodecsFromEnv(codecEnv));
    const decoded = (await codec.decode(carries)).map((p) => defaultPayloadConverter.fromPayload<FleetCarry>(p));
    assert.deepEqual(decoded.map((c) => c.generation).sort(), Array.from({ length: carries.length }, (_, i) => i + 1));
    for (const carry of decoded) assert.equal(carry.tenants.names.split(',').length, TENANTS);
    const [first] = carries;

    const { sha256 } = JSON.parse(text(first!.data)) as { sha256: string };
    const key = `${PREFIX}payloads/${sha256}`;
    const object = Buffer.from(await (await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))).Body!.transformToByteArray());
    object[object.length - 20]! ^= 1;
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: object }));
    await assert.rejects(codec.decode([first!]), /does not match its sha256: the object was altered or replaced/);
  });
});
