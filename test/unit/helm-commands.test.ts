import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  capabilityFlags,
  helmGetManifestArgs,
  helmGetValuesArgs,
  helmHistoryArgs,
  helmListArgs,
  helmRepoAddArgs,
  helmRepoUpdateArgs,
  helmRollbackArgs,
  helmTemplateArgs,
  helmUpgradeArgs,
  helmVersionArgs,
  isLocalChart,
  type ReleaseRef,
  withHelmFlags,
  type RenderSpec,
} from '../../src/activities/helm/commands.js';

const bare: ReleaseRef = { release: 'soctalk-system', namespace: 'soctalk', kube: {} };
const targeted: ReleaseRef = { release: 'soctalk-system', namespace: 'soctalk', kube: { kubeconfig: '/etc/kube/prod.yaml', context: 'prod-eu' } };
const KUBE = ['--kubeconfig', '/etc/kube/prod.yaml', '--kube-context', 'prod-eu'];

const render = (over: Partial<RenderSpec> = {}): RenderSpec => ({
  ...bare,
  chart: 'oci://ghcr.io/soctalk/charts/soctalk-system',
  version: '0.2.0',
  valuesFiles: [],
  ...over,
});

describe('helm command lines', () => {
  it('version', () => {
    assert.deepEqual(helmVersionArgs(), ['version', '--short']);
  });

  it('kubeconfig alone and context alone', () => {
    assert.deepEqual(helmHistoryArgs({ ...bare, kube: { kubeconfig: '/k' } }), ['history', '--namespace', 'soctalk', '--max', '20', '--output', 'json', '--kubeconfig', '/k', '--', 'soctalk-system']);
    assert.deepEqual(helmHistoryArgs({ ...bare, kube: { context: 'c' } }), ['history', '--namespace', 'soctalk', '--max', '20', '--output', 'json', '--kube-context', 'c', '--', 'soctalk-system']);
  });

  it('history: 20 entries by default, or the given maximum', () => {
    assert.deepEqual(helmHistoryArgs(bare), ['history', '--namespace', 'soctalk', '--max', '20', '--output', 'json', '--', 'soctalk-system']);
    assert.deepEqual(helmHistoryArgs(targeted, 5), ['history', '--namespace', 'soctalk', '--max', '5', '--output', 'json', ...KUBE, '--', 'soctalk-system']);
  });

  it('list: every status (--all), as JSON', () => {
    assert.deepEqual(helmListArgs('tenant-acme', {}), ['list', '--namespace', 'tenant-acme', '--all', '--output', 'json']);
    assert.deepEqual(helmListArgs('tenant-acme', targeted.kube), ['list', '--namespace', 'tenant-acme', '--all', '--output', 'json', ...KUBE]);
  });

  it('get manifest, of the current or a given revision (0 included)', () => {
    assert.deepEqual(helmGetManifestArgs(bare), ['get', 'manifest', '--namespace', 'soctalk', '--', 'soctalk-system']);
    assert.deepEqual(helmGetManifestArgs(targeted, 3), ['get', 'manifest', '--namespace', 'soctalk', '--revision', '3', ...KUBE, '--', 'soctalk-system']);
    assert.deepEqual(helmGetManifestArgs(bare, 0), ['get', 'manifest', '--namespace', 'soctalk', '--revision', '0', '--', 'soctalk-system']);
  });

  it('get values: user-supplied or all computed values, as JSON', () => {
    assert.deepEqual(helmGetValuesArgs(bare, false), ['get', 'values', '--namespace', 'soctalk', '--output', 'json', '--', 'soctalk-system']);
    assert.deepEqual(helmGetValuesArgs(targeted, true), ['get', 'values', '--namespace', 'soctalk', '--all', '--output', 'json', ...KUBE, '--', 'soctalk-system']);
  });

  it('template of a repository chart: --version=, values files in order, --show-only=, the positionals after --', () => {
    const spec = render({
      kube: targeted.kube,
      valuesFiles: ['/values/base.yaml', '/tmp/values-x/override-values.yaml'],
    });
    assert.deepEqual(helmTemplateArgs(spec, 'templates/jobs/alembic-upgrade.yaml'), [
      'template',
      '--namespace',
      'soctalk',
      '--version=0.2.0',
      '--values=/values/base.yaml',
      '--values=/tmp/values-x/override-values.yaml',
      '--show-only=templates/jobs/alembic-upgrade.yaml',
      ...KUBE,
      '--',
      'soctalk-system',
      'oci://ghcr.io/soctalk/charts/soctalk-system',
    ]);
  });

  it('a hostile chart reference or release that slipped past validation is still a positional: it comes after --', () => {
    const args = helmTemplateArgs(render({ release: '-n', chart: '--post-renderer=/tmp/x.sh' }));
    assert.deepEqual(args.slice(args.indexOf('--')), ['--', '-n', '--post-renderer=/tmp/x.sh']);
    assert.equal(args.filter((a) => a === '--').length, 1);
    const upgrade = helmUpgradeArgs({ ...render({ chart: '--post-renderer=/tmp/x.sh' }), wait: true, timeoutMs: 60_000 });
    assert.deepEqual(upgrade.slice(-3), ['--', 'soctalk-system', '--post-renderer=/tmp/x.sh']);
    assert.equal(args.some((a) => a.startsWith('--set')), false);
  });

  it('template as the cluster renders: --kube-version and one --api-versions per served group/version(/Kind), before --show-only', () => {
    const spec = render({ capabilities: { kubeVersion: 'v1.33.1', apiVersions: ['apps/v1', 'cilium.io/v2/CiliumNetworkPolicy', 'v1'] } });
    assert.deepEqual(helmTemplateArgs(spec, 'templates/30-api.yaml'), [
      'template',
      '--namespace',
      'soctalk',
      '--version=0.2.0',
      '--kube-version',
      'v1.33.1',
      '--api-versions',
      'apps/v1',
      '--api-versions',
      'cilium.io/v2/CiliumNetworkPolicy',
      '--api-versions',
      'v1',
      '--show-only=templates/30-api.yaml',
      '--',
      'soctalk-system',
      'oci://ghcr.io/soctalk/charts/soctalk-system',
    ]);
    assert.deepEqual(capabilityFlags(undefined), []);
    assert.deepEqual(capabilityFlags({ kubeVersion: 'v1.30.0', apiVersions: [] }), ['--kube-version', 'v1.30.0']);
  });

  it('upgrade never gets --kube-version/--api-versions: helm asks the cluster itself', () => {
    const args = helmUpgradeArgs({ ...render({ capabilities: { kubeVersion: 'v1.33.1', apiVersions: ['v1'] } }), wait: true, timeoutMs: 600_000 });
    assert.equal(args.includes('--kube-version'), false);
    assert.equal(args.includes('--api-versions'), false);
  });

  it('template without a version, values or --show-only', () => {
    assert.deepEqual(helmTemplateArgs(render({ chart: 'soctalk/soctalk-system', version: undefined })), [
      'template',
      '--namespace',
      'soctalk',
      '--',
      'soctalk-system',
      'soctalk/soctalk-system',
    ]);
  });

  it('local charts get no --version (a directory or archive has exactly one)', () => {
    for (const chart of ['/charts/soctalk-system', './charts/soctalk-system', '../soctalk-system', 'soctalk-system-0.2.0.tgz', '/tmp/pkg/soctalk-system-0.2.0.tgz']) {
      assert.deepEqual(helmTemplateArgs(render({ chart })), ['template', '--namespace', 'soctalk', '--', 'soctalk-system', chart], chart);
    }
  });

  it('isLocalChart', () => {
    assert.equal(isLocalChart('/abs/chart'), true);
    assert.equal(isLocalChart('./rel'), true);
    assert.equal(isLocalChart('../up'), true);
    assert.equal(isLocalChart('chart-1.0.0.tgz'), true);
    assert.equal(isLocalChart('oci://ghcr.io/x/chart'), false);
    assert.equal(isLocalChart('opencti/opencti'), false);
  });

  it('upgrade: --wait and the timeout in Go syntax, after the render flags, kube flags last', () => {
    assert.deepEqual(
      helmUpgradeArgs({ ...render({ kube: targeted.kube, valuesFiles: ['/v.yaml', '/tmp/values-x/override-values.yaml'] }), wait: true, timeoutMs: 600_000 }),
      [
        'upgrade',
        '--namespace',
        'soctalk',
        '--version=0.2.0',
        '--values=/v.yaml',
        '--values=/tmp/values-x/override-values.yaml',
        '--wait',
        '--timeout',
        '600s',
        ...KUBE,
        '--',
        'soctalk-system',
        'oci://ghcr.io/soctalk/charts/soctalk-system',
      ],
    );
  });

  it('upgrade --install, without --wait, with a sub-second timeout', () => {
    assert.deepEqual(helmUpgradeArgs({ ...render({ chart: './chart', version: '9.9.9' }), install: true, wait: false, timeoutMs: 1500 }), [
      'upgrade',
      '--install',
      '--namespace',
      'soctalk',
      '--timeout',
      '1500ms',
      '--',
      'soctalk-system',
      './chart',
    ]);
  });

  it('upgrade --wait --cleanup-on-fail (a failed upgrade removes what it created)', () => {
    assert.deepEqual(helmUpgradeArgs({ ...render(), wait: true, cleanupOnFail: true, timeoutMs: 900_000 }).slice(-7, -3), ['--wait', '--cleanup-on-fail', '--timeout', '900s']);
  });

  it('upgrade with install: false adds no --install', () => {
    assert.equal(helmUpgradeArgs({ ...render(), install: false, wait: true, timeoutMs: 60_000 }).includes('--install'), false);
  });

  it('rollback to a given revision, with --wait', () => {
    assert.deepEqual(helmRollbackArgs({ ...targeted, revision: 2, wait: true, timeoutMs: 600_000 }), [
      'rollback',
      '--namespace',
      'soctalk',
      '--wait',
      '--timeout',
      '600s',
      ...KUBE,
      '--',
      'soctalk-system',
      '2',
    ]);
  });

  it('rollback without a revision (helm picks the previous one), without --wait', () => {
    assert.deepEqual(helmRollbackArgs({ ...bare, wait: false, timeoutMs: 300_000 }), ['rollback', '--namespace', 'soctalk', '--timeout', '300s', '--', 'soctalk-system']);
  });

  it('repo add (force-update) and repo update', () => {
    assert.deepEqual(helmRepoAddArgs('opencti', 'https://devops-ia.github.io/helm-opencti'), ['repo', 'add', '--force-update', '--', 'opencti', 'https://devops-ia.github.io/helm-opencti']);
    assert.deepEqual(helmRepoUpdateArgs('opencti'), ['repo', 'update', '--', 'opencti']);
  });

  it('a private repository config goes before `--`, so it stays a flag and the positionals stay positionals', () => {
    const flags = ['--repository-config=/w/r/repositories.yaml', '--repository-cache=/w/r/cache'];
    assert.deepEqual(withHelmFlags(helmRepoUpdateArgs('opencti'), flags), ['repo', 'update', ...flags, '--', 'opencti']);
    assert.deepEqual(withHelmFlags(['version', '--short'], flags), ['version', '--short', ...flags]);
    assert.deepEqual(withHelmFlags(helmRepoUpdateArgs('opencti'), []), helmRepoUpdateArgs('opencti'));
  });
});
