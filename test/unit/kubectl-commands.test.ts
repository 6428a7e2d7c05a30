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
  // Names and targets (which can come from input) are last, after `--` (see commands.ts).
  it('get <kind> as JSON: all, by name after --, by selector, ignoring not-found', () => {
    assert.deepEqual(kubectlGetJsonArgs(ns, 'pods'), ['get', 'pods', '--output', 'json', '--namespace', 'soctalk']);
    assert.deepEqual(kubectlGetJsonArgs(prod, 'job', { name: 'soctalk-system-alembic-upgrade' }), [
      'get',
      'job',
      '--output',
      'json',
      '--namespace',
      'soctalk',
      ...KUBE,
      '--',
      'soctalk-system-alembic-upgrade',
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
    // --ignore-not-found stays a flag: it is never appended after the `--`.
    assert.deepEqual(kubectlGetJsonArgs(ns, 'secret', { name: 'db', ignoreNotFound: true }), ['get', 'secret', '--output', 'json', '--ignore-not-found', '--namespace', 'soctalk', '--', 'db']);
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
      '--output',
      'json',
      ...KUBE,
      '--',
      'certificates.cert-manager.io',
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
      '--ignore-not-found',
      '--wait',
      '--namespace',
      'soctalk',
      '--',
      'soctalk-system-alembic-upgrade',
    ]);
  });

  it('logs: all containers, 200 lines by default', () => {
    assert.deepEqual(kubectlLogsArgs(ns, 'job/soctalk-system-alembic-upgrade'), [
      'logs',
      '--all-containers',
      '--tail',
      '200',
      '--namespace',
      'soctalk',
      '--',
      'job/soctalk-system-alembic-upgrade',
    ]);
    assert.deepEqual(kubectlLogsArgs(prod, 'pod/x', 40), ['logs', '--all-containers', '--tail', '40', '--namespace', 'soctalk', ...KUBE, '--', 'pod/x']);
  });

  it('rollout status with a Go-syntax timeout', () => {
    assert.deepEqual(kubectlRolloutStatusArgs(prod, 'deployment/soctalk-system-api', 300_000), [
      'rollout',
      'status',
      '--watch',
      '--timeout',
      '300s',
      '--namespace',
      'soctalk',
      ...KUBE,
      '--',
      'deployment/soctalk-system-api',
    ]);
    assert.deepEqual(kubectlRolloutStatusArgs(ns, 'statefulset/db', 2500).slice(3, 5), ['--timeout', '2500ms']);
  });

  it('scale, to zero too', () => {
    assert.deepEqual(kubectlScaleArgs(ns, 'deployment/soctalk-system-api', 0), ['scale', '--replicas', '0', '--namespace', 'soctalk', '--', 'deployment/soctalk-system-api']);
    assert.deepEqual(kubectlScaleArgs(prod, 'deployment/soctalk-system-api', 3), [
      'scale',
      '--replicas',
      '3',
      '--namespace',
      'soctalk',
      ...KUBE,
      '--',
      'deployment/soctalk-system-api',
    ]);
  });

  it('exec: the pod before -- (exec cannot take it after), the command after, --stdin and --container only when asked', () => {
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
    // The pod cannot follow `--`, so one that would be read as an option is refused outright.
    assert.throws(() => kubectlExecArgs(ns, '--kubeconfig=/tmp/x', ['true']), /kubectl exec pod "--kubeconfig=\/tmp\/x" starts with "-" and would be read as an option/);
  });

  it('port-forward to a free local port on loopback', () => {
    assert.deepEqual(kubectlPortForwardArgs(prod, 'svc/soctalk-system-api', 8000), [
      'port-forward',
      '--address',
      '127.0.0.1',
      '--namespace',
      'soctalk',
      ...KUBE,
      '--',
      'svc/soctalk-system-api',
      ':8000',
    ]);
  });

  it('annotate: set and remove, with --overwrite', () => {
    assert.deepEqual(kubectlAnnotateArgs(ns, 'deployment/api', 'upgrade-runbooks.io/replicas-before-restore=2'), [
      'annotate',
      '--overwrite',
      '--namespace',
      'soctalk',
      '--',
      'deployment/api',
      'upgrade-runbooks.io/replicas-before-restore=2',
    ]);
    assert.deepEqual(kubectlAnnotateArgs(prod, 'deployment/api', 'upgrade-runbooks.io/replicas-before-restore-'), [
      'annotate',
      '--overwrite',
      '--namespace',
      'soctalk',
      ...KUBE,
      '--',
      'deployment/api',
      'upgrade-runbooks.io/replicas-before-restore-',
    ]);
  });

  it('wait: condition or JSONPath in one --for= argument', () => {
    assert.deepEqual(kubectlWaitArgs(ns, 'job/alembic', 'condition=complete', 600_000), [
      'wait',
      '--for=condition=complete',
      '--timeout',
      '600s',
      '--namespace',
      'soctalk',
      '--',
      'job/alembic',
    ]);
    assert.deepEqual(kubectlWaitArgs(prod, 'volumesnapshot/s1', 'jsonpath={.status.readyToUse}=true', 90_000), [
      'wait',
      '--for=jsonpath={.status.readyToUse}=true',
      '--timeout',
      '90s',
      '--namespace',
      'soctalk',
      ...KUBE,
      '--',
      'volumesnapshot/s1',
    ]);
  });

  it('a name that looks like an option is after --, so kubectl reads it as a name', () => {
    for (const args of [
      kubectlGetJsonArgs(ns, 'pods', { name: '--all-namespaces' }),
      kubectlDeleteArgs(ns, 'pod', '--all'),
      kubectlLogsArgs(ns, '--kubeconfig=/tmp/x'),
      kubectlRolloutStatusArgs(ns, '-n', 1000),
      kubectlScaleArgs(ns, '--all', 0),
      kubectlWaitArgs(ns, '--all', 'delete', 1000),
    ]) {
      const dash = args.indexOf('--');
      assert.ok(dash > 0, args.join(' '));
      assert.equal(args.slice(0, dash).some((a) => a === '--all' || a === '-n' || a.startsWith('--kubeconfig=') || a === '--all-namespaces'), false, args.join(' '));
    }
  });
});
