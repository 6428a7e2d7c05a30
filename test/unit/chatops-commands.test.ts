import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ParseResult, parseCommandText, parseSlashCommandForm, usage } from '../../src/chatops/commands.js';

function ok(result: ParseResult) {
  assert.ok(result.ok, result.ok ? '' : result.message);
  return result.command;
}

function error(result: ParseResult): string {
  assert.ok(!result.ok, `expected a usage error, got ${JSON.stringify(result)}`);
  return result.message;
}

describe('parseCommandText', () => {
  it('parses every verb with its arguments', () => {
    assert.deepEqual(ok(parseCommandText('approve run-1 looks good')), { verb: 'approve', runId: 'run-1', comment: 'looks good', acknowledgeSchemaChanges: false });
    assert.deepEqual(ok(parseCommandText('reject run-1 not tonight')), { verb: 'reject', runId: 'run-1', comment: 'not tonight' });
    assert.deepEqual(ok(parseCommandText('abort run-1 wrong cluster')), { verb: 'abort', runId: 'run-1', reason: 'wrong cluster' });
    assert.deepEqual(ok(parseCommandText('status run-1')), { verb: 'status', runId: 'run-1' });
    assert.deepEqual(ok(parseCommandText('pause run-1 lunch')), { verb: 'pause', runId: 'run-1', reason: 'lunch' });
    assert.deepEqual(ok(parseCommandText('resume run-1')), { verb: 'resume', runId: 'run-1' });
    assert.deepEqual(ok(parseCommandText('promote run-1')), { verb: 'promote', runId: 'run-1' });
  });

  it('leaves optional comments out when absent', () => {
    assert.deepEqual(ok(parseCommandText('approve run-1')), { verb: 'approve', runId: 'run-1', acknowledgeSchemaChanges: false });
    assert.deepEqual(ok(parseCommandText('pause run-1')), { verb: 'pause', runId: 'run-1' });
  });

  it('reads --ack-schema-changes anywhere after the run id, and its smart-dash forms', () => {
    for (const text of ['approve r1 --ack-schema-changes ship it', 'approve r1 ship it --ack-schema-changes', 'approve r1 \u2014ack-schema-changes ship it', 'approve r1 \u2013ack-schema-changes ship it']) {
      assert.deepEqual(ok(parseCommandText(text)), { verb: 'approve', runId: 'r1', comment: 'ship it', acknowledgeSchemaChanges: true }, text);
    }
  });

  it('is lenient about case, spacing and code-quoted run ids', () => {
    assert.deepEqual(ok(parseCommandText('  APPROVE   `run-1`   fine  ')), { verb: 'approve', runId: 'run-1', comment: 'fine', acknowledgeSchemaChanges: false });
  });

  it('answers help for an empty text or "help"', () => {
    assert.deepEqual(ok(parseCommandText('')), { verb: 'help' });
    assert.deepEqual(ok(parseCommandText('help')), { verb: 'help' });
  });

  it('gives usage errors that say what is wrong', () => {
    assert.match(error(parseCommandText('deploy r1')), /unknown verb "deploy"/);
    assert.match(error(parseCommandText('approve')), /approve needs a run id/);
    assert.match(error(parseCommandText('abort r1')), /abort needs a reason/);
    assert.match(error(parseCommandText('status r1 extra')), /status takes only a run id/);
    assert.match(error(parseCommandText('reject r1 --ack-schema-changes')), /applies to approve only/);
    assert.match(error(parseCommandText('approve r1 --ack-schema')), /unknown option --ack-schema \(approve accepts --ack-schema-changes\)/);
  });

  it('uses the command name the workspace chose in usage', () => {
    const message = error(parseCommandText('nope r1', '/rb'));
    assert.match(message, /`\/rb approve <run-id>/);
    assert.match(usage(), /`\/upgrade abort <run-id> <reason>`/);
  });
});

describe('parseSlashCommandForm', () => {
  it('reads the fields Slack posts', () => {
    const body = new URLSearchParams({
      command: '/upgrade',
      text: 'approve r1 ok',
      user_id: 'U123',
      user_name: 'alice.w',
      response_url: 'https://hooks.slack.com/commands/T1/2/3',
    }).toString();
    const parsed = parseSlashCommandForm(body);
    assert.deepEqual(parsed, {
      ok: true,
      form: { command: '/upgrade', text: 'approve r1 ok', userId: 'U123', userName: 'alice.w', responseUrl: 'https://hooks.slack.com/commands/T1/2/3' },
    });
  });

  it("undoes Slack's HTML escaping of &, < and > so comments are recorded as typed", () => {
    const parsed = parseSlashCommandForm(new URLSearchParams({ user_id: 'U1', text: 'approve r1 0.1 -&gt; 0.2 &amp; &lt;ok&gt; &amp;lt;' }).toString());
    assert.ok(parsed.ok);
    assert.equal(parsed.form.text, 'approve r1 0.1 -> 0.2 & <ok> &lt;');
  });

  it('refuses a body without user_id', () => {
    const parsed = parseSlashCommandForm('text=status+r1');
    assert.ok(!parsed.ok);
    assert.match(parsed.message, /user_id/);
  });
});
