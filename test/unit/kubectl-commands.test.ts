import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  kubectlAnnotateArgs,
  kubectlApiResourceKindsArgs,
  kubectlApiResourcesArgs,
  kubectlApiVersionsArgs,
  kubectlVersionArgs,
  kubectlApplyStdinArgs,
  kubectlDeleteArgs,
  kubectlExecArgs,
  kubectlGetClusterJsonArgs,
  kubectlGetJsonArgs,
  kubectlLogsArgs,
  kubectlPortForwardArgs,
  kubectlRolloutStatusArgs,
  kubectlScaleArgs,
  kubectlWaitArgs,
  type Scope,
} from '../../src/activities/kubectl/commands.js';

const ns: Scope = { namespace: 'soctalk', kube: {} };
const prod: Scope = { namespace: 'soctalk', kube: { kubeconfig: '/etc/kube/prod.yaml', context: 'prod-eu' } };
// kubectl spells the context flag --context (helm: --kube-context).
const KUBE = ['--kubeconfig', '/etc/kube/prod.yaml', '--context', 'prod-eu'];

describe('kubectl command lines', () => {
  it('get <kind> as JSON: all, by name, by selector', () => {
    assert.deepEqual(kubectlGetJsonArgs(ns, 'pods'), ['get', 'pods', '--output', 'json', '--namespace', 'soctalk']);
    assert.deepEqual(kubectlGetJsonArgs(prod, 'job', { name: 'soctalk-system-alembic-upgrade' }), [
      'get',
      'job',
      'soctalk-system-alembic-upgrade',
      '--output',
      'json',
      '--namespace',
      'soctalk',
      ...KUBE,
    ]);
    assert.deepEqual(kubectlGetJsonArgs(ns, 'persistentvolumeclaims', { selector: 'app=postgres,tier=db' }), [
      'get',
      'persistentvolumeclaims',
      '--selector',
      'app=postgres,tier=db',
      '--output',
      'json',
      '--namespace',
      'soctalk',
    ]);
  });

  it('cluster-scoped get has no --namespace', () => {
    assert.deepEqual(kubectlGetClusterJsonArgs({}, 'namespaces', { selector: 'tenant=true,managed-by=soctalk' }), [
      'get',
      'namespaces',
      '--selector',
      'tenant=true,managed-by=soctalk',
      '--output',
      'json',
    ]);
    assert.deepEqual(kubectlGetClusterJsonArgs(prod.kube, 'customresourcedefinitions', { name: 'certificates.cert-manager.io' }), [
      'get',
      'customresourcedefinitions',
      'certificates.cert-manager.io',
      '--output',
      'json',
      ...KUBE,
    ]);
  });

  it('api-resources by name', () => {
    assert.deepEqual(kubectlApiResourcesArgs({}), ['api-resources', '--output', 'name']);
    assert.deepEqual(kubectlApiResourcesArgs(prod.kube), ['api-resources', '--output', 'name', ...KUBE]);
    assert.deepEqual(kubectlApiResourceKindsArgs(prod.kube), ['api-resources', ...KUBE]);
    assert.deepEqual(kubectlApiVersionsArgs({}), ['api-versions']);
    assert.deepEqual(kubectlApiVersionsArgs(prod.kube), ['api-versions', ...KUBE]);
    assert.deepEqual(kubectlVersionArgs({}), ['version', '--output', 'json']);
    assert.deepEqual(kubectlVersionArgs(prod.kube), ['version', '--output', 'json', ...KUBE]);
  });

  it('apply from stdin', () => {
    assert.deepEqual(kubectlApplyStdinArgs(prod), ['apply', '--filename', '-', '--namespace', 'soctalk', ...KUBE]);
  });

  it('delete ignores not-found and waits', () => {
    assert.deepEqual(kubectlDeleteArgs(ns, 'job', 'soctalk-system-alembic-upgrade'), [
      'delete',
      'job',
      'soctalk-system-alembic-upgrade',
      '--ignore-not-found',
      '--wait',
      '--namespace',
      'soctalk',
    ]);
  });

  it('logs: all containers, 200 lines by default', () => {
    assert.deepEqual(kubectlLogsArgs(ns, 'job/soctalk-system-alembic-upgrade'), [
      'logs',
      'job/soctalk-system-alembic-upgrade',
      '--all-containers',
      '--tail',
      '200',
      '--namespace',
      'soctalk',
    ]);
    assert.deepEqual(kubectlLogsArgs(prod, 'pod/x', 40), ['logs', 'pod/x', '--all-containers', '--tail', '40', '--namespace', 'soctalk', ...KUBE]);
  });

  it('rollout status with a Go-syntax timeout', () => {
    assert.deepEqual(kubectlRolloutStatusArgs(prod, 'deployment/soctalk-system-api', 300_000), [
      'rollout',
      'status',
      'deployment/soctalk-system-api',
      '--watch',
      '--timeout',
      '300s',
      '--namespace',
      'soctalk',
      ...KUBE,
    ]);
    assert.deepEqual(kubectlRolloutStatusArgs(ns, 'statefulset/db', 2500).slice(4, 6), ['--timeout', '2500ms']);
  });

  it('scale, to zero too', () => {
    assert.deepEqual(kubectlScaleArgs(ns, 'deployment/soctalk-system-api', 0), ['scale', 'deployment/soctalk-system-api', '--replicas', '0', '--namespace', 'soctalk']);
    assert.deepEqual(kubectlScaleArgs(prod, 'deployment/soctalk-system-api', 3), [
      'scale',
      'deployment/soctalk-system-api',
      '--replicas',
      '3',
      '--namespace',
      'soctalk',
      ...KUBE,
    ]);
  });

  it('exec: the command after --, with --stdin and --container only when asked', () => {
    assert.deepEqual(kubectlExecArgs(ns, 'postgres-0', ['pg_dump', '--format=custom', 'soctalk']), [
      'exec',
      'postgres-0',
      '--namespace',
      'soctalk',
      '--',
      'pg_dump',
      '--format=custom',
      'soctalk',
    ]);
    assert.deepEqual(kubectlExecArgs(prod, 'postgres-0', ['pg_restore', '--dbname', 'soctalk'], { container: 'postgres', stdin: true }), [
      'exec',
      '--stdin',
      'postgres-0',
      '--container',
      'postgres',
      '--namespace',
      'soctalk',
      ...KUBE,
      '--',
      'pg_restore',
      '--dbname',
      'soctalk',
    ]);
    assert.deepEqual(kubectlExecArgs(ns, 'p', ['true'], { stdin: false }), ['exec', 'p', '--namespace', 'soctalk', '--', 'true']);
  });

  it('port-forward to a free local port on loopback', () => {
    assert.deepEqual(kubectlPortForwardArgs(prod, 'svc/soctalk-system-api', 8000), [
      'port-forward',
      'svc/soctalk-system-api',
      ':8000',
      '--address',
      '127.0.0.1',
      '--namespace',
      'soctalk',
      ...KUBE,
    ]);
  });

  it('annotate: set and remove, with --overwrite', () => {
    assert.deepEqual(kubectlAnnotateArgs(ns, 'deployment/api', 'upgrade-runbooks.io/replicas-before-restore=2'), [
      'annotate',
      'deployment/api',
      'upgrade-runbooks.io/replicas-before-restore=2',
      '--overwrite',
      '--namespace',
      'soctalk',
    ]);
    assert.deepEqual(kubectlAnnotateArgs(prod, 'deployment/api', 'upgrade-runbooks.io/replicas-before-restore-'), [
      'annotate',
      'deployment/api',
      'upgrade-runbooks.io/replicas-before-restore-',
      '--overwrite',
      '--namespace',
      'soctalk',
      ...KUBE,
    ]);
  });

  it('wait: condition or JSONPath in one --for= argument', () => {
    assert.deepEqual(kubectlWaitArgs(ns, 'job/alembic', 'condition=complete', 600_000), [
      'wait',
      'job/alembic',
      '--for=condition=complete',
      '--timeout',
      '600s',
      '--namespace',
      'soctalk',
    ]);
    assert.deepEqual(kubectlWaitArgs(prod, 'volumesnapshot/s1', 'jsonpath={.status.readyToUse}=true', 90_000), [
      'wait',
      'volumesnapshot/s1',
      '--for=jsonpath={.status.readyToUse}=true',
      '--timeout',
      '90s',
      '--namespace',
      'soctalk',
      ...KUBE,
    ]);
  });
});
