/**
 * The runbook's `kubectl get ns -l <selector>` as a paged read: one activity a page of
 * TENANT_PAGE_SIZE namespaces, so no single activity result grows with the fleet (a list
 * of 20,000 tenant namespaces is about 400 KB, near Temporal's 512 KB payload warning).
 * A page token the API server has dropped starts the list over, at most a few times.
 */
import { patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../../activities/index.js';
import type { KubeTarget } from '../../../domain/kube-target.js';
import { FailureType } from '../../../domain/failure-types.js';
import { slugsFromNamespaces } from '../../../domain/soctalk/wave-plan.js';
import { readProfile } from '../../lib/activity-profiles.js';
import { refuse } from '../../lib/errors.js';

const { listTenantNamespaces, listTenantNamespacePage } = proxyActivities<Activities>(readProfile);

/** Fleets started before the paged listing replay their one-result list (Temporal's patching). */
const PAGED_LISTING = 'paged-tenant-listing';

/** kubectl's own default chunk size: about 12 KB of names a page. */
export const TENANT_PAGE_SIZE = 500;
const MAX_RESTARTS = 3;

export async function listTenantSlugs(selector: string, kube: KubeTarget): Promise<string[]> {
  if (!patched(PAGED_LISTING)) return slugsFromNamespaces(await listTenantNamespaces({ selector, kube }));
  for (let restart = 0; restart <= MAX_RESTARTS; restart++) {
    const namespaces: string[] = [];
    let continueToken: string | undefined;
    let expired = false;
    do {
      const page = await listTenantNamespacePage({ selector, kube, limit: TENANT_PAGE_SIZE, ...(continueToken ? { continueToken } : {}) });
      if (page.expired) {
        expired = true;
        break;
      }
      namespaces.push(...page.names);
      continueToken = page.continueToken;
    } while (continueToken);
    if (!expired) return slugsFromNamespaces(namespaces);
  }
  throw refuse(FailureType.ServerUnavailable, `tenants.selector: the API server expired the namespace list's page token ${MAX_RESTARTS + 1} times; retry the fleet when the API server is less busy`);
}
