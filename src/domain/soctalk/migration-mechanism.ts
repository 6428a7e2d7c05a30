/**
 * How the rendered target migrates the database, read from the chart as the cluster
 * renders it. The runbook describes a Job template the operator applies before
 * `helm upgrade`; the real soctalk-system chart runs `alembic upgrade head` in the API
 * Deployment's db-init initContainer, so the upgrade itself migrates. Which of the two (or
 * neither) decides when the database restore becomes necessary, so it is settled at
 * pre-flight, before anything is backed up or changed.
 */
import { containersOf, WORKLOAD_KINDS, type RenderedObject } from '../rendered-release.js';

export type MigrationMechanismName = 'detect' | 'job' | 'in-upgrade' | 'none';

export interface MigrationSpec {
  mechanism: MigrationMechanismName;
  /** The runbook's Job template (--show-only), e.g. templates/jobs/alembic-upgrade.yaml. */
  template: string;
  jobName: string;
  /** What a migrating container runs ("alembic upgrade"), matched in its command and args. */
  command: string;
}

export type MigrationPlan =
  /** The runbook's path: delete the Job, render and apply it, wait for it, then helm upgrade. */
  | { kind: 'job'; template: string; jobName: string }
  /** helm upgrade migrates (initContainer or hook): the restore is registered before helm upgrade. */
  | { kind: 'in-upgrade'; where: string[] }
  | { kind: 'none' };

export type MigrationDecision = { ok: true; plan: MigrationPlan } | { ok: false; reason: string };

const UPGRADE_HOOKS = /(^|,)\s*(pre|post)-upgrade\s*(,|$)/;

/** Where the target runs the migration command as part of `helm upgrade`. */
export function migrationsInUpgrade(objects: readonly RenderedObject[], command: string): string[] {
  const where: string[] = [];
  for (const obj of objects) {
    const runs = containersOf(obj).filter((c) => c.commandLine.includes(command));
    if (runs.length === 0) continue;
    if ((WORKLOAD_KINDS as readonly string[]).includes(obj.kind) && !obj.hook) {
      for (const c of runs.filter((x) => x.init)) where.push(`${obj.kind}/${obj.name} initContainer ${c.name}`);
    } else if (obj.hook && UPGRADE_HOOKS.test(obj.hook)) {
      where.push(`${obj.kind}/${obj.name} (helm hook ${obj.hook})`);
    }
  }
  return where;
}

const endsWithTemplate = (source: string | undefined, template: string) => source !== undefined && (source === template || source.endsWith(`/${template}`));

/**
 * Classifies the target against what the input says. A mismatch (the input names a Job
 * template the chart does not render, a template that renders something else, or "none"
 * for a chart that migrates in the upgrade) is refused with the reason and the fix.
 */
export function decideMigration(objects: readonly RenderedObject[], spec: MigrationSpec): MigrationDecision {
  const fromTemplate = objects.filter((o) => endsWithTemplate(o.source, spec.template));
  const inUpgrade = migrationsInUpgrade(objects, spec.command);
  const job = fromTemplate.find((o) => o.kind === 'Job' && o.name === spec.jobName);
  const describeInUpgrade = inUpgrade.length ? ` (it migrates inside helm upgrade: ${inUpgrade.join(', ')}; set migration.mechanism to "in-upgrade" or "detect")` : '';

  if (spec.mechanism === 'job' || (spec.mechanism === 'detect' && fromTemplate.length > 0)) {
    if (fromTemplate.length === 0) {
      return { ok: false, reason: `migration.template: the target chart does not render ${spec.template}${describeInUpgrade}` };
    }
    if (!job) {
      const rendered = fromTemplate.map((o) => `${o.kind}/${o.name}`).join(', ');
      return { ok: false, reason: `migration.template: ${spec.template} renders ${rendered}, not Job ${spec.jobName}; name the chart's migration Job (migration.template, migration.jobName)` };
    }
    return { ok: true, plan: { kind: 'job', template: spec.template, jobName: spec.jobName } };
  }
  if (spec.mechanism === 'in-upgrade' && inUpgrade.length === 0) {
    return { ok: false, reason: `migration.mechanism: "in-upgrade", but no initContainer or upgrade hook of the target runs "${spec.command}"; set migration.command or migration.mechanism` };
  }
  if (spec.mechanism === 'none' && inUpgrade.length > 0) {
    return { ok: false, reason: `migration.mechanism: "none", but the target migrates inside helm upgrade: ${inUpgrade.join(', ')}; set migration.mechanism to "in-upgrade" or "detect"` };
  }
  return { ok: true, plan: inUpgrade.length > 0 ? { kind: 'in-upgrade', where: inUpgrade } : { kind: 'none' } };
}

export function describeMigration(plan: MigrationPlan): string {
  switch (plan.kind) {
    case 'job':
      return `Job ${plan.jobName} from ${plan.template}, applied before helm upgrade`;
    case 'in-upgrade':
      return `inside helm upgrade: ${plan.where.join(', ')}`;
    case 'none':
      return 'the target runs no migration';
  }
}
