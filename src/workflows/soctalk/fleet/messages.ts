/**
 * Every message and query the fleet speaks, in one table: which Update/Signal pair, who
 * may send it, and which FleetState method judges and applies it. Promote is not here: it
 * decides the promotion gate (lib/gate.ts), which the workflow opens per wave. Abort,
 * approve and reject are the Run's, like every runbook's.
 */
import type { SignalDefinition, UpdateDefinition } from '@temporalio/common';
import { setHandler } from '@temporalio/workflow';
import type { ApprovalPolicy } from '../../../domain/approval-policy.js';
import {
  pauseSignal,
  pauseUpdate,
  resumeSignal,
  resumeUpdate,
  retryTenantSignal,
  retryTenantUpdate,
  skipTenantSignal,
  skipTenantUpdate,
  type DecisionAck,
  type PauseArgs,
  type TenantArgs,
} from '../../lib/messages.js';
import type { Run } from '../../lib/run.js';
import { expandRecord, fleetProgressQuery, type FleetProgress } from './progress.js';
import type { FleetState } from './state.js';

export { fleetProgressQuery } from './progress.js';

type Args = PauseArgs & Partial<TenantArgs>;

interface FleetMessage {
  update: UpdateDefinition<DecisionAck, [Args]>;
  signal: SignalDefinition<[Args]>;
  refusal: (state: FleetState, args: Args) => string | undefined;
  apply: (state: FleetState, args: Args) => string;
  /** What the decision log records besides who. */
  comment: (args: Args) => string | undefined;
}

const withReason = (args: Args) => `${String(args.tenant)}${args.reason ? `: ${args.reason}` : ''}`;

/** The wiring table: message name -> definitions and the state's methods. */
export const FLEET_MESSAGES: Record<'pause' | 'resume' | 'skipTenant' | 'retryTenant', FleetMessage> = {
  pause: { update: pauseUpdate, signal: pauseSignal, refusal: (s) => s.pauseRefusal(), apply: (s) => s.pause(), comment: (a) => a.reason },
  resume: { update: resumeUpdate, signal: resumeSignal, refusal: (s) => s.resumeRefusal(), apply: (s) => s.resume(), comment: (a) => a.reason },
  skipTenant: {
    update: skipTenantUpdate,
    signal: skipTenantSignal,
    refusal: (s, a) => s.skipRefusal(a.tenant),
    apply: (s, a) => s.skip(a.tenant!, a.by.trim(), a.reason),
    comment: withReason,
  },
  retryTenant: {
    update: retryTenantUpdate,
    signal: retryTenantSignal,
    refusal: (s, a) => s.retryRefusal(a.tenant),
    apply: (s, a) => s.retry(a.tenant!),
    comment: withReason,
  },
};

/** The requester and the policy's approvers operate the fleet (anyone when none are listed). */
export function operatorRefusal(policy: ApprovalPolicy, requestedBy: string | undefined, args: { by?: unknown }): string | undefined {
  const by = typeof args.by === 'string' ? args.by.trim() : '';
  if (!by) return 'say who you are: set "by" to your name';
  if (by !== requestedBy && policy.approvers.length > 0 && !policy.approvers.includes(by)) {
    return `${by} is not an allowed operator of this fleet (allowed: ${policy.approvers.join(', ')})`;
  }
  return undefined;
}

/** Installs the table's messages and the fleetProgress query. */
export function wireFleetMessages(run: Run, state: FleetState, fleet: { name: string; version: string; generation: number; policy: ApprovalPolicy; requestedBy?: string }): void {
  for (const [kind, m] of Object.entries(FLEET_MESSAGES)) {
    run.accept<Args>({
      kind,
      update: m.update,
      signal: m.signal,
      refusal: (args) => operatorRefusal(fleet.policy, fleet.requestedBy, args) ?? m.refusal(state, args),
      apply: (args) => {
        run.recordDecision(kind, args.by, m.comment(args));
        return m.apply(state, args);
      },
    });
  }
  setHandler(fleetProgressQuery, (filter = {}): FleetProgress => {
    let tenants = Object.entries(state.records);
    if (filter.tenant) tenants = tenants.filter(([t]) => t === filter.tenant);
    if (filter.state) tenants = tenants.filter(([, r]) => r.s === filter.state);
    if (filter.limit !== undefined) tenants = tenants.slice(0, filter.limit);
    return {
      name: fleet.name,
      version: fleet.version,
      state: run.status.phase,
      ...(state.waves[state.wave] ? { wave: { index: state.wave, name: state.waveName(), stage: state.stage } } : {}),
      paused: state.paused,
      ...(state.halted ? { halted: state.halted } : {}),
      waves: state.waves,
      totals: state.totals(),
      generation: fleet.generation,
      tenants: tenants.map(([t, r]) => expandRecord(t, r)),
    };
  });
}
