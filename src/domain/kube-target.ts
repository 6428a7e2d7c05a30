import { z } from 'zod';
import { KubeContextSchema, WorkerPathSchema } from './grammar.js';
import { schemasOf } from './shared-schemas.js';

const schema = schemasOf('domain/kube-target');

/** Which cluster a step talks to. Both empty: the worker's default kubeconfig and context. */
export const KubeTargetSchema = schema('KubeTargetSchema', () =>
  z
    .object({
      kubeconfig: WorkerPathSchema('a kubeconfig file on the worker').optional().describe('path to a kubeconfig file on the worker'),
      context: KubeContextSchema.optional().describe('kubeconfig context name'),
    })
    .strict()
    .default({}),
);

export type KubeTarget = z.output<typeof KubeTargetSchema>;

export function helmKubeFlags(target: KubeTarget): string[] {
  return [...(target.kubeconfig ? ['--kubeconfig', target.kubeconfig] : []), ...(target.context ? ['--kube-context', target.context] : [])];
}

export function kubectlKubeFlags(target: KubeTarget): string[] {
  return [...(target.kubeconfig ? ['--kubeconfig', target.kubeconfig] : []), ...(target.context ? ['--context', target.context] : [])];
}
