/**
 * Reading `kubectl get -o json` output: lists and single objects. The envelope (items,
 * metadata) is checked by the one JSON parser; the rest stays loose on purpose (only the
 * fields a step needs are read, each checked where it is used).
 */
import { z } from 'zod';
import type { CommandRunner, RunContext } from './command.js';
import { parseJsonOutput } from './json-output.js';
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

const KubeObjectJson = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: z.looseObject({
    name: z.string(),
    namespace: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    creationTimestamp: z.string().optional(),
    generation: z.number().optional(),
  }),
  spec: z.record(z.string(), z.unknown()).optional(),
  status: z.record(z.string(), z.unknown()).optional(),
  data: z.record(z.string(), z.string()).optional(),
});
const KubeListJson = z.looseObject({ items: z.array(KubeObjectJson).default([]) });

/** A `kubectl get <kind> -o json` list: its items. */
export function parseKubeList(text: string, what: string): KubeObject[] {
  return parseJsonOutput(KubeListJson, text, what, { tool: 'kubectl' }).items;
}

/** One `kubectl get <kind> <name> -o json` object. */
export function parseKubeObject(text: string, what: string): KubeObject {
  return parseJsonOutput(KubeObjectJson, text, what, { tool: 'kubectl' });
}

/** `context`: the activity's, unless the caller merges progress into the command's heartbeats. */
export async function getList(runner: CommandRunner, scope: Scope, kind: string, selector?: string, context: RunContext = currentRunContext()): Promise<KubeObject[]> {
  const out = await runner.run({ tool: 'kubectl', args: kubectlGetJsonArgs(scope, kind, selector ? { selector } : {}), mutates: false }, context);
  return parseKubeList(out.stdout, kind);
}

export async function getClusterList(runner: CommandRunner, kube: KubeTarget, kind: string, selector?: string): Promise<KubeObject[]> {
  const out = await runner.run({ tool: 'kubectl', args: kubectlGetClusterJsonArgs(kube, kind, selector ? { selector } : {}), mutates: false }, currentRunContext());
  return parseKubeList(out.stdout, kind);
}

/** One object, or undefined when it does not exist. */
export async function getObject(runner: CommandRunner, scope: Scope, kind: string, name: string, context: RunContext = currentRunContext()): Promise<KubeObject | undefined> {
  const out = await runner.run({ tool: 'kubectl', args: kubectlGetJsonArgs(scope, kind, { name, ignoreNotFound: true }), mutates: false }, context);
  return out.stdout.trim() ? parseKubeObject(out.stdout, `${kind} ${name}`) : undefined;
}
