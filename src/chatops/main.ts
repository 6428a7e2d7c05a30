/**
 * Entry point of the chat-ops service (`node dist/chatops/main.js`): reads the environment,
 * connects to Temporal lazily and serves until SIGTERM.
 *
 * The connection is lazy on purpose: the process starts and answers /healthz while Temporal
 * is still unreachable, and /readyz keeps the pod out of the Service until it answers.
 */
import { hostname } from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { connectionOptions, dataConverter, temporalConfigFromEnv } from '../temporal-config.js';
import { chatOpsConfigFromEnv } from './config.js';
import { createJsonLogger } from './log.js';
import { CHATOPS_SIGN_KEY_ENV, withRelaySignatures } from './relay-signing.js';
import { createTemporalRunControl } from './run-control.js';
import { createChatOpsServer } from './server.js';
import { createSlackVerifier } from './slack-signature.js';

/** Below the chart's readinessProbe timeoutSeconds (3). */
const READY_CHECK_TIMEOUT_MS = 2000;

/** Both configurations, or exit 2 with the error (it names the variable to fix). */
function loadConfig() {
  try {
    const warn = (message: string) => createJsonLogger({ base: { service: 'chatops' } }).warn('deprecated setting', { message });
    return { config: chatOpsConfigFromEnv(process.env), temporal: temporalConfigFromEnv(process.env, warn) };
  } catch (err) {
    createJsonLogger({ base: { service: 'chatops' } }).error('invalid configuration', { error: (err as Error).message });
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const { config, temporal } = loadConfig();
  const logger = createJsonLogger({ level: config.logLevel, base: { service: 'chatops' } });

  const connection = Connection.lazy(connectionOptions(temporal));
  const converter = dataConverter(temporal);
  const client = new Client({ connection, namespace: temporal.namespace, identity: `chatops@${hostname()}`, ...(converter ? { dataConverter: converter } : {}) });

  const server = createChatOpsServer({
    verifier: createSlackVerifier({ signingSecret: config.signingSecret }),
    allowList: config.allowList,
    // With a relay key, runs that require signed decisions get them signed for the Slack user.
    runControl: process.env[CHATOPS_SIGN_KEY_ENV]?.trim()
      ? await withRelaySignatures(createTemporalRunControl(client), { client, keyPath: process.env[CHATOPS_SIGN_KEY_ENV].trim(), env: process.env })
      : createTemporalRunControl(client),
    replyDeadlineMs: config.replyDeadlineMs,
    logger,
    readyTimeoutMs: READY_CHECK_TIMEOUT_MS,
    checkReady: async () => {
      // Not ensureConnected(): it memoizes its first failure, and readiness must recover.
      await connection.withDeadline(Date.now() + READY_CHECK_TIMEOUT_MS, () => connection.workflowService.getSystemInfo({}));
    },
  });

  server.on('error', (err) => {
    logger.error('server error', { error: err.message });
    process.exit(1);
  });
  server.listen(config.port, config.host, () => {
    const address = server.address();
    logger.info('listening', {
      host: config.host,
      port: typeof address === 'object' && address ? address.port : config.port,
      temporalAddress: temporal.address,
      temporalNamespace: temporal.namespace,
      allowedUsers: config.allowList.size,
    });
  });

  const shutdown = (signal: string) => {
    logger.info('shutting down', { signal });
    // Stop accepting; requests in flight (at most a few seconds each) finish first.
    server.close(() => {
      connection.close().then(
        () => process.exit(0),
        () => process.exit(0),
      );
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  // A relay key that cannot be read (CHATOPS_SIGN_KEY) is a configuration error.
  createJsonLogger({ base: { service: 'chatops' } }).error('invalid configuration', { error: err instanceof Error ? err.message : String(err) });
  process.exit(2);
});
