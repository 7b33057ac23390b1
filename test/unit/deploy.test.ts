/**
 * The deployment files, checked without Docker or Kubernetes: deploy/docker-compose.yml and
 * deploy/kubernetes.yaml parse as YAML and have the structure that makes instances share state and
 * shut down cleanly; deploy/Dockerfile (read by a small parser below) uses known instructions, a
 * health check on the liveness route and the real entry point. Every environment variable the
 * files give Plexus must be a declared setting (src/config/, the bundled applications) whose value
 * parses, and every probe path must be a route of the reference server.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { bundledApps } from '../../src/apps/index.js';
import { SECTIONS } from '../../src/config/index.js';
import type { OptionSpec } from '../../src/config/option.js';
import { serverOptions } from '../../src/config/server.js';
import { createPlexus, type Plexus } from '../../src/index.js';
import { createServer, type PlexusServer } from '../../src/server/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(`${ROOT}${path}`, 'utf8');

/** Variables the files may set that are Node's, not Plexus's. */
const NODE_VARIABLES = new Set(['NODE_OPTIONS']);

/** Every Plexus setting by its own variable (aliases are for old .env files, not new ones). */
const OPTIONS = new Map<string, OptionSpec<unknown>>(
  [...Object.values(SECTIONS), ...bundledApps.map((app) => app.options ?? {})]
    .flatMap((section) => Object.values(section) as OptionSpec<unknown>[])
    .filter((option) => option.env !== undefined)
    .map((option) => [option.env!, option]),
);

/** Fails naming the variable when it is not a setting, or when its (literal) value does not parse. */
function expectSettings(env: Record<string, unknown>, where: string): void {
  for (const [name, value] of Object.entries(env)) {
    if (NODE_VARIABLES.has(name)) continue;
    const option = OPTIONS.get(name);
    expect(option, `${where}: ${name} is not a Plexus setting (docs/configuration.md)`).toBeDefined();
    const raw = String(value);
    if (raw.includes('${')) continue; // Filled in by docker compose from deploy/.env.
    expect(() => option!.parse(raw, name), `${where}: ${name}=${raw}`).not.toThrow();
  }
}

function durationMs(raw: unknown): number {
  // PLEXUS_SHUTDOWN_TIMEOUT_MS's unit is the millisecond.
  return serverOptions.shutdownTimeoutMs.parse(String(raw), 'PLEXUS_SHUTDOWN_TIMEOUT_MS') as number;
}

/** Compose durations: `20s`, `1m30s`, `500ms`. */
function composeDurationMs(text: string): number {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001 };
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|us|h|m|s)/g)) {
    total += Number(amount) * units[unit!]!;
  }
  return total;
}

// The reference server's routes, as `plexus start` builds it (nothing is connected).
let plexus: Plexus;
let server: PlexusServer;
beforeAll(async () => {
  plexus = createPlexus({ env: { DATABASE_URL: 'sqlite::memory:' }, apps: bundledApps });
  server = createServer(plexus);
  await server.app.ready();
});
afterAll(async () => {
  await server.app.close();
  await plexus.close();
});

function expectRoute(path: string, where: string): void {
  expect(server.app.hasRoute({ method: 'GET', url: path }), `${where}: GET ${path} is not a route`).toBe(
    true,
  );
}

// ---- Dockerfile ---------------------------------------------------------------------------

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

const DOCKERFILE_KEYWORDS = new Set([
  'FROM',
  'RUN',
  'CMD',
  'LABEL',
  'EXPOSE',
  'ENV',
  'ADD',
  'COPY',
  'ENTRYPOINT',
  'VOLUME',
  'USER',
  'WORKDIR',
  'ARG',
  'ONBUILD',
  'STOPSIGNAL',
  'HEALTHCHECK',
  'SHELL',
]);

/** Instructions with their continuation lines joined; comments and blank lines dropped. */
function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trimEnd();
    if (pending === undefined && (line.trim() === '' || line.trimStart().startsWith('#'))) return;
    if (pending !== undefined && line.trimStart().startsWith('#')) return; // Comment inside a continuation.
    const continued = line.endsWith('\\');
    const body = continued ? line.slice(0, -1) : line;
    pending =
      pending === undefined
        ? { text: body, line: index + 1 }
        : { ...pending, text: `${pending.text} ${body.trim()}` };
    if (continued) return;
    const match = /^\s*([A-Za-z]+)\s*(.*)$/.exec(pending.text);
    if (match === null) throw new Error(`Dockerfile line ${pending.line}: cannot read "${pending.text}"`);
    instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim(), line: pending.line });
    pending = undefined;
  });
  if (pending !== undefined) throw new Error('Dockerfile ends with a line continuation');
  return instructions;
}

/** `A=b C="d e"` (the key=value form of ENV) as an object. */
function parseEnv(args: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [, name, quoted, bare] of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(?:"([^"]*)"|(\S*))/g)) {
    env[name!] = quoted ?? bare ?? '';
  }
  return env;
}

describe('deploy/Dockerfile', () => {
  const instructions = parseDockerfile(read('deploy/Dockerfile'));
  const stages: Instruction[][] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') stages.push([]);
    if (stages.length > 0) stages.at(-1)!.push(instruction);
  }
  const runtime = stages.at(-1)!;
  const only = (keyword: string, within = instructions) => {
    const found = within.filter((i) => i.keyword === keyword);
    expect(found, `exactly one ${keyword}`).toHaveLength(1);
    return found[0]!;
  };

  it('uses only known instructions, in the key=value forms', () => {
    for (const { keyword, line } of instructions) {
      expect(DOCKERFILE_KEYWORDS.has(keyword), `line ${line}: unknown instruction ${keyword}`).toBe(true);
    }
    expect(['FROM', 'ARG']).toContain(instructions[0]!.keyword);
    for (const env of instructions.filter((i) => i.keyword === 'ENV')) expect(env.args).toMatch(/^\w+=/);
  });

  it('builds in one stage and runs the pruned result in another', () => {
    const names = instructions
      .filter((i) => i.keyword === 'FROM')
      .map((i) => /\bAS\s+(\S+)/i.exec(i.args)?.[1]);
    expect(names).toEqual(['build', 'runtime']);
    const build = stages[0]!
      .filter((i) => i.keyword === 'RUN')
      .map((i) => i.args)
      .join('\n');
    expect(build).toMatch(/npm ci\b/);
    expect(build).toMatch(/npm run build\b/);
    expect(build).toMatch(/npm prune --omit=dev\b/);
    for (const copy of runtime.filter((i) => i.keyword === 'COPY')) {
      expect(copy.args, `line ${copy.line}: the runtime copies from the build stage`).toMatch(
        /^--from=build\s/,
      );
    }
    expect(runtime.some((i) => i.keyword === 'RUN' && /npm (ci|install)\b/.test(i.args))).toBe(false);
  });

  it('copies from the build context only files that exist and that .dockerignore lets through', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    for (const name of ['.env', '.git', 'node_modules', 'dist', 'data']) expect(ignored).toContain(name);
    for (const copy of stages[0]!.filter((i) => i.keyword === 'COPY')) {
      const sources = copy.args
        .split(/\s+/)
        .filter((a) => !a.startsWith('--'))
        .slice(0, -1);
      for (const source of sources) {
        expect(existsSync(`${ROOT}${source}`), `line ${copy.line}: ${source} does not exist`).toBe(true);
        expect(ignored, `line ${copy.line}: ${source} is excluded by .dockerignore`).not.toContain(source);
      }
    }
  });

  it('runs as a non-root user, stops with SIGTERM and starts bin/plexus.js', () => {
    expect(only('USER', runtime).args).not.toMatch(/^(root|0)(:|$)/);
    expect(only('STOPSIGNAL', runtime).args).toBe('SIGTERM');
    const cmd = JSON.parse(only('CMD', runtime).args) as string[];
    expect(cmd).toEqual(['node', 'bin/plexus.js', 'start']);
    expect(existsSync(`${ROOT}${cmd[1]}`)).toBe(true);
    expect(runtime.some((i) => i.keyword === 'ENTRYPOINT')).toBe(false);
  });

  it('checks health on the liveness route, in exec form', () => {
    const healthcheck = only('HEALTHCHECK', runtime).args;
    const [, options, command] = /^(.*?)\bCMD\s+(.*)$/.exec(healthcheck) ?? [];
    expect(options).toMatch(/--interval=\d+s/);
    const argv = JSON.parse(command!) as string[];
    expect(argv[0]).toBe('node');
    const path = /\/[a-z0-9/]+(?=')/.exec(argv.join(' '))?.[0];
    expect(path).toBe('/healthz');
    expectRoute(path!, 'HEALTHCHECK');
  });

  it('sets only Plexus settings (and NODE_OPTIONS), with valid values, and exposes PORT', () => {
    const env = Object.assign({}, ...runtime.filter((i) => i.keyword === 'ENV').map((i) => parseEnv(i.args)));
    expect(env).toMatchObject({ NODE_ENV: 'production', PORT: '3000' });
    expectSettings(env, 'Dockerfile ENV');
    expect(only('EXPOSE', runtime).args).toBe(env.PORT);
  });
});

// ---- docker compose ------------------------------------------------------------------------

describe('deploy/docker-compose.yml', () => {
  const text = read('deploy/docker-compose.yml');
  const compose = parse(text) as {
    services: Record<string, Record<string, unknown>>;
    volumes?: Record<string, unknown>;
  };
  const plexus = compose.services.plexus as {
    build: { context: string; dockerfile: string };
    deploy: { replicas: number };
    environment: Record<string, string>;
    depends_on: Record<string, { condition: string }>;
    stop_signal: string;
    stop_grace_period: string;
  };

  it('parses, with Plexus, Redis and PostgreSQL services', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['plexus', 'postgres', 'redis']);
    expect(existsSync(`${ROOT}deploy/${plexus.build.context}/${plexus.build.dockerfile}`)).toBe(true);
    expect(plexus.deploy.replicas).toBeGreaterThanOrEqual(2);
  });

  it('gives every replica the same Redis, PostgreSQL and secrets', () => {
    const env = plexus.environment;
    expect(env.NODE_ENV).toBe('production');
    expect(env.REDIS_URL).toBe('redis://redis:6379');
    expect(env.DATABASE_URL).toMatch(/^postgres:\/\/plexus:.*@postgres:5432\/plexus$/);
    for (const secret of ['PLEXUS_ADMIN_TOKEN', 'SESSION_SECRET', 'QR_SECRET']) {
      expect(env[secret], secret).toMatch(/^\$\{\w+:\?.+\}$/);
    }
    expectSettings(env, 'compose plexus.environment');
  });

  it('asks for every variable it interpolates, and deploy/.env.example lists each', () => {
    const used = new Set([...text.matchAll(/\$\{(\w+)(:?[?-][^}]*)?\}/g)].map((m) => m[1]!));
    const example = new Set(
      read('deploy/.env.example')
        .split('\n')
        .filter((l) => /^\w+=/.test(l))
        .map((l) => l.split('=')[0]!),
    );
    expect(used).toEqual(example);
    for (const match of text.matchAll(/\$\{(\w+)([^}]*)\}/g)) expect(match[2], match[0]).toMatch(/^:\?/);
  });

  it('starts Plexus once Redis and PostgreSQL are healthy', () => {
    expect(plexus.depends_on).toEqual({
      redis: { condition: 'service_healthy' },
      postgres: { condition: 'service_healthy' },
    });
    for (const name of ['redis', 'postgres']) {
      const healthcheck = compose.services[name]!.healthcheck as { test: string[] };
      expect(healthcheck.test[0]).toMatch(/^CMD(-SHELL)?$/);
    }
    const postgres = compose.services.postgres!.environment as Record<string, string>;
    expect(postgres.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?.+\}$/);
    expect(plexus.environment.DATABASE_URL).toContain(`:${postgres.POSTGRES_PASSWORD}@`);
  });

  it('waits for the drain before killing', () => {
    expect(plexus.stop_signal).toBe('SIGTERM');
    const shutdown = durationMs(plexus.environment.PLEXUS_SHUTDOWN_TIMEOUT_MS);
    expect(composeDurationMs(plexus.stop_grace_period)).toBeGreaterThanOrEqual(shutdown + 5000);
  });
});

// ---- Kubernetes ----------------------------------------------------------------------------

interface Probe {
  httpGet: { path: string; port: string | number };
  periodSeconds?: number;
  failureThreshold?: number;
}

interface Container {
  name: string;
  image: string;
  args?: string[];
  command?: string[];
  ports: { name: string; containerPort: number }[];
  envFrom: ({ configMapRef?: { name: string } } & { secretRef?: { name: string } })[];
  env?: { name: string; value?: string }[];
  readinessProbe: Probe;
  livenessProbe: Probe;
  startupProbe?: Probe;
  lifecycle: { preStop: { exec: { command: string[] } } };
  resources: { requests: Record<string, string>; limits: Record<string, string> };
}

interface Resource {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: Record<string, unknown>;
}

describe('deploy/kubernetes.yaml', () => {
  const documents = parseAllDocuments(read('deploy/kubernetes.yaml'));
  const resources = documents.map((d) => d.toJS() as Resource).filter((r) => r !== null);
  const byKind = (kind: string) => {
    const found = resources.filter((r) => r.kind === kind);
    expect(found, kind).toHaveLength(1);
    return found[0]!;
  };
  const configMap = byKind('ConfigMap');
  const secret = byKind('Secret');
  const deployment = byKind('Deployment') as Resource & {
    spec: {
      replicas: number;
      selector: { matchLabels: Record<string, string> };
      template: {
        metadata: { labels: Record<string, string> };
        spec: { terminationGracePeriodSeconds: number; containers: Container[] };
      };
    };
  };
  const service = byKind('Service') as Resource & {
    spec: { selector: Record<string, string>; ports: { port: number; targetPort: string | number }[] };
  };
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0]!;

  it('parses, every document without errors or warnings', () => {
    for (const document of documents) {
      expect(document.errors).toEqual([]);
      expect(document.warnings).toEqual([]);
    }
    expect(resources.map((r) => r.kind).sort()).toEqual(
      ['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Secret', 'Service'].sort(),
    );
  });

  it('runs three replicas behind a Service that selects them', () => {
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
    expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    const portNames = container.ports.map((p) => p.name);
    for (const port of service.spec.ports) expect(portNames).toContain(port.targetPort);
    expect(container.ports[0]!.containerPort).toBe(Number(configMap.data!.PORT));
  });

  it('probes readiness on /readyz and liveness on /healthz, routes of the server', () => {
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe!]) {
      expectRoute(probe.httpGet.path, 'probe');
      expect(container.ports.map((p) => p.name)).toContain(probe.httpGet.port);
    }
  });

  it('takes settings from the ConfigMap and the Secret, all of them Plexus settings', () => {
    const refs = container.envFrom.map((e) => e.configMapRef?.name ?? e.secretRef?.name);
    expect(refs).toEqual([configMap.metadata.name, secret.metadata.name]);
    expectSettings(configMap.data!, 'ConfigMap');
    expectSettings(secret.stringData!, 'Secret');
    for (const variable of container.env ?? []) expect(OPTIONS.has(variable.name), variable.name).toBe(true);
    expect(configMap.data!.NODE_ENV).toBe('production');
    for (const name of ['REDIS_URL', 'DATABASE_URL', 'PLEXUS_ADMIN_TOKEN', 'SESSION_SECRET', 'QR_SECRET']) {
      expect(Object.keys(secret.stringData!), name).toContain(name);
    }
    expect(secret.stringData!.DATABASE_URL).toMatch(/^postgres:\/\//);
    // The image's command (CMD) is kept.
    expect(container.command).toBeUndefined();
    expect(container.args).toBeUndefined();
  });

  it('leaves the endpoints before draining, and waits for the drain before killing', () => {
    const [sleep, seconds] = container.lifecycle.preStop.exec.command;
    expect(sleep).toBe('sleep');
    const preStopMs = Number(seconds) * 1000;
    expect(preStopMs).toBeGreaterThanOrEqual(
      container.readinessProbe.periodSeconds! * 1000, // at least one readiness period
    );
    const shutdownMs = durationMs(configMap.data!.PLEXUS_SHUTDOWN_TIMEOUT_MS ?? '10s');
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(preStopMs + shutdownMs + 5000);
  });

  it('declares resources', () => {
    expect(container.resources.requests).toHaveProperty('cpu');
    expect(container.resources.requests).toHaveProperty('memory');
    expect(container.resources.limits).toHaveProperty('memory');
  });
});

// ---- PM2 -----------------------------------------------------------------------------------

describe('ecosystem.config.cjs', () => {
  it('waits for ready, and longer than the drain before killing', () => {
    const ecosystem = createRequire(import.meta.url)('../../ecosystem.config.cjs') as {
      apps: Record<string, unknown>[];
    };
    const [app] = ecosystem.apps;
    expect(app).toMatchObject({
      script: 'bin/plexus.js',
      args: 'start',
      exec_mode: 'cluster',
      wait_ready: true,
    });
    expect(existsSync(`${ROOT}${app!.script as string}`)).toBe(true);
    const shutdownMs = serverOptions.shutdownTimeoutMs.default as number;
    expect(app!.kill_timeout as number).toBeGreaterThanOrEqual(shutdownMs + 5000);
    expect(app!.stop_exit_codes).toEqual([78]);
    for (const env of [app!.env, app!.env_production] as Record<string, unknown>[])
      expectSettings(env, 'PM2 env');
  });
});
