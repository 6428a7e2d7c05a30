/**
 * The deployment artefacts: the Helm chart passes `helm lint --strict` and renders with
 * default and custom values into the objects (and only the permissions) we expect; the
 * Dockerfile builds the entry points the chart runs, with the tool versions the tests use.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../helpers/paths.js';
import { WORKER_NODE_FLAGS } from '../../src/worker/heap.js';

const run = promisify(execFile);
const chartDir = join(repoRoot, 'deploy/chart/upgrade-runbooks');
const customValues = join(chartDir, 'ci/custom-values.yaml');
const RELEASE_NAMESPACE = 'upgrades';

function helmBin(): string {
  const path = process.env.HELM_BIN;
  if (!path) {
    throw new Error('HELM_BIN is not set: run `eval "$(bash scripts/toolchain.sh env helm)"` first (it builds or finds Helm 3)');
  }
  return path;
}

async function helm(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run(helmBin(), args, { cwd: chartDir, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`helm ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
  }
}

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  [key: string]: unknown;
}

interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}

interface PodSpec {
  serviceAccountName: string;
  automountServiceAccountToken?: boolean;
  securityContext: Record<string, unknown>;
  containers: Array<{
    args: string[];
    env: EnvVar[];
    securityContext: Record<string, unknown>;
    volumeMounts?: Array<{ name: string; mountPath: string }>;
    readinessProbe?: { httpGet: { path: string } };
    livenessProbe?: { httpGet: { path: string } };
  }>;
}

async function render(...extra: string[]): Promise<K8sObject[]> {
  const out = await helm('template', 'rel', '.', '--namespace', RELEASE_NAMESPACE, ...extra);
  return parseAllDocuments(out)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

function find(objects: K8sObject[], kind: string, name: string, namespace?: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name && (namespace === undefined || o.metadata.namespace === namespace));
  assert.ok(found, `${kind} ${namespace ? `${namespace}/` : ''}${name} not rendered; got ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

const podSpec = (deployment: K8sObject) => (deployment as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
const rules = (role: K8sObject) => (role as unknown as { rules: PolicyRule[] }).rules;
const env = (spec: PodSpec) => new Map(spec.containers[0]!.env.map((e) => [e.name, e]));

function verbsFor(policy: PolicyRule[], group: string, resource: string): string[] {
  return policy.filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource)).flatMap((r) => r.verbs);
}

/** Sensitive settings must come from Secrets, never be inlined in the manifest. */
function assertFromSecret(vars: Map<string, EnvVar>, name: string, secret: string, key: string): void {
  const v = vars.get(name);
  assert.ok(v, `${name} is not set`);
  assert.equal(v.value, undefined, `${name} must not be inlined`);
  assert.deepEqual(v.valueFrom?.secretKeyRef, { name: secret, key });
}

describe('Helm chart deploy/chart/upgrade-runbooks', () => {
  it('passes helm lint --strict with default and with custom values', async () => {
    await helm('lint', '--strict', '.');
    await helm('lint', '--strict', '.', '-f', customValues);
  });

  it('renders the worker with least-privilege RBAC by default', async () => {
    const objects = await render();
    const worker = podSpec(find(objects, 'Deployment', 'rel-upgrade-runbooks-worker', RELEASE_NAMESPACE));
    assert.equal(worker.serviceAccountName, 'rel-upgrade-runbooks');
    find(objects, 'ServiceAccount', 'rel-upgrade-runbooks', RELEASE_NAMESPACE);
    assert.deepEqual(worker.containers[0]!.args, ['node', 'dist/worker.js']);
    const vars = env(worker);
    assert.equal(vars.get('TEMPORAL_ADDRESS')?.value, 'temporal-frontend.temporal.svc.cluster.local:7233');
    assert.equal(vars.get('TEMPORAL_TASK_QUEUE')?.value, 'upgrade-runbooks');
    assert.equal(vars.has('TEMPORAL_API_KEY'), false);
    assert.equal(vars.has('NOTIFY_WEBHOOK_URL'), false, 'notifications are off without a Secret');
    assert.equal(worker.securityContext.runAsNonRoot, true);
    assert.equal(worker.containers[0]!.securityContext.readOnlyRootFilesystem, true);

    // Chat-ops is opt-in.
    assert.equal(objects.some((o) => o.metadata.name.includes('chatops')), false);

    // Namespaced rules are granted in the release namespace only, never cluster-wide.
    const bindings = objects.filter((o) => o.kind === 'RoleBinding');
    assert.deepEqual(bindings.map((b) => b.metadata.namespace), [RELEASE_NAMESPACE]);
    const clusterBindings = objects.filter((o) => o.kind === 'ClusterRoleBinding');
    assert.deepEqual(clusterBindings.map((b) => (b as unknown as { roleRef: { name: string } }).roleRef.name), ['rel-upgrade-runbooks-cluster']);

    const cluster = rules(find(objects, 'ClusterRole', 'rel-upgrade-runbooks-cluster'));
    assert.deepEqual(new Set(cluster.flatMap((r) => r.verbs)), new Set(['get', 'list']), 'cluster-scoped access is read-only');
    assert.deepEqual(verbsFor(cluster, '', 'namespaces'), ['get', 'list']);
    assert.deepEqual(verbsFor(cluster, 'apiextensions.k8s.io', 'customresourcedefinitions'), ['get', 'list']);

    const target = rules(find(objects, 'ClusterRole', 'rel-upgrade-runbooks-target'));
    for (const rule of [...cluster, ...target]) {
      for (const field of [rule.apiGroups, rule.resources, rule.verbs]) assert.ok(!field.includes('*'), `wildcard in ${JSON.stringify(rule)}`);
    }
    assert.deepEqual(verbsFor(target, '', 'secrets').sort(), ['create', 'delete', 'get', 'list', 'patch', 'update']);
    assert.deepEqual(verbsFor(target, '', 'pods').sort(), ['get', 'list', 'watch']);
    assert.deepEqual(verbsFor(target, '', 'pods/log'), ['get']);
    assert.deepEqual(verbsFor(target, '', 'pods/exec').sort(), ['create', 'get']);
    assert.ok(verbsFor(target, 'apps', 'deployments/scale').includes('patch'));
    assert.deepEqual(verbsFor(target, 'apps', 'replicasets').sort(), ['get', 'list', 'watch'], 'ReplicaSets are read-only');
    assert.deepEqual(verbsFor(target, 'batch', 'jobs').sort(), ['create', 'delete', 'get', 'list', 'watch']);
    assert.deepEqual(verbsFor(target, 'snapshot.storage.k8s.io', 'volumesnapshots').sort(), ['create', 'delete', 'get', 'list', 'watch']);
    assert.deepEqual(verbsFor(target, 'discovery.k8s.io', 'endpointslices').sort(), ['get', 'list']);
    const rbacGroup = 'rbac.authorization.k8s.io';
    const outOfScope: Array<[string, string]> = [
      ['', 'nodes'],
      ['', 'serviceaccounts/token'],
      [rbacGroup, 'roles'],
      [rbacGroup, 'rolebindings'],
      [rbacGroup, 'clusterroles'],
      [rbacGroup, 'clusterrolebindings'],
    ];
    for (const [group, resource] of outOfScope) {
      assert.deepEqual(verbsFor([...cluster, ...target], group, resource), [], `no access to ${resource}`);
    }
  });

  it('renders Temporal Cloud, notifications, chat-ops and target namespaces from custom values', async () => {
    const objects = await render('-f', customValues);
    const worker = podSpec(find(objects, 'Deployment', 'rel-upgrade-runbooks-worker'));
    const workerEnv = env(worker);
    assert.equal(workerEnv.get('TEMPORAL_ADDRESS')?.value, 'upgrades.a1b2c.tmprl.cloud:7233');
    assert.equal(workerEnv.get('TEMPORAL_TLS')?.value, 'true');
    assert.equal(workerEnv.get('TEMPORAL_TLS_CLIENT_CERT_PATH')?.value, '/etc/temporal/tls/tls.crt');
    assert.equal(workerEnv.get('TEMPORAL_TLS_SERVER_CA_CERT_PATH')?.value, '/etc/temporal/tls/ca.crt');
    assertFromSecret(workerEnv, 'TEMPORAL_API_KEY', 'temporal-cloud', 'api-key');
    assertFromSecret(workerEnv, 'NOTIFY_WEBHOOK_URL', 'upgrades-slack-webhook', 'url');
    assert.equal(workerEnv.get('WORKER_SHUTDOWN_GRACE')?.value, '900s');
    assert.equal((find(objects, 'Deployment', 'rel-upgrade-runbooks-worker') as unknown as { spec: { template: { spec: { terminationGracePeriodSeconds: number } } } }).spec.template.spec.terminationGracePeriodSeconds, 930);
    assert.ok(worker.containers[0]!.volumeMounts?.some((m) => m.name === 'temporal-tls' && m.mountPath === '/etc/temporal/tls'));
    // What run inputs may name comes from the worker's configuration, never from the input.
    assert.equal(workerEnv.get('RUNBOOK_SECRET_ENV_ALLOWLIST')?.value, 'OPENCTI_HEALTH_KEY,SOCTALK_VALUES_TOKEN=https://values.example.com');
    assert.equal(workerEnv.get('RUNBOOK_COMMAND_ALLOWLIST')?.value, 'soctalk-cli=/usr/local/bin/soctalk-cli');
    assert.equal(workerEnv.get('SOCTALK_MSSP_API_URL')?.value, 'https://mssp.example.com');

    // One RoleBinding per target namespace (the duplicate is dropped).
    const bindings = objects.filter((o) => o.kind === 'RoleBinding').map((b) => b.metadata.namespace);
    assert.deepEqual(bindings, ['soctalk', 'soctalk-staging']);
    const target = rules(find(objects, 'ClusterRole', 'rel-upgrade-runbooks-target'));
    assert.ok(verbsFor(target, '', 'serviceaccounts').includes('patch'), 'extraRules are appended');

    const chatops = podSpec(find(objects, 'Deployment', 'rel-upgrade-runbooks-chatops', RELEASE_NAMESPACE));
    assert.deepEqual(chatops.containers[0]!.args, ['node', 'dist/chatops/main.js']);
    assert.equal(chatops.serviceAccountName, 'rel-upgrade-runbooks-chatops');
    assert.equal(chatops.automountServiceAccountToken, false, 'chat-ops has no Kubernetes API access');
    const chatopsEnv = env(chatops);
    assertFromSecret(chatopsEnv, 'SLACK_SIGNING_SECRET', 'slack-app', 'signing-secret');
    assertFromSecret(chatopsEnv, 'TEMPORAL_API_KEY', 'temporal-cloud', 'api-key');
    assert.equal(chatopsEnv.get('CHATOPS_USERS_FILE')?.value, '/etc/chatops/users.yaml');
    assert.equal(chatops.containers[0]!.readinessProbe?.httpGet.path, '/readyz');
    assert.equal(chatops.containers[0]!.livenessProbe?.httpGet.path, '/healthz');

    const users = find(objects, 'ConfigMap', 'rel-upgrade-runbooks-chatops-users') as unknown as { data: Record<string, string> };
    assert.deepEqual(parseAllDocuments(users.data['users.yaml']!)[0]!.toJS(), { U0123ABCD: 'alice', U0456EFGH: 'bob' });
    const service = find(objects, 'Service', 'rel-upgrade-runbooks-chatops') as unknown as { spec: { ports: Array<{ targetPort: string }> } };
    assert.equal(service.spec.ports[0]!.targetPort, 'http');
    const ingress = JSON.stringify(find(objects, 'Ingress', 'rel-upgrade-runbooks-chatops'));
    assert.match(ingress, /"path":"\/slack\/commands","pathType":"Exact"/);
    assert.doesNotMatch(ingress, /healthz|readyz/, 'probes are not public');

    // No object binds anything to the chat-ops ServiceAccount.
    const subjects = objects.filter((o) => o.kind.endsWith('Binding')).flatMap((b) => (b as unknown as { subjects: Array<{ name: string }> }).subjects);
    assert.ok(subjects.every((s) => s.name === 'rel-upgrade-runbooks'));
  });

  it('refuses configurations that cannot work, saying which value to set', async () => {
    await assert.rejects(helm('template', 'rel', '.', '--set', 'chatops.enabled=true'), /chatops\.users must map at least one Slack user ID/);
    await assert.rejects(helm('template', 'rel', '.', '--set', 'temporal.address=no-port'), /temporal\/address/);
    await assert.rejects(helm('template', 'rel', '.', '--set', 'rbac.targetNamespaces={Bad_NS}'), /targetNamespaces/);
    // A backup on one pod's disk is gone for a restore that runs on another replica.
    await assert.rejects(helm('template', 'rel', '.', '--set', 'worker.replicas=2'), /worker\.replicas=2 with backups\.storage=local on the pod's own disk.*backups\.storage=s3/);
    await assert.rejects(helm('template', 'rel', '.', '--set', 'backups.storage=s3'), /backups\.storage=s3 needs backups\.s3\.bucket/);
  });

  it('backups: a local directory by default, S3 with credentials by Secret reference, or a shared PVC', async () => {
    const env = (objects: Awaited<ReturnType<typeof render>>) =>
      (find(objects, 'Deployment', 'rel-upgrade-runbooks-worker') as unknown as { spec: { template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string; valueFrom?: unknown }> }> } } } }).spec.template.spec
        .containers[0]!.env;
    const local = env(await render());
    assert.deepEqual(local.filter((e) => e.name.startsWith('BACKUP_')).map((e) => [e.name, e.value]), [['BACKUP_RETENTION_KEEP', '5'], ['BACKUP_STORAGE', 'local'], ['BACKUP_DIR', '/tmp/backups']]);
    const s3 = env(await render('-f', 'ci/custom-values.yaml'));
    const byName = Object.fromEntries(s3.map((e) => [e.name, e]));
    assert.equal(byName.BACKUP_STORAGE?.value, 's3');
    assert.equal(byName.BACKUP_S3_ACCESS_KEY_ID_ENV?.value, 'BACKUP_S3_ACCESS_KEY_ID', 'credentials by reference');
    assert.deepEqual(byName.BACKUP_S3_SECRET_ACCESS_KEY?.valueFrom, { secretKeyRef: { name: 'upgrade-backups-s3', key: 'secret-access-key' } });
    const shared = await render('--set', 'worker.replicas=2', '--set', 'backups.local.existingClaim=upgrade-backups');
    assert.match(JSON.stringify(find(shared, 'Deployment', 'rel-upgrade-runbooks-worker')), /"persistentVolumeClaim":\{"claimName":"upgrade-backups"\}/);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
  const versions: Record<string, string> = Object.fromEntries(
    readFileSync(join(repoRoot, 'scripts/versions.env'), 'utf8')
      .split('\n')
      .map((line) => /^([A-Z_]+)=(\S+)/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );

  it('pins the helm and kubectl the tests run against', () => {
    assert.match(dockerfile, new RegExp(`^ARG HELM_VERSION=${versions.HELM_VERSION}$`, 'm'));
    assert.match(dockerfile, new RegExp(`^ARG KUBECTL_VERSION=${versions.KUBERNETES_VERSION}$`, 'm'));
  });

  it('runs the Node.js line the tests run on (scripts/versions.env NODE_VERSION)', () => {
    const major = versions.NODE_VERSION!.split('.')[0];
    assert.match(dockerfile, new RegExp(`^ARG NODE_IMAGE=node:${major}-bookworm-slim$`, 'm'));
    // scripts/toolchain.sh puts that line first on PATH for npm test, whatever the machine has.
    assert.equal(process.versions.node.split('.')[0], major, `these tests run on Node.js ${process.versions.node}`);
  });

  it('starts the worker with the heap flags npm run worker and the scale benchmark use', () => {
    assert.ok(dockerfile.includes(`NODE_OPTIONS="${WORKER_NODE_FLAGS}"`), 'the image sets NODE_OPTIONS to WORKER_NODE_FLAGS');
    const scripts = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    assert.equal(scripts.worker, `node ${WORKER_NODE_FLAGS} --import tsx src/worker.ts`);
  });

  it('has the stages the chart runs, the worker last (the default target)', () => {
    const stages = [...dockerfile.matchAll(/^FROM \S+ AS (\S+)$/gm)].map((m) => m[1]);
    assert.deepEqual(stages, ['tools', 'build', 'prod-deps', 'runtime-base', 'chatops', 'worker']);
    assert.match(dockerfile, /^FROM \$\{NODE_IMAGE\} AS build$/m);
    assert.match(dockerfile, /CMD \["node", "dist\/worker\.js"\]\s*$/);
    assert.match(dockerfile, /CMD \["node", "dist\/chatops\/main\.js"\]/);
    // The entry points exist as sources that `npm run build` compiles to those paths.
    assert.ok(existsSync(join(repoRoot, 'src/worker.ts')));
    assert.ok(existsSync(join(repoRoot, 'src/chatops/main.ts')));
  });

  it('keeps the build context small and free of local state', () => {
    const ignored = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['node_modules', 'dist', '.git', 'test', '.env*']) assert.ok(ignored.includes(entry), `.dockerignore lacks ${entry}`);
  });
});
