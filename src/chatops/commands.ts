/**
 * Parses a Slack slash command (`/upgrade <verb> <run-id> [rest]`) into a typed command.
 * Pure: no identity, no Temporal. The server decides who may run it and what it does.
 */

export type ChatCommand =
  | { verb: 'help' }
  | { verb: 'status'; runId: string }
  | { verb: 'approve'; runId: string; comment?: string; acknowledgeSchemaChanges: boolean }
  | { verb: 'reject' | 'promote'; runId: string; comment?: string }
  | { verb: 'abort'; runId: string; reason: string }
  | { verb: 'pause' | 'resume'; runId: string; reason?: string };

export type ChatVerb = Exclude<ChatCommand['verb'], 'help'>;

export type ParseResult = { ok: true; command: ChatCommand } | { ok: false; message: string };

/** The fields of Slack's slash-command payload this service uses. */
export interface SlashCommandForm {
  /** The command as typed (`/upgrade`), used to print usage with the name the workspace chose. */
  command: string;
  text: string;
  userId: string;
  /** Display only: Slack deprecates it and it is not an identity. */
  userName: string;
  /** Where a late answer can be posted (valid for 30 minutes, 5 posts). */
  responseUrl: string | undefined;
}

export const ACK_SCHEMA_CHANGES_FLAG = '--ack-schema-changes';
const DEFAULT_COMMAND = '/upgrade';

const USAGE_LINES: ReadonlyArray<readonly [ChatVerb, string, string]> = [
  ['approve', `<run-id> [${ACK_SCHEMA_CHANGES_FLAG}] [comment]`, 'approve the step the run waits on'],
  ['reject', '<run-id> [comment]', 'reject it (the run stops)'],
  ['abort', '<run-id> <reason>', 'abort the run and roll back what it changed'],
  ['status', '<run-id>', 'show the phase, the steps and what the run waits for'],
  ['pause', '<run-id> [reason]', 'pause before the next step'],
  ['resume', '<run-id> [reason]', 'resume a paused run'],
  ['promote', '<run-id> [comment]', 'promote a canary to the remaining tenants'],
];

const VERBS = new Set<string>(USAGE_LINES.map(([verb]) => verb));

/**
 * The slash command that sends `verb` to `runId`, with its usage's placeholders for what
 * the person still chooses ("[comment]", "<reason>"); undefined for a verb chat does not have.
 */
export function chatCommandFor(verb: string, runId: string, commandName: string, options: { ackSchemaChanges?: boolean } = {}): string | undefined {
  const line = USAGE_LINES.find(([v]) => v === verb);
  if (!line) return undefined;
  const args = line[1].replace('<run-id>', runId).replace(` [${ACK_SCHEMA_CHANGES_FLAG}]`, options.ackSchemaChanges ? ` ${ACK_SCHEMA_CHANGES_FLAG}` : '');
  return `${commandName} ${verb} ${args}`;
}

export function usage(commandName: string = DEFAULT_COMMAND): string {
  const lines = USAGE_LINES.map(([verb, args, what]) => `• \`${commandName} ${verb} ${args}\`: ${what}`);
  return [`Usage: \`${commandName} <verb> <run-id> [...]\``, ...lines].join('\n');
}

/** Reads the urlencoded body Slack posts. Fails only when the fields every command needs are missing. */
export function parseSlashCommandForm(rawBody: string): { ok: true; form: SlashCommandForm } | { ok: false; message: string } {
  const params = new URLSearchParams(rawBody);
  const userId = params.get('user_id')?.trim();
  if (!userId) return { ok: false, message: 'the request has no user_id field: is this a Slack slash command?' };
  const responseUrl = params.get('response_url')?.trim();
  return {
    ok: true,
    form: {
      command: params.get('command')?.trim() || DEFAULT_COMMAND,
      text: unescapeSlack(params.get('text') ?? ''),
      userId,
      userName: params.get('user_name') ?? '',
      responseUrl: responseUrl || undefined,
    },
  };
}

export function parseCommandText(text: string, commandName: string = DEFAULT_COMMAND): ParseResult {
  const { word: verbWord, rest: afterVerb } = nextWord(text);
  const verb = verbWord.toLowerCase();
  if (verb === '' || verb === 'help') return { ok: true, command: { verb: 'help' } };
  if (!VERBS.has(verb)) {
    return refuse(`unknown verb "${verbWord}"`, commandName);
  }
  const { word: rawRunId, rest: rawRest } = nextWord(afterVerb);
  const runId = stripCodeQuotes(rawRunId);
  if (!runId) return refuse(`${verb} needs a run id`, commandName);

  const tokens = rawRest.split(/\s+/).filter(Boolean).map(normaliseDashes);
  const acknowledgeSchemaChanges = tokens.includes(ACK_SCHEMA_CHANGES_FLAG);
  const words = tokens.filter((t) => t !== ACK_SCHEMA_CHANGES_FLAG);
  const unknownOption = words.find((t) => /^--[a-z]/i.test(t));
  if (unknownOption) {
    return refuse(`unknown option ${unknownOption}${verb === 'approve' ? ` (approve accepts ${ACK_SCHEMA_CHANGES_FLAG})` : ''}`, commandName);
  }
  if (acknowledgeSchemaChanges && verb !== 'approve') {
    return refuse(`${ACK_SCHEMA_CHANGES_FLAG} applies to approve only`, commandName);
  }
  // Rejoined with single spaces: the comment is recorded in the run's history, not rendered.
  const free = words.join(' ') || undefined;

  switch (verb) {
    case 'status':
      if (free) return refuse(`status takes only a run id, got "${free}"`, commandName);
      return { ok: true, command: { verb, runId } };
    case 'approve':
      return { ok: true, command: { verb, runId, acknowledgeSchemaChanges, ...(free ? { comment: free } : {}) } };
    case 'reject':
    case 'promote':
      return { ok: true, command: { verb, runId, ...(free ? { comment: free } : {}) } };
    case 'abort':
      if (!free) return refuse(`abort needs a reason: \`${commandName} abort ${runId} <reason>\``, commandName);
      return { ok: true, command: { verb, runId, reason: free } };
    case 'pause':
    case 'resume':
      return { ok: true, command: { verb, runId, ...(free ? { reason: free } : {}) } };
    default:
      return refuse(`unknown verb "${verbWord}"`, commandName);
  }
}

function refuse(problem: string, commandName: string): ParseResult {
  return { ok: false, message: `${problem}.\n${usage(commandName)}` };
}

function nextWord(text: string): { word: string; rest: string } {
  const trimmed = text.trimStart();
  const match = /^\S+/.exec(trimmed);
  if (!match) return { word: '', rest: '' };
  return { word: match[0], rest: trimmed.slice(match[0].length) };
}

/**
 * Slack sends `&`, `<` and `>` in the command text as HTML entities. The text is recorded in
 * the run's history as the comment or reason, so it is stored as the user typed it
 * (replies escape it again). `&amp;` goes last so `&amp;lt;` stays a literal `&lt;`.
 */
function unescapeSlack(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** People paste run ids from status messages, often inside `code` formatting. */
function stripCodeQuotes(word: string): string {
  return word.replace(/^`+|`+$/g, '');
}

/**
 * Chat clients (macOS, iOS) "smarten" `--` into an em or en dash. Only a leading dash run
 * on an option-looking token is undone, so dashes inside comments are left alone.
 */
function normaliseDashes(token: string): string {
  return token.replace(/^[\u2013\u2014]+(?=[a-z])/i, '--');
}
