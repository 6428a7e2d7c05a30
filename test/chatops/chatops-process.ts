/**
 * Runs the chat-ops service as the container does (its entry point, configured by the
 * environment only) and finds its port from the "listening" log line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { repoRoot } from '../helpers/paths.js';

export interface ChatOpsProcess {
  baseUrl: string;
  /** Every stdout/stderr line so far. */
  output: string[];
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

export function spawnChatOps(env: Record<string, string>): { child: ChildProcess; output: string[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/chatops/main.ts'], {
    cwd: repoRoot,
    // Only what the test passes, plus PATH: the service must not depend on anything else.
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const collect = (chunk: Buffer) => output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output, exited };
}

export async function startChatOps(env: Record<string, string>, timeoutMs = 20_000): Promise<ChatOpsProcess> {
  const { child, output, exited } = spawnChatOps({ CHATOPS_HOST: '127.0.0.1', CHATOPS_PORT: '0', ...env });
  const deadline = Date.now() + timeoutMs;
  let port: number | undefined;
  while (port === undefined) {
    for (const line of output) {
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg === 'listening') port = entry.port;
      } catch {
        // not a log line (tsx or node warnings)
      }
    }
    if (child.exitCode !== null) throw new Error(`chat-ops exited with ${child.exitCode}:\n${output.join('\n')}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`chat-ops did not start within ${timeoutMs}ms:\n${output.join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
