/**
 * Post-upgrade verification of the whole release, against the target as it was rendered at
 * pre-flight: every Deployment, StatefulSet and DaemonSet rolled out and runs exactly the
 * images the target renders, every Service has ready endpoints, and a health endpoint
 * answers.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failure-types.js';
import { splitImage, type RenderedWorkload } from '../domain/rendered-release.js';
import type { KubeTarget } from '../domain/kube-target.js';
import type { CommandRunner } from './command.js';
import { getList, getObject } from './kube-json.js';
import { kubectlRolloutStatusArgs, type Scope } from './kubectl/commands.js';
import { currentRunContext } from './run-context.js';

interface Container {
  name: string;
  image?: string;
}

export { splitImage };

export interface VerifyReleaseRequest {
  namespace: string;
  kube: KubeTarget;
  /** The workloads and their images as the target rendered them at pre-flight. */
  workloads: RenderedWorkload[];
  /** The target's Services that select pods. */
  services: string[];
  timeoutMs: number;
}

interface PodTemplateShape {
  spec?: { template?: { spec?: { containers?: Container[]; initContainers?: Container[] } } };
}

/** The images a live workload's pod template runs, initContainers first (the order renderedWorkloads uses). */
export function liveImages(obj: PodTemplateShape | undefined): string[] {
  const pod = obj?.spec?.template?.spec;
  return [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])].map((c) => c.image ?? '');
}

/** EndpointSlices of a Service -> how many endpoints are ready. */
export function readyEndpoints(slices: readonly { endpoints?: { conditions?: { ready?: boolean } }[] }[]): number {
  return slices.reduce((n, s) => n + (s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).length, 0);
}

const verificationFailed = (message: string) => ApplicationFailure.create({ type: FailureType.VerificationFailed, nonRetryable: true, message });

export function createVerifyActivities({ runner, fetch = globalThis.fetch }: { runner: CommandRunner; fetch?: typeof globalThis.fetch }) {
  return {
    /**
     * Every workload of the rendered target rolled out (`kubectl rollout status`) and
     * running exactly the rendered images; every Service with at least one ready endpoint.
     * A workload on other images fails with its name, what it runs and what was expected.
     */
    async verifyRenderedRelease(input: VerifyReleaseRequest): Promise<{ workloads: string[]; images: string[]; services: string[] }> {
      const scope: Scope = { namespace: input.namespace, kube: input.kube };
      const ctx = currentRunContext();
      const wrong: string[] = [];
      for (const w of input.workloads) {
        const target = `${w.kind.toLowerCase()}/${w.name}`;
        const obj = await getObject(runner, scope, w.kind.toLowerCase(), w.name);
        if (!obj) {
          wrong.push(`${w.kind}/${w.name} does not exist`);
          continue;
        }
        const live = liveImages(obj);
        if (live.join(' ') !== w.images.join(' ')) {
          wrong.push(`${w.kind}/${w.name} runs ${live.join(', ') || 'no image'}, the target renders ${w.images.join(', ')}`);
          continue;
        }
        await runner.run({ tool: 'kubectl', args: kubectlRolloutStatusArgs(scope, target, input.timeoutMs), mutates: false, timeoutMs: input.timeoutMs + 30_000 }, ctx);
      }
      if (wrong.length) throw verificationFailed(`the release does not run what the target renders: ${wrong.join('; ')}`);
      const noEndpoints: string[] = [];
      for (const svc of input.services) {
        const slices = (await getList(runner, scope, 'endpointslices', `kubernetes.io/service-name=${svc}`)) as { endpoints?: { conditions?: { ready?: boolean } }[] }[];
        if (readyEndpoints(slices) === 0) noEndpoints.push(svc);
      }
      if (noEndpoints.length) {
        // Retryable: endpoints follow readiness by a few seconds after a rollout.
        throw ApplicationFailure.create({ type: FailureType.VerificationFailed, message: `Service(s) without a ready endpoint: ${noEndpoints.join(', ')}` });
      }
      return {
        workloads: input.workloads.map((w) => `${w.kind}/${w.name}`),
        images: [...new Set(input.workloads.flatMap((w) => w.images))],
        services: input.services,
      };
    },

    /** GET the health endpoint; anything but 2xx fails (retryable: a fresh rollout may need a moment). */
    async checkHealth(input: { url: string; headers?: Record<string, string>; timeoutMs?: number }): Promise<{ status: number; url: string }> {
      let res: Response;
      try {
        res = await fetch(input.url, { headers: input.headers ?? {}, signal: AbortSignal.timeout(input.timeoutMs ?? 10_000) });
      } catch (err) {
        throw ApplicationFailure.create({ type: FailureType.VerificationFailed, message: `health check ${input.url} unreachable: ${(err as Error).message}` });
      }
      await res.body?.cancel();
      if (!res.ok) throw ApplicationFailure.create({ type: FailureType.VerificationFailed, message: `health check ${input.url} answered ${res.status}` });
      return { status: res.status, url: input.url };
    },
  };
}
