// A fresh machine's first run (issue 14): scripts/toolchain.sh with an EMPTY cache
// directory builds the Maven-fetched Temporal test server and the Go-built etcd, and its
// `env` output is nothing but shell assignments, so a clean shell can eval it. Two runs
// start at the same moment on the same empty cache, as `npm run demo` and `npm test` do:
// both succeed, each component is built once, and etcd's bin/server -> bin/etcd rename
// happens inside the build. (With the rename after the lock, as before, this test failed
// with "mv: cannot stat .../bin/server" about every second run: a race shows only when it
// happens, so a pass here is evidence, not proof.)
//
// Cost: Maven copies the jars from ~/.m2 and Go relinks etcd from its own build and module
// caches (both stay warm; only the toolchain's cache is empty), tens of seconds together.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { repoRoot } from '../helpers/paths.js';
import { freePort } from '../helpers/postgres.js';
import { parseToolchainEnv } from '../helpers/toolchain-env.js';

/** Variables a build may need from this environment (proxies, Go and Maven caches); nothing else gets through. */
const PASSED_THROUGH = ['HOME', 'PATH', 'TMPDIR', 'GOPROXY', 'GOSUMDB', 'GOFLAGS', 'GOPATH', 'GOCACHE', 'GOMODCACHE', 'GOTOOLCHAIN', 'JAVA_HOME', 'MAVEN_OPTS'];

/**
 * In a clean shell (`env -i`): keep `toolchain.sh env`'s stdout in a file, eval it under
 * `set -eu` (an escape code or a build message would be "command not found"), then run
 * etcd and print where the variables point.
 */
const CLEAN_SHELL = `
set -euo pipefail
out=$(bash scripts/toolchain.sh env "$@")
printf '%s\\n' "$out" >"$ENV_OUT"
eval "$out"
"$ETCD_BIN" --version >&2
printf 'ETCD_BIN=%s\\nTEMPORAL_TEST_SERVER_PATH=%s\\n' "$ETCD_BIN" "$TEMPORAL_TEST_SERVER_PATH"
`;

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('toolchain on an empty cache', { timeout: 15 * 60_000 }, () => {
  let dir: string;
  let cache: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'toolchain-cold-'));
    cache = join(dir, 'cache');
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('two `env etcd test-server` runs at once: both succeed, eval cleanly in a clean shell, and point at working binaries', async (t) => {
    const clean: Record<string, string> = { UPGRADE_RUNBOOKS_CACHE: cache };
    for (const name of PASSED_THROUGH) if (process.env[name]) clean[name] = process.env[name];
    const run = (name: string, components: string[]) =>
      execa('env', ['-i', ...Object.entries({ ...clean, ENV_OUT: join(dir, `${name}.env`) }).map(([k, v]) => `${k}=${v}`), 'bash', '-c', CLEAN_SHELL, name, ...components], {
        cwd: repoRoot,
        reject: false,
      });
    const started = Date.now();
    // Both start with etcd: one builds it, the other waits on its lock and goes on the moment
    // the build is finished, which is when the old rename outside the lock raced.
    const [a, b] = await Promise.all([run('a', ['etcd', 'test-server']), run('b', ['etcd', 'test-server'])]);
    t.diagnostic(`both runs done in ${Date.now() - started} ms`);
    for (const [name, r] of [['a', a] as const, ['b', b] as const]) {
      assert.equal(r.exitCode, 0, `run ${name} failed (exit ${r.exitCode}):\n${r.stderr}`);
      assert.match(r.stderr, /etcd Version: 3\.6\./, `run ${name} ran etcd --version`);
    }

    // stdout of `env` was assignments only, one export line per component.
    for (const name of ['a', 'b']) {
      const text = await readFile(join(dir, `${name}.env`), 'utf8');
      const vars = parseToolchainEnv(text);
      assert.deepEqual(Object.keys(vars).sort(), ['ETCD_BIN', 'TEMPORAL_TEST_SERVER_PATH'], text);
      assert.doesNotMatch(text, /\x1b/, 'no escape codes');
    }

    // Each component was built once: the second run waited on the lock and found it finished.
    const both = a.stderr + b.stderr;
    assert.equal(both.match(/\[toolchain\] fetching io\.temporal:temporal-test-server/g)?.length, 1, both);
    assert.equal(both.match(/\[toolchain\] building etcd-/g)?.length, 1, both);
    assert.doesNotMatch(both, /cannot stat|ERROR/, both);

    // The variables point into the empty cache, at the built binaries.
    const vars = Object.fromEntries(a.stdout.trim().split('\n').map((l) => l.split('=', 2) as [string, string]));
    assert.deepEqual(Object.fromEntries(b.stdout.trim().split('\n').map((l) => l.split('=', 2) as [string, string])), vars);
    assert.ok(vars.ETCD_BIN?.startsWith(`${cache}/etcd-`) && vars.ETCD_BIN.endsWith('/bin/etcd'), vars.ETCD_BIN);
    assert.ok(vars.TEMPORAL_TEST_SERVER_PATH?.startsWith(`${cache}/temporal-test-server-`), vars.TEMPORAL_TEST_SERVER_PATH);

    // The test server starts and listens, as @temporalio/testing starts it.
    const port = await freePort();
    const server = execa(vars.TEMPORAL_TEST_SERVER_PATH ?? 'temporal-test-server', [String(port), '--enable-time-skipping'], { reject: false });
    try {
      const deadline = Date.now() + 60_000;
      while (!(await listening(port))) {
        assert.equal(server.exitCode, null, `the test server exited: ${String(server.exitCode)}`);
        assert.ok(Date.now() < deadline, 'the test server did not listen within 60 s');
        await sleep(200);
      }
    } finally {
      server.kill();
      await server;
    }
  });
});
