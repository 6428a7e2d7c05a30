/**
 * The chat-ops service's settings, from the environment. Every error names the variable
 * and how to fix it, because the first reader is an operator looking at a crash-looping pod.
 * Temporal's own settings (TEMPORAL_ADDRESS...) are read by temporal-config.ts.
 */
import { readFileSync } from 'node:fs';
import { type IdentityAllowList, allowListFromEnv } from './identity.js';
import type { LogLevel } from './log.js';

export interface ChatOpsConfig {
  host: string;
  port: number;
  /** Never logged, never put in an error message. */
  signingSecret: string;
  allowList: IdentityAllowList;
  replyDeadlineMs: number;
  logLevel: LogLevel;
}

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export function chatOpsConfigFromEnv(env: NodeJS.ProcessEnv = process.env, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): ChatOpsConfig {
  const signingSecret = env.SLACK_SIGNING_SECRET?.trim();
  if (!signingSecret) {
    throw new Error('SLACK_SIGNING_SECRET is not set: give it the Slack app\'s "Signing Secret" (Basic Information → App Credentials); the chart reads it from a Secret');
  }
  const logLevel = (env.LOG_LEVEL?.trim().toLowerCase() || 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new Error(`LOG_LEVEL=${env.LOG_LEVEL} is not one of ${LOG_LEVELS.join(', ')}`);
  return {
    host: env.CHATOPS_HOST?.trim() || '0.0.0.0',
    port: integer(env, 'CHATOPS_PORT', 8080, 0, 65535),
    signingSecret,
    allowList: allowListFromEnv(env, readFile),
    // Slack's limit is 3000 ms; the margin covers the network between Slack and the pod.
    replyDeadlineMs: integer(env, 'CHATOPS_REPLY_DEADLINE_MS', 2500, 100, 2900),
    logLevel,
  };
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name}=${raw} is not an integer between ${min} and ${max}`);
  }
  return value;
}
