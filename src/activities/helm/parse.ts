/**
 * Parsers for helm's JSON output (helm 3 `history` and `list` with --output json).
 * Validated with zod so a format change fails loudly with the field that moved.
 */
import { z } from 'zod';
import { parseJsonOutput } from '../json-output.js';

const HistoryJson = z.array(
  z.object({
    revision: z.number().int(),
    updated: z.string(),
    status: z.string(),
    chart: z.string(),
    app_version: z.string().optional(),
    description: z.string().optional(),
  }),
);

const ListJson = z.array(
  z.object({
    name: z.string(),
    namespace: z.string(),
    revision: z.union([z.string(), z.number()]).transform(Number),
    status: z.string(),
    chart: z.string(),
    app_version: z.string().optional(),
  }),
);

export interface ReleaseStatus {
  name: string;
  namespace: string;
  revision: number;
  status: string;
  chartName?: string;
  chartVersion?: string;
  appVersion?: string;
}

export interface HistoryEntry {
  revision: number;
  updated: string;
  status: string;
  chart: string;
  appVersion?: string;
  description?: string;
}

export interface ListedRelease {
  name: string;
  namespace: string;
  revision: number;
  status: string;
  chart: string;
  chartName: string;
  chartVersion: string;
  appVersion?: string;
}

const parseJson = <T>(schema: z.ZodType<T>, text: string, what: string): T => parseJsonOutput(schema, text, what);

export function parseHistory(text: string): HistoryEntry[] {
  return parseJson(HistoryJson, text, 'helm history').map((h) => ({
    revision: h.revision,
    updated: h.updated,
    status: h.status,
    chart: h.chart,
    ...(h.app_version ? { appVersion: h.app_version } : {}),
    ...(h.description ? { description: h.description } : {}),
  }));
}

/**
 * The release as its latest revision stands, from `helm history` alone. The last entry is
 * the highest revision, the one `helm status` reports (helm sorts the history by revision
 * and keeps the newest `--max`), and unlike helm 3.21's `status --output json` it names the
 * chart and app version. One command instead of list, status and history: a fleet reads
 * each tenant's release several times.
 */
export function latestRevision(release: { name: string; namespace: string }, history: HistoryEntry[]): ReleaseStatus | undefined {
  const last = history.at(-1);
  if (!last) return undefined;
  const { name: chartName, version: chartVersion } = splitChartLabel(last.chart);
  return {
    name: release.name,
    namespace: release.namespace,
    revision: last.revision,
    status: last.status,
    // A label that is not <name>-<semver> names no version: better none than a wrong one.
    ...(chartVersion ? { chartName, chartVersion } : {}),
    ...(last.appVersion ? { appVersion: last.appVersion } : {}),
  };
}

/** "soctalk-tenant-0.1.0-rc.1" -> ["soctalk-tenant", "0.1.0-rc.1"]: the version starts at the last "-<digit>" group that parses as semver. */
export function splitChartLabel(label: string): { name: string; version: string } {
  const m = /^(.*?)-(v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?)$/.exec(label);
  return m ? { name: m[1]!, version: m[2]! } : { name: label, version: '' };
}

export function parseList(text: string): ListedRelease[] {
  // helm prints nothing at all (not "[]") for some empty lists.
  if (text.trim() === '') return [];
  return parseJson(ListJson, text, 'helm list').map((r) => {
    const { name: chartName, version: chartVersion } = splitChartLabel(r.chart);
    return {
      name: r.name,
      namespace: r.namespace,
      revision: r.revision,
      status: r.status,
      chart: r.chart,
      chartName,
      chartVersion,
      ...(r.app_version ? { appVersion: r.app_version } : {}),
    };
  });
}

/** A helm lock left behind by an interrupted operation. */
export const PENDING_STATUSES = ['pending-install', 'pending-upgrade', 'pending-rollback'] as const;

export function isPending(status: string): boolean {
  return (PENDING_STATUSES as readonly string[]).includes(status);
}
