/**
 * What every command needs, created lazily: nothing connects to Temporal or loads the
 * catalog until a command asks, so `--help` and input errors work without a server.
 */
import type { Client } from '@temporalio/client';
import type { TemporalConfig } from '../temporal-config.js';
import { type Catalog, loadCatalog } from './catalog.js';
import { type ConnectedClient, connectClient, loadTemporalConfig } from './connection.js';
import { resolveIdentity } from './identity.js';

export interface CliIO {
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadableStream;
  stdout(text: string): void;
  stderr(text: string): void;
}

export interface CliContext extends CliIO {
  identity(): string;
  /** --as as given (signed decisions use it only to pick among a key's names). */
  readonly asFlag: string | undefined;
  /** --sign-key: the SSH key that signs decisions (else $RUNBOOK_SIGN_KEY, else ssh-agent). */
  readonly signKey: string | undefined;
  catalog(): Promise<Catalog>;
  temporal(): Promise<{ client: Client; config: TemporalConfig }>;
  /** Upper bound for one call to a run (an Update, a query). */
  timeoutMs: number;
  close(): Promise<void>;
}

export interface GlobalOptions {
  as?: string;
  timeout?: number;
  signKey?: string;
}

export function createContext(io: CliIO, globals: () => GlobalOptions): CliContext {
  let catalog: Promise<Catalog> | undefined;
  let connected: Promise<ConnectedClient & { config: TemporalConfig }> | undefined;
  const identity = () => resolveIdentity({ flag: globals().as, env: io.env });
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
      return (globals().timeout ?? 60) * 1000;
    },
    catalog: () => (catalog ??= loadCatalog(io.env)),
    temporal: async () => {
      connected ??= (async () => {
        const config = loadTemporalConfig(io.env);
        return { ...(await connectClient(config, identity())), config };
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
