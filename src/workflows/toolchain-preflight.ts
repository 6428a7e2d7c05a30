/**
 * The smallest real runbook: check that the worker can run helm and kubectl, and report
 * their versions. Operators run it after deploying a worker; tests use it to prove the
 * plumbing (client -> server -> worker -> command runner -> real processes).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { ToolVersions } from '../activities/toolchain.js';
import { ApprovalPolicySchema } from '../domain/approval-policy.js';
import { readProfile } from './lib/activity-profiles.js';
import { Run } from './lib/run.js';

const { toolVersions } = proxyActivities<Activities>(readProfile);

export interface ToolchainPreflightInput {
  /** Set false where the server lacks the custom search attributes. */
  searchAttributes?: boolean;
}

export async function toolchainPreflight(input: ToolchainPreflightInput = {}): Promise<ToolVersions> {
  const run = new Run({ runbook: 'toolchain-preflight', approval: ApprovalPolicySchema.parse({ required: false }), searchAttributes: input.searchAttributes });
  return run.execute(async () => {
    run.setPhase('preflight');
    const versions = await run.step('tool versions', () => toolVersions(), { detail: (v) => `helm ${v.helm}, kubectl ${v.kubectl}` });
    run.fact('toolVersions', versions);
    return versions;
  });
}
