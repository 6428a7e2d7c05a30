/**
 * The fleet's part of the Web UI details: one row per wave (how many tenants upgraded,
 * failed, run, wait or were skipped) and the tenants that failed so far with their reason,
 * so an operator watching the run page sees a failed tenant while the fleet goes on, not
 * only when it ends. Bounded: the UI shows a few kilobytes, a fleet may have thousands.
 */
import { shellQuote } from '../../lib/gate-commands.js';
import type { FleetState } from './state.js';

/** Failed tenants listed by name; the rest are counted, with the command that lists them all. */
export const DETAILS_FAILED_MAX = 10;
const REASON_MAX = 200;

/** Backticks would end the code span a reason may start; a long reason keeps its end, where the error is. */
const oneLine = (text: string) => {
  const flat = text.replace(/\s+/g, ' ').replace(/`/g, "'").trim();
  return flat.length > REASON_MAX ? `...${flat.slice(-(REASON_MAX - 3))}` : flat;
};

export function fleetDetails(state: FleetState, workflowId: string, ended: boolean): string[] {
  if (state.waves.length === 0) return [];
  const failed = [...state.counts.failed].map((tenant): [string, string] => [tenant, state.records[tenant]?.m ?? 'failed']);
  const lines = [
    '| Wave | Tenants | Upgraded | Failed | Running | Pending | Skipped |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...state.waves.map((w, i) => {
      const c = state.counts.wave(i);
      const name = `${w.name}${w.canary && !/canary/.test(w.name) ? ' (canary)' : ''}${i === state.wave && !ended ? ' (now)' : ''}`;
      return `| ${name} | ${w.size} | ${c.upgraded} | ${c.failed} | ${c.running} | ${c.pending} | ${c.skipped} |`;
    }),
  ];
  // Once the run ends, its outcome lists every tenant it could not upgrade.
  if (failed.length && !ended) {
    lines.push('', `Failed tenants (${failed.length}):`, '');
    lines.push(...failed.slice(0, DETAILS_FAILED_MAX).map(([tenant, reason]) => `- \`${tenant}\`: ${oneLine(reason)}`));
    if (failed.length > DETAILS_FAILED_MAX) {
      lines.push('', `and ${failed.length - DETAILS_FAILED_MAX} more: \`runbook fleet ${shellQuote(workflowId)} --state failed\``);
    }
  }
  return lines;
}
