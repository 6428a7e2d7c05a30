/**
 * The hostile-input table (issue 13, "No input value can become an option"): what an
 * attacker with access to a run's input would send through the CLI, a Temporal client or
 * the Web UI start form. Each case starts from the runbook's documented example, changes
 * one field (or adds a CLI --set), and names the field the refusal must name.
 *
 * The cases from the issue come first in each group; the rest are our own.
 */
import { readFileSync } from 'node:fs';
import { repoRoot } from './paths.js';

export interface HostileCase {
  runbook: string;
  /** What the attacker tries. */
  title: string;
  /** The dotted field path the refusal must name. */
  field: string;
  /** The full raw input (the example with the hostile value in place). */
  input: Record<string, unknown>;
  /** CLI --set arguments (CLI-only cases: a workflow never sees them). */
  sets?: string[];
}

const example = (runbook: string): Record<string, unknown> => JSON.parse(readFileSync(`${repoRoot}examples/${runbook}.json`, 'utf8')) as Record<string, unknown>;

/** A copy of `base` with `value` at the dotted `path` (intermediate objects created). */
export function withField(base: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const root = structuredClone(base);
  const keys = path.split('.');
  let node: Record<string, unknown> = root;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    node = (typeof next === 'object' && next !== null ? next : (node[key] = {})) as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
  return root;
}

const LONG = 'x'.repeat(300);
const HUGE_DURATION = '99999999999999999999999d';
const POST_RENDERER = '--post-renderer=/tmp/evil.sh';
/** An object with an own `__proto__` key, as JSON.parse (and so every client) makes it. */
const protoKey = (value: unknown): Record<string, unknown> => JSON.parse(`{"__proto__": ${JSON.stringify(value)}}`) as Record<string, unknown>;

type Row = [title: string, field: string, value: unknown, path?: string];

function group(runbook: string, rows: Row[], base = example(runbook)): HostileCase[] {
  return rows.map(([title, field, value, path]) => ({ runbook, title, field, input: withField(base, path ?? field, value) }));
}

const SYSTEM = 'soctalk-system-upgrade';
const systemExec = withField(example(SYSTEM), 'backup.database', { mode: 'exec' });

export const HOSTILE_CASES: readonly HostileCase[] = [
  ...group(SYSTEM, [
    ['a chart ref that is helm --post-renderer (the diff step would run the script)', 'chart.ref', POST_RENDERER],
    ['a chart ref of -n swallows --namespace', 'chart.ref', '-n'],
    ['a chart ref that is --kubeconfig', 'chart.ref', '--kubeconfig=/etc/other'],
    ['a chart ref with a newline', 'chart.ref', 'soctalk/soctalk-system\n--debug'],
    ['a chart ref with a space and a flag', 'chart.ref', 'soctalk/soctalk-system --post-renderer x'],
    ['a chart ref javascript: URL', 'chart.ref', 'javascript:alert(1)'],
    ['an oci:// ref without a chart', 'chart.ref', 'oci://'],
    ['a chart repository file: URL', 'chart.repository.url', { name: 'soctalk', url: 'file:///etc/passwd' }, 'chart.repository'],
    ['an imageTag smuggling a second --set-string (swaps the registry)', 'imageTag', '0.2.0,image.repository=evil.example/x'],
    ['an imageTag with a newline injecting securityContext', 'imageTag', '0.2.0\nsecurityContext: {privileged: true}'],
    ['an imageTag with an equals sign', 'imageTag', 'a=1'],
    ['an imageTag with brackets', 'imageTag', '0.2.0[0]'],
    ['an imageTag starting with a dash', 'imageTag', '-latest'],
    ['an imageTag starting with a dot', 'imageTag', '.hidden'],
    ['an imageTag of 129 characters', 'imageTag', 'x'.repeat(129)],
    ['an imageTag with a space and a flag', 'imageTag', '0.2.0 --set x=y'],
    ['an imageTagKeys entry with a comma', 'imageTagKeys.0', 'image.tag,image.repository', 'imageTagKeys'],
    ['an imageTagKeys entry naming __proto__', 'imageTagKeys.0', '__proto__.polluted', 'imageTagKeys'],
    ['a 300-character release', 'release', LONG],
    ['a 54-character release (helm allows 53)', 'release', 'a'.repeat(54)],
    ['a release starting with a dash', 'release', '-n'],
    ['a 300-character namespace', 'namespace', LONG],
    ['a 64-character namespace', 'namespace', 'a'.repeat(64)],
    ['a namespace that is --all-namespaces', 'namespace', '--all-namespaces'],
    ['a target version that is a flag', 'targetVersion', '--devel'],
    ['an upgrade timeout of 99999999999999999999999d (helm --timeout 8.6e+30ms)', 'timeouts.upgrade', HUGE_DURATION],
    ['an upgrade timeout of 25h', 'timeouts.upgrade', '25h'],
    ['a migration timeout of 1000d', 'timeouts.migration', '1000d'],
    ['a backup timeout of 1e20 ms', 'timeouts.backup', 1e20],
    ['a negative verify timeout', 'timeouts.verify', -5],
    ['a health port of 70000', 'api.service.port', 70000],
    ['a health port of 0', 'api.service.port', 0],
    ['a fractional health port', 'api.service.port', 80.5],
    ['a health path that switches host (//)', 'api.service.path', '//other-host/steal'],
    ['a health path that switches host (backslash)', 'api.service.path', '/\\other-host/steal'],
    ['a health path without a leading slash', 'api.service.path', '@other-host/steal'],
    ['a javascript: health URL', 'api.healthUrl', 'javascript:alert(1)'],
    ['a file: health URL', 'api.healthUrl', 'file:///etc/passwd'],
    ['an ftp: health URL', 'api.healthUrl', 'ftp://files.example/x'],
    ['an invalid verify.imagePattern "(" (used to fail after the upgrade)', 'verify.imagePattern', '('],
    ['an invalid verify.imagePattern "["', 'verify.imagePattern', '['],
    ['an invalid verify.imagePattern "*"', 'verify.imagePattern', '*'],
    ['a 300-character verify.imagePattern', 'verify.imagePattern', 'a'.repeat(300)],
    ['a migration template leaving the chart', 'migration.template', '../../../etc/passwd'],
    ['a migration template that is --post-renderer', 'migration.template', POST_RENDERER],
    ['a migration Job name that is a flag', 'migration.jobName', '--all'],
    ['a CRD name that is a flag', 'prerequisites.crds.0', '--all-namespaces', 'prerequisites.crds'],
    ['a javascript: compatibility URL', 'compatibility.url', 'javascript:alert(1)', 'compatibility'],
    ['a tenants selector that is a flag', 'tenants.selector', '--all-namespaces'],
    ['a snapshot selector that is a flag', 'backup.volumeSnapshots.selector', '-A'],
    ['a kube context that is a flag', 'kube.context', '--insecure-skip-tls-verify'],
    ['a kubeconfig that is a flag', 'kube.kubeconfig', '--token=stolen'],
    ['an approval timeout of 400 days', 'approval.timeout', '400d'],
    ['a values --set key naming __proto__', 'values.set.__proto__.polluted', 'x', 'values.set'],
    ['a values --set key naming constructor.prototype', 'values.set.constructor.prototype.x', '1', 'values.set'],
    ['a direct backup env name in lower case', 'backup.database.urlFrom.env', 'aws_secret', 'backup.database.urlFrom'],
  ]).map((c) => fixValue(c)),
  ...group(
    SYSTEM,
    [
      ['an exec-mode database that is pg_dump --file= (writes the dump anywhere)', 'backup.database.database', '--file=/tmp/dump'],
      ['an exec-mode database that is a connection string', 'backup.database.database', 'host=evil.example dbname=x'],
      ['an exec-mode database with a space', 'backup.database.database', 'soc talk'],
      ['an exec-mode database that is a flag', 'backup.database.database', '-x'],
      ['an exec-mode user that is a flag', 'backup.database.user', '--no-owner'],
      ['an exec-mode pod selector that is a flag', 'backup.database.podSelector', '--all'],
      ['an exec-mode pod selector with a newline', 'backup.database.podSelector', 'app=x\n--all'],
      ['an exec-mode container that is a flag', 'backup.database.container', '--privileged'],
    ],
    systemExec,
  ),
  ...group('soctalk-system-rollback', [
    ['a backup name escaping the backup directory', 'restore.backupName', '../../../x'],
    ['an absolute backup name', 'restore.backupName', '/etc/passwd'],
    ['a backup name with a directory', 'restore.backupName', 'a/b'],
    ['a backup name of ..', 'restore.backupName', '..'],
    ['a backup name that is a flag', 'restore.backupName', '-rf'],
    ['a 300-character release', 'release', LONG],
    ['a namespace that is a flag', 'namespace', '-n'],
    ['revision 0', 'toRevision', 0],
    ['a fractional revision', 'toRevision', 1.5],
    ['a revision of 1e12', 'toRevision', 1e12],
    ['a rollback timeout of 99999999999999999999999d', 'timeout', HUGE_DURATION],
    ['a migration Job that is a flag', 'migrationJob', '--all'],
    ['a restore database that is pg_restore --file=', 'restore.database.database', '--file=/tmp/x', 'restore.database'],
  ]).map((c) => (c.field === 'restore.database.database' ? { ...c, input: withField(c.input, 'restore.database', { mode: 'exec', database: '--file=/tmp/x' }) } : c)),
  ...group('soctalk-tenant-upgrade', [
    ['a tenant slug that is a flag', 'tenant', '-n'],
    ['a 47-character tenant slug (tenant-<slug> passes 53)', 'tenant', 'a'.repeat(47)],
    ['a tenant slug in upper case', 'tenant', 'Acme'],
    ['a tenant slug with a shell character', 'tenant', 'acme;rm'],
    ['an imageTags key smuggling a second setting', 'imageTags.a=1,image.registry', '0.2.1', 'imageTags'],
    ['an imageTags value smuggling a second setting', 'imageTags.image.tag', '0.2.1,image.repository=evil', 'imageTags'],
    ['an imageTags value with a newline', 'imageTags.image.tag', '0.2.1\nprivileged: true', 'imageTags'],
    ['an imageTags key naming __proto__', 'imageTags.__proto__', 'x', 'imageTags'],
    ['an invalid imagePattern', 'imagePattern', '('],
    ['a javascript: heartbeat API URL', 'heartbeat.apiUrl', 'javascript:alert(1)'],
    ['a file: heartbeat API URL', 'heartbeat.apiUrl', 'file:///etc/passwd'],
    ['a heartbeat settle of 25h', 'heartbeat.settle', '25h'],
    ['a heartbeat timeout of 99999999999999999999999d', 'heartbeat.timeout', HUGE_DURATION],
    ['a file: values URL', 'valuesSource.url', 'file:///etc/shadow', 'valuesSource'],
    ['a values tokenEnv that is not an env name', 'valuesSource.tokenEnv', 'aws-secret', 'valuesSource'],
    ['a javascript: alert-check URL', 'alertCheck.url', 'javascript:alert(1)', 'alertCheck'],
    // Operator commands: the input names an entry of the worker's RUNBOOK_COMMAND_ALLOWLIST, never a program.
    ['a values command that is a path to a shell', 'valuesSource.command', { kind: 'command', command: '/bin/sh', args: ['-c', 'id'] }, 'valuesSource'],
    ['a values command that is a program line', 'valuesSource.command', { kind: 'command', command: 'sh -c id' }, 'valuesSource'],
    ['a values command name that is a flag', 'valuesSource.command', { kind: 'command', command: '-e' }, 'valuesSource'],
    ['a values command argument that is an option', 'valuesSource.args.1', { kind: 'command', command: 'soctalk-cli', args: ['render-values', '--output=/etc/cron.d/x'] }, 'valuesSource'],
    ['a values command argument that is a short option', 'valuesSource.args.0', { kind: 'command', command: 'soctalk-cli', args: ['-o/etc/x'] }, 'valuesSource'],
    ['a values command argument option before the --', 'valuesSource.args.0', { kind: 'command', command: 'soctalk-cli', args: ['--config=/tmp/x', '--', 'acme'] }, 'valuesSource'],
    ['a values command argument with a newline', 'valuesSource.args.0', { kind: 'command', command: 'soctalk-cli', args: ['acme\n--debug'] }, 'valuesSource'],
    ['the old argv form (a program chosen by the input)', 'valuesSource.command', { kind: 'command', argv: ['/bin/sh', '-c', 'id'] }, 'valuesSource'],
    ['an alert-check command that is a path', 'alertCheck.command', { kind: 'command', command: '/usr/bin/curl', args: ['https://evil.example'] }, 'alertCheck'],
    ['an alert-check argument that is an option', 'alertCheck.args.0', { kind: 'command', command: 'soctalk-cli', args: ['--exec=/tmp/evil.sh'] }, 'alertCheck'],
    ['a helm timeout of 99999999999999999999999d', 'helmTimeout', HUGE_DURATION],
    ['a rollout timeout of 48h', 'rolloutTimeout', '48h'],
    ['a chart ref that is --post-renderer', 'chart.ref', POST_RENDERER],
    ['a system release that is a flag', 'system.release', '--all'],
    ['a 64-character system namespace', 'system.namespace', 'a'.repeat(64)],
    ['a snapshot selector that is a flag', 'snapshots.selector', '--all-namespaces'],
    ['a target version that is a flag', 'version', '--devel'],
  ]).map((c) => fixValue(c)),
  ...group('soctalk-fleet-upgrade', [
    ['a tenant chart ref that is --post-renderer', 'upgrade.chart.ref', POST_RENDERER],
    ['an imageTags value smuggling a second setting', 'upgrade.imageTags.image.tag', '0.2.1,image.registry=evil', 'upgrade.imageTags'],
    ['an invalid imagePattern', 'upgrade.imagePattern', '('],
    ['a tenants list entry that is a flag', 'tenants.list.0', '-n', 'tenants.list'],
    ['an exclude entry escaping a directory', 'tenants.exclude.0', '../x', 'tenants.exclude'],
    ['a canary that is a flag', 'canaries.tenants.0', '--all', 'canaries.tenants'],
    ['a bake time of 999 days', 'bakeTime', '999d'],
    ['a helm timeout of 99999999999999999999999d', 'upgrade.helmTimeout', HUGE_DURATION],
    ['a tenant selector that is a flag', 'tenants.selector', '--all-namespaces'],
    ['a fleet name that is a flag', 'name', '-x'],
    ['a javascript: heartbeat API URL', 'upgrade.heartbeat.apiUrl', 'javascript:alert(1)'],
    ['100000 tenants at once', 'maxParallel', 100_000],
  ]).map((c) => fixValue(c)),
  ...group('opencti-upgrade-v2', [
    ['a chart ref that is --post-renderer', 'chart.ref', POST_RENDERER],
    ['a chart ref of -n', 'chart.ref', '-n'],
    ['a chart version that is a flag', 'version', '--devel'],
    ['a 300-character release', 'release', LONG],
    ['a namespace that is a flag', 'namespace', '-n'],
    ['a health path that switches host (//), carrying the access key', 'health.path', '//other-host/health'],
    ['a health path that switches host (backslash)', 'health.path', '/\\other-host/health'],
    ['a health path without a slash', 'health.path', 'health'],
    ['a health path with a query', 'health.path', '/health?x=1'],
    ['a health port of 70000', 'health.servicePort', 70000],
    ['a javascript: health base URL', 'health.baseUrls.server', 'javascript:alert(1)'],
    ['a health access key env that is not an env name', 'health.accessKey.env', 'aws-secret', 'health.accessKey'],
    ['a health request timeout of 99999999999999999999999d', 'health.requestTimeout', HUGE_DURATION],
    ['a helm timeout of 25h', 'timeout', '25h'],
    ['a values --set key naming __proto__', 'values.set.__proto__.x', 'y', 'values.set'],
    ['a values file that is a flag', 'values.files.0', POST_RENDERER, 'values.files'],
    ['a kube context that is a flag', 'kube.context', '--token=stolen'],
    ['an approval timeout of 1000 days', 'approval.timeout', '1000d'],
  ]).map((c) => fixValue(c)),
  ...group('opencti-clustering-migration', [
    ['a million frontend replicas', 'frontend.replicaCount', 1_000_000],
    ['negative ingestion replicas', 'ingestion.replicaCount', -1],
    ['a chart ref of -n', 'chart.ref', '-n'],
    ['a health path that switches host', 'health.path', '//evil.example/health'],
    ['a helm timeout of 99999999999999999999999d', 'timeout', HUGE_DURATION],
    ['a 64-character namespace', 'namespace', 'a'.repeat(64)],
  ]),
  ...group('opencti-rollback', [
    ['revision 0', 'toRevision', 0, 'toRevision'],
    ['a revision of 1e12', 'toRevision', 1e12],
    ['a chart ref that is --post-renderer', 'chart.ref', POST_RENDERER],
    ['a chart version that is a flag', 'version', '--devel'],
    ['a replayed migration with 99999 frontend replicas', 'replayMigration.frontend.replicaCount', 99_999],
    ['a timeout of 99999999999999999999999d', 'timeout', HUGE_DURATION],
  ]),
  // An own __proto__ key (what JSON.parse makes of a client's input) is no field.
  ...['soctalk-system-upgrade', 'soctalk-tenant-upgrade', 'opencti-upgrade-v2'].map((runbook) => ({
    runbook,
    title: 'an input with an own __proto__ key',
    field: '__proto__',
    input: { ...example(runbook), ...protoKey({ polluted: true }) },
  })),
];

/**
 * Rows whose value sits inside a record or array are written whole: the path's parent is
 * set to the object holding the hostile entry (a dotted key such as `image.tag` is one key).
 */
function fixValue(c: HostileCase): HostileCase {
  const { field, input } = c;
  const set = (path: string, value: unknown) => ({ ...c, input: withField(input, path, value) });
  if (field === 'imageTagKeys.0') return set('imageTagKeys', [valueOf(c, 'imageTagKeys')]);
  if (field === 'prerequisites.crds.0') return set('prerequisites.crds', [valueOf(c, 'prerequisites.crds')]);
  if (field === 'tenants.list.0') return set('tenants.list', [valueOf(c, 'tenants.list')]);
  if (field === 'tenants.exclude.0') return set('tenants.exclude', [valueOf(c, 'tenants.exclude')]);
  if (field === 'canaries.tenants.0') return set('canaries.tenants', [valueOf(c, 'canaries.tenants')]);
  if (field === 'values.files.0') return set('values.files', [valueOf(c, 'values.files')]);
  if (field === 'compatibility.url') return set('compatibility', { url: valueOf(c, 'compatibility') });
  if (field === 'backup.database.urlFrom.env') return set('backup.database.urlFrom', { env: valueOf(c, 'backup.database.urlFrom') });
  if (field === 'health.accessKey.env') return set('health.accessKey', { env: valueOf(c, 'health.accessKey') });
  if (field === 'valuesSource.url') return set('valuesSource', { kind: 'http', url: valueOf(c, 'valuesSource') });
  if (field === 'valuesSource.tokenEnv') return set('valuesSource', { kind: 'http', url: 'https://values.example/{slug}', tokenEnv: valueOf(c, 'valuesSource') });
  if (field === 'alertCheck.url') return set('alertCheck', { kind: 'http', url: valueOf(c, 'alertCheck') });
  if (field.startsWith('values.set.')) return set('values.set', { [field.slice('values.set.'.length)]: valueOf(c, 'values.set') });
  const record = ['upgrade.imageTags', 'imageTags'].find((r) => field.startsWith(`${r}.`));
  if (record) {
    const key = field.slice(record.length + 1);
    const entry = key === '__proto__' ? protoKey(valueOf(c, record)) : { [key]: valueOf(c, record) };
    return set(record, entry);
  }
  return c;
}

/** The hostile value a row put at its path. */
function valueOf(c: HostileCase, path: string): unknown {
  let node: unknown = c.input;
  for (const key of path.split('.')) node = (node as Record<string, unknown>)[key];
  return node;
}

/** CLI-only: `--set` keys that would pollute Object.prototype in the CLI itself. */
export const HOSTILE_SETS: readonly HostileCase[] = [
  ['__proto__.release=x', '__proto__'],
  ['constructor.prototype.release=x', 'constructor'],
  ['approval.__proto__.required=false', '__proto__'],
  ['prototype=1', 'prototype'],
  ['values.set.constructor=1', 'constructor'],
].map(([set, field]) => ({ runbook: SYSTEM, title: `--set ${set}`, field: field!, input: example(SYSTEM), sets: [set!] }));
