/**
 * `npm run bundle [-- <file>]`: the workflow code as one file, for the worker to load
 * instead of bundling at start-up. Default output: dist/workflow-bundle.js, where a
 * compiled worker (dist/worker.js) looks for it.
 */
import { defaultBundlePath, writeWorkflowBundle } from '../src/worker/bundle.js';

const out = process.argv[2] ?? defaultBundlePath;
const bytes = await writeWorkflowBundle(out);
console.log(`workflow bundle: ${out} (${(bytes / 1024).toFixed(0)} KiB)`);
