/**
 * The Temporal client, from the same environment the worker reads (temporal-config.ts):
 * TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE, TLS files or TEMPORAL_API_KEY
 * for Temporal Cloud.
 */
import { hostname } from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { connectionOptions, type TemporalConfig, temporalConfigFromEnv } from '../temporal-config.js';
import { CliError, ExitCode } from './exit-codes.js';

export function loadTemporalConfig(env: NodeJS.ProcessEnv = process.env): TemporalConfig {
  try {
    return temporalConfigFromEnv(env);
  } catch (err) {
    throw new CliError(ExitCode.InvalidInput, (err as Error).message);
  }
}

export interface ConnectedClient {
  client: Client;
  close(): Promise<void>;
}

export async function connectClient(config: TemporalConfig, operator: string): Promise<ConnectedClient> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...connectionOptions(config), connectTimeout: '10s' });
  } catch (err) {
    throw new CliError(ExitCode.Failed, `cannot reach Temporal at ${config.address}: ${(err as Error).message}`);
  }
  // The identity Temporal records on every call (visible in the Web UI's history).
  const client = new Client({ connection, namespace: config.namespace, identity: `${operator}@${hostname()} (runbook CLI)` });
  return { client, close: () => connection.close() };
}
