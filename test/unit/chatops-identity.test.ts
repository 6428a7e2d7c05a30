import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allowListFromEnv, parseUsersEnv, parseUsersFile } from '../../src/chatops/identity.js';

describe('chat identity allow-list', () => {
  it('maps chat user IDs from CHATOPS_USERS', () => {
    const list = parseUsersEnv(' U123=alice , U456=bob\nW789 = carol ');
    assert.equal(list.resolve('U123'), 'alice');
    assert.equal(list.resolve('W789'), 'carol');
    assert.equal(list.resolve('U999'), undefined);
    assert.equal(list.size, 3);
  });

  it('reads a YAML or JSON file', () => {
    assert.equal(parseUsersFile('# approvers\nU123: alice\nU456: bob\n', 'users.yaml').resolve('U456'), 'bob');
    assert.equal(parseUsersFile('{"U123": "alice"}', 'users.json').resolve('U123'), 'alice');
  });

  it('explains malformed entries', () => {
    assert.throws(() => parseUsersEnv('U123alice'), /CHATOPS_USERS: "U123alice" is not <chat-user-id>=<approver-name>/);
    assert.throws(() => parseUsersEnv('U123='), /U123 has an empty approver name/);
    assert.throws(() => parseUsersEnv('U1=a,U1=b'), /U1 is listed twice/);
    assert.throws(() => parseUsersFile('- U123', 'users.yaml'), /users.yaml: expected a mapping/);
    assert.throws(() => parseUsersFile('U123: [a]', 'users.yaml'), /approver name for U123 must be a string/);
  });

  it('takes exactly one source, and refuses an empty list', () => {
    assert.throws(() => allowListFromEnv({}), /set CHATOPS_USERS .* or CHATOPS_USERS_FILE/);
    assert.throws(() => allowListFromEnv({ CHATOPS_USERS: 'U1=a', CHATOPS_USERS_FILE: '/x' }), /either CHATOPS_USERS or CHATOPS_USERS_FILE, not both/);
    assert.throws(() => allowListFromEnv({ CHATOPS_USERS: ' , ' }), /CHATOPS_USERS lists no users/);
    assert.equal(allowListFromEnv({ CHATOPS_USERS_FILE: '/etc/users.yaml' }, () => 'U1: alice').resolve('U1'), 'alice');
    assert.throws(
      () =>
        allowListFromEnv({ CHATOPS_USERS_FILE: '/nope.yaml' }, () => {
          throw new Error('ENOENT');
        }),
      /CHATOPS_USERS_FILE=\/nope.yaml cannot be read: ENOENT/,
    );
  });
});
