/**
 * The worker as the image runs it: TypeScript compiled with the image's compiler options
 * (tsconfig.build.json, the Dockerfile's build stage), then plain `node worker.js`. Running
 * it under tsx instead would measure tsx too: its module loader is one more thread and
 * isolate in the process, about 36 MiB of RSS the image does not have. The bench-only
 * activities (bench/fleet-activities.ts) are compiled beside it, so the worker can load them
 * without tsx.
 */
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { repoRoot } from '../test/helpers/paths.js';

export interface CompiledWorker {
  /** `node <entry>` starts the worker (src/worker.ts compiled). */
  entry: string;
  /** What UPGRADE_RUNBOOKS_BENCH_ACTIVITIES names: bench/fleet-activities.ts compiled. */
  benchActivities: string;
}

export async function compileWorker(dir: string): Promise<CompiledWorker> {
  const out = join(dir, 'build');
  await mkdir(out, { recursive: true });
  // Packages (and @types for the compiler) resolve from the repository's node_modules, and
  // the compiled .js files are ES modules, as the repository's package.json says.
  await symlink(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  await writeFile(join(out, 'package.json'), JSON.stringify({ type: 'module' }));
  const tsconfig = join(dir, 'tsconfig.json');
  await writeFile(
    tsconfig,
    JSON.stringify({
      extends: join(repoRoot, 'tsconfig.build.json'),
      compilerOptions: { rootDir: repoRoot, outDir: out },
      include: [join(repoRoot, 'src'), join(repoRoot, 'bench/fleet-activities.ts')],
    }),
  );
  await execa(join(repoRoot, 'node_modules/.bin/tsc'), ['-p', tsconfig], { cwd: repoRoot });
  return { entry: join(out, 'src/worker.js'), benchActivities: join(out, 'bench/fleet-activities.js') };
}
