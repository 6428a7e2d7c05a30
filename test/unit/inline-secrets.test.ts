/**
 * Inline secrets in run input: which fields count (secret-looking keys, URLs with a
 * password), which never do (references to a Secret, a file or an environment variable),
 * and the refusal the CLI gives while the payload codec is off. Every example input must
 * stay accepted: they pass secrets by reference.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CliError, ExitCode } from '../../src/cli/exit-codes.js';
import { prepareInput } from '../../src/cli/input.js';
import { inlineSecretPaths, isSecretLookingKey } from '../../src/codec/inline-secrets.js';
import { findRunbook } from '../../src/runbook-catalog.js';
import { repoRoot } from '../helpers/paths.js';

describe('inline secret detection', () => {
  const cases: Array<[string, boolean]> = [
    ['password', true], ['db.password', true], ['adminPassword', true], ['APP__ADMIN__PASSWORD', true], ['apiKey', true], ['api_key', true],
    ['accessKey', true], ['APP__HEALTH_ACCESS_KEY', true], ['token', true], ['clientSecret', true], ['credentials', true], ['erlangCookie', true],
    ['licenseKey', true], ['pwd', true],
    ['tokenEnv', false], ['passwordFile', false], ['secretName', false], ['existingSecret', false], ['existingSecretPasswordKey', false],
    ['key', false], ['publicKey', false], ['secretRef', false], ['release', false], ['imageTag', false], ['auth.enabled', false],
  ];
  for (const [key, expected] of cases) {
    it(`${key} is ${expected ? '' : 'not '}secret-looking`, () => assert.equal(isSecretLookingKey(key), expected));
  }

  it('finds inline values and URL credentials, and skips references and empty or boolean values', () => {
    const input = {
      values: {
        files: ['/etc/values.yaml'],
        set: { 'opencti.adminPassword': 'canary-1', 'image.tag': '6.0', 'auth.enabled': true, 'db.password': '' },
        inline: { opencti: { url: 'http://admin:canary-2@opencti:8080' }, rabbitmq: { auth: { erlangCookie: 12345 } } },
      },
      health: { accessKey: { secretRef: { name: 'opencti-credentials', key: 'APP__HEALTH_ACCESS_KEY' } } },
      backup: { database: { urlFrom: { env: 'DATABASE_URL' } } },
      heartbeat: { tokenEnv: 'HEARTBEAT_TOKEN' },
    };
    assert.deepEqual(inlineSecretPaths(input), ['values.set.opencti.adminPassword', 'values.inline.opencti.url', 'values.inline.rabbitmq.auth.erlangCookie']);
  });

  it('accepts every example input as it is (they pass secrets by reference)', () => {
    const dir = join(repoRoot, 'examples');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      assert.deepEqual(inlineSecretPaths(JSON.parse(readFileSync(join(dir, file), 'utf8'))), [], file);
    }
  });
});

describe('the CLI refuses inline secrets while the codec is off', () => {
  const runbook = findRunbook('opencti-upgrade-v2');
  const input = JSON.parse(readFileSync(join(repoRoot, 'examples/opencti-upgrade-v2.json'), 'utf8')) as Record<string, unknown>;

  it('names each field and both ways out, and never repeats the value', () => {
    assert.throws(
      () => prepareInput(runbook, input, { identity: 'carol', sets: ['values.set.opencti\\.adminPassword=canary-cli-3'] }),
      (err: unknown) => {
        assert.ok(err instanceof CliError);
        assert.equal(err.exitCode, ExitCode.InvalidInput);
        assert.match(err.message, /values\.set\.opencti\.adminPassword/);
        assert.match(err.message, /RUNBOOK_CODEC_KEYS/);
        assert.match(err.message, /by reference/);
        assert.doesNotMatch(err.message, /canary-cli-3/);
        return true;
      },
    );
  });

  it('accepts the same input with the codec on', () => {
    const prepared = prepareInput(runbook, input, { identity: 'carol', sets: ['values.set.opencti\\.adminPassword=canary-cli-3'], codecEnabled: true });
    assert.ok(prepared.raw.values);
  });
});
