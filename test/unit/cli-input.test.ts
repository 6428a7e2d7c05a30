import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { CliError, ExitCode } from '../../src/cli/exit-codes.js';
import { resolveIdentity } from '../../src/cli/identity.js';
import { formatZodIssues, prepareInput, readInputSource, schemaHasField } from '../../src/cli/input.js';
import { ApprovalPolicySchema } from '../../src/domain/approval-policy.js';
import { defineRunbook } from '../../src/runbooks.js';

const Schema = z
  .object({
    release: z.string().min(1),
    namespace: z.string().default('soctalk'),
    requestedBy: z.string().optional(),
    dryRun: z.boolean().default(false),
    approval: ApprovalPolicySchema.default({ required: true, approvers: [], fourEyes: false, timeout: 3_600_000 }),
    tenants: z.array(z.object({ name: z.string().regex(/^[a-z]+$/, 'lowercase letters only') })).default([]),
  })
  .strict();

const runbook = defineRunbook({
  name: 'demo',
  workflowType: 'demo',
  description: 'demo',
  input: Schema,
  workflowId: (i) => `release:${i.namespace}/${i.release}`,
  summary: (i) => i.release,
});

function invalidInput(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CliError, String(err));
    assert.equal(err.exitCode, ExitCode.InvalidInput);
    return err.message;
  }
  assert.fail('expected an invalid-input error');
}

describe('input validation messages', () => {
  it('names every field by its dotted path', () => {
    const result = Schema.safeParse({ release: '', approval: { timeout: '5x', fourEyes: 'yes' }, tenants: [{ name: 'Acme' }], colour: 'blue' });
    assert.ok(!result.success);
    const lines = formatZodIssues(result.error.issues);
    assert.ok(lines.some((l) => /^release: /.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /^approval\.timeout: "5x" is not a duration/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /^approval\.fourEyes: .*boolean/.test(l)), lines.join('\n'));
    assert.ok(lines.includes('tenants.0.name: lowercase letters only'), lines.join('\n'));
    assert.ok(lines.includes('colour: unknown field (the schema does not have it)'), lines.join('\n'));
  });

  it('reports a non-object input as a whole', () => {
    const message = invalidInput(() => prepareInput(runbook, ['x'], { identity: 'alice' }));
    assert.match(message, /\(input\): expected a JSON object/);
  });

  it('lists the problems under the runbook name', () => {
    const message = invalidInput(() => prepareInput(runbook, {}, { identity: 'alice', sets: ['approval.timeout=soon'] }));
    assert.match(message, /^invalid input for demo:\n {2}- release: .*\n {2}- approval\.timeout: "soon" is not a duration/);
  });
});

describe('preparing the input', () => {
  it('applies --set, injects requestedBy from the identity, keeps the raw input for the workflow', () => {
    const prepared = prepareInput(runbook, { release: 'soctalk', requestedBy: 'mallory' }, { identity: 'alice', sets: ['approval.timeout=2h'] });
    assert.deepEqual(prepared.raw, { release: 'soctalk', requestedBy: 'alice', approval: { timeout: '2h' } });
    assert.equal((prepared.parsed as z.output<typeof Schema>).approval.timeout, 7_200_000);
    assert.equal((prepared.parsed as z.output<typeof Schema>).namespace, 'soctalk');
    assert.match(prepared.notes.join('\n'), /requestedBy "mallory" in the input is replaced by your identity "alice"/);
  });

  it('does not add requestedBy or dryRun to a schema without them', () => {
    const strict = defineRunbook({ ...runbook, input: z.object({ release: z.string() }).strict() });
    const prepared = prepareInput(strict, { release: 'x' }, { identity: 'alice' });
    assert.deepEqual(prepared.raw, { release: 'x' });
    assert.match(invalidInput(() => prepareInput(strict, { release: 'x' }, { identity: 'alice', dryRun: true })), /has no dry run/);
  });

  it('sets dryRun for plan', () => {
    assert.equal(prepareInput(runbook, { release: 'x' }, { identity: 'alice', dryRun: true }).raw.dryRun, true);
  });

  it('finds fields through wrappers and unions', () => {
    assert.ok(schemaHasField(Schema, 'requestedBy'));
    assert.ok(!schemaHasField(Schema, 'nope'));
    assert.ok(schemaHasField(Schema.transform((v) => v).default({ release: 'x' } as never), 'dryRun'));
    assert.ok(schemaHasField(Schema.refine(() => true).optional(), 'dryRun'));
    assert.ok(schemaHasField(z.union([z.object({ a: z.string() }), z.object({ requestedBy: z.string() })]), 'requestedBy'));
    assert.ok(!schemaHasField(z.string(), 'requestedBy'));
  });
});

describe('reading the input', () => {
  it('reads stdin with -', async () => {
    assert.deepEqual(await readInputSource('-', Readable.from(['{"release":', ' "x"}'])), { release: 'x' });
  });

  it('refuses empty and invalid JSON, and missing files, as invalid input', async () => {
    await assert.rejects(readInputSource('-', Readable.from([''])), (e: unknown) => e instanceof CliError && e.exitCode === ExitCode.InvalidInput && /empty/.test(e.message));
    await assert.rejects(readInputSource('-', Readable.from(['{'])), (e: unknown) => e instanceof CliError && /not valid JSON/.test(e.message));
    await assert.rejects(readInputSource('/nonexistent/input.json'), (e: unknown) => e instanceof CliError && /cannot read the input/.test(e.message));
  });

  it('treats no --input as an empty object (for --set only)', async () => {
    assert.deepEqual(await readInputSource(undefined), {});
  });
});

describe('operator identity', () => {
  it('prefers --as, then RUNBOOK_USER, then the OS user', () => {
    assert.equal(resolveIdentity({ flag: 'bob', env: { RUNBOOK_USER: 'carol' }, osUser: () => 'root' }), 'bob');
    assert.equal(resolveIdentity({ flag: '  ', env: { RUNBOOK_USER: 'carol' }, osUser: () => 'root' }), 'carol');
    assert.equal(resolveIdentity({ env: {}, osUser: () => 'root' }), 'root');
  });

  it('refuses to act anonymously', () => {
    assert.throws(() => resolveIdentity({ env: {}, osUser: () => '' }), (e: unknown) => e instanceof CliError && e.exitCode === ExitCode.InvalidInput);
  });
});
