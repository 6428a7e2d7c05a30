/**
 * How the worker, the CLI and the chat-ops service reach Temporal: the Temporal SDK's own
 * environment configuration (@temporalio/envconfig), so the settings are the Temporal
 * CLI's: profiles in its config file (TEMPORAL_CONFIG_FILE, else
 * ~/.config/temporalio/temporal.toml; TEMPORAL_PROFILE picks one) and its variables
 * (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS,
 * TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH,
 * TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_SERVER_NAME, ...), which override the
 * profile. Command-line flags (the CLI's --address, --profile, ...) override both.
 *
 * The names this project used before (TEMPORAL_TLS_CERT_PATH, TEMPORAL_TLS_KEY_PATH,
 * TEMPORAL_TLS_CA_PATH) still work for one release, with a warning.
 *
 * TEMPORAL_TASK_QUEUE is ours (the Temporal CLI has no such setting).
 */
import { readFileSync } from 'node:fs';
import type { DataConverter } from '@temporalio/common';
import { type ClientConfigProfile, loadClientConfigProfile } from '@temporalio/envconfig';
import { codecDataConverter, codecEnabled } from './codec/data-converter.js';

export const DEFAULT_TASK_QUEUE = 'upgrade-runbooks';
export const DEFAULT_ADDRESS = 'localhost:7233';
export const DEFAULT_NAMESPACE = 'default';

/** Old name -> the Temporal CLI's name. Deprecated: removed in the release after next. */
export const DEPRECATED_ENV_ALIASES: Readonly<Record<string, string>> = {
  TEMPORAL_TLS_CERT_PATH: 'TEMPORAL_TLS_CLIENT_CERT_PATH',
  TEMPORAL_TLS_KEY_PATH: 'TEMPORAL_TLS_CLIENT_KEY_PATH',
  TEMPORAL_TLS_CA_PATH: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
};

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  tls?: {
    serverNameOverride?: string;
    serverRootCACertificate?: Buffer;
    clientCertPair?: { crt: Buffer; key: Buffer };
  };
  apiKey?: string;
  /** gRPC metadata from the profile (`grpc_meta`) or TEMPORAL_GRPC_META_*. */
  metadata?: Record<string, string>;
  /** The profile that was read, when one was named. */
  profile?: string;
  /**
   * The payload codecs' converter, when RUNBOOK_CODEC_KEYS(_FILE) or RUNBOOK_PAYLOAD_STORE
   * configure one (src/codec/).
   */
  dataConverter?: DataConverter;
  /** Payloads are encrypted (codec keys are set): only then may run input hold inline secrets. */
  payloadsEncrypted?: boolean;
}

/** What the CLI's flags can set; each overrides the profile and the environment. */
export interface ConnectionOverrides {
  address?: string;
  namespace?: string;
  profile?: string;
  configFile?: string;
  apiKey?: string;
  tls?: boolean;
  tlsCertPath?: string;
  tlsKeyPath?: string;
  tlsCaPath?: string;
  tlsServerName?: string;
}

export interface LoadTemporalConfigOptions {
  env?: NodeJS.ProcessEnv;
  overrides?: ConnectionOverrides;
  /** Where deprecation warnings go (stderr for the CLI, the log for the worker). */
  warn?: (message: string) => void;
}

/** The environment with empty values dropped and deprecated names mapped to the Temporal CLI's. */
export function normalizedEnv(env: NodeJS.ProcessEnv, warn: (message: string) => void = () => undefined): Record<string, string> {
  // An empty variable counts as unset (compose's `TEMPORAL_TLS: ${TEMPORAL_TLS:-}` and the like).
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined && value.trim() !== '') out[name] = value;
  for (const [old, current] of Object.entries(DEPRECATED_ENV_ALIASES)) {
    const value = out[old];
    if (value === undefined) continue;
    delete out[old];
    if (out[current] !== undefined) {
      warn(`${old} is deprecated and ignored because ${current} is set; remove ${old}`);
      continue;
    }
    warn(`${old} is deprecated: rename it to ${current} (the Temporal CLI's name); the old name goes away in the next release`);
    out[current] = value;
  }
  return out;
}

function readPem(setting: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${setting}=${path} cannot be read: ${(err as Error).message}`);
  }
}

function pathOf(source: { path: string } | { data: string | Uint8Array } | undefined): string | undefined {
  return source && 'path' in source ? source.path : undefined;
}

function dataOf(setting: string, source: { path: string } | { data: string | Uint8Array } | undefined): Buffer | undefined {
  if (!source) return undefined;
  if ('path' in source) return readPem(setting, source.path);
  return Buffer.from(source.data);
}

function loadProfile(env: Record<string, string>, o: ConnectionOverrides): ClientConfigProfile {
  const profileName = o.profile ?? env.TEMPORAL_PROFILE;
  const configFile = o.configFile ?? env.TEMPORAL_CONFIG_FILE;
  try {
    return loadClientConfigProfile({
      ...(profileName ? { profile: profileName } : {}),
      ...(configFile ? { configSource: { path: configFile } } : {}),
      overrideEnvVars: env,
    });
  } catch (err) {
    const message = (err as Error).message;
    if (/Profile '.*' not found/.test(message)) {
      throw new Error(`profile "${profileName}" is not in ${configFile ?? 'the Temporal CLI config file (~/.config/temporalio/temporal.toml)'}: check --profile / TEMPORAL_PROFILE, or TEMPORAL_CONFIG_FILE`);
    }
    throw new Error(`cannot read the Temporal config file${configFile ? ` ${configFile}` : ''}: ${message}`);
  }
}

export function loadTemporalConfig(options: LoadTemporalConfigOptions = {}): TemporalConfig {
  const o = options.overrides ?? {};
  const env = normalizedEnv(options.env ?? process.env, options.warn);
  if (env.TEMPORAL_TLS !== undefined && !['true', 'false', '1', '0'].includes(env.TEMPORAL_TLS)) {
    throw new Error(`TEMPORAL_TLS=${env.TEMPORAL_TLS}: expected true or false`);
  }
  const profile = loadProfile(env, o);

  const certPath = o.tlsCertPath ?? pathOf(profile.tls?.clientCert);
  const keyPath = o.tlsKeyPath ?? pathOf(profile.tls?.clientKey);
  const hasCert = Boolean(certPath ?? profile.tls?.clientCert);
  const hasKey = Boolean(keyPath ?? profile.tls?.clientKey);
  if (hasCert !== hasKey) {
    throw new Error(
      'the client certificate and its key must be set together (mTLS needs both): TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH, --tls-cert-path and --tls-key-path, or client_cert_path and client_key_path in the profile',
    );
  }
  const apiKey = o.apiKey ?? profile.apiKey;
  const caSource = o.tlsCaPath ? { path: o.tlsCaPath } : profile.tls?.serverCACert;
  const serverName = o.tlsServerName ?? profile.tls?.serverName;
  const tlsDisabled = o.tls === false || profile.tls?.disabled === true;
  // An API key (Temporal Cloud) implies TLS; so do a client certificate and a CA.
  const wantsTls = o.tls === true || (profile.tls !== undefined && !profile.tls.disabled) || Boolean(apiKey) || hasCert || Boolean(caSource);

  const config: TemporalConfig = {
    address: o.address ?? profile.address ?? DEFAULT_ADDRESS,
    namespace: o.namespace ?? profile.namespace ?? DEFAULT_NAMESPACE,
    taskQueue: env.TEMPORAL_TASK_QUEUE ?? DEFAULT_TASK_QUEUE,
  };
  if (wantsTls && !tlsDisabled) {
    const ca = dataOf('TEMPORAL_TLS_SERVER_CA_CERT_PATH', caSource);
    const crt = certPath ? readPem('TEMPORAL_TLS_CLIENT_CERT_PATH', certPath) : dataOf('TEMPORAL_TLS_CLIENT_CERT_DATA', profile.tls?.clientCert);
    const key = keyPath ? readPem('TEMPORAL_TLS_CLIENT_KEY_PATH', keyPath) : dataOf('TEMPORAL_TLS_CLIENT_KEY_DATA', profile.tls?.clientKey);
    config.tls = {
      ...(serverName ? { serverNameOverride: serverName } : {}),
      ...(ca ? { serverRootCACertificate: ca } : {}),
      ...(crt && key ? { clientCertPair: { crt, key } } : {}),
    };
  }
  if (apiKey) config.apiKey = apiKey;
  if (profile.grpcMeta && Object.keys(profile.grpcMeta).length) config.metadata = profile.grpcMeta;
  const profileName = o.profile ?? env.TEMPORAL_PROFILE;
  if (profileName) config.profile = profileName;
  // Read here so a bad key list is a configuration error at start-up, named like the others.
  const converter = codecDataConverter(env);
  if (converter) config.dataConverter = converter;
  if (codecEnabled(env)) config.payloadsEncrypted = true;
  return config;
}

/** The worker's and chat-ops' reading: the environment (and the config file it points at), no flags. */
export function temporalConfigFromEnv(env: NodeJS.ProcessEnv = process.env, warn?: (message: string) => void): TemporalConfig {
  return loadTemporalConfig({ env, ...(warn ? { warn } : {}) });
}

/** Options shared by NativeConnection.connect (worker) and Connection.connect (clients). */
export function connectionOptions(config: TemporalConfig) {
  return {
    address: config.address,
    ...(config.tls ? { tls: config.tls } : {}),
    ...(config.apiKey ? { apiKey: config.apiKey } : {}),
    ...(config.metadata ? { metadata: config.metadata } : {}),
  };
}

/**
 * The one data converter of the worker, the CLI and chat-ops: Temporal's default payload
 * converter plus, when keys are configured, the AES-256-GCM codec (src/codec/), so every
 * process that reads or writes payloads encrypts and decrypts the same way.
 */
export function dataConverter(config: TemporalConfig): DataConverter | undefined {
  return config.dataConverter;
}
