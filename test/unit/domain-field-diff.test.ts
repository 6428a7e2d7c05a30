import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fieldDiff, formatFieldDiff, isSecretKey, MASK, MASK_CHANGED } from '../../src/domain/field-diff.js';
import { describeDiff } from '../../src/activities/release-diff.js';

const live = `---
# Source: soctalk-system/templates/secret.yaml
apiVersion: v1
kind: Secret
metadata:
  name: soctalk-db
  namespace: soctalk
type: Opaque
data:
  password: b2xkLXBhc3N3b3Jk
  username: c29jdGFsaw==
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: soctalk-api
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: api
          image: ghcr.io/soctalk/api:0.1.0
          env:
            - name: DATABASE_URL
              value: postgres://soctalk:hunter2@db:5432/soctalk
            - name: SESSION_TOKEN
              value: abc-old-token
            - name: LOG_LEVEL
              value: info
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: soctalk-config
  namespace: other
data:
  mode: a
`;

const target = `---
apiVersion: v1
kind: Secret
metadata:
  name: soctalk-db
  namespace: soctalk
type: Opaque
data:
  password: bmV3LXBhc3N3b3Jk
  username: c29jdGFsaw==
  apiKey: c2VjcmV0LWtleQ==
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: soctalk-api
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: api
          image: ghcr.io/soctalk/api:0.2.0
          env:
            - name: DATABASE_URL
              value: postgres://soctalk:hunter3@db:5432/soctalk
            - name: SESSION_TOKEN
              value: abc-new-token
            - name: LOG_LEVEL
              value: debug
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: soctalk-config
  namespace: soctalk
data:
  mode: b
---
apiVersion: batch/v1
kind: Job
metadata:
  name: soctalk-migrate
  annotations:
    helm.sh/hook: pre-upgrade
spec: {}
`;

describe('field-level diff at approval', () => {
  const diff = fieldDiff(live, target, { namespace: 'soctalk' });
  const text = formatFieldDiff(diff);

  it('keys objects by kind, namespace and name: the same name in two namespaces are two objects', () => {
    assert.deepEqual(
      diff.objects.map((o) => `${o.change} ${o.kind} ${o.namespace}/${o.name}`),
      ['removed ConfigMap other/soctalk-config', 'added ConfigMap soctalk/soctalk-config', 'changed Deployment soctalk/soctalk-api', 'changed Secret soctalk/soctalk-db'],
    );
  });

  it('shows the changed fields as a unified diff', () => {
    assert.match(text, /^~ Deployment soctalk\/soctalk-api$/m);
    assert.match(text, /^ {2}- {2}replicas: 2$/m);
    assert.match(text, /^ {2}\+ {2}replicas: 3$/m);
    assert.match(text, /^ {2}- +image: ghcr\.io\/soctalk\/api:0\.1\.0$/m);
    assert.match(text, /^ {2}\+ +image: ghcr\.io\/soctalk\/api:0\.2\.0$/m);
    assert.match(text, /^ {2}\+ +value: debug$/m);
    assert.match(text, /^ {2}@@ -\d+,\d+ \+\d+,\d+ @@$/m);
    // Hooks are not objects of the release.
    assert.doesNotMatch(text, /soctalk-migrate/);
  });

  it("masks a Secret's data on both sides, marking the values that change; no secret reaches the text", () => {
    const secret = diff.objects.find((o) => o.kind === 'Secret')!;
    const lines = secret.lines.join('\n');
    assert.match(lines, new RegExp(`^- +password: "?\\${MASK.slice(0, -1)}\\)"?$`, 'm'));
    assert.match(lines, new RegExp(`^\\+ +password: "?\\${MASK_CHANGED.slice(0, -1)}\\)"?$`, 'm'));
    assert.match(lines, /^\+ +apiKey: "?\(masked\)"?$/m);
    // username did not change: equal masks, so it is no diff line at all.
    assert.doesNotMatch(lines, /^[-+] +username/m);
    for (const secretText of ['b2xkLXBhc3N3b3Jk', 'bmV3LXBhc3N3b3Jk', 'c2VjcmV0LWtleQ==', 'c29jdGFsaw==', 'hunter2', 'hunter3', 'abc-old-token', 'abc-new-token']) {
      assert.ok(!text.includes(secretText), `${secretText} leaked:\n${text}`);
    }
  });

  it('masks secret-looking values elsewhere: env vars named like credentials, passwords in URLs', () => {
    assert.match(text, /value: postgres:\/\/soctalk:\(masked\)@db:5432\/soctalk/);
    assert.match(text, /^ {2}\+ +value: "?\(masked, changed\)"?$/m);
    assert.ok(isSecretKey('password') && isSecretKey('DB_PASSWORD') && isSecretKey('apiKey') && isSecretKey('SESSION_TOKEN'));
    assert.ok(!isSecretKey('passwordSecretName') && !isSecretKey('existingSecretRef') && !isSecretKey('tokenFile') && !isSecretKey('replicas'));
  });

  it('caps the diff per object and in all, and counts what it left out', () => {
    const many = (n: number, v: string) =>
      Array.from({ length: n }, (_, i) => `---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${String(i).padStart(2, '0')}\ndata:\n${Array.from({ length: 30 }, (_, k) => `  k${k}: ${v}${k}`).join('\n')}\n`).join('');
    const capped = fieldDiff(many(20, 'a'), many(20, 'b'), { namespace: 'ns', maxLinesPerObject: 10, maxLines: 50 });
    assert.ok(capped.objects.length < 20);
    assert.equal(capped.objects.length + capped.omittedObjects, 20);
    assert.ok(capped.objects.every((o) => o.lines.length <= 10 && o.omittedLines > 0));
    const total = capped.objects.reduce((n, o) => n + o.lines.length, 0);
    assert.ok(total <= 50, `${total} lines shown`);
    const out = formatFieldDiff(capped);
    assert.match(out, /\.\.\. \d+ more diff line\(s\) of ConfigMap ns\/cm-00 left out/);
    assert.match(out, new RegExp(`\\.\\.\\. ${capped.omittedObjects} more changed object\\(s\\) left out \\(${capped.omittedLines} diff lines in all left out\\)`));
  });

  it('the approval summary: counts and images first, then the field diff', () => {
    const result = describeDiff(live, target, 'soctalk');
    assert.match(result.summary, /^\d+ added, \d+ changed, \d+ removed, \d+ unchanged/);
    assert.match(result.summary, /Changed fields \(live -> target; secrets masked\):\n/);
    assert.ok(!result.summary.includes('hunter2'));
  });

  it('real helm output: get manifest of revision 2 against the template of 0.3.0-rc.1', async () => {
    const fixture = (name: string) => readFile(new URL(`../fixtures/helm-json/${name}`, import.meta.url), 'utf8');
    const real = fieldDiff(await fixture('manifest-rev2.yaml'), await fixture('template-0.3.0-rc.1.yaml'), { namespace: 'soctalk' });
    assert.ok(real.objects.some((o) => o.change === 'changed' && o.lines.some((l) => l.startsWith('+') && /image:/.test(l))), formatFieldDiff(real));
  });

  it('diffs manifests as helm printed them: a password in a ConfigMap parses and is masked in the summary', () => {
    // Redacted text would read `password: ***`, a YAML alias: the diff must parse what helm printed.
    const cm = (password: string, mode: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  password: ${password}\n  mode: ${mode}\n`;
    const result = describeDiff(cm('hunter2-old', 'a'), cm('hunter2-new', 'b'), 'soctalk');
    assert.match(result.summary, /\+  mode: b/);
    assert.doesNotMatch(result.summary, /hunter2/);
  });
});
