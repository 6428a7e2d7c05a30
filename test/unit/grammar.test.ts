import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { withValuesFiles } from '../../src/activities/helm/values-files.js';
import { readAllowedSecretEnv, secretEnvAllowlist } from '../../src/activities/secret-env.js';
import { pathInside } from '../../src/activities/storage/local-store.js';
import { parseSetOverride } from '../../src/cli/set-overrides.js';
import { DurationSchema, WaitDurationSchema } from '../../src/domain/duration.js';
import {
  ChartRefSchema,
  HttpUrlSchema,
  ImageTagSchema,
  NamespaceSchema,
  PgIdentifierSchema,
  RegexSourceSchema,
  ReleaseNameSchema,
  sameOriginUrl,
  TenantSlugSchema,
  UrlPathSchema,
} from '../../src/domain/grammar.js';
import { testTempDir } from '../helpers/temp-dir.js';

const ok = (schema: { safeParse: (v: unknown) => { success: boolean } }, value: unknown) => assert.equal(schema.safeParse(value).success, true, `should accept ${JSON.stringify(value)}`);
const no = (schema: { safeParse: (v: unknown) => { success: boolean } }, value: unknown) => assert.equal(schema.safeParse(value).success, false, `should refuse ${JSON.stringify(value)}`);

describe('input grammar', () => {
  it('chart references: repo/name, oci://, https:// archives and local paths; never an option', () => {
    for (const ref of ['opencti/opencti', 'oci://ghcr.io/soctalk/charts/soctalk-system', 'https://charts.example/x-1.0.0.tgz', '/charts/soctalk-tenant-0.2.1.tgz', './chart', '../chart', 'x-1.0.0.tgz']) ok(ChartRefSchema, ref);
    for (const ref of ['--post-renderer=/tmp/x.sh', '-n', 'chart', 'a/b/c', 'oci://', 'repo/name --debug', 'repo/name\n', 'javascript:alert(1)', '']) no(ChartRefSchema, ref);
  });

  it('release names (DNS-1123, at most 53) and namespaces (DNS-1123 label, at most 63)', () => {
    ok(ReleaseNameSchema, 'a'.repeat(53));
    no(ReleaseNameSchema, 'a'.repeat(54));
    for (const bad of ['-n', 'Upper', 'a_b', 'a-', '']) no(ReleaseNameSchema, bad);
    ok(NamespaceSchema, 'a'.repeat(63));
    for (const bad of ['a'.repeat(64), 'a.b', '-n', '--all-namespaces']) no(NamespaceSchema, bad);
  });

  it('tenant slugs leave tenant-<slug> a valid release (at most 46 characters)', () => {
    ok(TenantSlugSchema, 'a'.repeat(46));
    no(TenantSlugSchema, 'a'.repeat(47));
    no(TenantSlugSchema, '-n');
  });

  it('image tags follow the OCI grammar: no comma, equals sign, newline or leading dash', () => {
    for (const tag of ['0.2.0', 'v1.2.3-rc.1', 'latest', '_x', 'A'.repeat(128)]) ok(ImageTagSchema, tag);
    for (const tag of ['0.2.0,image.repository=evil', '0.2.0\nx: y', 'a=1', '-x', '.x', 'a'.repeat(129), 'a/b', '']) no(ImageTagSchema, tag);
  });

  it('database names are identifiers, never a connection string or an option', () => {
    const db = PgIdentifierSchema('database name');
    for (const name of ['soctalk', 'soctalk_admin', '_x', 'a-b']) ok(db, name);
    for (const name of ['--file=/x', '-x', 'host=evil', 'a b', "a'b", 'a'.repeat(64)]) no(db, name);
  });

  it('durations are bounded: 24h for commands, 30 days for waits', () => {
    assert.equal(DurationSchema.parse('24h'), 86_400_000);
    assert.equal(DurationSchema.parse('90s'), 90_000);
    const tooLong = DurationSchema.safeParse('99999999999999999999999d');
    assert.equal(tooLong.success, false);
    assert.match(tooLong.error.issues[0]!.message, /longer than the limit of 24h: use at most 24h/);
    no(DurationSchema, '25h');
    no(DurationSchema, 1e20);
    no(DurationSchema, 0);
    assert.equal(WaitDurationSchema.parse('30d'), 30 * 86_400_000);
    no(WaitDurationSchema, '31d');
  });

  it('URLs are http(s) only', () => {
    ok(HttpUrlSchema, 'https://api.example.com/x');
    ok(HttpUrlSchema, 'http://svc.ns.svc:8000');
    for (const url of ['javascript:alert(1)', 'file:///etc/passwd', 'ftp://x/y', 'not a url', 'https://']) no(HttpUrlSchema, url);
  });

  it('API paths cannot change the host; sameOriginUrl asserts it after the join', () => {
    ok(UrlPathSchema, '/health');
    ok(UrlPathSchema, '/api/mssp/tenants/x%2Fy');
    for (const path of ['//other-host/x', '/\\other-host/x', 'health', '/h?x=1', '/h#x', 'https://evil/']) no(UrlPathSchema, path);
    assert.equal(sameOriginUrl('http://api:8000/base/', '/api/x').toString(), 'http://api:8000/api/x');
    assert.throws(() => sameOriginUrl('http://api:8000', '//other-host/x'), /would leave http:\/\/api:8000 \(it resolves to http:\/\/other-host\)/);
    assert.throws(() => sameOriginUrl('http://api:8000', '/\\other-host/x'), /would leave/);
    assert.throws(() => sameOriginUrl('http://api:8000', 'https://api:8000/x'), /would leave/);
  });

  it('a regular expression from input is compiled during validation', () => {
    ok(RegexSourceSchema('verify.imagePattern'), 'soctalk|ghcr\\.io/soctalk');
    const broken = RegexSourceSchema('verify.imagePattern').safeParse('(');
    assert.equal(broken.success, false);
    assert.match(broken.error.issues[0]!.message, /^verify\.imagePattern is not a valid regular expression .*escape special characters/);
  });
});

describe('backup paths never leave their directory', () => {
  it('pathInside keeps a name in its directory and refuses ../, / and absolute names', () => {
    assert.equal(pathInside('/var/backups', 'release_x-pre-upgrade-run-1.dump'), '/var/backups/release_x-pre-upgrade-run-1.dump');
    for (const name of ['../../../x.dump', 'a/b.dump', '/etc/passwd', '..', '.']) assert.throws(() => pathInside('/var/backups', name), /would leave the backup directory/, name);
  });
});

describe('helm overrides are a values file, not --set-string', () => {
  it('commas, equals signs, brackets and newlines in a tag are just characters in a 0600 file, removed afterwards', async () => {
    const dir = await testTempDir('overrides-test');
    const hostile = '0.2.0,image.repository=evil.example/x\nsecurityContext: {privileged: true}[0]';
    let seen: { files: string[]; text: string; mode: number } | undefined;
    await withValuesFiles(
      dir,
      { files: ['/base.yaml'], set: {} },
      async (files) => {
        seen = { files, text: await readFile(files[1]!, 'utf8'), mode: (await stat(files[1]!)).mode & 0o777 };
      },
      { 'image.tag': hostile, 'adapter.image.tag': '0.10' },
    );
    assert.equal(seen!.files[0], '/base.yaml');
    assert.equal(seen!.mode, 0o600);
    assert.deepEqual(parse(seen!.text), { image: { tag: hostile }, adapter: { image: { tag: '0.10' } } }, 'one string each, "0.10" stays a string');
    assert.deepEqual(await readdir(dir), []);
  });
});

describe('CLI --set refuses prototype keys', () => {
  it('__proto__, constructor and prototype anywhere in the path', () => {
    for (const arg of ['__proto__.release=x', 'constructor.prototype.x=1', 'approval.__proto__.required=false', 'prototype=1']) {
      assert.throws(() => parseSetOverride(arg), /is not an input field and may not be set/, arg);
    }
    assert.equal(({} as Record<string, unknown>).release, undefined);
    assert.deepEqual(parseSetOverride('approval.fourEyes=true'), { path: ['approval', 'fourEyes'], value: true });
  });
});

describe('secret env names come from the worker allow-list', () => {
  const env = { RUNBOOK_SECRET_ENV_ALLOWLIST: ' VALUES_TOKEN=https://values.example.com , HEALTH_KEY', VALUES_TOKEN: 'v', HEALTH_KEY: 'h', AWS_SECRET_ACCESS_KEY: 'cloud' };

  it('parses names and origin bindings', () => {
    assert.deepEqual([...secretEnvAllowlist(env).entries], [
      ['VALUES_TOKEN', 'https://values.example.com'],
      ['HEALTH_KEY', undefined],
    ]);
    assert.throws(() => secretEnvAllowlist({ RUNBOOK_SECRET_ENV_ALLOWLIST: 'lower' }), /malformed: "lower" is not an environment variable name/);
    assert.throws(() => secretEnvAllowlist({ RUNBOOK_SECRET_ENV_ALLOWLIST: 'X=not-a-url' }), /does not bind an http\(s\) origin/);
  });

  it('reads an allowed name, refuses others without reading them, and keeps a bound token on its origin', () => {
    assert.equal(readAllowedSecretEnv(env, 'HEALTH_KEY', 'health.accessKey.env', 'https://anywhere.example'), 'h');
    assert.equal(readAllowedSecretEnv(env, 'VALUES_TOKEN', 'valuesSource.tokenEnv', 'https://values.example.com/t/acme'), 'v');
    assert.throws(() => readAllowedSecretEnv(env, 'AWS_SECRET_ACCESS_KEY', 'valuesSource.tokenEnv'), /^ApplicationFailure: valuesSource\.tokenEnv: AWS_SECRET_ACCESS_KEY is not on the worker's RUNBOOK_SECRET_ENV_ALLOWLIST/);
    assert.throws(() => readAllowedSecretEnv(env, 'VALUES_TOKEN', 'valuesSource.tokenEnv', 'https://evil.example/x'), /may only be sent to https:\/\/values\.example\.com .*not to https:\/\/evil\.example/);
    assert.throws(() => readAllowedSecretEnv({}, 'HEALTH_KEY', 'health.accessKey.env'), /not on the worker's RUNBOOK_SECRET_ENV_ALLOWLIST/);
  });
});
