/**
 * What the OpenCTI runbooks share: input validation inside the workflow, the guide's
 * verification steps, and the compensations (helm rollback to the pre-upgrade revision,
 * or back to single mode on v2). Not a workflow itself.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { UpgradeResult } from '../../activities/helm/activities.js';
import type { ValuesPlan } from '../../activities/opencti/activities.js';
import type { Values } from '../../domain/chart.js';
import { FailureType, type FailureTypeName } from '../../domain/failure-types.js';
import type { KubeTarget } from '../../domain/kube-target.js';
import type { HealthCheck } from '../../domain/opencti/inputs.js';
import { parseRunInput } from '../../domain/validate.js';
import type { Topology, ValuesWarning } from '../../domain/opencti/values-migration.js';
import { mergeOverlays } from '../../domain/opencti/values.js';
import type { ApprovalPolicy } from '../../domain/approval-policy.js';
import { longStepProfile, notifyProfile, readProfile } from '../lib/activity-profiles.js';
import { refuse } from '../lib/errors.js';
import { Run } from '../lib/run.js';

export const reads = proxyActivities<Activities>(readProfile);
const { notify } = proxyActivities<Activities>(notifyProfile);

/** helm --wait steps: a start-to-close budget just above helm's own --timeout. */
export const longSteps = (timeoutMs: number) => proxyActivities<Activities>(longStepProfile(timeoutMs));

export interface OpenctiRelease {
  release: string;
  namespace: string;
  kube: KubeTarget;
}

export const releaseRef = (i: OpenctiRelease): OpenctiRelease => ({ release: i.release, namespace: i.namespace, kube: i.kube });

/** The shared run contract, with chat notifications and the CLI's approve command as the hint. */
export function openctiRun(
  runbook: string,
  input: { release: string; namespace: string; requestedBy?: string | undefined; approval: ApprovalPolicy; searchAttributes: boolean },
  targetVersion: string | undefined,
): Run {
  return new Run({
    runbook,
    release: input.release,
    namespace: input.namespace,
    ...(targetVersion ? { targetVersion } : {}),
    ...(input.requestedBy ? { requestedBy: input.requestedBy } : {}),
    approval: input.approval,
    searchAttributes: input.searchAttributes,
    notify,
    approveHint: `runbook approve ${workflowInfo().workflowId}`,
  });
}

/** Validates the raw input; a bad one fails the run (non-retryable InvalidInput naming the field). */
export const parseInput = parseRunInput;

/** The operator's values with the plan's overlay applied last (inline values come after files). */
export function withOverlay(values: Values, overlay: Record<string, unknown>): Values {
  if (Object.keys(overlay).length === 0) return values;
  return { ...values, inline: mergeOverlays(values.inline ?? {}, overlay) };
}

export function formatWarnings(warnings: readonly ValuesWarning[]): string[] {
  return warnings.map((w) => `${w.blocking ? 'BLOCKING' : 'warning'} [${w.code}] ${w.message}`);
}

/** Blocking warnings end the run before anything changed. */
export function refuseBlocking(warnings: readonly ValuesWarning[]): void {
  const blocking = warnings.filter((w) => w.blocking);
  if (blocking.length === 0) return;
  const type: FailureTypeName = blocking.some((w) => w.code === 'chart-too-old') ? FailureType.Incompatible : FailureType.InvalidValues;
  throw refuse(type, blocking.map((w) => w.message).join('; '));
}

/** What the approver reads: warnings, the diff, then the generated values (capped). */
export function planSummary(title: string, plan: ValuesPlan, maxPreview = 4_000): string {
  const diff = plan.diff.length > 80 ? [...plan.diff.slice(0, 80), `... ${plan.diff.length - 80} more changes (status facts.valuesDiff)`] : plan.diff;
  const preview = plan.preview.length > maxPreview ? `${plan.preview.slice(0, maxPreview)}\n# ... (full preview in status facts.valuesPreview)` : plan.preview;
  return [
    title,
    ...(plan.warnings.length ? ['', 'Warnings:', ...formatWarnings(plan.warnings)] : []),
    '',
    `Diff (${plan.diff.length} changes):`,
    ...(diff.length ? diff : ['(no change)']),
    '',
    'Generated values (secrets hidden):',
    preview,
  ].join('\n');
}

/**
 * After a human approved a plan, plans again and refuses if the generated values changed
 * (a values file edited on the worker during the wait): what is applied is what was
 * approved. It also re-creates the values file on the worker that runs it now.
 */
export async function confirmApprovedPlan(run: Run, approved: ValuesPlan, replan: () => Promise<ValuesPlan>): Promise<ValuesPlan> {
  const again = await run.step('check the values are the ones approved', replan, { detail: (p) => `sha256 ${p.sha256.slice(0, 12)}` });
  if (again.sha256 !== approved.sha256) {
    throw refuse(
      FailureType.InvalidValues,
      `the generated values changed since they were approved (sha256 ${approved.sha256.slice(0, 12)} -> ${again.sha256.slice(0, 12)}): the values files were edited; start a new run`,
    );
  }
  return again;
}

/** The generated values file, as helm values (the --set pairs are already in it). */
export function generatedValues(plan: ValuesPlan): Values {
  if (!plan.valuesFile) throw refuse(FailureType.InvalidValues, `the ${plan.change} plan produced no values file`);
  return { files: [plan.valuesFile], set: {} };
}

export function recordPlan(run: Run, plan: ValuesPlan): void {
  run.fact('valuesFile', plan.valuesFile);
  run.fact('valuesSha256', plan.sha256);
  run.fact('valuesWarnings', formatWarnings(plan.warnings));
  run.fact('valuesDiff', plan.diff);
  run.fact('valuesPreview', plan.preview);
  run.fact('topology', plan.topology);
}

export interface VerificationResult {
  pods: number;
  services: Array<{ name: string; readyEndpoints: number }>;
  ingress?: { name: string; hosts: string[] };
  health: string[];
}

/**
 * The guide's verification, done properly. `clustering`: also Deployments rolled out with
 * the configured replicas, and where workers and connectors point.
 */
export async function verifyRelease(run: Run, ref: OpenctiRelease, topology: Topology, health: HealthCheck, style: 'single' | 'clustering'): Promise<VerificationResult> {
  const platformNames = topology.platform.map((p) => p.component).join(' and ');
  if (style === 'clustering') {
    await run.step(`verify ${platformNames} deployments rolled out`, () => reads.openctiCheckDeployments({ ...ref, expect: topology.platform }), {
      detail: (r) => r.deployments.map((d) => `${d.name} ${d.ready}/${d.desired}`).join(', '),
    });
  }
  const pods = await run.step(style === 'single' ? 'verify all pods are running' : 'verify all cluster components', () => reads.openctiCheckPods({ ...ref, expect: topology.platform }), {
    detail: (r) => `${r.ready}/${r.total} pods Running and Ready`,
  });
  const services = await run.step(
    style === 'single' ? 'check services are accessible' : `check ${platformNames} services`,
    () => reads.openctiCheckServices({ ...ref, services: topology.platform.map((p) => p.name) }),
    { detail: (r) => r.services.map((s) => `${s.name}: ${s.readyEndpoints} ready endpoints`).join(', ') },
  );
  let ingress: VerificationResult['ingress'];
  if (topology.ingress) {
    const expected = topology.ingress;
    ingress = await run.step('check ingress configuration', () => reads.openctiCheckIngress({ ...ref, name: expected.name, service: expected.service }), {
      detail: (r) => `${r.name}: ${r.hosts.join(', ') || 'no hosts'}`,
    });
  } else {
    run.skip('check ingress configuration', 'no ingress in the values');
  }
  if (style === 'clustering') {
    if (topology.workerTarget || topology.connectorTarget) {
      const targets = { ...(topology.workerTarget ? { workerTarget: topology.workerTarget } : {}), ...(topology.connectorTarget ? { connectorTarget: topology.connectorTarget } : {}) };
      await run.step(
        `verify ${[topology.workerTarget && `workers connect to ${topology.workerTarget}`, topology.connectorTarget && `connectors to ${topology.connectorTarget}`].filter(Boolean).join(' and ')}`,
        () => reads.openctiCheckRouting({ ...ref, ...targets }),
        { detail: (r) => r.checked.map((c) => `${c.deployment} -> ${c.url ?? c.note}`).join(', ') },
      );
    } else {
      run.skip('verify workers and connectors', 'no worker or connector enabled');
    }
  }
  const healthy: string[] = [];
  for (const p of topology.platform) {
    const name = style === 'single' ? 'test application accessibility' : `test ${p.component} accessibility`;
    if (!health.enabled) {
      run.skip(name, 'health check disabled in the input');
      continue;
    }
    const r = await run.step(name, () => reads.openctiCheckHealth({ ...ref, components: [p.component], health }), {
      detail: (h) => h.checked.map((c) => `${c.url} ${c.status}`).join(', '),
    });
    healthy.push(...r.checked.map((c) => `${c.component} ${c.status}`));
  }
  return { pods: pods.total, services: services.services, ...(ingress ? { ingress } : {}), health: healthy };
}

/**
 * For compensation "none": says so in the outcome. Without it, a failure after the upgrade
 * would end with "nothing had been changed", which is false.
 */
export function pushNoCompensation(run: Run): void {
  run.compensations.push('no compensation (input compensation: none): the release stays as the upgrade left it', () => Promise.resolve('check it by hand'));
}

/** Compensation: helm rollback to the revision the run found, with --wait. */
export function pushHelmRollback(run: Run, ref: OpenctiRelease, toRevision: number, timeoutMs: number): void {
  run.compensations.push(`helm rollback ${ref.release} to revision ${toRevision}`, async () => {
    const result = await longSteps(timeoutMs).helmRollback({ ...ref, toRevision, afterRevision: toRevision, wait: true, timeoutMs });
    return result.alreadyDone ? `already at revision ${result.revision}` : `now revision ${result.revision}`;
  });
}

/**
 * Compensation for the clustering migration: the operator's own (single-mode) values
 * with clustering off, on the same chart version: the guide's "disable clustering".
 */
export function pushDisableClustering(run: Run, ref: OpenctiRelease, chart: { chart: { ref: string; repository?: { name: string; url: string } }; version: string; values: Values }, timeoutMs: number): void {
  run.compensations.push(`helm upgrade ${ref.release} back to single mode (clustering.enabled=false)`, async () => {
    const state = await reads.helmReleaseState(ref);
    const result = await longSteps(timeoutMs).helmUpgrade({
      ...ref,
      chart: chart.chart,
      version: chart.version,
      values: withOverlay(chart.values, { clustering: { enabled: false } }),
      wait: true,
      timeoutMs,
      fromRevision: state.status?.revision ?? 0,
    });
    return `now revision ${result.revision}`;
  });
}

export interface OpenctiUpgradeResult {
  release: string;
  namespace: string;
  fromRevision: number;
  revision: number;
  chartVersion?: string;
  warnings: string[];
  verification: VerificationResult;
}

/** The journal line of a helm upgrade step. */
export const upgradeDetail = (u: UpgradeResult): string =>
  `revision ${u.revision} ${u.status}, chart ${u.chartVersion ?? '?'}${u.alreadyDone ? ' (already done)' : ''}`;

/** Both upgrade strategies end alike: verify the release as the guide says, then report what the run did. */
export async function verifyAndReport(
  run: Run,
  ref: OpenctiRelease,
  plan: ValuesPlan,
  health: HealthCheck,
  style: 'single' | 'clustering',
  fromRevision: number,
  upgraded: UpgradeResult,
): Promise<OpenctiUpgradeResult> {
  run.fact('revision', upgraded.revision);
  run.setPhase('verifying');
  const verification = await verifyRelease(run, ref, plan.topology, health, style);
  return {
    release: ref.release,
    namespace: ref.namespace,
    fromRevision,
    revision: upgraded.revision,
    ...(upgraded.chartVersion ? { chartVersion: upgraded.chartVersion } : {}),
    warnings: formatWarnings(plan.warnings),
    verification,
  };
}
