/**
 * "Cluster prereqs (CNI, cert-manager, ingress)": the API groups and CRDs the chart needs
 * must already be served, or the upgrade is refused before anything changes.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failure-types.js';
import type { KubeTarget } from '../domain/kube-target.js';
import type { CommandRunner } from './command.js';
import { getClusterList } from './kube-json.js';
import { kubectlApiResourcesArgs } from './kubectl/commands.js';
import { currentRunContext } from './run-context.js';

/** `kubectl api-resources -o name` lines ("deployments.apps", "pods") -> served API groups ("" for core). */
export function servedApiGroups(apiResourcesOutput: string): Set<string> {
  const groups = new Set<string>();
  for (const line of apiResourcesOutput.split('\n')) {
    const name = line.trim();
    if (!name) continue;
    const dot = name.indexOf('.');
    groups.add(dot < 0 ? '' : name.slice(dot + 1));
  }
  return groups;
}

export function createClusterPrerequisiteActivities({ runner }: { runner: CommandRunner }) {
  return {
    async checkClusterPrerequisites(input: { kube: KubeTarget; apiGroups: string[]; crds: string[] }): Promise<{ checked: string[] }> {
      const missing: string[] = [];
      if (input.apiGroups.length) {
        const out = await runner.run({ tool: 'kubectl', args: kubectlApiResourcesArgs(input.kube), mutates: false }, currentRunContext());
        const served = servedApiGroups(out.stdout);
        for (const group of input.apiGroups) if (!served.has(group)) missing.push(`API group ${group}`);
      }
      if (input.crds.length) {
        const crds = new Set((await getClusterList(runner, input.kube, 'customresourcedefinitions')).map((c) => c.metadata.name));
        for (const crd of input.crds) if (!crds.has(crd)) missing.push(`CRD ${crd}`);
      }
      if (missing.length) {
        throw ApplicationFailure.create({
          type: FailureType.PrerequisiteMissing,
          nonRetryable: true,
          message: `cluster prerequisites missing: ${missing.join(', ')}; install or upgrade them first (runbook: "Upgrade ordering", step 1)`,
        });
      }
      return { checked: [...input.apiGroups.map((g) => `API group ${g}`), ...input.crds.map((c) => `CRD ${c}`)] };
    },
  };
}
