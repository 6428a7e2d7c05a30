/**
 * What every command needs, created lazily: nothing connects to Temporal or loads the
 * catalog until a command asks, so `--help` and input errors work without a server.
 */
import type { Client } from '@temporalio/client';
import type { ConnectionOverrides, TemporalConfig } from '../temporal-config.js';
import { type Catalog, loadCatalog } from './catalog.js';
import { type ConnectedClient, cliTemporalConfig, connectClient } from './connection.js';
import { resolveIdentity } from './identity.js';

export interface CliIO {
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadableStream;
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stdout is a terminal (the fleet view redraws in place there). */
  isTTY?: boolean;
}

export interface CliContext extends CliIO {
  identity(): string;
  /** --as as given (signed decisions use it only to pick among a key's names). */
  readonly asFlag: string | undefined;
  /** --sign-key: the SSH key that signs decisions (else $RUNBOOK_SIGN_KEY, else ssh-agent). */
  readonly signKey: string | undefined;
  catalog(): Promise<Catalog>;
  temporal(): Promise<{ client: Client; config: TemporalConfig }>;
  /** The connection settings (profile, variables, flags) without connecting. */
  temporalConfig(): TemporalConfig;
  /** Upper bound for connecting and for one call to a run (an Update, a query). */
  timeoutMs: number;
  close(): Promise<void>;
}

/**
 * The program's global flags: who acts, bounds, and the connection flags, which are the
 * connection settings' own overrides (temporal-config.ts resolves them with the profile
 * and the environment; it reads only its own fields).
 */
export interface GlobalOptions extends ConnectionOverrides {
  as?: string;
  timeout?: number;
  signKey?: string;
}

export function createContext(io: CliIO, globals: () => GlobalOptions): CliContext {
  let catalog: Promise<Catalog> | undefined;
  let connected: Promise<ConnectedClient & { config: TemporalConfig }> | undefined;
  const identity = () => resolveIdentity({ flag: globals().as, env: io.env });
  const timeoutMs = () => (globals().timeout ?? 60) * 1000;
  let config: TemporalConfig | undefined;
  const temporalConfig = () => (config ??= cliTemporalConfig(io.env, globals(), (message) => io.stderr(`warning: ${message}`)));
  return {
    ...io,
    identity,
    get asFlag() {
      return globals().as;
    },
    get signKey() {
      return globals().signKey;
    },
    get timeoutMs() {
      return timeoutMs();
    },
    catalog: () => (catalog ??= loadCatalog(io.env)),
    temporalConfig,
    temporal: async () => {
      connected ??= (async () => {
        const resolved = temporalConfig();
        return { ...(await connectClient(resolved, identity(), timeoutMs())), config: resolved };
      })();
      const { client, config } = await connected;
      return { client, config };
    },
    close: async () => {
      if (!connected) return;
      try {
        await (await connected).close();
      } catch {
        // Never connected: nothing to close.
      }
    },
  };
}
