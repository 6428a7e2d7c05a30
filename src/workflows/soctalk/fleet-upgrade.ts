/**
 * The canary-aware fleet upgrade that replaces the runbook's manual loop ("Upgrade each,
 * pausing between"): tenants from the namespace label selector, soctalk-system first,
 * canaries, then waves with a parallelism cap and a bake time, a failure budget that
 * halts the fleet, optional manual promotion, pause/resume/abort/skip/retry. Every tenant
 * is a child `soctalkTenantUpgrade` under the tenant's own business ID, so a tenant is
 * never upgraded twice at once; history stays bounded through continue-as-new.
 */
import {
  condition,
  makeContinueAsNewFunc,
  proxyActivities,
  setHandler,
  sleep,
  startChild,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { approvalRefusal, type ApprovalPolicy } from '../../domain/approval-policy.js';
import { humanDuration } from '../../domain/duration.js';
import { FailureType } from '../../domain/failure-types.js';
import { FleetUpgradeInputSchema, type FleetUpgradeInput, type FleetUpgradeParams } from '../../domain/soctalk/fleet-input.js';
import { tenantWorkflowId } from '../../domain/soctalk/tenant-runbooks.js';
import { tenantRelease, type TenantUpgradeInput } from '../../domain/soctalk/tenant-upgrade-input.js';
import { budgetExceeded, planWaves, selectTenants, slugsFromNamespaces, type PlannedWave } from '../../domain/soctalk/wave-plan.js';
import { readProfile } from '../lib/activity-profiles.js';
import { approvalTimedOut, describeStop, refuse } from '../lib/errors.js';
import {
  abortSignal,
  pauseSignal,
  pauseUpdate,
  promoteSignal,
  promoteUpdate,
  resumeSignal,
  resumeUpdate,
  retryTenantSignal,
  retryTenantUpdate,
  skipTenantSignal,
  skipTenantUpdate,
  type DecisionArgs,
  type PauseArgs,
  type TenantArgs,
} from '../lib/messages.js';
import { Run } from '../lib/run.js';
import type { DecisionRecord } from '../lib/status.js';
import { expandRecord, fleetProgressQuery, totalsOf, type FleetProgress, type TenantRecord, type TenantState, type WaveSummary } from './fleet/progress.js';
import { parseRunInput } from '../../domain/validate.js';
import { checkSystemFirst } from './system-gate.js';
import { soctalkTenantUpgrade } from './tenant-upgrade.js';

const { listTenantNamespaces } = proxyActivities<Activities>(readProfile);

type Stage = 'upgrade' | 'bake' | 'promote';

/** What one generation hands the next through continue-as-new: compact by design. */
export interface FleetCarry {
  generation: number;
  systemVersion: string;
  waves: WaveSummary[];
  records: Record<string, TenantRecord>;
  wave: number;
  stage: Stage;
  paused: boolean;
  decisions: DecisionRecord[];
  /** History length of each finished generation. */
  historyEvents: number[];
}

export interface FleetResult {
  name: string;
  version: string;
  dryRun: boolean;
  systemVersion: string;
  /** Plan mode only: why the system-first gate would refuse. */
  systemGateProblem?: string;
  tenants: string[];
  plan: { name: string; canary: boolean; tenants: string[] }[];
  totals: ReturnType<typeof totalsOf>;
  failed: { tenant: string; message?: string }[];
  skipped: { tenant: string; state: TenantState; message?: string }[];
  generations: number;
  historyEvents: number[];
}

const MESSAGE_MAX = 1500;
/**
 * A tenant's outcome, bounded: the command line of a failed command (long, and the same for
 * every tenant) shrinks to its first two words, and a long message keeps its end, where helm's
 * own error is.
 */
const clip = (s: string): string => {
  const short = s.replace(/`([^`]*)`/g, (_all, cmd: string) => `\`${cmd.split(' ').slice(0, 2).join(' ')} …\``);
  return short.length > MESSAGE_MAX ? `…${short.slice(-(MESSAGE_MAX - 1))}` : short;
};

function operatorRefusal(policy: ApprovalPolicy, requestedBy: string | undefined, args: { by?: unknown }): string | undefined {
  const by = typeof args.by === 'string' ? args.by.trim() : '';
  if (!by) return 'say who you are: set "by" to your name';
  if (by !== requestedBy && policy.approvers.length > 0 && !policy.approvers.includes(by)) {
    return `${by} is not an allowed operator of this fleet (allowed: ${policy.approvers.join(', ')})`;
  }
  return undefined;
}

export async function soctalkFleetUpgrade(raw: FleetUpgradeInput, carry?: FleetCarry): Promise<FleetResult> {
  const input: FleetUpgradeParams = parseRunInput(FleetUpgradeInputSchema, raw, 'soctalk-fleet-upgrade');
  const fleetId = `fleet:${input.name}`;
  const run = new Run({
    runbook: 'soctalk-fleet-upgrade',
    targetVersion: input.upgrade.version,
    ...(input.requestedBy ? { requestedBy: input.requestedBy } : {}),
    approval: input.approval,
    ...(input.searchAttributes !== undefined ? { searchAttributes: input.searchAttributes } : {}),
  });
  if (carry) run.status.decisions.push(...carry.decisions);

  // ---- state (carried across continue-as-new) ----
  const generation = carry?.generation ?? 0;
  let systemVersion = carry?.systemVersion ?? '';
  let waves: WaveSummary[] = carry?.waves ?? [];
  let order: string[] = [];
  const records: Record<string, TenantRecord> = carry?.records ?? {};
  let wave = carry?.wave ?? 0;
  let stage: Stage = carry?.stage ?? 'upgrade';
  let paused = carry?.paused ?? false;
  let halted: string | undefined;
  let changed = 0;
  let promoteGate: { wave: number; decided?: DecisionRecord } | undefined;
  const running = new Map<string, ChildWorkflowHandle<typeof soctalkTenantUpgrade> | undefined>();
  const abortedByFleet = new Set<string>();
  /** Tenants to start in the current wave, in order (retries are appended). */
  let queue: string[] = [];
  const ended = () => run.status.outcome !== undefined;

  const waveName = (i: number) => waves[i]?.name ?? `wave ${i}`;
  const summary = () => ({ totals: totalsOf(records), wave: waves[wave] ? { index: wave, name: waveName(wave), stage } : undefined, paused, generation });
  const publish = () => run.fact('fleet', summary());

  setHandler(fleetProgressQuery, (filter = {}): FleetProgress => {
    let tenants = Object.entries(records);
    if (filter.tenant) tenants = tenants.filter(([t]) => t === filter.tenant);
    if (filter.state) tenants = tenants.filter(([, r]) => r.s === filter.state);
    if (filter.limit !== undefined) tenants = tenants.slice(0, filter.limit);
    return {
      name: input.name,
      version: input.upgrade.version,
      state: run.status.phase,
      ...(waves[wave] ? { wave: { index: wave, name: waveName(wave), stage } } : {}),
      paused,
      ...(halted ? { halted } : {}),
      waves,
      totals: totalsOf(records),
      generation,
      tenants: tenants.map(([t, r]) => expandRecord(t, r)),
    };
  });

  const policy = input.approval;
  const requestedBy = input.requestedBy;
  const touch = () => {
    changed += 1;
    publish();
  };

  run.accept<PauseArgs>({
    kind: 'pause',
    update: pauseUpdate,
    signal: pauseSignal,
    refusal: (args) => operatorRefusal(policy, requestedBy, args) ?? (ended() ? 'the fleet has ended' : paused ? 'the fleet is already paused' : undefined),
    apply: (args) => {
      paused = true;
      run.recordDecision('pause', args.by, args.reason);
      touch();
      return `paused: no new tenant starts; ${running.size} in-flight tenant(s) finish`;
    },
  });
  run.accept<PauseArgs>({
    kind: 'resume',
    update: resumeUpdate,
    signal: resumeSignal,
    refusal: (args) => operatorRefusal(policy, requestedBy, args) ?? (ended() ? 'the fleet has ended' : !paused ? 'the fleet is not paused' : undefined),
    apply: (args) => {
      paused = false;
      run.recordDecision('resume', args.by, args.reason);
      touch();
      return 'resumed';
    },
  });
  run.accept<DecisionArgs>({
    kind: 'promote',
    update: promoteUpdate,
    signal: promoteSignal,
    refusal: (args) =>
      approvalRefusal(
        policy,
        { waiting: promoteGate !== undefined && promoteGate.decided === undefined, requiresSchemaAck: false, ...(requestedBy ? { requestedBy } : {}), signatures: run.signatures.context() },
        args,
        'promote',
      )?.replace(
        'the run is not waiting for approval',
        'the fleet is not waiting for promotion',
      ),
    apply: (args) => {
      promoteGate!.decided = run.recordDecision('promote', args.by, args.comment, run.signatures.accept(args, 'promote'));
      touch();
      return `promoted to ${waveName(promoteGate!.wave)}`;
    },
  });
  run.accept<TenantArgs>({
    kind: 'skipTenant',
    update: skipTenantUpdate,
    signal: skipTenantSignal,
    refusal: (args) => {
      const refused = operatorRefusal(policy, requestedBy, args);
      if (refused) return refused;
      if (ended()) return 'the fleet has ended';
      const r = typeof args.tenant === 'string' ? records[args.tenant] : undefined;
      if (!r) return `${String(args.tenant)} is not in this fleet`;
      if (r.s !== 'pending') return `tenant ${args.tenant} is ${r.s}: only pending tenants can be skipped`;
      return undefined;
    },
    apply: (args) => {
      const r = records[args.tenant]!;
      r.s = 'skipped';
      r.m = clip(`skipped by ${args.by.trim()}${args.reason ? `: ${args.reason}` : ''}`);
      run.recordDecision('skipTenant', args.by, `${args.tenant}${args.reason ? `: ${args.reason}` : ''}`);
      touch();
      return `tenant ${args.tenant} will not be upgraded by this fleet`;
    },
  });
  run.accept<TenantArgs>({
    kind: 'retryTenant',
    update: retryTenantUpdate,
    signal: retryTenantSignal,
    refusal: (args) => {
      const refused = operatorRefusal(policy, requestedBy, args);
      if (refused) return refused;
      if (ended()) return 'the fleet has ended';
      if (halted) return 'the fleet has halted';
      const r = typeof args.tenant === 'string' ? records[args.tenant] : undefined;
      if (!r) return `${String(args.tenant)} is not in this fleet`;
      if (r.s === 'pending' || r.s === 'running' || r.s === 'succeeded') return `tenant ${args.tenant} is ${r.s}: only failed, skipped, conflicting or aborted tenants can be retried`;
      return undefined;
    },
    apply: (args) => {
      const r = records[args.tenant]!;
      // Into the wave running now (or about to be promoted), or the next one during a bake.
      const target = stage === 'bake' ? Math.min(wave + 1, waves.length - 1) : wave;
      r.s = 'pending';
      r.w = target;
      delete r.m;
      if (stage === 'upgrade' && target === wave) queue.push(args.tenant);
      run.recordDecision('retryTenant', args.by, `${args.tenant}${args.reason ? `: ${args.reason}` : ''}`);
      touch();
      return `tenant ${args.tenant} will be retried in ${waveName(target)}`;
    },
  });

  const historyFull = () => {
    const info = workflowInfo();
    return info.historyLength > input.continueAsNewAfterEvents || info.continueAsNewSuggested;
  };

  const childInput = (tenant: string): TenantUpgradeInput => ({
    ...input.upgrade,
    tenant,
    fleet: input.name,
    requestedBy: fleetId,
    approval: { required: false, approvers: [], fourEyes: false, timeout: policy.timeout },
    ...(input.searchAttributes !== undefined ? { searchAttributes: input.searchAttributes } : {}),
    onFailure: input.failedTenants === 'leave' ? { rollback: false, restoreVolumes: false } : input.upgrade.onFailure,
  });

  const checkBudget = (tenant: string, record: TenantRecord) => {
    if (halted || record.s !== 'failed') return;
    if (waves[record.w]?.canary) {
      halted = `canary tenant ${tenant} failed: ${record.m ?? 'unknown error'}`;
      return;
    }
    const over = budgetExceeded(input.failureBudget, totalsOf(records).failed, order.length || Object.keys(records).length);
    if (over) halted = over;
  };

  const launch = (tenant: string) => {
    const record = records[tenant]!;
    record.s = 'running';
    record.a = Date.now();
    record.n = (record.n ?? 0) + 1;
    delete record.b;
    delete record.m;
    running.set(tenant, undefined);
    touch();
    void (async () => {
      try {
        const handle = await startChild(soctalkTenantUpgrade, {
          workflowId: tenantWorkflowId(tenant),
          args: [childInput(tenant)],
          parentClosePolicy: 'REQUEST_CANCEL',
        });
        running.set(tenant, handle);
        const result = await handle.result();
        record.s = 'succeeded';
        record.m = clip(`${result.fromVersion ?? '?'} -> ${result.toVersion}, revision ${result.fromRevision} -> ${result.toRevision}`);
      } catch (err) {
        if (err instanceof Error && err.name === 'WorkflowExecutionAlreadyStartedError') {
          record.s = 'conflict';
          record.m = clip(`another run is already upgrading ${tenantRelease(tenant)} (workflow ID ${tenantWorkflowId(tenant)})`);
        } else {
          record.s = abortedByFleet.has(tenant) ? 'aborted' : 'failed';
          record.m = clip(describeStop(err).message);
        }
      } finally {
        record.b = Date.now();
        running.delete(tenant);
        checkBudget(tenant, record);
        touch();
      }
    })();
  };

  /** Stops in-flight tenants per policy and waits for them: what an abort or a halt leaves behind. */
  const settleInFlight = async (reason: string): Promise<string> => {
    if (input.inFlight === 'rollback') {
      for (const [tenant, handle] of running) {
        if (!handle) continue;
        abortedByFleet.add(tenant);
        await handle.signal(abortSignal, { by: fleetId, reason: `fleet ${input.name}: ${reason}` }).catch(() => undefined);
      }
    }
    await condition(() => running.size === 0);
    const t = totalsOf(records);
    const aborted = Object.values(records).filter((r) => r.s === 'aborted').length;
    return `${t.done} upgraded, ${t.failed} failed, ${aborted} aborted in flight (rolled back), ${t.pending} left untouched`;
  };

  /** One wave: start pending tenants up to the parallelism cap until none is left, the fleet stops, or history is full. */
  const runWave = async (): Promise<'done' | 'continue'> => {
    queue = Object.entries(records)
      .filter(([, r]) => r.w === wave && r.s === 'pending')
      .map(([t]) => t);
    for (;;) {
      if (run.abortRequested || halted) break;
      while (queue.length && records[queue[0]!]!.s !== 'pending') queue.shift();
      const full = historyFull();
      if (!paused && !full && queue.length > 0 && running.size < input.maxParallel) {
        launch(queue.shift()!);
        continue;
      }
      if (running.size === 0 && (queue.length === 0 || full)) break;
      const seen = changed;
      await condition(() => changed !== seen || run.abortRequested);
    }
    if (run.abortRequested || halted) {
      await settleInFlight(run.abortRequested ? 'the fleet was aborted' : `the fleet halted: ${halted}`);
    }
    if (halted) {
      const failed = Object.entries(records).filter(([, r]) => r.s === 'failed');
      const list = failed
        .slice(0, 10)
        .map(([t, r]) => `${t}: ${r.m ?? '?'}`)
        .join('; ');
      throw refuse(
        FailureType.VerificationFailed,
        `fleet halted in ${waveName(wave)}: ${halted}. ${totalsOf(records).pending} tenant(s) left untouched. Failed: ${list}${failed.length > 10 ? `; and ${failed.length - 10} more` : ''}`,
      );
    }
    return queue.length > 0 || Object.values(records).some((r) => r.w === wave && r.s === 'pending') ? 'continue' : 'done';
  };

  const carryOn = (): { kind: 'continue'; carry: FleetCarry } => ({
    kind: 'continue',
    carry: {
      generation: generation + 1,
      systemVersion,
      waves,
      records,
      wave,
      stage,
      paused,
      decisions: run.status.decisions.slice(-50),
      historyEvents: [...(carry?.historyEvents ?? []), workflowInfo().historyLength],
    },
  });

  const result = (dryRun: boolean, plan: PlannedWave[] | undefined, problem?: string): FleetResult => {
    const entries = Object.entries(records);
    return {
      name: input.name,
      version: input.upgrade.version,
      dryRun,
      systemVersion,
      ...(problem ? { systemGateProblem: problem } : {}),
      tenants: order.length ? order : entries.map(([t]) => t),
      plan: plan
        ? plan.map((w) => ({ name: w.name, canary: w.canary, tenants: w.tenants }))
        : waves.map((w) => ({ name: w.name, canary: w.canary, tenants: entries.filter(([, r]) => r.w === w.index).map(([t]) => t) })),
      totals: totalsOf(records),
      failed: entries.filter(([, r]) => r.s === 'failed').map(([tenant, r]) => ({ tenant, ...(r.m ? { message: r.m } : {}) })),
      skipped: entries
        .filter(([, r]) => r.s === 'skipped' || r.s === 'conflict' || r.s === 'aborted')
        .map(([tenant, r]) => ({ tenant, state: r.s, ...(r.m ? { message: r.m } : {}) })),
      generations: generation + 1,
      historyEvents: [...(carry?.historyEvents ?? []), workflowInfo().historyLength],
    };
  };

  const outcome = await run.execute(async (): Promise<{ kind: 'done'; result: FleetResult } | { kind: 'continue'; carry: FleetCarry }> => {
    if (!carry) {
      run.setPhase('planning');
      const found = await run.step(
        'list tenants',
        async () => (input.tenants.list ? [...input.tenants.list] : slugsFromNamespaces(await listTenantNamespaces({ selector: input.tenants.selector, kube: input.upgrade.kube }))),
        { detail: (t) => (input.tenants.list ? `${t.length} listed` : `${t.length} namespace(s) labelled ${input.tenants.selector}`) },
      );
      const tenants = selectTenants(found, input.tenants.exclude);
      if (tenants.length === 0) throw refuse(FailureType.InvalidInput, `tenants: no tenant to upgrade (found ${found.length}, all excluded or none matched)`);

      const gate = await run.step('never upgrade tenant charts ahead of soctalk-system (whole fleet)', () => checkSystemFirst(input.upgrade, { refuse: !input.dryRun }), {
        detail: (g) => g.problem ?? `soctalk-system ${g.systemVersion} supports soctalk-tenant ${input.upgrade.version}`,
      });
      systemVersion = gate.systemVersion;

      const plan = await run.step(
        'plan the waves',
        () => {
          try {
            return Promise.resolve(planWaves({ tenants, canaries: input.canaries, waves: input.waves }));
          } catch (err) {
            return Promise.reject(refuse(FailureType.InvalidInput, (err as Error).message));
          }
        },
        { detail: (p) => p.map((w) => `${w.name}: ${w.tenants.length}`).join(', ') },
      );
      order = plan.flatMap((w) => w.tenants);
      waves = plan.map((w) => ({ index: w.index, name: w.name, canary: w.canary, size: w.tenants.length }));
      for (const w of plan) for (const t of w.tenants) records[t] = { w: w.index, s: 'pending' };
      publish();
      if (input.dryRun) {
        run.fact('plan', waves);
        return { kind: 'done', result: result(true, plan, gate.problem) };
      }
      // If the fleet stops, whatever is still upgrading finishes or is aborted (and rolls back) per policy.
      run.compensations.push(
        `settle in-flight tenants (${input.inFlight === 'rollback' ? 'abort them, their upgrades roll back' : 'let them finish'})`,
        () => settleInFlight(run.abortRequested ? 'the fleet was aborted' : 'the fleet stopped'),
      );
      stage = 'upgrade';
    } else {
      run.compensations.push(
        `settle in-flight tenants (${input.inFlight === 'rollback' ? 'abort them, their upgrades roll back' : 'let them finish'})`,
        () => settleInFlight(run.abortRequested ? 'the fleet was aborted' : 'the fleet stopped'),
      );
      run.skip('list tenants, gate and plan', `continued from generation ${generation}: ${Object.keys(records).length} tenants, ${waves.length} waves`);
    }

    for (; wave < waves.length; ) {
      const w = waves[wave]!;
      if (stage === 'promote') {
        if (input.manualPromotion && wave > 0) {
          await run.step(
            `promote to ${w.name}`,
            async () => {
              promoteGate = { wave };
              const since = new Date();
              run.status.pendingApproval = {
                gate: `promote to ${w.name}`,
                since: since.toISOString(),
                timeoutAt: new Date(since.getTime() + policy.timeout).toISOString(),
                ...(requestedBy ? { requestedBy } : {}),
                ...(policy.approvers.length ? { allowedApprovers: policy.approvers } : {}),
                fourEyes: policy.fourEyes,
                requiresSchemaAck: false,
                summary: `${waveName(wave - 1)} is done and baked (${JSON.stringify(totalsOf(records))}); promote to ${w.name} (${w.size} tenants) with the promote Update`,
              };
              run.setPhase('waiting-promotion');
              try {
                const gate = promoteGate;
                const decided = await condition(() => gate.decided !== undefined, policy.timeout);
                if (!decided || !gate.decided) throw approvalTimedOut(`promote to ${w.name}`, humanDuration(policy.timeout));
                return gate.decided;
              } finally {
                run.status.pendingApproval = null;
                promoteGate = undefined;
              }
            },
            { detail: (d) => `promoted by ${d.by}${d.comment ? `: ${d.comment}` : ''}` },
          );
        }
        if (paused) {
          run.setPhase('paused');
          await run.step(`wait for resume before ${w.name}`, () => condition(() => !paused));
        }
        stage = 'upgrade';
      }
      if (stage === 'upgrade') {
        run.setPhase('upgrading');
        w.startedAt ??= new Date().toISOString();
        publish();
        const pending = Object.values(records).filter((r) => r.w === wave && r.s === 'pending').length;
        const done = await run.step(`${w.name}: upgrade ${pending} tenant(s), ${input.maxParallel} at a time`, () => runWave(), {
          uninterruptible: true,
          detail: () => {
            const inWave = Object.values(records).filter((r) => r.w === wave);
            const count = (s: TenantState) => inWave.filter((r) => r.s === s).length;
            return `${count('succeeded')} upgraded, ${count('failed')} failed, ${count('skipped') + count('conflict') + count('aborted')} skipped, ${count('pending')} pending`;
          },
        });
        if (done === 'continue') return carryOn();
        w.endedAt = new Date().toISOString();
        stage = 'bake';
        if (historyFull() && wave < waves.length - 1) return carryOn();
      }
      if (stage === 'bake') {
        if (wave < waves.length - 1) {
          run.setPhase('baking');
          w.bakedUntil = new Date(Date.now() + input.bakeTime).toISOString();
          publish();
          await run.step(`bake ${w.name}`, () => sleep(input.bakeTime), { detail: () => `baked ${humanDuration(input.bakeTime)}` });
        } else {
          run.skip(`bake ${w.name}`, 'the last wave');
        }
        // Tenants retried during the bake run again in this wave before moving on.
        if (Object.values(records).some((r) => r.w === wave && r.s === 'pending')) {
          stage = 'upgrade';
          continue;
        }
        stage = 'promote';
        wave += 1;
      }
    }
    const r = result(false, undefined);
    run.fact('fleet', summary());
    return { kind: 'done', result: r };
  });

  // The memo goes along explicitly: it carries the signed start that signed-decision policies check.
  if (outcome.kind === 'continue') return makeContinueAsNewFunc<typeof soctalkFleetUpgrade>({ memo: workflowInfo().memo ?? {} })(raw, outcome.carry);
  return outcome.result;
}
