// Release steps shared by every runbook: one implementation each, named by the caller's runbook text.
export { checkLiveRelease, describeLiveRelease, type LiveRelease, type LiveReleaseOptions } from './live-release.js';
export { helmRollbackName, pushHelmRollback, type HelmRollbackCompensation } from './helm-rollback.js';
export { syncRepository } from './repo-sync.js';
export { selectRollbackTarget, type RollbackTarget } from './rollback-target.js';
