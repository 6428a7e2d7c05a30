// A private temp directory (mkdtemp under os.tmpdir()) that is removed when the test process
// exits. node:test runs each test file in its own process, so one exit hook removes every
// directory the file made, also when a test fails before it would have cleaned up. The hook
// is synchronous (rmSync): 'exit' listeners cannot wait for a promise.
//
//   const dir = await testTempDir('runner-files');   // <tmpdir>/runner-files-XXXXXX
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dirs: string[] = [];

export async function testTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
  if (dirs.push(dir) === 1) process.once('exit', () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  return dir;
}
