/**
 * "Upgrade a single tenant's data plane", with the runbook's breaking-change section:
 * never ahead of soctalk-system; values from SocTalk (or the release) with the image tags
 * overridden; PVC snapshots first for breaking changes; inside the maintenance window;
 * `helm upgrade --wait --timeout 15m`; rollout status; heartbeats settle; alerts flow.
 * On failure: `helm rollback` to the previous revision and, per policy, PVC restore.
 */
import { refuseInlineSecretsWithoutCodec } from '../lib/inline-secrets.js';
import { ApplicationFailure, proxyActivities, proxyLocalActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { humanDuration } from '../../domain/duration.js';
import { FailureType } from '../../domain/failure-types.js';
import { nextWindowStart } from '../../domain/soctalk/maintenance-window.js';
import {
  expectedAdapterVersion,
  FLEET_CAPABILITIES_MAX_AGE_MS,
  imageTagOverrides,
  tenantNamespace,
  tenantRelease,
  tenantRunIdentity,
  TenantUpgradeInputSchema,
  type TenantUpgradeInput,
} from '../../domain/soctalk/tenant-upgrade-input.js';
import { localReadProfile, longStepProfile, readProfile } from '../lib/activity-profiles.js';
import { refuse } from '../lib/errors.js';
import { requireReleaseWorkflowId } from '../lib/release-workflow-id.js';
import { Run } from '../lib/run.js';
import { parseRunInput } from '../../domain/validate.js';
import { checkLiveRelease, pushHelmRollback } from '../release-steps/index.js';
import { checkSystemFirst } from './system-gate.js';

type A = Activities;
const { releaseDeployments, adapterHeartbeat, tenantInspectTarget } = proxyActivities<A>(readProfile);
// A fleet runs this once per tenant: its short reads are local activities (see localReadProfile).
const { readClusterCapabilities } = proxyLocalActivities<A>(localReadProfile);

export interface TenantUpgradeResult {
  tenant: string;
  release: string;
  namespace: string;
  systemVersion: string;
  fromVersion?: string;
  toVersion: string;
  fromRevision: number;
  toRevision: number;
  /** Which source rendered the values and their sha256 (never the values). */
  values: { source: string; sha256: string; bytes: number };
  imageTags: Record<string, string>;
  snapshots: string[];
  deployments: string[];
  heartbeat?: { at: string; version: string };
  alertCheck?: string;
  /** When the upgrade waited for its maintenance window. */
  waitedForWindowMs: number;
}

export async function soctalkTenantUpgrade(raw: TenantUpgradeInput): Promise<TenantUpgradeResult> {
  const input = parseRunInput(TenantUpgradeInputSchema, raw, 'soctalk-tenant-upgrade');
  await refuseInlineSecretsWithoutCodec(input, 'soctalk-tenant-upgrade');
  const release = tenantRelease(input.tenant);
  const namespace = tenantNamespace(input.tenant);
  requireReleaseWorkflowId('soctalk-tenant-upgrade', { namespace, release });
  const tenantRef = { release, namespace, kube: input.kube };
  const imageTags = imageTagOverrides(input);
  const long = proxyActivities<A>(longStepProfile(input.helmTimeout));
  const rollout = proxyActivities<A>(longStepProfile(input.rolloutTimeout));
  const snapshotting = proxyActivities<A>(longStepProfile(input.snapshots.timeout));
  const checks = input.alertCheck ? proxyActivities<A>(longStepProfile(input.alertCheck.timeout)) : undefined;

  const run = new Run({
    ...tenantRunIdentity(input.tenant, input.version),
    ...(input.requestedBy ? { requestedBy: input.requestedBy } : {}),
    approval: input.approval,
    ...(input.searchAttributes !== undefined ? { searchAttributes: input.searchAttributes } : {}),
  });

  return run.execute(async () => {
    run.setPhase('preflight');
    if (input.fleet) run.fact('fleet', input.fleet);
    const gate = await run.step('never upgrade tenant charts ahead of soctalk-system', () => checkSystemFirst(input), {
      detail: (g) => `soctalk-system ${g.systemVersion} supports soctalk-tenant ${input.version}`,
    });

    let waitedForWindowMs = 0;
    const window = input.maintenanceWindow;
    if (window) {
      run.setPhase('waiting-window');
      waitedForWindowMs = await run.step(
        'wait for the maintenance window',
        async () => {
          const decision = nextWindowStart(window, new Date());
          if (!decision) {
            throw refuse(
              FailureType.InvalidInput,
              `maintenanceWindow: the upgrade (estimated ${humanDuration(window.estimatedDuration)}) cannot finish inside a ${window.start}-${window.end} ${window.timeZone} window`,
            );
          }
          run.fact('maintenanceWindow', { startAt: decision.startAt.toISOString(), closesAt: decision.closesAt.toISOString() });
          if (!decision.openNow) await sleep(decision.waitMs);
          return decision.waitMs;
        },
        { detail: (ms) => (ms > 0 ? `waited ${humanDuration(ms)} for the window` : 'the window is open') },
      );
    } else {
      run.skip('wait for the maintenance window', 'no maintenance window configured');
    }

    // Back from waiting for the window (unchanged otherwise: a phase change is an event).
    if (window) run.setPhase('preflight');
    const before = await checkLiveRelease(run, 'read the tenant release', tenantRef, { whenMissing: 'the tenant upgrade only upgrades existing tenants', local: true });
    const fromRevision = before.status.revision;
    const fromVersion = before.status.chartVersion;
    run.fact('from', { revision: fromRevision, version: fromVersion });

    // A fleet's tenants share a read this worker made in the last FLEET_CAPABILITIES_MAX_AGE_MS:
    // the cluster is the same for all of them, and each read is three kubectl calls.
    const { readMsAgo: _shared, ...capabilities } = await run.step(
      'read the cluster version and API versions',
      () => readClusterCapabilities({ kube: input.kube, ...(input.fleet ? { maxAgeMs: FLEET_CAPABILITIES_MAX_AGE_MS } : {}) }),
      {
        detail: (c) =>
          `Kubernetes ${c.kubeVersion}, ${c.apiVersions.length} API versions${c.readMsAgo !== undefined ? ` (read ${Math.round(c.readMsAgo / 1000)}s earlier on this worker for another tenant of the fleet)` : ''}`,
      },
    );
    // What is rendered and what is upgraded are the same chart, values and overrides.
    const chartRequest = {
      tenant: input.tenant,
      ...tenantRef,
      chart: input.chart,
      version: input.version,
      valuesSource: input.valuesSource,
      setString: imageTags,
      capabilities,
    };
    // Before anything changes: the target with these values and overrides renders (the
    // chart's schema accepts the keys) and puts every SocTalk workload on the target tag.
    const target = await run.step(
      'render the target: every SocTalk workload on the target images',
      () => tenantInspectTarget({ ...chartRequest, imagePattern: input.imagePattern }),
      { detail: (t) => t.workloads.map((w) => `${w.kind}/${w.name} ${w.images.join(', ')}`).join('; ') },
    );

    await run.awaitApproval('approve the tenant upgrade', `${release}: soctalk-tenant ${fromVersion ?? '?'} -> ${input.version}`);

    let snapshots: { name: string; pvc: string }[] = [];
    if (input.breakingChange) {
      run.setPhase('snapshotting');
      const taken = await run.step(
        'snapshot tenant PVCs',
        () =>
          snapshotting.snapshotVolumes({
            namespace,
            kube: input.kube,
            selector: input.snapshots.selector ?? '',
            // Per run, as the system backup: the next run on this tenant never adopts these.
            namePrefix: `${release}-pre-${input.version.replace(/[^a-z0-9-]/gi, '-')}-${workflowInfo().runId}`.toLowerCase(),
            ...(input.snapshots.snapshotClass ? { snapshotClass: input.snapshots.snapshotClass } : {}),
            timeoutMs: input.snapshots.timeout,
          }),
        { detail: (r) => `${r.snapshots.length} snapshot(s): ${r.snapshots.map((s) => s.name).join(', ')}` },
      );
      if (taken.unsupported) {
        throw refuse(FailureType.PrerequisiteMissing, `a breaking-change upgrade snapshots the tenant's PVCs first, but ${taken.unsupported}`);
      }
      snapshots = taken.snapshots;
      run.fact('snapshots', snapshots);
      if (input.onFailure.restoreVolumes && snapshots.length > 0) {
        run.compensations.push(`restore ${snapshots.length} tenant PVC(s) from their pre-upgrade snapshots`, async () => {
          const workloads = (await releaseDeployments(tenantRef)).map((d) => `deployment/${d}`);
          const r = await snapshotting.restoreVolumes({ namespace, kube: input.kube, snapshots, workloads, timeoutMs: input.snapshots.timeout });
          return `restored ${r.restored.join(', ')}`;
        });
      }
    } else {
      run.skip('snapshot tenant PVCs', 'not a breaking-change upgrade');
    }

    if (input.onFailure.rollback) {
      pushHelmRollback(run, { ref: tenantRef, toRevision: fromRevision, timeoutMs: input.helmTimeout, skipWhenUnchanged: true });
    }

    run.setPhase('upgrading');
    const upgraded = await run.step(
      'helm upgrade --wait',
      () =>
        long.tenantHelmUpgrade({ ...chartRequest, timeoutMs: input.helmTimeout, fromRevision }),
      {
        uninterruptible: true,
        detail: (u) => `revision ${u.revision} (${u.status}), values from ${u.valuesSource} sha256 ${u.valuesSha256.slice(0, 12)}${u.alreadyDone ? '; already done by an earlier attempt' : ''}`,
      },
    );
    if (upgraded.status !== 'deployed') {
      throw ApplicationFailure.create({ type: FailureType.VerificationFailed, nonRetryable: true, message: `${release} is ${upgraded.status} at revision ${upgraded.revision} after helm upgrade` });
    }

    run.setPhase('verifying');
    await run.step('kubectl rollout status deploy/soctalk-adapter', () =>
      rollout.rolloutStatus({ namespace, kube: input.kube, target: 'deploy/soctalk-adapter', timeoutMs: input.rolloutTimeout }),
    );
    const verified = await run.step(
      'every workload of the release runs the target images, every Service has ready endpoints',
      () =>
        rollout.verifyRenderedRelease({ namespace, kube: input.kube, workloads: target.workloads, services: target.services, timeoutMs: input.rolloutTimeout }),
      { detail: (v) => `${v.workloads.length} workload(s) on ${v.images.join(', ')}; ${v.services.length} Service(s) with endpoints` },
    );
    const deployments = target.workloads.filter((w) => w.kind === 'Deployment').map((w) => w.name);
    run.fact('verified', verified.workloads);
    const rolledOutAt = Date.now();

    if (input.heartbeat.settle > 0) {
      run.setPhase('settling');
      await run.step('let heartbeat settle', () => sleep(input.heartbeat.settle), { detail: () => `waited ${humanDuration(input.heartbeat.settle)}` });
    } else {
      run.skip('let heartbeat settle', 'heartbeat.settle is 0');
    }

    let heartbeat: { at: string; version: string } | undefined;
    const hb = input.heartbeat;
    const apiUrl = hb.apiUrl;
    if (apiUrl) {
      const expected = expectedAdapterVersion(input);
      heartbeat = await run.step(
        'adapter heartbeat reports the target version',
        async () => {
          const deadline = Date.now() + hb.timeout;
          for (;;) {
            const seen = await adapterHeartbeat({ apiUrl, tenant: input.tenant });
            if (seen.at && Date.parse(seen.at) > rolledOutAt && seen.version === expected) return { at: seen.at, version: seen.version };
            if (Date.now() + hb.pollInterval > deadline) {
              throw ApplicationFailure.create({
                type: FailureType.VerificationFailed,
                nonRetryable: true,
                message:
                  `the soctalk-adapter of tenant-${input.tenant} did not report ${expected} with a heartbeat after the rollout within ${humanDuration(hb.timeout)} ` +
                  `(last: ${seen.at ?? 'no heartbeat'}, version ${seen.version ?? 'unknown'})`,
              });
            }
            await sleep(hb.pollInterval);
          }
        },
        { detail: (h) => `heartbeat at ${h.at} reports ${h.version}` },
      );
    } else {
      run.skip('adapter heartbeat reports the target version', 'no SocTalk API address configured');
    }

    let alertCheck: string | undefined;
    const check = input.alertCheck;
    if (check && checks) {
      alertCheck = await run.step('verify alerts flow end-to-end', () => checks.checkAlertFlow({ tenant: input.tenant, check }), { detail: (d) => d });
    } else {
      run.skip('verify alerts flow end-to-end', 'no alert check configured');
    }

    const result: TenantUpgradeResult = {
      tenant: input.tenant,
      release,
      namespace,
      systemVersion: gate.systemVersion,
      ...(fromVersion ? { fromVersion } : {}),
      toVersion: upgraded.chartVersion ?? input.version,
      fromRevision,
      toRevision: upgraded.revision,
      values: { source: upgraded.valuesSource, sha256: upgraded.valuesSha256, bytes: upgraded.valuesBytes },
      imageTags,
      snapshots: snapshots.map((s) => s.name),
      deployments,
      ...(heartbeat ? { heartbeat } : {}),
      ...(alertCheck ? { alertCheck } : {}),
      waitedForWindowMs,
    };
    run.fact('result', { fromRevision, toRevision: upgraded.revision, toVersion: result.toVersion });
    return result;
  });
}
