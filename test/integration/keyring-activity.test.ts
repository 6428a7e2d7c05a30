// The loadKeyring activity against real sources: a file on the worker, and a ConfigMap and
// a Secret in a real API server (KWOK), read through the real kubectl. Keys from ssh-keygen.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CommandRunner } from '../../src/activities/command.js';
import { createKeyringActivities } from '../../src/activities/keyring.js';
import { FailureType } from '../../src/domain/failure-types.js';
import { keyringDigest } from '../../src/domain/signatures/keyring.js';
import { createKwokCluster, type KwokCluster } from '../helpers/kwok.js';
import { KeyDir, type TestKey } from '../helpers/ssh-keys.js';
import { activityFailure as failure } from '../helpers/activity-failure.js';

describe('loadKeyring', () => {
  const keys = new KeyDir();
  let alice: TestKey;
  let bob: TestKey;
  let text: string;
  let cluster: KwokCluster;
  let acts: ReturnType<typeof createKeyringActivities>;

  before(async () => {
    alice = keys.key('alice');
    bob = keys.key('bob');
    text = `# approvers\nalice ${alice.publicKey}\nbob ${bob.publicKey}\n`;
    cluster = await createKwokCluster('keyring');
    await cluster.kubectl(['create', 'namespace', 'upgrade-runbooks']);
    const file = join(keys.dir, 'allowed_signers');
    writeFileSync(file, text);
    await cluster.kubectl(['create', 'configmap', 'approvers', '--namespace', 'upgrade-runbooks', `--from-file=allowed_signers=${file}`]);
    await cluster.kubectl(['create', 'secret', 'generic', 'approvers', '--namespace', 'upgrade-runbooks', `--from-file=allowed_signers=${file}`]);
    acts = createKeyringActivities({ runner: new CommandRunner({ tools: { helm: 'helm', kubectl: cluster.env.KUBECTL_BIN ?? 'kubectl', pg_dump: 'pg_dump', pg_restore: 'pg_restore', psql: 'psql' } }) });
  });

  after(async () => {
    await cluster?.delete();
    keys.cleanup();
  });

  const kube = () => ({ kubeconfig: cluster.kubeconfig });

  it('reads a file, a ConfigMap and a Secret, with the digest of what it read', async () => {
    const file = await acts.loadKeyring({ file: join(keys.dir, 'allowed_signers') });
    assert.deepEqual(file.keys.map((k) => k.name), ['alice', 'bob']);
    assert.equal(file.digest, keyringDigest(text));
    for (const kind of ['configMap', 'secret'] as const) {
      const loaded = await acts.loadKeyring({ [kind]: { namespace: 'upgrade-runbooks', name: 'approvers', key: 'allowed_signers', kube: kube() } } as never);
      assert.deepEqual(loaded.keys, file.keys, kind);
      assert.equal(loaded.digest, file.digest, kind);
      assert.match(loaded.source, /upgrade-runbooks\/approvers key allowed_signers/);
    }
  });

  it('names what is missing or wrong', async () => {
    const missing = await failure(acts.loadKeyring({ configMap: { namespace: 'upgrade-runbooks', name: 'nope', key: 'allowed_signers', kube: kube() } }));
    assert.equal(missing.type, FailureType.NotFound);
    assert.match(missing.message, /configmap upgrade-runbooks\/nope does not exist/);
    const noKey = await failure(acts.loadKeyring({ secret: { namespace: 'upgrade-runbooks', name: 'approvers', key: 'keys', kube: kube() } }));
    assert.match(noKey.message, /key keys is missing \(keys: allowed_signers\)/);
    const bad = join(keys.dir, 'bad');
    writeFileSync(bad, 'carol ssh-rsa AAAAB3\n');
    const badLine = await failure(acts.loadKeyring({ file: bad }));
    assert.equal(badLine.type, FailureType.InvalidInput);
    assert.match(badLine.message, /line 1: expected "<name> ssh-ed25519/);
  });
});
