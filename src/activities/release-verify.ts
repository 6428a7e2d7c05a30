/**
 * Post-upgrade verification: every Deployment and StatefulSet of the release rolled out,
 * the running images carry the new tag, and a health endpoint answers.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failure-types.js';
import { manifestObjects } from '../domain/manifest-diff.js';
import type { KubeTarget } from '../domain/kube-target.js';
import type { CommandRunner } from './command.js';
import type { HelmActivities } from './helm/activities.js';
import { getObject } from './kube-json.js';
import { kubectlRolloutStatusArgs, type Scope } from './kubectl/commands.js';
import { currentRunContext } from './run-context.js';

export interface VerifyRolloutRequest {
  release: string;
  namespace: string;
  kube: KubeTarget;
  imageTag: string;
  /** Images whose repository matches this regular expression must carry `imageTag`. */
  imagePattern: string;
  timeoutMs: number;
}

interface Container {
  name: string;
  image?: string;
}

/** "registry/soctalk-api:0.2.0" -> { repository: "registry/soctalk-api", tag: "0.2.0" } (digests ignored). */
export function splitImage(image: string): { repository: string; tag?: string } {
  const noDigest = image.split('@')[0]!;
  const colon = noDigest.lastIndexOf(':');
  return colon > noDigest.lastIndexOf('/') ? { repository: noDigest.slice(0, colon), tag: noDigest.slice(colon + 1) } : { repository: noDigest };
}

/** Images matching the pattern whose tag is not the expected one. */
export function wrongImages(images: readonly string[], pattern: RegExp, tag: string): string[] {
  return images.filter((i) => pattern.test(splitImage(i).repository) && splitImage(i).tag !== tag);
}

export function createVerifyActivities({ runner, helm, fetch = globalThis.fetch }: { runner: CommandRunner; helm: Pick<HelmActivities, 'helmGetManifest'>; fetch?: typeof globalThis.fetch }) {
  return {
    async verifyReleaseRollout(input: VerifyRolloutRequest): Promise<{ workloads: string[]; images: string[] }> {
      const scope: Scope = { namespace: input.namespace, kube: input.kube };
      const ctx = currentRunContext();
      const manifest = await helm.helmGetManifest({ release: input.release, namespace: input.namespace, kube: input.kube });
      const workloads = [...manifestObjects(manifest).keys()].filter((k) => k.startsWith('Deployment/') || k.startsWith('StatefulSet/'));
      const pattern = new RegExp(input.imagePattern);
      const seen: string[] = [];
      for (const key of workloads) {
        const [kind, name] = key.split('/') as [string, string];
        const target = `${kind.toLowerCase()}/${name}`;
        await runner.run({ tool: 'kubectl', args: kubectlRolloutStatusArgs(scope, target, input.timeoutMs), mutates: false, timeoutMs: input.timeoutMs + 30_000 }, ctx);
        const obj = await getObject(runner, scope, kind.toLowerCase(), name);
        const template = (obj?.spec as { template?: { spec?: { containers?: Container[] } } } | undefined)?.template?.spec?.containers ?? [];
        const images = template.map((c) => c.image ?? '');
        seen.push(...images.filter((i) => pattern.test(splitImage(i).repository)));
        const wrong = wrongImages(images, pattern, input.imageTag);
        if (wrong.length) {
          throw ApplicationFailure.create({
            type: FailureType.VerificationFailed,
            nonRetryable: true,
            message: `${target} runs ${wrong.join(', ')} instead of tag ${input.imageTag}: a values file probably pins image.tag`,
          });
        }
      }
      if (seen.length === 0) {
        throw ApplicationFailure.create({
          type: FailureType.VerificationFailed,
          nonRetryable: true,
          message: `no image of release ${input.release} matches /${input.imagePattern}/, so the new tag cannot be verified; set verify.imagePattern`,
        });
      }
      return { workloads, images: [...new Set(seen)] };
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
