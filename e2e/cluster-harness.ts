import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';

import { freePort } from '../apps/cli/test/cli-harness.js';
import { TEST_PG_URL } from '../test-support/databases.js';
import { REPO_ROOT } from '../test-support/test-vectors.js';

const CLI = join(REPO_ROOT, 'apps/cli/dist/main.js');
/** The Redis every instance shares (its own database number, so other tests' keys are not in the way). */
export const CLUSTER_REDIS = `${process.env['OPENMYNA_TEST_REDIS'] ?? 'redis://127.0.0.1:6379'}/7`;

/**
 * The issuers' repair grace: longer than any one provisioning takes here, so the instances' periodic
 * repair never ends live work, and short enough to wait for after a kill.
 */
export const CLUSTER_REPAIR_GRACE_SECONDS = 15;

/** One `issuer serve` or `verifier serve` process behind the load balancer. */
export interface Instance {
  readonly name: string;
  readonly port: number;
  process: ChildProcess;
  /** Everything it printed (its JSON log lines included). */
  output: string;
}

/** A spawned process, its output kept, resolved once `ready` appears in it (rejected if it exits first). */
function started(args: readonly string[], ready: string, env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
  const state = { output: '' };
  const up = new Promise<void>((resolve, reject) => {
    const seen = (chunk: Buffer) => {
      state.output += chunk.toString();
      if (state.output.includes(ready)) resolve();
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.once('exit', (code, signal) =>
      reject(
        new Error(`${args.slice(0, 2).join(' ')} exited (${code ?? signal}) before it was ready:\n${state.output}`),
      ),
    );
  });
  return { child, state, up };
}

/** Runs a CLI command to its end; its output, or an error with it. */
async function ran(args: readonly string[]): Promise<string> {
  const { child, state, up } = started(args, '\u0000never');
  up.catch(() => undefined);
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  if (code !== 0) throw new Error(`openmyna ${args.join(' ')} exited ${code}:\n${state.output}`);
  return state.output;
}

/** HAProxy's configuration: two round-robin backends checked on /healthz, WebSockets tunnelled. */
function haproxyConfig(lb: { issuer: number; verifier: number }, issuers: Instance[], verifiers: Instance[]): string {
  const servers = (instances: Instance[]) =>
    instances.map((instance) => `  server ${instance.name} 127.0.0.1:${instance.port} check inter 300 fall 2 rise 2`);
  return [
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout tunnel 10m',
    // A request whose connection was refused goes to the other instance; one already sent is never resent.
    '  retries 3',
    '  option redispatch',
    '  option forwardfor',
    '  option httpchk GET /healthz',
    `frontend issuer`,
    `  bind 127.0.0.1:${lb.issuer}`,
    // A phone's remote secure area sessions live in one instance's memory (its applets' PIN state):
    // everything under /secure-area/devices/<id> goes to one instance, chosen by hashing the device id.
    '  acl secure_area_device path_beg /secure-area/devices/',
    '  use_backend issuers_by_device if secure_area_device',
    '  default_backend issuers',
    'backend issuers',
    '  balance roundrobin',
    ...servers(issuers),
    'backend issuers_by_device',
    '  balance uri path-only depth 3',
    '  hash-type consistent',
    ...servers(issuers),
    `frontend verifier`,
    `  bind 127.0.0.1:${lb.verifier}`,
    '  default_backend verifiers',
    'backend verifiers',
    '  balance roundrobin',
    ...servers(verifiers),
    '',
  ].join('\n');
}

/**
 * Two issuers and two verifiers (`openmyna … serve` processes over one PostgreSQL database each and
 * one Redis), HAProxy round-robin in front, and the web wallet and the two demo sites of `sandbox up`
 * using the balanced URLs — the whole sandbox, scaled out on localhost.
 */
export class Cluster {
  readonly issuers: Instance[] = [];
  readonly verifiers: Instance[] = [];
  #haproxy: ChildProcess | undefined;
  #sites: ChildProcess | undefined;
  urls = { issuer: '', verifier: '', wallet: '', rp: '', shop: '' };

  private constructor(
    readonly dir: string,
    readonly dataDir: string,
    readonly databases: { readonly issuer: string; readonly verifier: string },
    readonly names: readonly string[],
  ) {}

  static async start(): Promise<Cluster> {
    const dir = mkdtempSync(join(tmpdir(), 'openmyna-cluster-'));
    const suffix = `${process.pid}_${Date.now().toString(36)}`;
    const names = [`openmyna_cluster_issuer_${suffix}`, `openmyna_cluster_verifier_${suffix}`];
    await admin(names.map((name) => `CREATE DATABASE ${name}`));
    const databaseUrl = (name: string) => Object.assign(new URL(TEST_PG_URL), { pathname: `/${name}` }).href;
    const cluster = new Cluster(
      dir,
      join(dir, 'data'),
      { issuer: databaseUrl(names[0]!), verifier: databaseUrl(names[1]!) },
      names,
    );
    try {
      await cluster.#startAll();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  async #startAll(): Promise<void> {
    const lb = { issuer: await freePort(), verifier: await freePort() };
    this.urls.issuer = `http://127.0.0.1:${lb.issuer}`;
    this.urls.verifier = `http://127.0.0.1:${lb.verifier}`;
    // The data directory once, before any instance: CAs naming the balanced URL, persons, cards, tokens.
    await ran(['sandbox', 'up', ...this.#sandboxFlags(), '--no-serve']);
    for (const name of ['issuer-1', 'issuer-2']) this.issuers.push(await this.#serve('issuer', name));
    for (const name of ['verifier-1', 'verifier-2']) this.verifiers.push(await this.#serve('verifier', name));
    const config = join(this.dir, 'haproxy.cfg');
    writeFileSync(config, haproxyConfig(lb, this.issuers, this.verifiers));
    this.#haproxy = spawn('haproxy', ['-db', '-f', config], { stdio: 'ignore' });
    await Promise.all([this.urls.issuer, this.urls.verifier].map((url) => untilHealthy(url)));
    const ports = { wallet: await freePort(), rp: await freePort(), shop: await freePort() };
    const sites = started(
      [
        'sandbox',
        'up',
        ...this.#sandboxFlags(),
        '--verifier-url',
        this.urls.verifier,
        '--wallet-port',
        String(ports.wallet),
        '--rp-port',
        String(ports.rp),
        '--shop-port',
        String(ports.shop),
      ],
      'Walkthrough:',
    );
    this.#sites = sites.child;
    await sites.up;
    this.urls.wallet = `http://127.0.0.1:${ports.wallet}`;
    this.urls.rp = `http://127.0.0.1:${ports.rp}`;
    this.urls.shop = `http://127.0.0.1:${ports.shop}`;
  }

  #sandboxFlags(): string[] {
    return [
      '--data',
      this.dataDir,
      '--persons',
      '5',
      '--issuer-db',
      this.databases.issuer,
      '--verifier-db',
      this.databases.verifier,
      '--issuer-url',
      this.urls.issuer,
    ];
  }

  async #serve(service: 'issuer' | 'verifier', name: string, port?: number): Promise<Instance> {
    const chosen = port ?? (await freePort());
    const { child, state, up } = started(
      [
        service,
        'serve',
        '--data',
        this.dataDir,
        '--db',
        this.databases[service],
        '--redis',
        CLUSTER_REDIS,
        '--public-url',
        service === 'issuer' ? this.urls.issuer : this.urls.verifier,
        '--port',
        String(chosen),
        '--trusted-proxy',
        '127.0.0.1',
      ],
      `openmyna ${service} on`,
      // A revocation counts at once: the verifiers ask OCSP every time instead of reusing an answer.
      // What a killed issuer left half done is repaired within seconds, not the default ten minutes.
      {
        OPENMYNA_VERIFIER_OCSP_CACHE_SECONDS: '0',
        OPENMYNA_ISSUER_REPAIR_GRACE_SECONDS: String(CLUSTER_REPAIR_GRACE_SECONDS),
      },
    );
    await up;
    return Object.assign(state, { name, port: chosen, process: child });
  }

  /** SIGKILL: the instance dies wherever it is, as in a power cut. */
  kill(instance: Instance): Promise<void> {
    const exited = new Promise<void>((done) => instance.process.once('exit', () => done()));
    instance.process.kill('SIGKILL');
    return exited;
  }

  /**
   * Starts a killed instance again on its port. What it left half done is repaired once older than the
   * grace, by whichever instance repairs first.
   */
  async restart(instance: Instance): Promise<void> {
    const service = instance.name.startsWith('issuer') ? 'issuer' : 'verifier';
    const fresh = await this.#serve(service, instance.name, instance.port);
    instance.process = fresh.process;
    instance.output = fresh.output;
  }

  /** The issuer's admin token (every instance reads the same one from the data directory). */
  issuerAdminToken(): string {
    return (JSON.parse(readFileSync(join(this.dataDir, 'issuer', 'admin-token.json'), 'utf8')) as { token: string })
      .token;
  }

  /** A query on one of the cluster's databases. */
  async query<T>(database: 'issuer' | 'verifier', sql: string, values: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({ connectionString: this.databases[database] });
    await client.connect();
    try {
      return (await client.query(sql, values)).rows as T[];
    } finally {
      await client.end();
    }
  }

  async stop(): Promise<void> {
    const all = [this.#sites, this.#haproxy, ...[...this.issuers, ...this.verifiers].map((i) => i.process)];
    await Promise.all(
      all
        .filter((child): child is ChildProcess => child !== undefined && child.exitCode === null && !child.killed)
        .map((child) => {
          const exited = new Promise<void>((done) => child.once('exit', () => done()));
          child.kill('SIGTERM');
          return exited;
        }),
    );
    await admin(this.names.map((name) => `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  }
}

async function admin(statements: readonly string[]): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Waits until the balanced URL answers /healthz (HAProxy has seen an instance up). */
async function untilHealthy(url: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const ok = await fetch(`${url}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((wait) => setTimeout(wait, 200));
  }
  throw new Error(`${url}/healthz never answered through HAProxy`);
}
