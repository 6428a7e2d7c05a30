import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chatOpsConfigFromEnv } from '../../src/chatops/config.js';
import { createJsonLogger } from '../../src/chatops/log.js';

describe('chat-ops configuration', () => {
  const base = { SLACK_SIGNING_SECRET: 'sekrit', CHATOPS_USERS: 'U1=alice' };

  it('has defaults for everything but the secret and the users', () => {
    const config = chatOpsConfigFromEnv(base);
    assert.equal(config.port, 8080);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.replyDeadlineMs, 2500);
    assert.equal(config.allowList.resolve('U1'), 'alice');
  });

  it('names SLACK_SIGNING_SECRET when it is missing', () => {
    assert.throws(() => chatOpsConfigFromEnv({ CHATOPS_USERS: 'U1=alice' }), /SLACK_SIGNING_SECRET is not set/);
  });

  it('names the variable of a bad number', () => {
    assert.throws(() => chatOpsConfigFromEnv({ ...base, CHATOPS_PORT: 'http' }), /CHATOPS_PORT=http is not an integer between 0 and 65535/);
    assert.throws(() => chatOpsConfigFromEnv({ ...base, CHATOPS_REPLY_DEADLINE_MS: '5000' }), /CHATOPS_REPLY_DEADLINE_MS=5000/);
    assert.throws(() => chatOpsConfigFromEnv({ ...base, LOG_LEVEL: 'loud' }), /LOG_LEVEL=loud/);
  });
});

describe('JSON logger', () => {
  it('writes one JSON object per line and honours the level', () => {
    const lines: string[] = [];
    const logger = createJsonLogger({ level: 'info', write: (l) => lines.push(l), now: () => new Date(0), base: { service: 'chatops' } });
    logger.debug('hidden');
    logger.warn('refused', { userId: 'U9' });
    assert.equal(lines.length, 1);
    assert.ok(lines[0]!.endsWith('\n'));
    assert.deepEqual(JSON.parse(lines[0]!), { time: '1970-01-01T00:00:00.000Z', level: 'warn', msg: 'refused', service: 'chatops', userId: 'U9' });
  });
});
