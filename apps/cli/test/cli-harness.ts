import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';

import { REPO_ROOT } from '../../../test-support/test-vectors.js';
import { type CliIo, runCli } from '../src/program.js';

/** What one in-process run of the CLI printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A writable that keeps what it receives. */
export function memoryWritable(): Writable & { text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  return Object.assign(stream, { text: () => Buffer.concat(chunks).toString('utf8') });
}

/** Runs `openmyna ...argv` in-process. */
export async function run(
  argv: string[],
  options: { stdin?: string; cwd?: string; interactive?: boolean } = {},
): Promise<CliRun> {
  const stdout = memoryWritable();
  const stderr = memoryWritable();
  const io: CliIo = {
    stdout,
    stderr,
    stdin: Readable.from([Buffer.from(options.stdin ?? '')]),
    cwd: options.cwd ?? process.cwd(),
    interactive: options.interactive ?? false,
  };
  const code = await runCli(argv, io);
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/**
 * Starts `openmyna <service> serve --data data --port <port>` (default a free one) as the built binary
 * in `cwd` (with `options`) and resolves with its URL once it announces it, and the child to stop.
 */
export async function spawnService(
  cwd: string,
  service: 'issuer' | 'verifier',
  port = 0,
  /** More options of `serve`, e.g. `['--public-url', …]`. */
  options: readonly string[] = [],
): Promise<{ url: string; child: ChildProcessWithoutNullStreams }> {
  const child = spawn(
    process.execPath,
    [
      resolve(REPO_ROOT, 'apps/cli/dist/main.js'),
      service,
      'serve',
      '--data',
      'data',
      '--port',
      String(port),
      ...options,
    ],
    { cwd },
  );
  const url = await new Promise<string>((resolveUrl, reject) => {
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = new RegExp(`openmyna ${service} on (http://\\S+)`).exec(stderr);
      if (match) resolveUrl(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`${service} exited ${code}: ${stderr}`)));
  }).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  return { url, child };
}

/** Stops a spawned service with SIGTERM and resolves with its exit code. */
export async function stopService(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  const stopped = new Promise<number | null>((done) => child.once('exit', done));
  child.kill('SIGTERM');
  return stopped;
}

/** A port nothing listens on right now (bound, then released), for a service whose URL is baked into credentials. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}
