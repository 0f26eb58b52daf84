import { Readable, Writable } from 'node:stream';

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
