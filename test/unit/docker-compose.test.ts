// docker-compose.yml cannot run here (no Docker), so this test is its check: it parses the
// file with `yaml` and verifies that services, ports, environment, volumes and the worker's
// build are consistent with each other, with the Dockerfile and with the code.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SearchAttributeType } from '@temporalio/common';
import { parse, parseDocument } from 'yaml';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/domain/search-attributes.js';
import { DEFAULT_TASK_QUEUE } from '../../src/temporal-config.js';
import { repoRoot } from '../helpers/paths.js';

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string; target?: string };
  depends_on?: string[] | Record<string, { condition?: string }>;
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | number | { target: number; published?: string | number; host_ip?: string })[];
  expose?: (string | number)[];
  volumes?: (string | { type: string; source?: string; target: string; read_only?: boolean })[];
  healthcheck?: { test: string | string[] };
  profiles?: string[];
  restart?: string;
  command?: string | string[];
  entrypoint?: string | string[];
  stop_grace_period?: string;
}

interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const composeText = readFileSync(`${repoRoot}docker-compose.yml`, 'utf8');
const compose = parse(composeText) as Compose;
const services = compose.services;
const dockerfile = readFileSync(`${repoRoot}Dockerfile`, 'utf8');

/** Compose's variable interpolation with nothing set in the environment: "${X:-d}" -> "d", "$$" -> "$". */
function interpolate(value: string, env: Record<string, string> = {}): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (match, braced?: string, op?: string, word?: string, bare?: string) => {
    if (match === '$$') return '$';
    const name = (braced ?? bare)!;
    const set = env[name];
    if (op === ':-') return set ? set : (word ?? '');
    if (op === '-') return set ?? word ?? '';
    if (op === ':?' || op === '?') {
      if (set === undefined || (op === ':?' && set === '')) throw new Error(`compose would refuse to start: ${name} is required (${word ?? ''})`);
      return set;
    }
    return set ?? '';
  });
}

function env(name: string): Record<string, string> {
  const raw = services[name]?.environment ?? {};
  const pairs = Array.isArray(raw) ? raw.map((kv) => kv.split(/=(.*)/s).slice(0, 2) as [string, string]) : Object.entries(raw).map(([k, v]) => [k, v === null ? '' : String(v)] as [string, string]);
  return Object.fromEntries(pairs.map(([k, v]) => [k, interpolate(v)]));
}

function dependsOn(s: Service): Record<string, string> {
  if (!s.depends_on) return {};
  if (Array.isArray(s.depends_on)) return Object.fromEntries(s.depends_on.map((d) => [d, 'service_started']));
  return Object.fromEntries(Object.entries(s.depends_on).map(([d, v]) => [d, v.condition ?? 'service_started']));
}

interface Published {
  service: string;
  hostIp: string;
  hostPort: number;
  containerPort: number;
}

function publishedPorts(name: string): Published[] {
  return (services[name]?.ports ?? []).map((p) => {
    if (typeof p === 'object') return { service: name, hostIp: p.host_ip ?? '0.0.0.0', hostPort: Number(p.published ?? p.target), containerPort: p.target };
    const parts = interpolate(String(p)).replace(/\/(tcp|udp)$/, '').split(':');
    const containerPort = Number(parts.at(-1));
    const hostPort = parts.length >= 2 ? Number(parts.at(-2)) : containerPort;
    const hostIp = parts.length === 3 ? parts[0]! : '0.0.0.0';
    return { service: name, hostIp, hostPort, containerPort };
  });
}

function containerPorts(name: string): number[] {
  return [...(services[name]?.expose ?? []).map(Number), ...publishedPorts(name).map((p) => p.containerPort)];
}

interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
}

function mounts(name: string): Mount[] {
  return (services[name]?.volumes ?? []).map((v) => {
    if (typeof v === 'object') return { source: v.source ?? '', target: v.target, readOnly: v.read_only === true };
    // "source:target[:mode]"; the source may be an interpolation such as ${KUBECONFIG:-~/.kube/config}.
    const m = /^(.*?):(\/[^:]*)(?::(ro|rw|z|Z|ro,z|ro,Z))?$/.exec(v);
    assert.ok(m, `cannot read the volume "${v}" of ${name}`);
    return { source: m[1]!, target: m[2]!, readOnly: (m[3] ?? '').startsWith('ro') };
  });
}

function buildOf(name: string): { context: string; dockerfile: string; target?: string } {
  const b = services[name]?.build;
  assert.ok(b, `${name} has no build`);
  return typeof b === 'string' ? { context: b, dockerfile: 'Dockerfile' } : { context: b.context ?? '.', dockerfile: b.dockerfile ?? 'Dockerfile', ...(b.target ? { target: b.target } : {}) };
}

/** The Dockerfile's stages: name -> its lines. */
function dockerStages(text: string): Map<string, string[]> {
  const stages = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      current = [];
      stages.set(from[1] ?? `#${stages.size}`, current);
    } else current?.push(line);
  }
  return stages;
}

function address(name: string): { host: string; port: number } {
  const value = env(name).TEMPORAL_ADDRESS;
  assert.ok(value, `${name} has no TEMPORAL_ADDRESS`);
  const [host, port] = value.split(':');
  return { host: host!, port: Number(port) };
}

const temporalService = Object.keys(services).find((n) => services[n]?.image?.startsWith('temporalio/auto-setup:'));
const postgresService = Object.keys(services).find((n) => services[n]?.image?.startsWith('postgres:') && services[n]?.environment !== undefined);

describe('docker-compose.yml', () => {
  it('is a single YAML document with the services the README promises', () => {
    const doc = parseDocument(composeText);
    assert.deepEqual(doc.errors, []);
    assert.deepEqual(doc.warnings, []);
    for (const name of ['postgresql', 'temporal', 'temporal-ui', 'search-attributes', 'worker', 'chatops']) assert.ok(services[name], `missing service ${name}`);
    assert.equal(temporalService, 'temporal');
    assert.equal(postgresService, 'postgresql');
  });

  it('every depends_on target exists, with a condition the target can meet', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, condition] of Object.entries(dependsOn(s))) {
        const target = services[dep];
        assert.ok(target, `${name} depends on ${dep}, which is not a service`);
        assert.ok(['service_started', 'service_healthy', 'service_completed_successfully'].includes(condition), `${name} -> ${dep}: unknown condition ${condition}`);
        if (condition === 'service_healthy') assert.ok(target.healthcheck, `${name} waits for ${dep} to be healthy, but ${dep} has no healthcheck`);
        if (condition === 'service_completed_successfully') assert.equal(target.restart, 'no', `${dep} is waited on to complete, so it must be a one-shot (restart: "no")`);
        // A service without profiles must not depend on one that only starts with a profile.
        if (!s.profiles?.length) assert.ok(!target.profiles?.length, `${name} depends on ${dep}, which only runs with --profile ${target.profiles?.join(',')}`);
      }
    }
  });

  it('nothing waits for a service that never finishes, and the start order has no cycle', () => {
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (n: string, path: string[]) => {
      assert.ok(!visiting.has(n), `depends_on cycle: ${[...path, n].join(' -> ')}`);
      if (done.has(n)) return;
      visiting.add(n);
      for (const d of Object.keys(dependsOn(services[n]!))) visit(d, [...path, n]);
      visiting.delete(n);
      done.add(n);
    };
    for (const n of Object.keys(services)) visit(n, []);
  });

  it('the worker is built from this repository: context ".", the Dockerfile, its worker stage running dist/worker.js', () => {
    const build = buildOf('worker');
    assert.equal(build.context, '.');
    assert.equal(build.dockerfile, 'Dockerfile');
    assert.ok(existsSync(`${repoRoot}${build.dockerfile}`));
    const stages = dockerStages(dockerfile);
    assert.equal(build.target, 'worker');
    assert.ok(stages.has('worker'), `the Dockerfile has no stage "${build.target}" (stages: ${[...stages.keys()].join(', ')})`);
    assert.ok(stages.get('worker')!.some((l) => /^CMD\s+\[\s*"node",\s*"dist\/worker\.js"\s*\]/.test(l)), 'the worker stage should run node dist/worker.js');
    assert.ok(existsSync(`${repoRoot}src/worker.ts`), 'dist/worker.js is compiled from src/worker.ts');
  });

  it('the chat-ops service is optional (profile chatops) and built from the chatops stage', () => {
    const chatops = services.chatops!;
    assert.deepEqual(chatops.profiles, ['chatops']);
    const build = buildOf('chatops');
    assert.equal(build.context, '.');
    assert.equal(build.target, 'chatops');
    const stage = dockerStages(dockerfile).get('chatops');
    assert.ok(stage, 'the Dockerfile has no chatops stage');
    assert.ok(stage.some((l) => /^CMD\s+\[\s*"node",\s*"dist\/chatops\/main\.js"\s*\]/.test(l)));
    assert.ok(existsSync(`${repoRoot}src/chatops/main.ts`));
    // The signing secret comes from the caller's environment, never from this file.
    assert.match(String((chatops.environment as Record<string, string>).SLACK_SIGNING_SECRET), /^\$\{SLACK_SIGNING_SECRET(:-)?\}$/);
    // It listens where it is published, and its healthcheck asks that port.
    const port = Number(env('chatops').CHATOPS_PORT);
    assert.deepEqual(publishedPorts('chatops').map((p) => p.containerPort), [port]);
    assert.match(JSON.stringify(chatops.healthcheck?.test), new RegExp(`127\\.0\\.0\\.1:${port}/healthz`));
  });

  it('every Temporal client points at the temporal service on a port it serves', () => {
    assert.ok(temporalService);
    const served = containerPorts(temporalService);
    for (const client of ['worker', 'temporal-ui', 'search-attributes', 'chatops', 'temporal']) {
      const { host, port } = address(client);
      assert.equal(host, temporalService, `${client}: TEMPORAL_ADDRESS host should be the service name ${temporalService}`);
      assert.ok(served.includes(port), `${client}: port ${port} is not served by ${temporalService} (${served.join(', ')})`);
      if (client !== 'temporal') assert.equal(dependsOn(services[client]!)[temporalService], 'service_healthy', `${client} should wait for a healthy ${temporalService}`);
    }
    assert.equal(address('worker').port, 7233);
  });

  it('the Web UI is published on 8080', () => {
    assert.ok(publishedPorts('temporal-ui').some((p) => p.hostPort === 8080 && p.containerPort === 8080));
  });

  it('published host ports do not collide, and bind to loopback (nothing here authenticates)', () => {
    const all = Object.keys(services).flatMap(publishedPorts);
    assert.ok(all.length >= 3);
    const seen = new Map<number, string>();
    for (const p of all) {
      assert.ok(!seen.has(p.hostPort), `host port ${p.hostPort} is published by both ${seen.get(p.hostPort)} and ${p.service}`);
      seen.set(p.hostPort, p.service);
      assert.equal(p.hostIp, '127.0.0.1', `${p.service} publishes ${p.hostPort} on ${p.hostIp}`);
    }
  });

  it("Temporal's database settings match the postgres service's credentials", () => {
    assert.ok(temporalService && postgresService);
    const t = env(temporalService);
    const pg = env(postgresService);
    assert.equal(t.DB, 'postgres12');
    assert.equal(t.POSTGRES_SEEDS, postgresService);
    assert.equal(t.DB_PORT, '5432');
    assert.equal(t.POSTGRES_USER, pg.POSTGRES_USER);
    assert.equal(t.POSTGRES_PWD, pg.POSTGRES_PASSWORD);
    // The same variable feeds both, so overriding the password cannot split them.
    const raw = (n: string, k: string) => (services[n]!.environment as Record<string, string>)[k];
    assert.equal(raw(temporalService, 'POSTGRES_PWD'), raw(postgresService, 'POSTGRES_PASSWORD'));
    assert.equal(interpolate(raw(temporalService, 'POSTGRES_PWD')!, { TEMPORAL_DB_PASSWORD: 's3cret' }), interpolate(raw(postgresService, 'POSTGRES_PASSWORD')!, { TEMPORAL_DB_PASSWORD: 's3cret' }));
    assert.equal(dependsOn(services[temporalService]!)[postgresService], 'service_healthy');
    assert.match(JSON.stringify(services[postgresService]!.healthcheck?.test), new RegExp(`pg_isready.*${pg.POSTGRES_USER}`));
  });

  it('one namespace and one task queue everywhere, the ones the worker uses by default', () => {
    const ns = env('worker').TEMPORAL_NAMESPACE;
    assert.equal(ns, 'default');
    assert.equal(env('temporal').DEFAULT_NAMESPACE, ns);
    assert.equal(env('search-attributes').TEMPORAL_NAMESPACE, ns);
    assert.equal(env('chatops').TEMPORAL_NAMESPACE, ns);
    assert.equal(env('temporal-ui').TEMPORAL_DEFAULT_NAMESPACE, ns);
    assert.equal(env('worker').TEMPORAL_TASK_QUEUE, DEFAULT_TASK_QUEUE);
    assert.equal(env('chatops').TEMPORAL_TASK_QUEUE, DEFAULT_TASK_QUEUE);
  });

  it('registers exactly the search attributes the workflows set, as Keyword', () => {
    const sa = env('search-attributes');
    assert.deepEqual(sa.SEARCH_ATTRIBUTES!.split(/\s+/).sort(), ALL_SEARCH_ATTRIBUTES.map((k) => k.name).sort());
    for (const key of ALL_SEARCH_ATTRIBUTES) assert.equal(key.type, SearchAttributeType.KEYWORD, key.name);
    assert.equal(sa.SEARCH_ATTRIBUTE_TYPE, 'Keyword');
    const script = interpolate([services['search-attributes']!.command ?? ''].flat().join('\n'));
    assert.match(script, /for sa in \$SEARCH_ATTRIBUTES; do/);
    assert.match(script, /temporal operator search-attribute create .*--name "\$sa" --type "\$SEARCH_ATTRIBUTE_TYPE"/);
    assert.match(script, /--namespace "\$TEMPORAL_NAMESPACE"/);
    // The worker starts only once they exist: a run that sets an unknown attribute fails.
    assert.equal(dependsOn(services.worker!)['search-attributes'], 'service_completed_successfully');
    // Temporal's own Custom*Field test attributes would take Keyword slots of the SQL visibility store.
    assert.equal(env('temporal').SKIP_ADD_CUSTOM_SEARCH_ATTRIBUTES, 'true');
  });

  it('images are pinned: a version tag, never latest; Temporal 1.29.x, UI 2.42.x, admin tools of the same server version', () => {
    const tagOf = (image: string) => /^[^:@]+(?::(\d[^@]*))?(?:@sha256:[0-9a-f]{64})?$/.exec(image)?.[1];
    for (const [name, s] of Object.entries(services)) {
      if (s.build) continue; // built here; the image field only names the local result
      assert.ok(s.image, `${name} has neither image nor build`);
      const tag = tagOf(s.image);
      assert.ok(tag, `${name}: ${s.image} is not pinned to a version tag`);
      assert.notEqual(tag, 'latest');
    }
    const server = tagOf(services.temporal!.image!)!;
    assert.match(server, /^1\.29\.\d+$/);
    assert.match(tagOf(services['temporal-ui']!.image!)!, /^2\.42\.\d+$/);
    assert.ok(services['search-attributes']!.image!.startsWith(`temporalio/admin-tools:${server}-`), 'admin tools should match the server version');
    assert.match(tagOf(services.postgresql!.image!)!, /^16(\.|$)/);
  });

  it("the worker gets a read-only kubeconfig where KUBECONFIG says, in the image user's home", () => {
    const kubeconfig = env('worker').KUBECONFIG!;
    const mount = mounts('worker').find((m) => m.target === kubeconfig);
    assert.ok(mount, `nothing is mounted at KUBECONFIG=${kubeconfig}`);
    assert.equal(mount.readOnly, true);
    assert.equal(mount.source, '${KUBECONFIG:-~/.kube/config}');
    // USER 1000:1000 is the node user of the node base image, whose home is /home/node.
    assert.match(dockerStages(dockerfile).get('worker')!.join('\n'), /USER 1000:1000\s*\nCMD/);
    assert.ok(kubeconfig.startsWith('/home/node/'));
  });

  it('the worker keeps backups in BACKUP_DIR on a named volume that its uid owns', () => {
    const dir = env('worker').BACKUP_DIR!;
    const mount = mounts('worker').find((m) => m.target === dir);
    assert.ok(mount, `nothing is mounted at BACKUP_DIR=${dir}`);
    assert.equal(mount.readOnly, false);
    assert.ok(Object.hasOwn(compose.volumes ?? {}, mount.source), `volume ${mount.source} is not declared`);
    const init = Object.entries(services).find(([, s]) => JSON.stringify(s.entrypoint ?? s.command ?? '').includes('chown'));
    assert.ok(init, 'no one-shot service gives the backups volume to the worker uid');
    assert.deepEqual([init[1].entrypoint].flat(), ['chown', '1000:1000', dir]);
    assert.ok(mounts(init[0]).some((m) => m.source === mount.source && m.target === dir));
    assert.equal(dependsOn(services.worker!)[init[0]], 'service_completed_successfully');
  });

  it('every named volume is declared and every bind-mounted repository file exists', () => {
    for (const name of Object.keys(services)) {
      for (const m of mounts(name)) {
        if (m.source.startsWith('./')) assert.ok(existsSync(`${repoRoot}${m.source.slice(2)}`), `${name} mounts ${m.source}, which does not exist`);
        else if (/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(m.source)) assert.ok(Object.hasOwn(compose.volumes ?? {}, m.source), `${name} uses undeclared volume ${m.source}`);
      }
    }
  });

  it("Temporal's dynamic config is the mounted file, and it parses", () => {
    const path = env('temporal').DYNAMIC_CONFIG_FILE_PATH!;
    const mount = mounts('temporal').find((m) => m.target === `/etc/temporal/${path}`);
    assert.ok(mount, `DYNAMIC_CONFIG_FILE_PATH=${path} is not mounted`);
    assert.equal(mount.readOnly, true);
    const config = parse(readFileSync(`${repoRoot}${mount.source.slice(2)}`, 'utf8')) as Record<string, { value: unknown }[]>;
    for (const [key, values] of Object.entries(config)) {
      assert.ok(Array.isArray(values) && values.every((v) => 'value' in v), `${key}: dynamic config values are lists of {value, constraints}`);
    }
    assert.deepEqual(config['frontend.enableUpdateWorkflowExecution'], [{ value: true }]);
    assert.deepEqual(config['system.enableActivityEagerExecution'], [{ value: true }]);
  });

  it("the worker's stop grace period outlasts its own shutdown grace", () => {
    const seconds = (d: string) => Number(/^(\d+)s$/.exec(d)?.[1] ?? NaN);
    assert.ok(seconds(services.worker!.stop_grace_period!) > seconds(env('worker').WORKER_SHUTDOWN_GRACE!));
  });

  it('starts with nothing set in the environment (no required ${VAR:?})', () => {
    assert.doesNotMatch(composeText, /\$\{[A-Za-z_][A-Za-z0-9_]*:?\?/);
    for (const name of Object.keys(services)) env(name);
  });
});
