// Starts test/faults/worker-main.ts as a separate OS process and kills it with SIGKILL, as
// a crashed pod or an OOM kill would: no shutdown, no cancellation, its children
// (helm in its own process group) left running.
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { repoRoot } from '../helpers/paths.js';

export interface WorkerProcess {
  name: string;
  pid: number;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

export async function startWorkerProcess(name: string, env: Record<string, string>, logDir: string): Promise<WorkerProcess> {
  const proc: ResultPromise = execa('node', ['--no-warnings', '--import', 'tsx', join(repoRoot, 'test/faults/worker-main.ts')], {
    env: { ...env, WORKER_NAME: name },
    extendEnv: true,
    reject: false,
    cleanup: true,
    stderr: { file: join(logDir, `worker-${name}.log`), append: true },
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker ${name} did not start within 60s (log: worker-${name}.log)`)), 60_000);
    proc.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('worker ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void proc.then((r) => {
      clearTimeout(timer);
      reject(new Error(`worker ${name} exited (${r.exitCode}) before it was ready`));
    });
  });
  return {
    name,
    pid: proc.pid!,
    async kill9() {
      proc.kill('SIGKILL');
      await proc;
    },
    async stop() {
      proc.kill('SIGTERM');
      await Promise.race([proc, new Promise((r) => setTimeout(r, 5_000))]);
      proc.kill('SIGKILL');
      await proc;
    },
  };
}
