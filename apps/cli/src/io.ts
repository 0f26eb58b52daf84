import type { Readable, Writable } from 'node:stream';

/** The streams and environment a command runs with; tests pass their own. */
export interface CliIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stdin: Readable;
  readonly cwd: string;
  /** Whether stderr is a terminal (progress bars are drawn only there). */
  readonly interactive: boolean;
}

/** Exit codes of the `openmyna` command. */
export const EXIT = {
  ok: 0,
  /** The input was checked and found wrong (an invalid My Number, a failed verification). */
  invalid: 1,
  /** The command line itself was wrong. */
  usage: 2,
  /** Something failed while running (I/O, a broken pipe that was not the reader's choice). */
  failure: 3,
  /** Verified, except that revocation status could not be established (status list or OCSP unreachable). */
  statusUnknown: 4,
} as const;

/** The exit code of a verification's outcome: valid, invalid, or valid but revocation unknown. */
export function verificationExitCode(status: 'valid' | 'invalid' | 'status-unknown'): number {
  switch (status) {
    case 'valid':
      return EXIT.ok;
    case 'status-unknown':
      return EXIT.statusUnknown;
    case 'invalid':
      return EXIT.invalid;
  }
}

/** Writes `text`, waiting for the stream to drain when its buffer is full. */
export async function writeText(stream: Writable, text: string): Promise<void> {
  if (stream.write(text)) return;
  await new Promise<void>((resolve, reject) => {
    const cleanup = () => {
      stream.off('drain', onDrain);
      stream.off('error', onError);
      stream.off('close', onDrain);
    };
    const onDrain = () => {
      cleanup();
      resolve();
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    stream.once('drain', onDrain);
    stream.once('close', onDrain);
    stream.once('error', onError);
  });
}

/** Reads all of a stream as UTF-8. */
export async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Shows a My Number as the last four digits only, for anything a person may paste into a log. */
export function maskMyNumber(myNumber: string): string {
  return `********${myNumber.slice(-4)}`;
}

/** How a command reports its exit code to the caller of `runCli`. */
export type SetExitCode = (code: number) => void;

/** Reports a failed command on stderr (`openmyna: …`) and sets its exit code; returns nothing to return. */
export function fail(io: CliIo, setExitCode: SetExitCode, message: string, code: number = EXIT.failure): undefined {
  io.stderr.write(`openmyna: ${message}\n`);
  setExitCode(code);
  return undefined;
}
