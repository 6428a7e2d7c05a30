/**
 * The worker's V8 heap flags, the same wherever it runs: the image (Dockerfile's
 * NODE_OPTIONS), `npm run worker` and the scale benchmark, which check against this one
 * string (test/unit/deploy-chart.test.ts). Without a cap V8 sizes its heap from the
 * machine's memory and collects lazily, so on a large node the worker's RSS grew to about
 * 860 MiB for a 1,000-tenant fleet of which little was live; with these flags it stayed at
 * about 440 MiB for about 15% more CPU (bench:scale, 1,000 tenants, 50 parallel). The chart
 * limits the worker to 1 GiB; 256 MiB of old space leaves room for the native core.
 */
export const WORKER_NODE_FLAGS = '--max-old-space-size=256 --max-semi-space-size=8';
