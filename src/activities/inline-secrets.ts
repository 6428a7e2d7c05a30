/**
 * The worker's half of the inline-secret rule: only the worker knows whether its payload
 * codec is on. A workflow whose input carries inline secrets (src/codec/inline-secrets.ts)
 * asks here first, before any other step; with the codec off the run fails as invalid
 * input. Only field paths reach this activity, never the values.
 */
import { ApplicationFailure } from '@temporalio/common';
import { inlineSecretsRefusal } from '../codec/inline-secrets.js';
import { FailureType } from '../domain/failure-types.js';

export interface InlineSecretsCheck {
  runbook: string;
  paths: string[];
}

export function createInlineSecretActivities(deps: { codecEnabled: boolean }) {
  return {
    checkInlineSecrets({ runbook, paths }: InlineSecretsCheck): Promise<void> {
      if (deps.codecEnabled || paths.length === 0) return Promise.resolve();
      return Promise.reject(ApplicationFailure.create({ type: FailureType.InvalidInput, nonRetryable: true, message: inlineSecretsRefusal(runbook, paths) }));
    },
  };
}
