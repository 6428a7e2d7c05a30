import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createActivities } from '../../src/activities/index.js';
import { CommandRunner, toolPathsFromEnv } from '../../src/activities/command.js';
import { createClusterCapabilityActivities } from '../../src/activities/cluster-capabilities.js';
import { createClusterPrerequisiteActivities } from '../../src/activities/cluster-prerequisites.js';
import { createHelmActivities } from '../../src/activities/helm/activities.js';
import { createInlineSecretActivities } from '../../src/activities/inline-secrets.js';
import { createKeyringActivities } from '../../src/activities/keyring.js';
import { createNotifyActivities } from '../../src/activities/notify.js';
import { createOpenctiActivities } from '../../src/activities/opencti/activities.js';
import { createBackupActivities } from '../../src/activities/postgres/backup.js';
import { localBackupStore } from '../../src/activities/storage/local-store.js';
import { createReleaseDiffActivities } from '../../src/activities/release-diff.js';
import { createVerifyActivities } from '../../src/activities/release-verify.js';
import { createSnapshotActivities } from '../../src/activities/snapshots.js';
import { createCompatibilityActivities } from '../../src/activities/soctalk/compatibility.js';
import { createMigrationActivities } from '../../src/activities/soctalk/migration.js';
import { createTargetActivities } from '../../src/activities/soctalk/target.js';
import { createTenantActivities } from '../../src/activities/soctalk/tenant.js';
import { createToolchainActivities } from '../../src/activities/toolchain.js';
import { RUNBOOKS } from '../../src/runbook-catalog.js';
import * as workflows from '../../src/workflows/index.js';

// Contracts the type checker cannot see: activities are registered by name (a second
// factory defining the same name silently replaces the first), and the catalog names
// workflow types as strings (a typo there starts a workflow no worker runs).
describe('contracts between the layers', () => {
  const runner = new CommandRunner({ tools: toolPathsFromEnv({}) });
  const fetch = globalThis.fetch;
  const helm = createHelmActivities({ runner, workDir: '/nonexistent' });
  const factories: Record<string, object> = {
    toolchain: createToolchainActivities({ runner }),
    inlineSecrets: createInlineSecretActivities({ codecEnabled: false }),
    helm,
    releaseDiff: createReleaseDiffActivities(helm),
    clusterPrerequisites: createClusterPrerequisiteActivities({ runner }),
    clusterCapabilities: createClusterCapabilityActivities({ runner }),
    compatibility: createCompatibilityActivities({ runner, fetch }),
    backup: createBackupActivities({ runner, store: localBackupStore('/nonexistent') }),
    snapshots: createSnapshotActivities({ runner }),
    keyring: createKeyringActivities({ runner }),
    migration: createMigrationActivities({ runner, helm }),
    verify: createVerifyActivities({ runner, helm, fetch }),
    target: createTargetActivities({ helm }),
    notify: createNotifyActivities({ webhookUrl: undefined }),
    opencti: createOpenctiActivities({ runner, fetch, helm }),
    tenant: createTenantActivities({ runner, workDir: '/nonexistent', fetch }),
  };

  it('no two activity factories define the same activity name', () => {
    const owner = new Map<string, string>();
    const collisions: string[] = [];
    for (const [factory, activities] of Object.entries(factories)) {
      for (const name of Object.keys(activities)) {
        const first = owner.get(name);
        if (first) collisions.push(`${name} (${first} and ${factory})`);
        else owner.set(name, factory);
      }
    }
    assert.deepEqual(collisions, []);
  });

  it('the worker registers exactly the factories checked here', () => {
    const registered = Object.keys(createActivities({ runner })).sort();
    const checked = Object.values(factories)
      .flatMap((a) => Object.keys(a))
      .sort();
    // A factory added to createActivities but not to this test shows up as a difference.
    assert.deepEqual(registered, checked);
    for (const name of registered) assert.equal(typeof (createActivities({ runner }) as Record<string, unknown>)[name], 'function', name);
  });

  it("every catalog entry's workflow type is exported by src/workflows/index.ts", () => {
    const exported = new Set(Object.entries(workflows).filter(([, v]) => typeof v === 'function').map(([k]) => k));
    const missing = RUNBOOKS.filter((r) => !exported.has(r.workflowType)).map((r) => `${r.name} -> ${r.workflowType}`);
    assert.deepEqual(missing, []);
    assert.equal(new Set(RUNBOOKS.map((r) => r.name)).size, RUNBOOKS.length, 'runbook names are unique');
  });
});
