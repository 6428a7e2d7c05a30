/**
 * The Temporal client, from the same settings the worker reads (temporal-config.ts: the
 * Temporal CLI's profiles and TEMPORAL_* variables), with the CLI's flags (--address,
 * --namespace, --profile, --tls-*, --api-key) on top.
 */
import { hostname } from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { type ConnectionOverrides, connectionOptions, dataConverter, loadTemporalConfig, type TemporalConfig } from '../temporal-config.js';
import { CliError, ExitCode } from './exit-codes.js';

export function cliTemporalConfig(env: NodeJS.ProcessEnv, overrides: ConnectionOverrides, warn: (message: string) => void): TemporalConfig {
  try {
    return loadTemporalConfig({ env, overrides, warn });
  } catch (err) {
    throw new CliError(ExitCode.InvalidInput, (err as Error).message);
  }
}

export interface ConnectedClient {
  client: Client;
  close(): Promise<void>;
}

/**
 * Connects within `timeoutMs`: the SDK retries a refused connection on its own, so the
 * deadline is enforced here too, and a server that is down is reported within --timeout.
 */
export async function connectClient(config: TemporalConfig, operator: string, timeoutMs: number): Promise<ConnectedClient> {
  const seconds = Math.max(1, Math.round(timeoutMs / 1000));
  const reach = `cannot reach Temporal at ${config.address}${config.profile ? ` (profile ${config.profile})` : ''}`;
  let timer: NodeJS.Timeout | undefined;
  const connecting = Connection.connect({ ...connectionOptions(config), connectTimeout: timeoutMs });
  let connection: Connection;
  try {
    connection = await Promise.race([
      connecting,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${seconds}s (--timeout)`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    // A connection that arrives after the deadline is closed, not leaked.
    connecting.then((late) => late.close()).catch(() => undefined);
    throw new CliError(ExitCode.Failed, `${reach}: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
  const converter = dataConverter(config);
  // The identity Temporal records on every call (visible in the Web UI's history).
  const client = new Client({
    connection,
    namespace: config.namespace,
    identity: `${operator}@${hostname()} (runbook CLI)`,
    ...(converter ? { dataConverter: converter } : {}),
  });
  return { client, close: () => connection.close() };
}
