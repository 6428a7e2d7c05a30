/**
 * Runs a wave's tenants as child `soctalkTenantUpgrade` workflows under each tenant's own
 * business ID (a tenant is never upgraded twice at once), up to the parallelism cap, and
 * settles the ones in flight when the fleet stops. What happened goes into FleetState.
 */
import { condition, startChild, workflowInfo, type ChildWorkflowHandle } from '@temporalio/workflow';
import type { FleetUpgradeParams } from '../../../domain/soctalk/fleet-input.js';
import { tenantWorkflowId } from '../../../domain/soctalk/tenant-runbooks.js';
import { tenantRelease, tenantRunIdentity, type TenantUpgradeInput } from '../../../domain/soctalk/tenant-upgrade-input.js';
import { identityAttributes } from '../../../domain/search-attributes.js';
import { describeStop } from '../../lib/errors.js';
import { abortSignal } from '../../lib/messages.js';
import { soctalkTenantUpgrade } from '../tenant-upgrade.js';
import type { FleetState } from './state.js';

export class TenantRunner {
  private readonly handles = new Map<string, ChildWorkflowHandle<typeof soctalkTenantUpgrade>>();
  private readonly abortedByFleet = new Set<string>();

  constructor(
    private readonly input: FleetUpgradeParams,
    private readonly state: FleetState,
    private readonly abortRequested: () => boolean,
  ) {}

  private get fleetId(): string {
    return `fleet:${this.input.name}`;
  }

  historyFull(): boolean {
    const info = workflowInfo();
    return info.historyLength > this.input.continueAsNewAfterEvents || info.continueAsNewSuggested;
  }

  private childInput(tenant: string): TenantUpgradeInput {
    const { input } = this;
    return {
      ...input.upgrade,
      tenant,
      fleet: input.name,
      requestedBy: this.fleetId,
      approval: { required: false, approvers: [], fourEyes: false, timeout: input.approval.timeout },
      ...(input.searchAttributes !== undefined ? { searchAttributes: input.searchAttributes } : {}),
      onFailure: input.failedTenants === 'leave' ? { rollback: false, restoreVolumes: false } : input.upgrade.onFailure,
    };
  }

  private launch(tenant: string): void {
    this.state.started(tenant, Date.now());
    void (async () => {
      try {
        const handle = await startChild(soctalkTenantUpgrade, {
          workflowId: tenantWorkflowId(tenant),
          args: [this.childInput(tenant)],
          parentClosePolicy: 'REQUEST_CANCEL',
          // Findable from its start, and the tenant need not upsert its identity itself.
          ...(this.input.searchAttributes !== false ? { typedSearchAttributes: identityAttributes(tenantRunIdentity(tenant, this.input.upgrade.version)) } : {}),
        });
        this.handles.set(tenant, handle);
        const result = await handle.result();
        this.finish(tenant, 'succeeded', `${result.fromVersion ?? '?'} -> ${result.toVersion}, revision ${result.fromRevision} -> ${result.toRevision}`);
      } catch (err) {
        if (err instanceof Error && err.name === 'WorkflowExecutionAlreadyStartedError') {
          this.finish(tenant, 'conflict', `another run is already upgrading ${tenantRelease(tenant)} (workflow ID ${tenantWorkflowId(tenant)})`);
        } else {
          this.finish(tenant, this.abortedByFleet.has(tenant) ? 'aborted' : 'failed', describeStop(err).message);
        }
      }
    })();
  }

  private finish(tenant: string, outcome: 'succeeded' | 'failed' | 'conflict' | 'aborted', message: string): void {
    this.handles.delete(tenant);
    this.state.finished(tenant, outcome, message, Date.now(), this.input.failureBudget);
  }

  /**
   * One wave: starts pending tenants up to the parallelism cap until none is left, the
   * fleet stops, or history is full ('continue': the next generation carries on).
   */
  async runWave(): Promise<'done' | 'continue'> {
    const { state } = this;
    state.queue = state.pendingInWave();
    for (;;) {
      if (this.abortRequested() || state.halted) break;
      const next = state.nextQueued();
      const full = this.historyFull();
      if (!state.paused && !full && next !== undefined && state.running.size < this.input.maxParallel) {
        this.launch(state.queue.shift()!);
        continue;
      }
      if (state.running.size === 0 && (next === undefined || full)) break;
      const seen = state.changes;
      await condition(() => state.changes !== seen || this.abortRequested());
    }
    if (this.abortRequested() || state.halted) {
      await this.settleInFlight(this.abortRequested() ? 'the fleet was aborted' : `the fleet halted: ${state.halted}`);
    }
    return state.queue.length > 0 || state.pendingInWave().length > 0 ? 'continue' : 'done';
  }

  /** Stops in-flight tenants per policy and waits for them: what an abort or a halt leaves behind. */
  async settleInFlight(reason: string): Promise<string> {
    if (this.input.inFlight === 'rollback') {
      for (const [tenant, handle] of this.handles) {
        this.abortedByFleet.add(tenant);
        await handle.signal(abortSignal, { by: this.fleetId, reason: `fleet ${this.input.name}: ${reason}` }).catch(() => undefined);
      }
    }
    await condition(() => this.state.running.size === 0);
    const t = this.state.totals();
    const aborted = Object.values(this.state.records).filter((r) => r.s === 'aborted').length;
    return `${t.done} upgraded, ${t.failed} failed, ${aborted} aborted in flight (rolled back), ${t.pending} left untouched`;
  }
}
