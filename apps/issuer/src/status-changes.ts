import pg from 'pg';

import { STATUS_CHANNEL } from './storage/migrations.js';
import type { HierarchyName } from './storage/schema.js';

/**
 * A change of status that makes cached answers stale: one certificate's (its OCSP answer and its
 * partition's CRL), any phone's or mdoc batch's (the mdoc status list), or `reset` — changes may have
 * been missed, so every cache is dropped.
 */
export type StatusChange =
  | {
      readonly kind: 'certificate';
      readonly hierarchy: HierarchyName;
      readonly serial: string;
      readonly municipalityCode: string;
    }
  | { readonly kind: 'mdoc' }
  | { readonly kind: 'reset' };

/**
 * Where the caches of one instance learn of status changes made by any instance. While `listening` is
 * false a change could go unseen, so the caches answer from the database every time.
 */
export interface StatusChangeFeed {
  readonly listening: boolean;
  /** Calls `handler` with each change; returns the unsubscribe function. */
  subscribe(handler: (change: StatusChange) => void): () => void;
}

/** Options of {@link PostgresStatusListener}. */
export interface PostgresStatusListenerOptions {
  /** The issuer's `postgres://…` URL (its `options=-c search_path=…`, if any, names the schema). */
  readonly url: string;
  /** PostgreSQL: the schema the issuer's tables are in, when not the URL's. */
  readonly schema?: string;
  /** Told each time the listening connection is lost or cannot be made (then retried). */
  readonly onError?: (error: unknown) => void;
  /** Delay before reconnecting, doubled up to 5 s while it keeps failing. Default 100 ms. */
  readonly retryMilliseconds?: number;
  /**
   * How often the connection is checked with a query, and how long its answer may take (a network
   * that silently stops carrying it shows too). Default 5 s.
   */
  readonly heartbeatMilliseconds?: number;
}

const MAX_RETRY_MS = 5_000;

/**
 * Listens on PostgreSQL for the status changes the issuer's triggers announce (`pg_notify` in the
 * transaction that changes the status, migration 0008), on a dedicated connection. On connecting, and
 * whenever the connection is lost, it tells its subscribers `reset` (what happened in between is
 * unknown) and reconnects until {@link close}; `listening` is true only while LISTEN holds.
 *
 * @example
 * ```ts
 * const changes = new PostgresStatusListener({ url: 'postgres://…' });
 * await changes.start();
 * createIssuerApp({ ...options, statusChanges: changes });
 * ```
 */
export class PostgresStatusListener implements StatusChangeFeed {
  readonly #options: PostgresStatusListenerOptions;
  readonly #handlers = new Set<(change: StatusChange) => void>();
  #client: pg.Client | undefined;
  #schema: string | undefined;
  #listening = false;
  #closed = false;
  #retryMs: number;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;

  constructor(options: PostgresStatusListenerOptions) {
    this.#options = options;
    this.#retryMs = options.retryMilliseconds ?? 100;
  }

  get #heartbeatMs(): number {
    return this.#options.heartbeatMilliseconds ?? 5_000;
  }

  get listening(): boolean {
    return this.#listening;
  }

  /** The PostgreSQL backend process of the listening connection, while there is one. */
  get backendPid(): number | undefined {
    return this.#listening ? (this.#client as { processID?: number } | undefined)?.processID : undefined;
  }

  subscribe(handler: (change: StatusChange) => void): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  /** Connects and listens; a failure is reported to `onError` and retried in the background. */
  async start(): Promise<void> {
    await this.#connect();
    this.#heartbeat = setInterval(() => void this.#check(), this.#heartbeatMs);
    this.#heartbeat.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    clearInterval(this.#heartbeat);
    const client = this.#client;
    this.#drop();
    await client?.end().catch(() => undefined);
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const { url, schema } = this.#options;
    const client = new pg.Client({
      connectionString: url,
      application_name: 'openmyna-issuer-status-listener',
      // A connection or LISTEN that hangs is a failure too: retried like any other.
      connectionTimeoutMillis: this.#heartbeatMs,
      query_timeout: this.#heartbeatMs,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    this.#client = client;
    client.on('error', (error) => this.#lost(client, error));
    client.on('end', () => this.#lost(client, new Error('the listening connection ended')));
    client.on('notification', (message) => {
      if (this.#client === client && message.channel === STATUS_CHANNEL) this.#receive(message.payload);
    });
    try {
      await client.connect();
      const found = await client.query<{ schema: string }>('select current_schema() as schema');
      this.#schema = found.rows[0]?.schema;
      await client.query(`listen ${STATUS_CHANNEL}`);
    } catch (error) {
      this.#lost(client, error);
      return;
    }
    // Closed (or lost) while connecting: this connection is not the listener.
    if (this.#client !== client) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#listening = true;
    this.#retryMs = this.#options.retryMilliseconds ?? 100;
    // Changes made before LISTEN held were not announced to this connection.
    this.#emit({ kind: 'reset' });
  }

  /** A query on the listening connection: one that fails or hangs means notifications may be lost. */
  async #check(): Promise<void> {
    const client = this.#client;
    if (!client || !this.#listening) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the listening connection does not answer')), this.#heartbeatMs);
      timer.unref();
    });
    try {
      await Promise.race([client.query('select 1'), timeout]);
    } catch (error) {
      this.#lost(client, error);
    } finally {
      clearTimeout(timer);
    }
  }

  #lost(client: pg.Client, error: unknown): void {
    if (this.#client !== client) return;
    this.#drop();
    void client.end().catch(() => undefined);
    if (this.#closed) return;
    this.#options.onError?.(error);
    this.#retry = setTimeout(() => void this.#connect(), this.#retryMs);
    this.#retry.unref();
    this.#retryMs = Math.min(this.#retryMs * 2, MAX_RETRY_MS);
  }

  /** Not listening any more: every cache drops what it holds and stops caching. */
  #drop(): void {
    this.#client = undefined;
    this.#listening = false;
    this.#emit({ kind: 'reset' });
  }

  #receive(payload: string | undefined): void {
    const change = parseChange(payload, this.#schema);
    if (!change) return;
    try {
      this.#emit(change);
    } catch {
      // A handler that fails on one change must not end the process (this runs in pg's event): what
      // it may have left cached is dropped instead.
      this.#emit({ kind: 'reset' });
    }
  }

  #emit(change: StatusChange): void {
    for (const handler of this.#handlers) handler(change);
  }
}

/** A notification's change, if it is about this schema; one that cannot be read drops everything. */
function parseChange(payload: string | undefined, schema: string | undefined): StatusChange | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload ?? '');
  } catch {
    return { kind: 'reset' };
  }
  // Anyone who may connect may NOTIFY: `null`, `7` or `[]` are read, not trusted to be objects.
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { kind: 'reset' };
  const body = parsed as Record<string, unknown>;
  if (body['schema'] !== schema) return undefined;
  if (body['kind'] === 'mdoc') return { kind: 'mdoc' };
  const { hierarchy, serial, municipality } = body;
  if (
    body['kind'] === 'certificate' &&
    (hierarchy === 'signing' || hierarchy === 'authentication') &&
    typeof serial === 'string' &&
    typeof municipality === 'string'
  )
    return { kind: 'certificate', hierarchy, serial, municipalityCode: municipality };
  return { kind: 'reset' };
}
