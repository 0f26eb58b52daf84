import { isIP } from 'node:net';
import { resolve } from 'node:path';

import { InvalidArgumentError, type Command } from 'commander';
import { parseIsoDate, type CalendarDate } from '@openmyna/core';

/** Parses a whole number within bounds, for commander options. */
export function integerOption(name: string, min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number`);
    const parsed = Number(value);
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`${name} must be between ${min} and ${max}`);
    }
    return parsed;
  };
}

/** Parses `YYYY-MM-DD`, for commander options. */
export function dateOption(value: string): CalendarDate {
  try {
    return parseIsoDate(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** Parses a person id (`P0000003`) to its index, for commander options. */
export function personOption(value: string): number {
  const match = /^P(\d{7})$/.exec(value);
  if (!match) throw new InvalidArgumentError('a person id looks like P0000003');
  return Number(match[1]);
}

/** Collects `--trusted-proxy <address>` (repeatable): IP addresses only, for commander options. */
export function proxyOption(value: string, previous: readonly string[] = []): string[] {
  if (isIP(value) === 0) throw new InvalidArgumentError(`--trusted-proxy takes an IP address, not ${value}`);
  return [...previous, value];
}

/** The trusted proxies of a service: the flags, else OPENMYNA_TRUSTED_PROXIES (comma-separated addresses). */
export function trustedProxies(flags: readonly string[] | undefined, environment: NodeJS.ProcessEnv): string[] {
  if (flags?.length) return [...flags];
  const listed = (environment['OPENMYNA_TRUSTED_PROXIES'] ?? '').split(',').map((entry) => entry.trim());
  return listed.filter((entry) => entry !== '').reduce<string[]>((all, entry) => proxyOption(entry, all), []);
}

/** The flags every `… serve` command takes ({@link serviceOptions}). */
export interface ServiceFlags {
  readonly data: string;
  readonly db?: string;
  readonly host: string;
  readonly port: number;
  readonly trustedProxy?: string[];
  readonly publicUrl?: string;
  readonly redis?: string;
}

/** Adds the options every service's `serve` takes: data directory, database, address, proxies. */
export function serviceOptions(command: Command, database: string, port: number): Command {
  return command
    .option('--data <dir>', 'data directory with the CAs', './.openmyna')
    .option('--db <url>', `postgres://… or a SQLite file (default: <data>/${database})`)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port', integerOption('--port', 0, 65535), port)
    .option(
      '--trusted-proxy <address>',
      'a reverse proxy in front (repeatable): its X-Forwarded-For names the client',
      proxyOption,
    )
    .option(
      '--public-url <url>',
      'the URL clients reach this service by (behind a load balancer or on a LAN); written into every URL the service hands out',
      urlOption('--public-url'),
    )
    .option(
      '--redis <url>',
      'redis://… shared by every instance behind a load balancer (with --db postgres://…); default: none, one instance',
      redisOption,
    );
}

/** An http(s) URL without query or fragment (a trailing slash dropped), for commander options. */
export function urlOption(name: string): (value: string) => string {
  return (value) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new InvalidArgumentError(`${name} must be an http(s) URL`);
    }
    if (!/^https?:$/.test(url.protocol) || url.search || url.hash || url.username || url.password)
      throw new InvalidArgumentError(`${name} must be an http(s) URL without credentials, query or fragment`);
    return url.href.replace(/\/$/, '');
  };
}

/** A `redis://` or `rediss://` URL, for commander options. */
export function redisOption(value: string): string {
  if (!/^rediss?:\/\/[^\s]+$/.test(value))
    throw new InvalidArgumentError('--redis must be a redis:// or rediss:// URL');
  return value;
}

/** What {@link serviceOptions}' flags mean to `startIssuer` / `startVerifier`, logging to standard output. */
export function serviceStartOptions(cwd: string, flags: ServiceFlags) {
  return {
    dataDir: resolve(cwd, flags.data),
    ...(flags.db ? { db: flags.db } : {}),
    host: flags.host,
    port: flags.port,
    logTo: 'stdout' as const,
    trustedProxies: trustedProxies(flags.trustedProxy, process.env),
    ...(flags.publicUrl ? { publicUrl: flags.publicUrl } : {}),
    ...(flags.redis ? { redis: flags.redis } : {}),
  };
}
