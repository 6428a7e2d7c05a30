/**
 * createActivities(deps): every activity the worker registers, built over its
 * dependencies (the command runner, HTTP, clocks), so tests can build them over fixtures.
 */
import { tmpdir } from 'node:os';
import { CommandRunner, toolPathsFromEnv } from './command.js';
import { createHelmActivities } from './helm/activities.js';
import { createNotifyActivities, NOTIFY_WEBHOOK_URL_ENV } from './notify.js';
import { createToolchainActivities } from './toolchain.js';

export interface ActivityDeps {
  runner: CommandRunner;
  /** Scratch space for values files and dumps in transit (default: the OS temp dir). */
  workDir?: string;
  /** Slack-compatible incoming webhook for run notifications; none: notifications are no-ops. */
  notifyWebhookUrl?: string;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createToolchainActivities(deps),
    ...createHelmActivities({ runner: deps.runner, workDir: deps.workDir ?? tmpdir() }),
    ...createNotifyActivities({ webhookUrl: deps.notifyWebhookUrl }),
  };
}

export type Activities = ReturnType<typeof createActivities>;

/** The production dependencies, from the worker's environment. */
export function defaultActivityDeps(env: NodeJS.ProcessEnv = process.env): ActivityDeps {
  return {
    runner: new CommandRunner({ tools: toolPathsFromEnv(env) }),
    ...(env[NOTIFY_WEBHOOK_URL_ENV] ? { notifyWebhookUrl: env[NOTIFY_WEBHOOK_URL_ENV] } : {}),
  };
}
