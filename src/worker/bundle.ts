/**
 * Where the worker gets its workflow code. Production loads a bundle built ahead of time
 * (`npm run bundle`, done when the image is built): the SDK's recommended path, because
 * bundling at start-up costs seconds of CPU and holds webpack in the worker's memory for
 * its whole life. Without a bundle (a developer running `npm run worker` under tsx) the
 * worker bundles its sources at start-up, so edits take effect without a build step.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

/** Names a prebuilt bundle explicitly; it must exist. */
export const WORKFLOW_BUNDLE_ENV = 'WORKFLOW_BUNDLE_PATH';

const compiled = !import.meta.url.endsWith('.ts');

/** The workflow sources: .ts under tsx, .js once compiled. */
export const workflowsPath = fileURLToPath(new URL(`../workflows/index${compiled ? '.js' : '.ts'}`, import.meta.url));

/**
 * Loaded once per workflow thread and shared by every workflow (src/workflows/shared-libraries.ts).
 * Every bundle of the workflow code is built with it: `npm run bundle`, a worker that
 * bundles at start-up and the tests' bundle, so the tests run the workflows as production does.
 */
export const preloadModules = [fileURLToPath(new URL(`../workflows/shared-libraries${compiled ? '.js' : '.ts'}`, import.meta.url))];

/**
 * Where `npm run bundle` writes the bundle, next to the compiled worker (dist/). Only a
 * compiled worker looks there by default: under tsx the sources may be newer than any
 * bundle, and running stale workflow code would be a silent, confusing failure.
 */
export const defaultBundlePath = fileURLToPath(new URL(compiled ? '../workflow-bundle.js' : '../../dist/workflow-bundle.js', import.meta.url));

export type WorkflowSource = { workflowBundle: { codePath: string } } | { workflowsPath: string; bundlerOptions: { preloadModules: string[] } };

/** The bundle named by WORKFLOW_BUNDLE_PATH, else the default bundle of a compiled worker, else the sources. */
export function workflowSource(env: NodeJS.ProcessEnv = process.env): WorkflowSource {
  const named = env[WORKFLOW_BUNDLE_ENV];
  if (named) {
    if (!existsSync(named)) {
      throw new Error(`${WORKFLOW_BUNDLE_ENV}=${named} does not exist: build it with \`npm run bundle -- ${named}\`, or unset the variable to bundle at start-up`);
    }
    return { workflowBundle: { codePath: named } };
  }
  if (compiled && existsSync(defaultBundlePath)) return { workflowBundle: { codePath: defaultBundlePath } };
  return { workflowsPath, bundlerOptions: { preloadModules } };
}

/** Bundles the workflow sources into one file (what `npm run bundle` runs). */
export async function writeWorkflowBundle(outPath: string): Promise<number> {
  const noop = () => undefined;
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    preloadModules,
    logger: { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop },
    // The worker needs an inline source map (it refuses a bundle without one) but not the
    // sources inside it: without sourcesContent (zod, yaml, semver and our own files) the
    // bundle is a fraction of the size, and every workflow thread holds one copy of it;
    // stack traces still name the source file and line.
    webpackConfigHook: (config) => ({ ...config, devtool: 'inline-nosources-source-map' }),
  });
  await mkdir(dirname(outPath), { recursive: true });
  await writeFile(outPath, code);
  return Buffer.byteLength(code);
}
