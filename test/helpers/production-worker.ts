// The worker as operators run it: `src/worker.ts` (the production entry point, its JSON
// logger, its heartbeat throttle, its codec choice) in its own OS process, configured only
// through the environment. Everything it prints is kept, so a test can read or grep it.
//
//   const w = await startProductionWorker({ TEMPORAL_ADDRESS, TEMPORAL_TASK_QUEUE, ... });
//   w.log.join('')      // every line it wrote to stdout and stderr
//   await w.stop();
import { type ChildProcess, spawn } from 'node:child_process';
import { repoRoot } from './paths.js';

export interface ProductionWorker {
  child: ChildProcess;
  /** stdout and stderr chunks, in arrival order. */
  log: string[];
  /** SIGTERM (the worker drains), then waits for the exit. */
  stop(): Promise<void>;
}

/** The toolchain's binaries (HELM_BIN, KUBECTL_BIN, PG_BIN_DIR...) from this process: nothing else of its environment. */
export function toolEnv(source: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(Object.entries(source).filter((e): e is [string, string] => e[1] !== undefined && /_BIN(_DIR)?$/.test(e[0])));
}

export function startProductionWorker(env: Record<string, string>, startTimeoutMs = 180_000): Promise<ProductionWorker> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], { cwd: repoRoot, env: { PATH: process.env.PATH ?? '', ...toolEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  const collect = (chunk: Buffer) => log.push(chunk.toString('utf8'));
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start within ${startTimeoutMs / 1000}s:\n${log.join('')}`)), startTimeoutMs);
    const check = () => {
      if (log.join('').includes('"message":"worker started"')) {
        clearTimeout(timer);
        child.stdout.off('data', check);
        resolve({ child, log, stop });
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}:\n${log.join('')}`));
    });
  });
}
