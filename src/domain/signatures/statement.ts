/**
 * The canonical statement a person signs to decide on a run: plain text, one field per
 * line in a fixed order, so it can be read before signing and signed with
 * `ssh-keygen -Y sign -n upgrade-runbooks` as well as by the CLI.
 *
 *   upgrade-runbooks decision v1
 *   namespace: default
 *   workflow-id: soctalk-system-upgrade-soctalk-system
 *   run-id: 0192…            ("new" for the start of a run, whose run ID nobody knows yet)
 *   kind: approve            (approve, reject, abort, promote, start)
 *   by: alice
 *   via: slack:U123          (only when a trusted relay such as chat-ops signs)
 *   comment-sha256: e3b0…    (the comment, or the abort's reason; the start's input)
 *   issued-at: 2026-12-01T20:30:00.000Z
 *   nonce: 5f0c…             (16 to 64 hex characters, never used twice in a run)
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { hex, utf8 } from './bytes.js';

export const STATEMENT_HEADER = 'upgrade-runbooks decision v1';
export const START_RUN_ID = 'new';
export const SIGNED_KINDS = ['approve', 'reject', 'abort', 'promote', 'start'] as const;
export type SignedKind = (typeof SIGNED_KINDS)[number];

export interface Statement {
  namespace: string;
  workflowId: string;
  runId: string;
  kind: SignedKind;
  by: string;
  via?: string;
  commentSha256: string;
  issuedAt: string;
  nonce: string;
}

/** The digest a statement carries for a comment; no comment hashes as the empty string. */
export function commentDigest(comment: string | undefined): string {
  return hex(sha256(utf8(comment ?? '')));
}

/** Keys sorted at every level: the digest of a start's input does not depend on key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const FIELDS = [
  ['namespace', 'namespace'],
  ['workflow-id', 'workflowId'],
  ['run-id', 'runId'],
  ['kind', 'kind'],
  ['by', 'by'],
  ['via', 'via'],
  ['comment-sha256', 'commentSha256'],
  ['issued-at', 'issuedAt'],
  ['nonce', 'nonce'],
] as const;

function oneLine(name: string, value: string): string {
  if (value === '' || /[\r\n]/.test(value) || value !== value.trim()) throw new Error(`statement field ${name} must be one non-empty line without surrounding spaces`);
  return value;
}

export function formatStatement(s: Statement): string {
  const lines = [STATEMENT_HEADER];
  for (const [label, key] of FIELDS) {
    const value = s[key];
    if (value === undefined) continue;
    lines.push(`${label}: ${oneLine(label, value)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Parses a statement; throws naming the line that is wrong. */
export function parseStatement(text: string): Statement {
  const lines = text.replace(/\n$/, '').split('\n');
  if (lines[0] !== STATEMENT_HEADER) throw new Error(`the statement must start with "${STATEMENT_HEADER}"`);
  const values: Record<string, string> = {};
  let i = 1;
  for (const [label, key] of FIELDS) {
    const line = lines[i];
    const prefix = `${label}: `;
    if (line?.startsWith(prefix)) {
      values[key] = line.slice(prefix.length);
      i++;
    } else if (label !== 'via') {
      throw new Error(`statement line ${i + 1} must be "${label}: …"`);
    }
  }
  if (i !== lines.length) throw new Error(`statement line ${i + 1} is not expected`);
  const kind = values.kind as SignedKind;
  if (!SIGNED_KINDS.includes(kind)) throw new Error(`statement kind must be one of ${SIGNED_KINDS.join(', ')}`);
  if (!/^[0-9a-f]{64}$/.test(values.commentSha256!)) throw new Error('statement comment-sha256 must be 64 lowercase hex characters');
  if (!/^[0-9a-f]{16,64}$/.test(values.nonce!)) throw new Error('statement nonce must be 16 to 64 lowercase hex characters');
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(values.issuedAt!) || Number.isNaN(Date.parse(values.issuedAt!))) {
    throw new Error('statement issued-at must be an ISO 8601 UTC time such as 2026-12-01T20:30:00Z');
  }
  return values as unknown as Statement;
}
