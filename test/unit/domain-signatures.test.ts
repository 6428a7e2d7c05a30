import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApprovalPolicySchema, approvalRefusal, abortRefusal, rejectionRefusal } from '../../src/domain/approval-policy.js';
import { utf8 } from '../../src/domain/signatures/bytes.js';
import { buildKeyring, keyringDigest, parseKeyringText } from '../../src/domain/signatures/keyring.js';
import { parseOpenSshPublicKey } from '../../src/domain/signatures/ssh-key.js';
import { parseSshSignature, verifySshSignature } from '../../src/domain/signatures/sshsig.js';
import { canonicalJson, commentDigest, formatStatement, parseStatement } from '../../src/domain/signatures/statement.js';
import { verifySignedDecision, type SignatureContext } from '../../src/domain/signatures/verify-decision.js';
import { repoRoot } from '../helpers/paths.js';
import { KeyDir, statementFor, type TestKey } from '../helpers/ssh-keys.js';

const run = { namespace: 'default', workflowId: 'soctalk-system-upgrade-soctalk-system', runId: '0192d3c4-run-a' };
const NOW = Date.parse('2026-12-01T20:30:00.000Z');

describe('SSH signatures (against the real ssh-keygen)', () => {
  const keys = new KeyDir();
  let alice: TestKey;
  let bob: TestKey;
  let relay: TestKey;
  let ctx: SignatureContext;
  before(() => {
    alice = keys.key('alice');
    bob = keys.key('bob');
    relay = keys.key('chat-ops');
    ctx = {
      ...run,
      nowMs: NOW,
      usedNonces: [],
      keyring: buildKeyring(
        [
          { name: 'alice', key: alice.publicKey },
          { name: 'bob', key: bob.publicKey },
        ],
        [{ name: 'chat-ops', key: relay.publicKey, users: { 'slack:U123': 'alice' } }],
      ),
    };
  });
  after(() => keys.cleanup());

  const signed = (key: TestKey, fields: Partial<Parameters<typeof statementFor>[0]> = {}) => {
    const statement = statementFor({ ...run, kind: 'approve', by: key.name, issuedAt: '2026-12-01T20:25:00.000Z', ...fields });
    return { statement, signature: keys.sign(key, statement) };
  };

  it('parses OpenSSH public keys and prints the fingerprint ssh-keygen -l prints', () => {
    const key = parseOpenSshPublicKey(alice.publicKey);
    assert.equal(key.fingerprint, alice.fingerprint);
    assert.equal(key.comment, 'alice@test');
    assert.throws(() => parseOpenSshPublicKey('ssh-rsa AAAAB3Nza foo'), /ssh-ed25519/);
    assert.throws(() => parseOpenSshPublicKey('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA== x'), /not a valid ssh-ed25519 public key/);
  });

  it('verifies ssh-keygen -Y sign output (sha512 and sha256) and rejects any other message or namespace', () => {
    for (const hash of ['sha512', 'sha256'] as const) {
      const sig = parseSshSignature(keys.sign(alice, 'hello\n', 'upgrade-runbooks', hash));
      assert.equal(sig.hashAlgorithm, hash);
      assert.equal(sig.key.fingerprint, alice.fingerprint);
      assert.equal(verifySshSignature(sig, utf8('hello\n')), true);
      assert.equal(verifySshSignature(sig, utf8('hello')), false);
      assert.equal(verifySshSignature(sig, utf8('hello\n'), 'git'), false);
    }
    const other = parseSshSignature(keys.sign(alice, 'hello\n', 'git'));
    assert.equal(verifySshSignature(other, utf8('hello\n')), false);
  });

  it('a signature this code accepts is one ssh-keygen -Y verify accepts too', () => {
    const { statement, signature } = signed(alice);
    const dir = keys.dir;
    writeFileSync(join(dir, 'allowed'), `alice ${alice.publicKey}\n`);
    writeFileSync(join(dir, 'stmt.sig'), signature);
    const out = execFileSync('ssh-keygen', ['-Y', 'verify', '-f', join(dir, 'allowed'), '-I', 'alice', '-n', 'upgrade-runbooks', '-s', join(dir, 'stmt.sig')], { input: statement, encoding: 'utf8' });
    assert.match(out, /Good "upgrade-runbooks" signature for alice/);
    assert.equal(verifySignedDecision(ctx, { by: 'alice', ...signed(alice) }, { kind: 'approve', comment: undefined }).ok, true);
  });

  it('formats and parses the canonical statement, refusing extra or reordered lines', () => {
    const s = { ...run, kind: 'approve' as const, by: 'alice', commentSha256: commentDigest('ok'), issuedAt: '2026-12-01T20:25:00.000Z', nonce: 'a'.repeat(32) };
    const text = formatStatement(s);
    assert.equal(text.split('\n')[0], 'upgrade-runbooks decision v1');
    assert.deepEqual(parseStatement(text), s);
    assert.throws(() => parseStatement(`${text}extra: 1\n`), /line 10 is not expected/);
    assert.throws(() => parseStatement(text.replace('kind: approve', 'kind: deploy')), /kind must be one of/);
    assert.throws(() => formatStatement({ ...s, by: 'alice\nkind: reject' }), /one non-empty line/);
    assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] }), '{"a":[{"d":2}],"b":1}');
  });

  it('accepts a fresh signed approval and names signer, fingerprint and signature', () => {
    const s = signed(alice, { comment: 'diff reviewed' });
    const v = verifySignedDecision(ctx, { by: 'alice', ...s }, { kind: 'approve', comment: 'diff reviewed' });
    assert.ok(v.ok);
    assert.equal(v.signer.signer, 'alice');
    assert.equal(v.signer.fingerprint, alice.fingerprint);
    assert.match(v.signer.signature, /^-----BEGIN SSH SIGNATURE-----/);
  });

  const refusals: [string, () => { args: Record<string, unknown>; kind?: 'approve' | 'reject'; comment?: string; ctx?: Partial<SignatureContext> }, RegExp][] = [
    ['no signature', () => ({ args: { by: 'alice' } }), /requires signed decisions and this one has no signature/],
    ['an unknown key', () => ({ args: { by: 'mallory', ...signed(keys.key('mallory')) } }), /unknown key SHA256:[A-Za-z0-9+/]{43}: it is not in this run's keyring/],
    ["a key that is not the named approver's", () => ({ args: { by: 'bob', ...signed(alice, { by: 'bob' }) } }), /key SHA256:\S+ belongs to alice, not to bob/],
    ['"by" that differs from the signed name', () => ({ args: { by: 'bob', ...signed(alice) } }), /says "by": "bob" but the statement was signed for alice/],
    ['a statement over another run', () => ({ args: { by: 'alice', ...signed(alice, { runId: 'other-run' }) } }), /for another run .*run other-run.*not this one/],
    ['a statement over another workflow', () => ({ args: { by: 'alice', ...signed(alice, { workflowId: 'opencti' }) } }), /for another run/],
    ['another decision', () => ({ args: { by: 'alice', ...signed(alice, { kind: 'reject' }) } }), /signs a reject decision, not approve/],
    ['a tampered comment', () => ({ args: { by: 'alice', comment: 'changed', ...signed(alice, { comment: 'original' }) }, comment: 'changed' }), /comment differs from the one that was signed/],
    ['an edited statement', () => {
      const s = signed(alice);
      return { args: { by: 'alice', signature: s.signature, statement: s.statement.replace(run.runId, 'x') } };
    }, /does not match the statement/],
    ['a stale statement', () => ({ args: { by: 'alice', ...signed(alice, { issuedAt: '2026-12-01T20:14:00.000Z' }) } }), /issued at 2026-12-01T20:14:00.000Z, more than 15 min before 2026-12-01T20:30:00.000Z \(workflow time\)/],
    ['a statement from the future', () => ({ args: { by: 'alice', ...signed(alice, { issuedAt: '2026-12-01T21:00:00.000Z' }) } }), /in the future/],
    ['a reused nonce', () => ({ args: { by: 'alice', ...signed(alice, { nonce: 'ab'.repeat(16) }) }, ctx: { usedNonces: ['ab'.repeat(16)] } }), /nonce abab\S+ was already used in this run/],
    ['a signature for another namespace', () => {
      const statement = statementFor({ ...run, kind: 'approve', by: 'alice', issuedAt: '2026-12-01T20:25:00.000Z' });
      return { args: { by: 'alice', statement, signature: keys.sign(alice, statement, 'file') } };
    }, /made for namespace "file"/],
    ['garbage', () => ({ args: { by: 'alice', statement: 'x', signature: 'nope' } }), /signature is unreadable/],
  ];
  for (const [name, make, reason] of refusals) {
    it(`refuses ${name}`, () => {
      const c = make();
      const v = verifySignedDecision({ ...ctx, ...c.ctx }, c.args, { kind: c.kind ?? 'approve', comment: c.comment });
      assert.equal(v.ok, false);
      assert.match((v as { reason: string }).reason, reason);
    });
  }

  it('with four-eyes, refuses a key that signed the start', () => {
    const v = verifySignedDecision({ ...ctx, startSigner: { name: 'alice', fingerprint: alice.fingerprint } }, { by: 'alice', ...signed(alice) }, { kind: 'approve', comment: undefined, fourEyes: true });
    assert.equal(v.ok, false);
    assert.match((v as { reason: string }).reason, /four-eyes approval is on: key SHA256:\S+ signed the start of this run \(alice\)/);
    const bobs = verifySignedDecision({ ...ctx, startSigner: { name: 'alice', fingerprint: alice.fingerprint } }, { by: 'bob', ...signed(bob) }, { kind: 'approve', comment: undefined, fourEyes: true });
    assert.equal(bobs.ok, true);
  });

  it('trusts a relay only for the chat users mapped to an approver', () => {
    const ok = verifySignedDecision(ctx, { by: 'alice', ...signed(relay, { by: 'alice', via: 'slack:U123' }) }, { kind: 'approve', comment: undefined });
    assert.ok(ok.ok);
    assert.equal(ok.signer.signer, 'alice via chat-ops (Slack U123)');
    const unmapped = verifySignedDecision(ctx, { by: 'alice', ...signed(relay, { by: 'alice', via: 'slack:U999' }) }, { kind: 'approve', comment: undefined });
    assert.match((unmapped as { reason: string }).reason, /chat-ops is not trusted to act for slack:U999/);
    const asBob = verifySignedDecision(ctx, { by: 'bob', ...signed(relay, { by: 'bob', via: 'slack:U123' }) }, { kind: 'approve', comment: undefined });
    assert.match((asBob as { reason: string }).reason, /may sign for slack:U123 only as alice, not as bob/);
    const personViaChat = verifySignedDecision(ctx, { by: 'alice', ...signed(alice, { via: 'slack:U123' }) }, { kind: 'approve', comment: undefined });
    assert.match((personViaChat as { reason: string }).reason, /not to a trusted relay/);
  });

  it('reads allowed_signers-style keyrings, naming the bad line', () => {
    const text = `# team\nalice,ali ${alice.publicKey}\nbob namespaces="upgrade-runbooks" ${bob.publicKey}\n`;
    assert.deepEqual(parseKeyringText(text, 'keyring.txt').map((k) => k.name), ['alice', 'ali', 'bob']);
    assert.throws(() => parseKeyringText('carol ssh-rsa AAAA', 'cm/keys'), /cm\/keys line 1: expected "<name> ssh-ed25519/);
    assert.match(keyringDigest(text), /^sha256:[0-9a-f]{64}$/);
  });

  it("the README's Web UI recipe (bash, sha256sum, openssl, ssh-keygen, jq) makes an approval the workflow accepts", () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const recipe = /From the Web UI:[\s\S]*?```bash\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(recipe, 'the README has the Web UI signing recipe');
    const script = recipe
      .replace('workflow-id: release:soctalk-system/soctalk-system', `workflow-id: ${run.workflowId}`)
      .replace('<the run ID the Web UI shows>', run.runId)
      .replace('~/.ssh/id_ed25519', alice.privatePath);
    const json = execFileSync('bash', ['-euo', 'pipefail', '-c', script], { cwd: keys.dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const args = JSON.parse(json) as Record<string, string>;
    const v = verifySignedDecision({ ...ctx, nowMs: Date.now() }, args, { kind: 'approve', comment: args.comment });
    assert.ok(v.ok, JSON.stringify(v));
    assert.equal(v.signer.signer, 'alice');
  });

  it('policy: inline approver keys, validation and the refusal functions', () => {
    const policy = ApprovalPolicySchema.parse({ signatures: 'required', fourEyes: true, approvers: ['bob', { name: 'alice', keys: [alice.publicKey] }], keys: [{ name: 'bob', key: bob.publicKey }] });
    assert.deepEqual(policy.approvers, ['bob', 'alice']);
    assert.deepEqual(policy.keys?.map((k) => k.name), ['bob', 'alice']);
    const missing = ApprovalPolicySchema.safeParse({ signatures: 'required', approvers: ['bob'] });
    assert.ok(!missing.success);
    assert.match(missing.error.issues[0]!.message, /needs public keys/);
    assert.deepEqual(missing.error.issues[0]!.path, ['signatures']);
    const badKey = ApprovalPolicySchema.safeParse({ approvers: [{ name: 'x', keys: ['ssh-rsa AAAA'] }] });
    assert.ok(!badKey.success);
    assert.deepEqual(badKey.error.issues[0]!.path, ['approvers', 0, 'keys', 0]);
    const gate = { waiting: true, requiresSchemaAck: false, requestedBy: 'alice', signatures: { ...ctx, startSigner: { name: 'alice', fingerprint: alice.fingerprint } } };
    assert.equal(approvalRefusal(policy, gate, { by: 'bob', ...signed(bob) }), undefined);
    assert.match(approvalRefusal(policy, gate, { by: 'bob' }) ?? '', /no signature/);
    assert.match(approvalRefusal(policy, gate, { by: 'bob', ...signed(bob) }, 'promote') ?? '', /signs a approve decision, not promote/);
    assert.equal(rejectionRefusal(policy, gate, { by: 'bob', ...signed(bob, { kind: 'reject' }) }), undefined);
    const reason = 'stop';
    assert.equal(abortRefusal(policy, 'alice', { by: 'alice', reason, ...signed(alice, { kind: 'abort', comment: reason }) }, false, gate.signatures), undefined);
    assert.match(abortRefusal(policy, 'alice', { by: 'alice', reason: 'other', ...signed(alice, { kind: 'abort', comment: reason }) }, false, gate.signatures) ?? '', /reason differs/);
    const off = ApprovalPolicySchema.parse({});
    assert.equal(approvalRefusal(off, { waiting: true, requiresSchemaAck: false }, { by: 'x' }), undefined);
  });
});
