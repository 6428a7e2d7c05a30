/**
 * createActivities(deps): every activity the worker registers, built over its
 * dependencies (the command runner, HTTP, clocks), so tests can build them over fixtures.
 */
import { tmpdir } from 'node:os';
import { codecEnabled } from '../codec/data-converter.js';
import { join } from 'node:path';
import { createClusterCapabilityActivities } from './cluster-capabilities.js';
import { createClusterPrerequisiteActivities } from './cluster-prerequisites.js';
import { CommandRunner, toolPathsFromEnv } from './command.js';
import { createHelmActivities } from './helm/activities.js';
import { createInlineSecretActivities } from './inline-secrets.js';
import { createKeyringActivities } from './keyring.js';
import { createBackupActivities } from './postgres/backup.js';
import { createReleaseDiffActivities } from './release-diff.js';
import { createVerifyActivities } from './release-verify.js';
import { createSnapshotActivities } from './snapshots.js';
import { backupStorageFromEnv, type BackupStorageConfig } from './storage/config.js';
import { localBackupStore } from './storage/local-store.js';
import { createCompatibilityActivities } from './soctalk/compatibility.js';
import { createMigrationActivities } from './soctalk/migration.js';
import { createNotifyActivities, NOTIFY_WEBHOOK_URL_ENV } from './notify.js';
import { createOpenctiActivities } from './opencti/activities.js';
import { createTargetActivities } from './soctalk/target.js';
import { createTenantActivities } from './soctalk/tenant.js';
import { createToolchainActivities } from './toolchain.js';

export interface ActivityDeps {
  runner: CommandRunner;
  /** Scratch space for values files and dumps in transit (default: the OS temp dir). */
  workDir?: string;
  /** Slack-compatible incoming webhook for run notifications; none: notifications are no-ops. */
  notifyWebhookUrl?: string;
  /** Where database backups are kept unless a run names a directory (the worker's BACKUP_DIR). */
  backupDir?: string;
  /** The worker's backup storage (BACKUP_STORAGE...); without it, a local store in `backupDir`. */
  backupStorage?: BackupStorageConfig;
  fetch?: typeof globalThis.fetch;
  /** How often waits (migration Job) poll; tests shorten it. */
  pollIntervalMs?: number;
  /** Whether the worker's payload codec is on; off (the default) refuses inline secrets in input. */
  codecEnabled?: boolean;
}

export function createActivities(deps: ActivityDeps) {
  const { runner } = deps;
  const helm = createHelmActivities({ runner, workDir: deps.workDir ?? tmpdir() });
  const fetch = deps.fetch ?? globalThis.fetch;
  return {
    ...createToolchainActivities(deps),
    ...createInlineSecretActivities({ codecEnabled: deps.codecEnabled ?? false }),
    ...helm,
    ...createReleaseDiffActivities(helm),
    ...createClusterPrerequisiteActivities({ runner }),
    ...createClusterCapabilityActivities({ runner }),
    ...createCompatibilityActivities({ runner, fetch }),
    ...createBackupActivities({
      runner,
      ...(deps.backupStorage ?? { store: localBackupStore(deps.backupDir ?? join(tmpdir(), 'upgrade-runbooks-backups')) }),
    }),
    ...createSnapshotActivities({ runner }),
    ...createKeyringActivities({ runner }),
    ...createMigrationActivities({ runner, helm, ...(deps.pollIntervalMs ? { pollIntervalMs: deps.pollIntervalMs } : {}) }),
    ...createVerifyActivities({ runner, helm, fetch }),
    ...createTargetActivities({ helm }),
    ...createNotifyActivities({ webhookUrl: deps.notifyWebhookUrl }),
    ...createOpenctiActivities({ runner, fetch, helm }),
    ...createTenantActivities({ runner: deps.runner, workDir: deps.workDir ?? tmpdir(), fetch }),
  };
}

export type Activities = ReturnType<typeof createActivities>;

/** The production dependencies, from the worker's environment. */
export function defaultActivityDeps(env: NodeJS.ProcessEnv = process.env): ActivityDeps {
  return {
    runner: new CommandRunner({ tools: toolPathsFromEnv(env) }),
    ...(env[NOTIFY_WEBHOOK_URL_ENV] ? { notifyWebhookUrl: env[NOTIFY_WEBHOOK_URL_ENV] } : {}),
    ...(env.BACKUP_DIR ? { backupDir: env.BACKUP_DIR } : {}),
    backupStorage: backupStorageFromEnv(env, join(tmpdir(), 'upgrade-runbooks-backups')),
    codecEnabled: codecEnabled(env),
  };
}
