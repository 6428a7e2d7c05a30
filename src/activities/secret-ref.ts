/**
 * Resolves a secret named by reference (a Kubernetes Secret key or an environment
 * variable on the worker) inside an activity, and registers the value with the runner's
 * redactor so it can never reach a log, an error or workflow history.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failure-types.js';
import type { KubeTarget } from '../domain/kube-target.js';
import type { SecretRef } from '../domain/soctalk/system-upgrade-input.js';
import type { CommandRunner } from './command.js';
import { getObject } from './kube-json.js';

export async function resolveSecretRef(
  runner: CommandRunner,
  ref: SecretRef,
  defaults: { namespace: string; kube: KubeTarget },
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  let value: string | undefined;
  if ('env' in ref) {
    value = env[ref.env];
    if (!value) throw notFound(`environment variable ${ref.env} is not set on the worker`);
  } else {
    const namespace = ref.secretRef.namespace ?? defaults.namespace;
    const secret = await getObject(runner, { namespace, kube: defaults.kube }, 'secret', ref.secretRef.name);
    if (!secret) throw notFound(`Secret ${namespace}/${ref.secretRef.name} does not exist`);
    const encoded = secret.data?.[ref.secretRef.key];
    if (!encoded) throw notFound(`Secret ${namespace}/${ref.secretRef.name} has no key "${ref.secretRef.key}"`);
    value = Buffer.from(encoded, 'base64').toString('utf8').trim();
  }
  runner.redactor.addSecret(value);
  return value;
}

function notFound(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.NotFound, nonRetryable: true, message });
}
