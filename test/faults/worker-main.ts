// The worker as the deployment runs it, for the fault-injection tier: its own OS process,
// killed with SIGKILL by the tests. Real activities over the real tools; the workflow code
// comes from a bundle the test built once (WORKFLOW_BUNDLE_PATH), so a restart is quick.
//
//   TEMPORAL_ADDRESS, TEMPORAL_TASK_QUEUE, WORKFLOW_BUNDLE_PATH, BACKUP_STORAGE..., HELM_BIN, KUBECTL_BIN, PG_BIN_DIR
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities, defaultActivityDeps } from '../../src/activities/index.js';

Runtime.install({ logger: new DefaultLogger('WARN') });

const address = process.env.TEMPORAL_ADDRESS!;
const taskQueue = process.env.TEMPORAL_TASK_QUEUE!;
const connection = await NativeConnection.connect({ address });
const worker = await Worker.create({
  connection,
  taskQueue,
  workflowBundle: { codePath: process.env.WORKFLOW_BUNDLE_PATH! },
  activities: createActivities({ ...defaultActivityDeps(), pollIntervalMs: 500 }),
  identity: `fault-worker-${process.env.WORKER_NAME ?? process.pid}`,
  shutdownGraceTime: '2s',
});
process.stdout.write('worker ready\n');
await worker.run();
