/**
 * The canary-aware fleet upgrade that replaces the runbook's manual loop ("Upgrade each,
 * pausing between"): tenants from the namespace label selector, soctalk-system first,
 * canaries, then waves with a parallelism cap and a bake time, a failure budget that
 * halts the fleet, optional manual promotion, pause/resume/abort/skip/retry. The fleet's
 * state and its transitions live in fleet/state.ts, its messages in fleet/messages.ts, its
 * children in fleet/tenants.ts; this file wires them and runs the chosen action per stage.
 * History stays bounded through continue-as-new.
 */
import { refuseInlineSecretsWithoutCodec } from '../lib/inline-secrets.js';
import { condition, makeContinueAsNewFunc, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { approvalRefusal } from '../../domain/approval-policy.js';
import { humanDuration } from '../../domain/duration.js';
import { FailureType } from '../../domain/failure-types.js';
import { FleetUpgradeInputSchema, type FleetUpgradeInput, type FleetUpgradeParams } from '../../domain/soctalk/fleet-input.js';
import { planWaves, selectTenants, type PlannedWave } from '../../domain/soctalk/wave-plan.js';
import { parseRunInput } from '../../domain/validate.js';
import { notifyProfile } from '../lib/activity-profiles.js';
import { refuse } from '../lib/errors.js';
import { Run } from '../lib/run.js';
import type { DecisionArgs } from '../lib/messages.js';
import type { DecisionRecord } from '../lib/status.js';
import { fleetDetails } from './fleet/details.js';
import { wireFleetMessages } from './fleet/messages.js';
import { fleetResult, type FleetResult } from './fleet/result.js';
import { FleetState, nextStage, type FleetSnapshot } from './fleet/state.js';
import { listTenantSlugs } from './fleet/tenant-listing.js';
import { TenantRunner } from './fleet/tenants.js';
import { checkSystemFirst } from './system-gate.js';

export type { FleetResult } from './fleet/result.js';

const { notify } = proxyActivities<Activities>(notifyProfile);

/** What one generation hands the next through continue-as-new: compact by design. */
export interface FleetCarry extends FleetSnapshot {
  generation: number;
  decisions: DecisionRecord[];
  /** History length of each finished generation. */
  historyEvents: number[];
}


type Outcome = { kind: 'done'; result: FleetResult } | { kind: 'continue'; carry: FleetCarry };

export async function soctalkFleetUpgrade(raw: FleetUpgradeInput, carry?: FleetCarry): Promise<FleetResult> {
  const input: FleetUpgradeParams = parseRunInput(FleetUpgradeInputSchema, raw, 'soctalk-fleet-upgrade');
  await refuseInlineSecretsWithoutCodec(input, 'soctalk-fleet-upgrade');
  const { approval: policy, requestedBy } = input;
  const run = new Run({
    runbook: 'soctalk-fleet-upgrade',
    targetVersion: input.upgrade.version,
    ...(requestedBy ? { requestedBy } : {}),
    approval: policy,
    promotion: true,
    // The chat hears how the fleet ended, naming each tenant it could not upgrade.
    notify,
    ...(input.searchAttributes !== undefined ? { searchAttributes: input.searchAttributes } : {}),
  });
  if (carry) run.status.decisions.push(...carry.decisions);
  const generation = carry?.generation ?? 0;
  const state = new FleetState(carry);
  const tenants = new TenantRunner(input, state, () => run.abortRequested);
  const publish = () => {
    const wave = state.waves[state.wave] ? { index: state.wave, name: state.waveName(), stage: state.stage } : undefined;
    run.fact('fleet', { totals: state.totals(), wave, paused: state.paused, generation });
    // A paused fleet says so (and how to resume) unless another gate is open.
    if (state.paused && !run.gates.view && !state.ended) {
      run.gates.open({ kind: 'paused', name: `paused before the next tenant of ${state.waveName()}`, summary: 'no new tenant starts; in-flight tenants finish' });
    } else if (!state.paused && run.gates.view?.kind === 'paused') run.gates.close();
    // The Web UI's details follow each tenant, not only the steps.
    run.view.refresh();
  };
  run.view.addSection(() => fleetDetails(state, workflowInfo().workflowId, run.status.outcome !== undefined));
  state.onChange = publish;
  state.isEnded = () => run.status.outcome !== undefined;
  wireFleetMessages(run, state, { name: input.name, version: input.upgrade.version, generation, policy, ...(requestedBy ? { requestedBy } : {}) });

  const settle = () => tenants.settleInFlight(run.abortRequested ? 'the fleet was aborted' : 'the fleet stopped');
  const settleName = `settle in-flight tenants (${input.inFlight === 'rollback' ? 'abort them, their upgrades roll back' : 'let them finish'})`;
  const historyEvents = () => [...(carry?.historyEvents ?? []), workflowInfo().historyLength];
  const carryOn = (): Outcome => ({
    kind: 'continue',
    carry: { generation: generation + 1, ...state.snapshot(), decisions: run.status.decisions.slice(-50), historyEvents: historyEvents() },
  });

  const result = (dryRun: boolean, plan?: PlannedWave[], problem?: string): FleetResult =>
    fleetResult(state, { name: input.name, version: input.upgrade.version, dryRun, generation, historyEvents: historyEvents(), ...(plan ? { plan } : {}), ...(problem ? { problem } : {}) });


  /** The runbook's first steps: who is in the fleet, the system-first gate, the waves. */
  const plan = async (): Promise<{ plan: PlannedWave[]; problem?: string }> => {
    run.setPhase('planning');
    const found = await run.step(
      'list tenants',
      async () => (input.tenants.list ? [...input.tenants.list] : await listTenantSlugs(input.tenants.selector, input.upgrade.kube)),
      { detail: (t) => (input.tenants.list ? `${t.length} listed` : `${t.length} namespace(s) labelled ${input.tenants.selector}`) },
    );
    const selected = selectTenants(found, input.tenants.exclude);
    if (selected.length === 0) throw refuse(FailureType.InvalidInput, `tenants: no tenant to upgrade (found ${found.length}, all excluded or none matched)`);
    const gate = await run.step('never upgrade tenant charts ahead of soctalk-system (whole fleet)', () => checkSystemFirst(input.upgrade, { refuse: !input.dryRun }), {
      detail: (g) => g.problem ?? `soctalk-system ${g.systemVersion} supports soctalk-tenant ${input.upgrade.version}`,
    });
    state.systemVersion = gate.systemVersion;
    const waves = await run.step(
      'plan the waves',
      () => {
        try {
          return Promise.resolve(planWaves({ tenants: selected, canaries: input.canaries, waves: input.waves }));
        } catch (err) {
          return Promise.reject(refuse(FailureType.InvalidInput, (err as Error).message));
        }
      },
      { detail: (p) => p.map((w) => `${w.name}: ${w.tenants.length}`).join(', ') },
    );
    state.plan(waves);
    return { plan: waves, ...(gate.problem ? { problem: gate.problem } : {}) };
  };



  const outcome = await run.execute(async (): Promise<Outcome> => {
    if (!carry) {
      const planned = await plan();
      if (input.dryRun) {
        run.fact('plan', state.waves);
        return { kind: 'done', result: result(true, planned.plan, planned.problem) };
      }
      // If the fleet stops, whatever is still upgrading finishes or is aborted (and rolls back) per policy.
      run.compensations.push(settleName, settle);
      state.stage = 'upgrade';
    } else {
      run.compensations.push(settleName, settle);
      run.skip('list tenants, gate and plan', `continued from generation ${generation}: ${state.totals().tenants} tenants, ${state.waves.length} waves`);
    }

    for (let action = nextStage(state.stageInput(input.manualPromotion)); action.kind !== 'done'; action = nextStage(state.stageInput(input.manualPromotion))) {
      const w = state.waves[action.wave]!;
      switch (action.kind) {
        case 'promote': {
          const summary = `${state.waveName(action.wave - 1)} is done and baked (${JSON.stringify(state.totals())}); promote to ${w.name} (${w.size} tenants)`;
          const refusal = (args: DecisionArgs) =>
            approvalRefusal(policy, { waiting: true, requiresSchemaAck: false, ...(requestedBy ? { requestedBy } : {}), signatures: run.signatures.context() }, args, 'promote');
          await run.awaitGate(
            { kind: 'promotion', name: `promote to ${w.name}`, summary, timeout: policy.timeout, refusals: { promote: refusal }, ack: () => `promoted to ${w.name}` },
            'waiting-promotion',
            { restorePhase: false },
          );
          state.stage = 'resume';
          publish();
          break;
        }
        case 'wait-for-resume':
          run.setPhase('paused');
          await run.step(`wait for resume before ${w.name}`, () => condition(() => !state.paused));
          state.stage = 'upgrade';
          break;
        case 'upgrade': {
          state.stage = 'upgrade';
          run.setPhase('upgrading');
          w.startedAt ??= new Date().toISOString();
          publish();
          const pending = state.pendingInWave().length;
          const wave = async () => {
            const done = await tenants.runWave();
            if (state.halted) throw refuse(FailureType.VerificationFailed, state.haltedMessage());
            return done;
          };
          const done = await run.step(`${w.name}: upgrade ${pending} tenant(s), ${input.maxParallel} at a time`, wave, { uninterruptible: true, detail: () => state.waveDetail() });
          if (done === 'continue') return carryOn();
          w.endedAt = new Date().toISOString();
          state.stage = 'bake';
          if (tenants.historyFull() && state.wave < state.waves.length - 1) return carryOn();
          break;
        }
        case 'bake':
          if (action.last) {
            run.skip(`bake ${w.name}`, 'the last wave');
          } else if (input.bakeTime === 0) {
            run.skip(`bake ${w.name}`, 'bakeTime is 0');
          } else {
            run.setPhase('baking');
            w.bakedUntil = new Date(Date.now() + input.bakeTime).toISOString();
            publish();
            await run.step(`bake ${w.name}`, () => sleep(input.bakeTime), { detail: () => `baked ${humanDuration(input.bakeTime)}` });
          }
          // Tenants retried during the bake run again in this wave before moving on.
          if (state.pendingInWave().length > 0) state.stage = 'upgrade';
          else {
            state.stage = 'promote';
            state.wave += 1;
          }
          break;
      }
    }
    run.reportFailures(state.failures());
    publish();
    return { kind: 'done', result: result(false) };
  });

  // The memo goes along explicitly: it carries the signed start that signed-decision policies check.
  if (outcome.kind === 'continue') return makeContinueAsNewFunc<typeof soctalkFleetUpgrade>({ memo: workflowInfo().memo ?? {} })(raw, outcome.carry);
  return outcome.result;
}
