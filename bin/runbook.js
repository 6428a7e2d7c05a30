#!/usr/bin/env node
// The `runbook` command (package.json "bin"; `npx runbook --help`).
//
// From a clone (`npm ci`, no build step) it runs the TypeScript sources: it registers tsx
// in this very process (tsx/esm/api) and imports src/cli/main.ts, so there is no child
// process in between (exit codes, signals and stdin are the CLI's own). Where the sources
// or tsx are absent (an image built with `npm run build` and `npm ci --omit=dev`), it runs
// the compiled dist/cli/main.js.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = new URL('../src/cli/main.ts', import.meta.url);
const compiled = new URL('../dist/cli/main.js', import.meta.url);

async function registerTsx() {
  try {
    const { register } = await import('tsx/esm/api');
    register();
    return true;
  } catch {
    return false;
  }
}

if (existsSync(fileURLToPath(source)) && (await registerTsx())) {
  await import(source.href);
} else if (existsSync(fileURLToPath(compiled))) {
  await import(compiled.href);
} else {
  process.stderr.write('runbook: neither src/cli/main.ts with tsx (run `npm ci`) nor dist/cli/main.js (run `npm run build`) is available\n');
  process.exitCode = 1;
}
