import { z } from 'zod';
import type { CommandRunner } from './command.js';
import { parseJsonOutput } from './json-output.js';
import { helmVersionArgs } from './helm/commands.js';
import { currentRunContext } from './run-context.js';

export interface ToolVersions {
  helm: string;
  kubectl: string;
}

const KubectlVersionJson = z.looseObject({ clientVersion: z.looseObject({ gitVersion: z.string().optional() }).optional() });

export const kubectlClientVersionArgs = (): string[] => ['version', '--client', '--output', 'json'];

export function createToolchainActivities({ runner }: { runner: CommandRunner }) {
  return {
    /** The versions of the tools this worker runs: proves the worker can run them at all. */
    async toolVersions(): Promise<ToolVersions> {
      const ctx = currentRunContext();
      const helm = await runner.run({ tool: 'helm', args: helmVersionArgs(), mutates: false, timeoutMs: 30_000 }, ctx);
      const kubectl = await runner.run({ tool: 'kubectl', args: kubectlClientVersionArgs(), mutates: false, timeoutMs: 30_000 }, ctx);
      const client = parseJsonOutput(KubectlVersionJson, kubectl.stdout, 'kubectl version').clientVersion;
      return { helm: helm.stdout.trim(), kubectl: client?.gitVersion ?? 'unknown' };
    },
  };
}
