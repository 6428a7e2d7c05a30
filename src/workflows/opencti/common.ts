/**
 * What the OpenCTI runbooks share: input validation inside the workflow, the plan (values
 * generated, the target rendered, findings refused or shown at approval), applying the
 * approved values, the guide's verification against the rendered target, and the
 * compensations (helm rollback to the pre-upgrade revision, or back to single mode on v2),
 * each of which verifies where it left the release. Not a workflow itself.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { UpgradeResult } from '../../activities/helm/activities.js';
import type { PlanValuesRequest, ValuesPlan } from '../../activities/opencti/activities.js';
import type { ChartSource, Values } from '../../domain/chart.js';
import { FailureType, type FailureTypeName } from '../../domain/failure-types.js';
import type { KubeTarget } from '../../domain/kube-target.js';
import type { HealthCheck } from '../../domain/opencti/inputs.js';
import { parseRunInput } from '../../domain/validate.js';
import type { ValuesWarning } from '../../domain/opencti/values-migration.js';
import type { ApprovalPolicy } from '../../domain/approval-policy.js';
import { longStepProfile, notifyProfile, readProfile } from '../lib/activity-profiles.js';
import { refuse } from '../lib/errors.js';
import { Run } from '../lib/run.js';
import { checkLiveRelease, pushHelmRollback } from '../release-steps/index.js';

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

/** The guide migrates to clustering "after successfully upgrading to v2": the chart's major version of the live release. */
export function chartMajor(version: string | undefined): number | undefined {
  const m = /^(\d+)\./.exec(version ?? '');
  return m ? Number(m[1]) : undefined;
}

export function formatWarnings(warnings: readonly ValuesWarning[]): string[] {
  return warnings.map((w) => `${w.blocking ? 'BLOCKING' : 'warning'} [${w.code}] ${w.message}`);
}

/** Blocking findings end the run before anything changed. */
function refuseBlocking(warnings: readonly ValuesWarning[]): void {
  const blocking = warnings.filter((w) => w.blocking);
  if (blocking.length === 0) return;
  const type: FailureTypeName = blocking.some((w) => w.code === 'chart-too-old' || w.code === 'known-chart-defect' || w.code === 'not-on-v2')
    ? FailureType.Incompatible
    : FailureType.InvalidValues;
  throw refuse(type, blocking.map((w) => w.message).join('; '));
}

/** What the approver reads: findings, what the target renders, the promised env, the diff, then the generated values (capped). */
function planSummary(title: string, plan: ValuesPlan, maxPreview = 4_000): string {
  const diff = plan.diff.length > 80 ? [...plan.diff.slice(0, 80), `... ${plan.diff.length - 80} more changes (status facts.valuesDiff)`] : plan.diff;
  const preview = plan.preview.length > maxPreview ? `${plan.preview.slice(0, maxPreview)}\n# ... (full preview in status facts.valuesPreview)` : plan.preview;
  const t = plan.topology;
  return [
    title,
    ...(plan.warnings.length ? ['', 'Findings:', ...formatWarnings(plan.warnings)] : []),
    '',
    'The target renders (helm template):',
    ...t.deployments.map((d) => `  Deployment ${d.name} (${d.role}) x${d.replicas}`),
    ...t.platform.map((p) => `  Service ${p.service ?? '(none)'} -> ${p.deployment}`),
    ...(t.ingresses.length ? t.ingresses.map((i) => `  Ingress ${i.name} (${i.hosts.join(', ') || 'no hosts'}) -> ${i.services.join(', ')}`) : ['  no Ingress']),
    ...t.routes.map((r) => `  ${r.deployment} connects to ${r.service ?? r.url ?? '(unset)'}${r.component ? ` (${r.component})` : ''}`),
    ...(plan.promise.length ? ['', 'Env the run sets and verifies:', ...plan.promise.map((p) => `  ${p.path}=${p.value}`)] : []),
    '',
    `Diff (${plan.diff.length} changes):`,
    ...(diff.length ? diff : ['(no change)']),
    '',
    'Generated values (secrets hidden):',
    preview,
  ].join('\n');
}

function recordPlan(run: Run, plan: ValuesPlan): void {
  run.fact('valuesSha256', plan.sha256);
  run.fact('valuesWarnings', formatWarnings(plan.warnings));
  run.fact('valuesDiff', plan.diff);
  run.fact('valuesPreview', plan.preview);
  run.fact('promise', plan.promise);
  run.fact('topology', plan.topology);
}

/** The plan step, section-qualified by the caller: values generated, target rendered, findings. */
async function planStep(run: Run, name: string, request: PlanValuesRequest): Promise<ValuesPlan> {
  const plan = await run.step(name, () => reads.openctiPlanValues(request), {
    detail: (p) =>
      `${p.diff.length} changes, ${p.warnings.length} findings (${p.warnings.filter((w) => w.blocking).length} blocking); renders ${p.topology.deployments.map((d) => `${d.name} x${d.replicas}`).join(', ') || 'nothing'}`,
  });
  recordPlan(run, plan);
  return plan;
}

/**
 * After a human approved a plan, plans again and refuses if the generated values changed
 * (a values file edited on the worker during the wait), before any compensation is armed.
 * The apply step checks the digest once more where it generates the values it applies.
 */
async function confirmApproved(run: Run, request: PlanValuesRequest, approved: ValuesPlan): Promise<void> {
  const again = await run.step('check the values are the ones approved', () => reads.openctiPlanValues(request), { detail: (p) => `sha256 ${p.sha256.slice(0, 12)}` });
  if (again.sha256 !== approved.sha256) {
    throw refuse(
      FailureType.InvalidValues,
      `the generated values changed since they were approved (sha256 ${approved.sha256.slice(0, 12)} -> ${again.sha256.slice(0, 12)}): the values files were edited; start a new run`,
    );
  }
}

export interface PlanAndApproval {
  ref: OpenctiRelease;
  fromRevision: number;
  request: PlanValuesRequest;
  dryRun: boolean;
  /** The plan step and the approval gate, as the guide words them. */
  planStep: string;
  gate: string;
  /** The helm command the approver approves: the summary's first line. */
  command: string;
}

/**
 * Plan, then approval, as every OpenCTI runbook does it: the plan step, blocking findings
 * refused, a dry run ended with its plan; else the gate and, once a human approved, the
 * values checked to be the ones approved. Returns the approved plan, or the dry run's result.
 */
export async function planAndApprove(run: Run, p: PlanAndApproval): Promise<{ plan: ValuesPlan } | { dryRun: OpenctiPlanResult }> {
  const plan = await planStep(run, p.planStep, p.request);
  refuseBlocking(plan.warnings);
  if (p.dryRun) return { dryRun: planResult(p.ref, p.fromRevision, plan) };
  const decision = await run.awaitApproval(p.gate, planSummary(p.command, plan));
  if (decision) await confirmApproved(run, p.request, plan);
  return { plan };
}

/** Applies the approved values: regenerated and digest-checked inside the activity that runs helm upgrade --wait. */
export function applyStep(
  run: Run,
  name: string,
  request: PlanValuesRequest,
  plan: ValuesPlan,
  opts: { timeoutMs: number; fromRevision: number; cleanupOnFail?: boolean },
): Promise<UpgradeResult & { sha256: string }> {
  return run.step(
    name,
    () =>
      longSteps(opts.timeoutMs).openctiApplyValues({
        ...request,
        expectSha256: plan.sha256,
        timeoutMs: opts.timeoutMs,
        fromRevision: opts.fromRevision,
        ...(opts.cleanupOnFail ? { cleanupOnFail: true } : {}),
      }),
    { uninterruptible: true, detail: upgradeDetail },
  );
}

export interface VerificationResult {
  deployments: string[];
  pods: number;
  services: Array<{ name: string; readyEndpoints: number }>;
  ingresses: Array<{ name: string; hosts: string[] }>;
  promised: string[];
  health: string[];
}

/**
 * The guide's verification, done against the rendered target: every Deployment rolled out,
 * pods Ready, the promised env live, Services with endpoints, the rendered Ingresses,
 * workers and connectors connecting where the target renders them to, /health of each
 * platform Service.
 */
export async function verifyRelease(run: Run, ref: OpenctiRelease, plan: Pick<ValuesPlan, 'topology' | 'promise'>, health: HealthCheck, style: 'single' | 'clustering'): Promise<VerificationResult> {
  const topology = plan.topology;
  const platformNames = topology.platform.map((p) => p.component).join(' and ');
  const deployments = await run.step(`verify ${platformNames} deployments rolled out`, () => reads.openctiCheckDeployments({ ...ref, expect: topology.deployments }), {
    detail: (r) => r.deployments.map((d) => `${d.name} ${d.ready}/${d.desired}`).join(', '),
  });
  const pods = await run.step(
    style === 'single' ? 'verify all pods are running' : 'verify all cluster components',
    () => reads.openctiCheckPods({ ...ref, expect: topology.platform.map((p) => ({ component: p.component, replicas: p.replicas })) }),
    { detail: (r) => `${r.ready}/${r.total} pods Running and Ready` },
  );
  let promised: string[] = [];
  if (plan.promise.length > 0) {
    const r = await run.step(
      'verify the promised env is live',
      () => reads.openctiCheckPromise({ ...ref, promise: plan.promise, platform: topology.platform.map((p) => ({ component: p.component, deployment: p.deployment })) }),
      { detail: (x) => x.checked.join(', ') },
    );
    promised = r.checked;
  } else {
    run.skip('verify the promised env is live', 'the run promises no env change');
  }
  const services = await run.step(style === 'single' ? 'check services are accessible' : `check ${platformNames} services`, () => reads.openctiCheckServices({ ...ref, services: topology.services }), {
    detail: (r) => r.services.map((s) => `${s.name}: ${s.readyEndpoints} ready endpoints`).join(', '),
  });
  let ingresses: VerificationResult['ingresses'] = [];
  if (topology.ingresses.length > 0) {
    const r = await run.step('check ingress configuration', () => reads.openctiCheckIngresses({ ...ref, ingresses: topology.ingresses }), {
      detail: (x) => x.checked.map((i) => `${i.name}: ${i.hosts.join(', ') || 'no hosts'}`).join('; '),
    });
    ingresses = r.checked;
  } else {
    run.skip('check ingress configuration', 'the target renders no Ingress');
  }
  if (topology.routes.length > 0) {
    // The guide's wording: "verify workers connect to ingestion and connectors to frontend".
    const targetsOf = (role: string) => [...new Set(topology.routes.filter((r) => r.role === role).map((r) => r.component ?? r.service ?? '?'))].join(', ');
    const parts = [targetsOf('worker') && `workers connect to ${targetsOf('worker')}`, targetsOf('connector') && `connectors${targetsOf('worker') ? '' : ' connect'} to ${targetsOf('connector')}`];
    await run.step(`verify ${parts.filter(Boolean).join(' and ')}`, () => reads.openctiCheckRouting({ ...ref, routes: topology.routes }), {
      detail: (r) => r.checked.map((c) => `${c.deployment} -> ${c.url ?? c.note}`).join(', '),
    });
  } else {
    run.skip('verify workers and connectors', 'the target renders no worker or connector');
  }
  const healthy: string[] = [];
  for (const p of topology.platform) {
    const name = style === 'single' ? 'test application accessibility' : `test ${p.component} accessibility`;
    if (!health.enabled) {
      run.skip(name, 'health check disabled in the input');
      continue;
    }
    if (!p.service) throw refuse(FailureType.VerificationFailed, `no Service of the release selects ${p.deployment}: nothing to check /health through`);
    const target = { component: p.component, service: p.service, ...(p.servicePort !== undefined ? { port: p.servicePort } : {}) };
    const r = await run.step(name, () => reads.openctiCheckHealth({ ...ref, targets: [target], health }), {
      detail: (h) => h.checked.map((c) => `${c.url} ${c.status}`).join(', '),
    });
    healthy.push(...r.checked.map((c) => `${c.component} ${c.status}`));
  }
  return { deployments: deployments.deployments.map((d) => d.name), pods: pods.total, services: services.services, ingresses, promised, health: healthy };
}

/**
 * For compensation "none": says so in the outcome. Without it, a failure after the upgrade
 * would end with "nothing had been changed", which is false.
 */
export function pushNoCompensation(run: Run): void {
  run.compensations.push('no compensation (input compensation: none): the release stays as the upgrade left it', () => Promise.resolve('check it by hand'));
}

/** Compensation: helm rollback to the revision the run found, with --wait, then a check of where it left the release. */
export function pushOpenctiRollback(run: Run, ref: OpenctiRelease, toRevision: number, timeoutMs: number, chartVersion?: string): void {
  pushHelmRollback(run, {
    ref,
    toRevision,
    timeoutMs,
    skipWhenUnchanged: true,
    checkWhereItLeft: () => reads.openctiVerifyLeft({ ...ref, ...(chartVersion ? { chartVersion } : {}) }),
  });
}

/**
 * Compensation for the clustering migration: the operator's own (single-mode) values on the
 * same v2 chart, the guide's "disable clustering", then a check of where it left the release.
 */
export function pushDisableClustering(run: Run, ref: OpenctiRelease, target: { chart: ChartSource; version: string; values: Values }, timeoutMs: number): void {
  run.compensations.push(`helm upgrade ${ref.release} back to single mode (clustering.enabled=false)`, async () => {
    const state = await reads.helmReleaseState(ref);
    const result = await longSteps(timeoutMs).openctiApplyValues({
      ...ref,
      chart: target.chart,
      version: target.version,
      values: target.values,
      change: 'none',
      timeoutMs,
      fromRevision: state.status?.revision ?? 0,
    });
    const left = await reads.openctiVerifyLeft({ ...ref, ...(result.chartVersion ? { chartVersion: result.chartVersion } : {}) });
    return `single mode again: ${left}`;
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

/** What a dry run (`runbook plan`) returns: the plan, nothing changed. */
export interface OpenctiPlanResult {
  dryRun: true;
  release: string;
  namespace: string;
  fromRevision: number;
  warnings: string[];
  promise: string[];
  renders: string[];
  diff: string[];
}

function planResult(ref: OpenctiRelease, fromRevision: number, plan: ValuesPlan): OpenctiPlanResult {
  return {
    dryRun: true,
    release: ref.release,
    namespace: ref.namespace,
    fromRevision,
    warnings: formatWarnings(plan.warnings),
    promise: plan.promise.map((p) => `${p.path}=${p.value}`),
    renders: plan.topology.deployments.map((d) => `${d.name} (${d.role}) x${d.replicas}`),
    diff: plan.diff,
  };
}

/** The journal line of a helm upgrade step. */
export const upgradeDetail = (u: UpgradeResult): string =>
  `revision ${u.revision} ${u.status}, chart ${u.chartVersion ?? '?'}${u.alreadyDone ? ' (already done)' : ''}`;

/** Both upgrade strategies end alike: verify the release against the rendered target, then report what the run did. */
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
  const verification = await verifyRelease(run, ref, plan, health, style);
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

/** The release as pre-flight found it: not locked, present. */
export async function preflightRelease(run: Run, ref: OpenctiRelease) {
  const state = await checkLiveRelease(run, 'check the release is not locked', ref);
  run.fact('fromRevision', state.status.revision);
  run.fact('fromChartVersion', state.status.chartVersion);
  // Render like the cluster: helm template gets this cluster's version and API versions.
  const capabilities = await run.step("read the cluster's version and API versions", () => reads.readClusterCapabilities({ kube: ref.kube }), {
    detail: (c) => `Kubernetes ${c.kubeVersion}, ${c.apiVersions.length} API versions`,
  });
  return { ...state, capabilities };
}
