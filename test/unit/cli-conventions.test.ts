import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { parse as parseYaml } from 'yaml';
import { commandFor, gateOf } from '../../src/cli/gate.js';
import { parseInputText } from '../../src/cli/input.js';
import { runCli } from '../../src/cli/program.js';
import { exitCodeFor, runState } from '../../src/cli/run-state.js';
import { shellWord } from '../../src/cli/shell-quote.js';
import type { RunStatus } from '../../src/workflows/lib/status.js';

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { env: { RUNBOOK_USER: 'alice' }, stdin: Readable.from([]), stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

describe('CLI conventions', () => {
  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const r = await run(['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), version);
  });

  it('completion for bash completes commands and options when sourced; zsh and fish name every command', async () => {
    const bash = (await run(['completion', 'bash'])).stdout;
    const complete = async (...words: string[]) =>
      (await execa('bash', ['-c', `${bash}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _runbook; printf '%s\\n' "\${COMPREPLY[@]}"`])).stdout.split('\n');
    assert.deepEqual(await complete('runbook', 'fl'), ['fleet']);
    assert.ok((await complete('runbook', 'fleet', '--')).includes('--watch'));
    assert.ok((await complete('runbook', 'status', '-')).includes('--output'));
    for (const shell of ['zsh', 'fish']) {
      const script = (await run(['completion', shell])).stdout;
      for (const command of ['start', 'status', 'fleet', 'schema', 'approve', 'promote', 'resume']) assert.match(script, new RegExp(`\\b${command}\\b`), `${shell}: ${command}`);
    }
    assert.equal((await run(['completion', 'tcsh'])).code, 2);
  });

  it('schema prints the input JSON Schema from the zod schema, as JSON or YAML', async () => {
    const json = JSON.parse((await run(['schema', 'soctalk-fleet-upgrade'])).stdout) as { title: string; type: string; properties: Record<string, unknown>; required?: string[] };
    assert.equal(json.title, 'soctalk-fleet-upgrade input');
    assert.equal(json.type, 'object');
    assert.ok('upgrade' in json.properties && 'tenants' in json.properties && 'canaries' in json.properties);
    assert.ok(json.required?.includes('name'));
    const yaml = parseYaml((await run(['schema', 'soctalk-fleet-upgrade', '-o', 'yaml'])).stdout) as typeof json;
    assert.deepEqual(yaml, json);
    assert.equal((await run(['schema', 'nope'])).code, 2);
  });

  it('help texts have no dangling references', async () => {
    for (const command of ['status', 'watch', 'plan', 'fleet', 'list', 'start']) {
      const r = await run([command, '--help']);
      assert.doesNotMatch(r.stdout, /see below/, command);
    }
    const top = await run(['--help']);
    assert.match(top.stdout, /Exit codes:[\s\S]*8 {2}a fleet completed with failures/);
    assert.match(top.stdout, /--profile <name>/);
  });

  it('input files: YAML or JSON, errors name the format', () => {
    assert.deepEqual(parseInputText('name: a\nupgrade:\n  version: "0.2.1"\n', 'in.yaml'), { name: 'a', upgrade: { version: '0.2.1' } });
    assert.deepEqual(parseInputText('{"name":"a"}', 'in.json'), { name: 'a' });
    assert.throws(() => parseInputText('name: [a', 'in.yaml'), /the input in\.yaml is not valid YAML/);
    assert.throws(() => parseInputText('{"name":', 'in.json'), /the input in\.json is not valid JSON/);
  });

  it('hints are shell-safe: the workflow ID is single-quoted, quotes inside are escaped', async () => {
    const id = "release:ns/it's";
    const cmd = commandFor('approve', id);
    assert.equal(cmd, `runbook approve 'release:ns/it'\\''s'`);
    const echoed = await execa('bash', ['-c', cmd.replace(/^runbook/, 'printf "%s\\n"')]);
    assert.deepEqual(echoed.stdout.split('\n'), ['approve', id]);
    assert.equal(shellWord('a b'), `'a b'`);
    assert.equal(shellWord('fleet:x'), 'fleet:x');
  });

  it("the workflow's own gate wins over anything derived; completed-with-failures exits 8", () => {
    const base = { runbook: 'r', phase: 'waiting-approval', steps: [], decisions: [], invalidMessages: [], facts: {}, pendingApproval: null } as unknown as RunStatus;
    const gate = { kind: 'promotion', name: 'promote to wave 1', summary: '', since: '2026-01-01T00:00:00Z', accepts: ['promote'], commands: ["runbook promote 'fleet:x'"] };
    assert.deepEqual(gateOf('fleet:x', { ...base, gate } as RunStatus)?.commands, ["runbook promote 'fleet:x'"]);
    assert.equal(gateOf('fleet:x', { ...base, gate: null }), null);
    const done = { ...base, phase: 'completed', outcome: { phase: 'completed-with-failures', message: 'm', compensations: [], failures: [{ tenant: 'b', reason: 'x' }] } } as unknown as RunStatus;
    assert.equal(runState('COMPLETED', done), 'completed-with-failures');
    assert.equal(exitCodeFor('completed-with-failures'), 8);
  });
});
