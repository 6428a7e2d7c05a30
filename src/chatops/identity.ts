/**
 * Who may act on runs from chat, and under which name. The chat user ID (stable, unlike
 * display names, and signed by Slack) maps to the approver name recorded in every decision.
 * A user missing from the list is refused before anything reaches a workflow.
 *
 * Sources (exactly one):
 * - CHATOPS_USERS: `U123=alice,U456=bob`;
 * - CHATOPS_USERS_FILE: a JSON or YAML mapping `{ U123: alice, U456: bob }` (a ConfigMap in the chart).
 */
import { describeParseError } from '../activities/parse-errors.js';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

export interface IdentityAllowList {
  /** The approver name for a chat user, or undefined when the user is not allowed. */
  resolve(chatUserId: string): string | undefined;
  readonly size: number;
}

export function createAllowList(entries: Iterable<readonly [string, string]>): IdentityAllowList {
  const map = new Map<string, string>();
  for (const [id, name] of entries) {
    if (map.has(id)) throw new Error(`chat user ${id} is listed twice`);
    map.set(id, name);
  }
  return { resolve: (id) => map.get(id), size: map.size };
}

// Slack IDs are uppercase alphanumerics (U…, W…); other chat systems use lowercase ones.
const ID_PATTERN = /^[A-Za-z0-9._-]+$/;

function checkEntry(id: string, name: string, where: string): readonly [string, string] {
  if (!ID_PATTERN.test(id)) throw new Error(`${where}: "${id}" is not a chat user ID (letters, digits, '.', '_' or '-')`);
  if (!name.trim()) throw new Error(`${where}: chat user ${id} has an empty approver name`);
  return [id, name.trim()];
}

/** Parses `U123=alice,U456=bob` (whitespace and newlines around entries are ignored). */
export function parseUsersEnv(value: string, varName = 'CHATOPS_USERS'): IdentityAllowList {
  const entries = value
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const eq = entry.indexOf('=');
      if (eq <= 0) throw new Error(`${varName}: "${entry}" is not <chat-user-id>=<approver-name> (example: U123=alice,U456=bob)`);
      return checkEntry(entry.slice(0, eq).trim(), entry.slice(eq + 1), varName);
    });
  return createAllowList(entries);
}

/** Parses the file's text; YAML is a superset of JSON, so one parser reads both. */
export function parseUsersFile(text: string, fileName: string): IdentityAllowList {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new Error(describeParseError(fileName, err, text));
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new Error(`${fileName}: expected a mapping of chat user IDs to approver names, like {"U123": "alice"}`);
  }
  const entries = Object.entries(doc as Record<string, unknown>).map(([id, name]) => {
    if (typeof name !== 'string') throw new Error(`${fileName}: the approver name for ${id} must be a string`);
    return checkEntry(id, name, fileName);
  });
  return createAllowList(entries);
}

export function allowListFromEnv(env: NodeJS.ProcessEnv, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): IdentityAllowList {
  const inline = env.CHATOPS_USERS?.trim();
  const file = env.CHATOPS_USERS_FILE?.trim();
  if (inline && file) throw new Error('set either CHATOPS_USERS or CHATOPS_USERS_FILE, not both (one source keeps the allow-list auditable)');
  let list: IdentityAllowList;
  if (inline) {
    list = parseUsersEnv(inline);
  } else if (file) {
    let text: string;
    try {
      text = readFile(file);
    } catch (err) {
      throw new Error(`CHATOPS_USERS_FILE=${file} cannot be read: ${(err as Error).message}`);
    }
    list = parseUsersFile(text, `CHATOPS_USERS_FILE=${file}`);
  } else {
    throw new Error('no chat users are allowed: set CHATOPS_USERS (U123=alice,U456=bob) or CHATOPS_USERS_FILE (a YAML/JSON map of user ID to approver name)');
  }
  if (list.size === 0) throw new Error(`${inline ? 'CHATOPS_USERS' : 'CHATOPS_USERS_FILE'} lists no users: every command would be refused`);
  return list;
}
