/**
 * Least privilege of the Helm chart, checked on what helm really renders: nothing bound
 * cluster-wide writes Secrets, execs into pods or creates workloads, in any configuration
 * the chart accepts; `rbac.clusterWide: true` is refused with a message saying what to do;
 * the worker's egress NetworkPolicy and the codec key mount render as documented.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../helpers/paths.js';

const run = promisify(execFile);
const chartDir = join(repoRoot, 'deploy/chart/upgrade-runbooks');
const customValues = join(chartDir, 'ci/custom-values.yaml');

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
}
interface K8sObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
  roleRef?: { kind: string; name: string };
  subjects?: Array<{ kind: string; name: string; namespace?: string }>;
  spec?: Record<string, unknown>;
}

function helmBin(): string {
  const path = process.env.HELM_BIN;
  if (!path) throw new Error('HELM_BIN is not set: run `eval "$(bash scripts/toolchain.sh env helm)"` first');
  return path;
}

async function render(...args: string[]): Promise<K8sObject[]> {
  try {
    const { stdout } = await run(helmBin(), ['template', 'rel', '.', '--namespace', 'upgrades', ...args], { cwd: chartDir, maxBuffer: 16 * 1024 * 1024 });
    return parseAllDocuments(stdout)
      .map((d) => d.toJS() as K8sObject | null)
      .filter((o): o is K8sObject => o !== null);
  } catch (err) {
    throw new Error(`helm template ${args.join(' ')} failed: ${(err as Error & { stderr?: string }).stderr ?? (err as Error).message}`);
  }
}

async function renderError(...args: string[]): Promise<string> {
  try {
    await render(...args);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`helm template ${args.join(' ')} rendered; it should have failed`);
}

const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection', '*'];
const WORKLOADS = ['pods', 'deployments', 'statefulsets', 'daemonsets', 'replicasets', 'replicationcontrollers', 'jobs', 'cronjobs', '*'];

/** What a rule grants that must never be granted in every namespace. */
function dangerous(rule: Rule): string[] {
  const found: string[] = [];
  const resources = rule.resources ?? [];
  const has = (r: string) => resources.includes(r) || resources.includes('*');
  const verbs = (list: string[]) => rule.verbs.some((v) => list.includes(v));
  if (has('secrets') && verbs(WRITE)) found.push('Secret write');
  if (has('pods/exec') || has('pods/attach') || has('pods/portforward')) found.push('pods/exec');
  if (resources.some((r) => WORKLOADS.includes(r)) && verbs(['create', '*'])) found.push('workload create');
  if (verbs(['escalate', 'bind', 'impersonate'])) found.push('escalate/bind/impersonate');
  return found;
}

/** Every rule a ClusterRoleBinding grants, in every namespace, with the binding's name. */
function clusterWideGrants(objects: K8sObject[]): Array<{ binding: string; rule: Rule }> {
  const roles = new Map(objects.filter((o) => o.kind === 'ClusterRole').map((o) => [o.metadata.name, o.rules ?? []]));
  return objects
    .filter((o) => o.kind === 'ClusterRoleBinding')
    .flatMap((b) => {
      const rules = roles.get(b.roleRef!.name);
      assert.ok(rules, `ClusterRoleBinding ${b.metadata.name} refers to ClusterRole ${b.roleRef!.name}, which the chart does not render`);
      return rules.map((rule) => ({ binding: b.metadata.name, rule }));
    });
}

const CONFIGURATIONS: Array<[string, string[]]> = [
  ['default values', []],
  ['ci/custom-values.yaml', ['-f', customValues]],
  ['namespaced Roles for ten tenants', ['--set', 'rbac.namespacedRoles=true', '--set', `rbac.targetNamespaces={${Array.from({ length: 10 }, (_, i) => `tenant-${i}`).join(',')}}`]],
  ['extra rules and extra cluster rules', ['--set-json', 'rbac.extraRules=[{"apiGroups":["apps"],"resources":["daemonsets"],"verbs":["get","create"]}]', '--set-json', 'rbac.extraClusterRules=[{"apiGroups":["snapshot.storage.k8s.io"],"resources":["volumesnapshotclasses"],"verbs":["get","list"]}]']],
];

describe('chart RBAC: no cluster-wide Secret write, exec or workload create', () => {
  let checked = 0;
  for (const [name, args] of CONFIGURATIONS) {
    it(`${name}: cluster-wide grants are reads only; namespaced grants stay in the target namespaces`, async () => {
      const objects = await render(...args);
      const grants = clusterWideGrants(objects);
      assert.ok(grants.length > 0, 'the worker still has its cluster-scoped reads');
      for (const { binding, rule } of grants) {
        assert.deepEqual(dangerous(rule), [], `${binding} grants ${JSON.stringify(rule)} in every namespace`);
        assert.ok(rule.verbs.every((v) => ['get', 'list', 'watch'].includes(v)), `${binding} grants a write: ${JSON.stringify(rule)}`);
        checked += 1;
      }
      const bindings = objects.filter((o) => o.kind === 'RoleBinding');
      assert.ok(bindings.length > 0);
      for (const b of bindings) {
        assert.notEqual(b.metadata.namespace, 'kube-system');
        assert.ok(b.metadata.namespace, `RoleBinding ${b.metadata.name} has a namespace`);
      }
      // The exec and Secret write the runbooks need exist, but only behind those RoleBindings.
      const namespaced = objects.filter((o) => (o.kind === 'Role' || o.kind === 'ClusterRole') && o.metadata.name.endsWith('-target'));
      assert.ok(namespaced.some((r) => (r.rules ?? []).some((rule) => dangerous(rule).includes('pods/exec'))));
    });
  }

  it('with namespacedRoles, no cluster-scoped object carries a write rule at all', async () => {
    const objects = await render('--set', 'rbac.namespacedRoles=true', '--set', 'rbac.targetNamespaces={tenant-a,tenant-b}');
    for (const role of objects.filter((o) => o.kind === 'ClusterRole')) {
      for (const rule of role.rules ?? []) assert.ok(rule.verbs.every((v) => ['get', 'list', 'watch'].includes(v)), `${role.metadata.name}: ${JSON.stringify(rule)}`);
    }
    const roles = objects.filter((o) => o.kind === 'Role').map((r) => r.metadata.namespace);
    assert.deepEqual(roles, ['tenant-a', 'tenant-b']);
    const refs = objects.filter((o) => o.kind === 'RoleBinding').map((b) => `${b.metadata.namespace}:${b.roleRef!.kind}/${b.roleRef!.name}`);
    assert.deepEqual(refs, ['tenant-a:Role/rel-upgrade-runbooks-target', 'tenant-b:Role/rel-upgrade-runbooks-target']);
  });

  it('refuses rbac.clusterWide=true, naming the safe alternatives', async () => {
    const message = await renderError('--set', 'rbac.clusterWide=true');
    assert.match(message, /rbac\.clusterWide=true is refused: it would grant Secret write, pods\/exec and workload create in every namespace/);
    assert.match(message, /rbac\.targetNamespaces/);
    assert.match(message, /RoleBinding to the ClusterRole/);
  });

  it('reports how many cluster-wide rules were checked', () => {
    process.stdout.write(`# chart RBAC: ${CONFIGURATIONS.length} configurations, ${checked} cluster-wide rules checked, 0 grant Secret write, exec or workload create\n`);
    assert.ok(checked >= CONFIGURATIONS.length * 2);
  });
});

describe('chart: worker egress NetworkPolicy and codec keys', () => {
  it('limits the worker to DNS, the API server, Temporal and the listed endpoints, with no ingress', async () => {
    const objects = await render('-f', customValues);
    const policy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'rel-upgrade-runbooks-worker');
    assert.ok(policy, 'the NetworkPolicy is rendered');
    const spec = policy.spec as { policyTypes: string[]; ingress: unknown[]; egress: Array<{ to: Array<Record<string, unknown>>; ports: Array<{ port: number; protocol: string }> }> };
    assert.deepEqual(spec.policyTypes, ['Ingress', 'Egress']);
    assert.deepEqual(spec.ingress, []);
    const ports = spec.egress.map((rule) => rule.ports.map((p) => `${p.protocol}/${p.port}`).join(','));
    assert.deepEqual(ports, ['UDP/53,TCP/53', 'TCP/443,TCP/6443', 'TCP/7233', 'TCP/443']);
    assert.deepEqual(spec.egress[1]!.to, [{ ipBlock: { cidr: '10.0.0.1/32' } }]);
    assert.equal((await render()).some((o) => o.kind === 'NetworkPolicy'), false, 'opt-in: a CNI without NetworkPolicy support would ignore it anyway');
    assert.match(await renderError('--set', 'networkPolicy.enabled=true'), /networkPolicy\.enabled needs networkPolicy\.kubernetesApi\.cidrs/);
  });

  it('mounts the codec keys from a Secret into the worker, chat-ops and the codec server; the server needs its token', async () => {
    const objects = await render('-f', customValues);
    for (const name of ['rel-upgrade-runbooks-worker', 'rel-upgrade-runbooks-chatops', 'rel-upgrade-runbooks-codec']) {
      const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name);
      assert.ok(deployment, name);
      const pod = (deployment.spec as { template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string }>; volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }> }>; volumes: Array<{ name: string; secret?: { secretName: string } }> } } }).template.spec;
      assert.equal(pod.containers[0]!.env.find((e) => e.name === 'RUNBOOK_CODEC_KEYS_FILE')?.value, '/etc/upgrade-runbooks/codec/keys', name);
      assert.ok(pod.containers[0]!.volumeMounts.some((m) => m.name === 'codec-keys' && m.readOnly), name);
      assert.equal(pod.volumes.find((v) => v.name === 'codec-keys')?.secret?.secretName, 'upgrade-runbooks-codec', name);
      assert.equal(pod.containers[0]!.env.some((e) => e.name === 'RUNBOOK_CODEC_KEYS'), false, 'keys never appear as plain env values');
    }
    assert.match(await renderError('--set', 'codec.server.enabled=true', '--set', 'codec.keys.secretName=k'), /codec\.server\.token\.secretName/);
    assert.match(await renderError('--set', 'codec.server.enabled=true'), /codec\.keys\.secretName/);
  });

  it('offloads large payloads to the backups\' bucket: the worker, chat-ops and the codec server all get the store and its credentials', async () => {
    const objects = await render('-f', customValues, '--set', 'codec.payloadOffload.enabled=true', '--set', 'codec.payloadOffload.thresholdBytes=65536');
    for (const name of ['rel-upgrade-runbooks-worker', 'rel-upgrade-runbooks-chatops', 'rel-upgrade-runbooks-codec']) {
      const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name);
      assert.ok(deployment, name);
      const env = (deployment.spec as { template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string; valueFrom?: unknown }> }> } } }).template.spec.containers[0]!.env;
      const byName = new Map(env.map((e) => [e.name, e]));
      assert.equal(byName.get('RUNBOOK_PAYLOAD_STORE')?.value, 's3', name);
      assert.equal(byName.get('RUNBOOK_PAYLOAD_OFFLOAD_BYTES')?.value, '65536', name);
      assert.ok(byName.get('BACKUP_S3_BUCKET')?.value, name);
      assert.equal(byName.get('BACKUP_S3_ACCESS_KEY_ID_ENV')?.value, 'BACKUP_S3_ACCESS_KEY_ID', `${name}: credentials by reference`);
      assert.ok(byName.get('BACKUP_S3_SECRET_ACCESS_KEY')?.valueFrom, `${name}: the secret from a Secret`);
      assert.equal(env.filter((e) => e.name === 'BACKUP_S3_BUCKET').length, 1, `${name}: each variable once`);
    }
    const off = await render('-f', customValues);
    const chatops = off.find((o) => o.kind === 'Deployment' && o.metadata.name === 'rel-upgrade-runbooks-chatops');
    assert.doesNotMatch(JSON.stringify(chatops), /RUNBOOK_PAYLOAD_STORE|BACKUP_S3_BUCKET/, 'off by default: chat-ops is not given the bucket');
    assert.match(await renderError('--set', 'codec.payloadOffload.enabled=true'), /codec\.payloadOffload\.enabled needs backups\.storage=s3/);
  });
});
