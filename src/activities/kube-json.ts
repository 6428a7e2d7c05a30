/**
 * Reading `kubectl get -o json` output: lists and single objects, loosely typed on
 * purpose (only the fields a step needs are read, each checked where it is used).
 */
import type { CommandRunner } from './command.js';
import { kubectlGetClusterJsonArgs, kubectlGetJsonArgs, type Scope } from './kubectl/commands.js';
import type { KubeTarget } from '../domain/kube-target.js';
import { currentRunContext } from './run-context.js';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; creationTimestamp?: string; generation?: number };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  data?: Record<string, string>;
}

export async function getList(runner: CommandRunner, scope: Scope, kind: string, selector?: string): Promise<KubeObject[]> {
  const out = await runner.run({ tool: 'kubectl', args: kubectlGetJsonArgs(scope, kind, selector ? { selector } : {}), mutates: false }, currentRunContext());
  return (JSON.parse(out.stdout) as { items?: KubeObject[] }).items ?? [];
}

export async function getClusterList(runner: CommandRunner, kube: KubeTarget, kind: string, selector?: string): Promise<KubeObject[]> {
  const out = await runner.run({ tool: 'kubectl', args: kubectlGetClusterJsonArgs(kube, kind, selector ? { selector } : {}), mutates: false }, currentRunContext());
  return (JSON.parse(out.stdout) as { items?: KubeObject[] }).items ?? [];
}

/** One object, or undefined when it does not exist. */
export async function getObject(runner: CommandRunner, scope: Scope, kind: string, name: string): Promise<KubeObject | undefined> {
  const out = await runner.run(
    { tool: 'kubectl', args: [...kubectlGetJsonArgs(scope, kind, { name }), '--ignore-not-found'], mutates: false },
    currentRunContext(),
  );
  return out.stdout.trim() ? (JSON.parse(out.stdout) as KubeObject) : undefined;
}
