// Every workflow the worker registers (its workflowsPath).
export { toolchainPreflight } from './toolchain-preflight.js';
