/**
 * Pre-flight reading of the target as the cluster would render it: the workloads and the
 * images they will run, the Services, and how the target migrates. Refusals here happen
 * before anything is backed up or changed.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../domain/failure-types.js';
import { renderedObjects, renderedServices, renderedWorkloads, workloadsOffTag, type RenderedWorkload } from '../../domain/rendered-release.js';
import { decideMigration, type MigrationPlan, type MigrationSpec } from '../../domain/soctalk/migration-mechanism.js';
import type { ChartRequest, HelmActivities } from '../helm/activities.js';

export interface TargetImageCheck {
  /** The tag(s) every image of the product must carry in the target (one per overridden key, usually all the same). */
  tags: string[];
  /** Which images are the product's (a regular expression on the repository). */
  repositoryPattern: string;
  /** The values keys that carried the tag, for the message. */
  keys: string[];
}

export interface TargetRelease {
  workloads: RenderedWorkload[];
  services: string[];
  migration?: MigrationPlan;
}

/** Reads a rendered target; throws the pre-flight refusals (wrong migration mechanism, an image left on another tag). */
export function inspectRenderedTarget(manifest: string, opts: { images: TargetImageCheck; migration?: MigrationSpec }): TargetRelease {
  const objects = renderedObjects(manifest);
  const workloads = renderedWorkloads(objects);
  const off = workloadsOffTag(workloads, new RegExp(opts.images.repositoryPattern), opts.images.tags);
  if (off.length > 0) {
    throw ApplicationFailure.create({
      type: FailureType.InvalidInput,
      nonRetryable: true,
      message:
        `the target would leave ${off.map((o) => `${o.workload} on ${o.images.join(', ')}`).join('; ')} instead of tag ${opts.images.tags.join(' or ')}: ` +
        `the image keys overridden (${opts.images.keys.join(', ') || 'none'}) do not reach it; add its tag key to the image tag keys`,
    });
  }
  let migration: MigrationPlan | undefined;
  if (opts.migration) {
    const decision = decideMigration(objects, opts.migration);
    if (!decision.ok) throw ApplicationFailure.create({ type: FailureType.InvalidInput, nonRetryable: true, message: decision.reason });
    migration = decision.plan;
  }
  return { workloads, services: renderedServices(objects), ...(migration ? { migration } : {}) };
}

export function createTargetActivities({ helm }: { helm: Pick<HelmActivities, 'helmTemplate'> }) {
  return {
    /** Renders the whole target (with the cluster's capabilities) and reads it; see inspectRenderedTarget. */
    async inspectTarget(input: ChartRequest & { images: TargetImageCheck; migration?: MigrationSpec }): Promise<TargetRelease> {
      const { images, migration, ...request } = input;
      const manifest = await helm.helmTemplate(request);
      return inspectRenderedTarget(manifest, { images, ...(migration ? { migration } : {}) });
    },
  };
}
