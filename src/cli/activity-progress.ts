/**
 * What a long step is waiting for, from the pending activity's heartbeat details as
 * Temporal recorded them (describe workflow): the command, how long it has run, and what
 * the activity reports it waits for (workloads ready/desired during `helm upgrade --wait`,
 * pod phases during a Job wait).
 */
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import type { CommandHeartbeat } from '../activities/command.js';
import { podState, podSummary } from '../activities/job-pods.js';

export interface ActivityProgress {
  activity: string;
  attempt: number;
  state: string;
  lastHeartbeat?: string;
  details?: Partial<CommandHeartbeat>;
}

function isoOf(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): string | undefined {
  if (!ts || ts.seconds === undefined || ts.seconds === null) return undefined;
  const seconds = Number(ts.seconds);
  return new Date(seconds * 1000 + Math.round((ts.nanos ?? 0) / 1e6)).toISOString();
}

export async function pendingActivityProgress(client: Client, description: WorkflowExecutionDescription): Promise<ActivityProgress[]> {
  const out: ActivityProgress[] = [];
  for (const pa of description.raw.pendingActivities ?? []) {
    let details: Partial<CommandHeartbeat> | undefined;
    if (pa.heartbeatDetails?.payloads?.length) {
      try {
        const { payloadCodecs, payloadConverter } = client.options.loadedDataConverter;
        let payload = pa.heartbeatDetails.payloads[0]!;
        // Codecs decode in reverse order of encoding.
        for (const codec of [...payloadCodecs].reverse()) payload = (await codec.decode([payload]))[0]!;
        details = payloadConverter.fromPayload<Partial<CommandHeartbeat>>(payload);
      } catch {
        // Details this CLI cannot decode (another codec): show the activity without them.
      }
    }
    const lastHeartbeat = isoOf(pa.lastHeartbeatTime);
    out.push({
      activity: pa.activityType?.name ?? '?',
      attempt: pa.attempt ?? 1,
      state: String(pa.state ?? '')
        .replace(/^PENDING_ACTIVITY_STATE_/, '')
        .toLowerCase(),
      ...(lastHeartbeat ? { lastHeartbeat } : {}),
      ...(details && typeof details === 'object' ? { details } : {}),
    });
  }
  return out;
}

const seconds = (ms: number) => (ms >= 120_000 ? `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s` : `${Math.round(ms / 1000)}s`);

/** Lines for `status` and `watch`. */
export function progressLines(progress: readonly ActivityProgress[]): string[] {
  const lines: string[] = [];
  for (const p of progress) {
    const d = p.details ?? {};
    const head = [`${p.activity}${p.attempt > 1 ? ` (attempt ${p.attempt})` : ''}`];
    if (d.waitingFor) head.push(`waiting for ${d.waitingFor}`);
    if (typeof d.elapsedMs === 'number') head.push(`${seconds(d.elapsedMs)} elapsed`);
    lines.push(`  ${head.join(': ')}`);
    if (d.command) lines.push(`    command: ${d.command}`);
    for (const w of d.workloads ?? []) lines.push(`    ${w.kind}/${w.name}: ${w.ready}/${w.desired} ready${w.updated !== undefined ? `, ${w.updated} updated` : ''}`);
    for (const pod of d.pods ?? []) lines.push(`    pod ${podSummary(pod)}`);
    if (!d.workloads?.length && !d.pods?.length) for (const l of (d.lastLines ?? []).slice(-2)) lines.push(`    | ${l}`);
    if (d.cancelRequested) lines.push('    (cancellation requested: the command finishes first so nothing is left locked)');
  }
  return lines;
}

/** One line per activity for `watch`, printed when it changes. */
export function progressSummary(p: ActivityProgress): string {
  const d = p.details ?? {};
  const parts = [p.activity];
  if (d.waitingFor) parts.push(`waiting for ${d.waitingFor}`);
  if (typeof d.elapsedMs === 'number') parts.push(`${seconds(d.elapsedMs)}`);
  if (d.workloads?.length) parts.push(d.workloads.map((w) => `${w.kind}/${w.name} ${w.ready}/${w.desired}`).join(', '));
  if (d.pods?.length) parts.push(d.pods.map((pod) => `pod ${pod.name} ${podState(pod)}`).join(', '));
  return parts.join(': ');
}
