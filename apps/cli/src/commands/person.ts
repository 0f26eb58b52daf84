import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';

import {
  ageOn,
  base64Encode,
  DEFAULT_POPULATION_DATE,
  formatIsoDate,
  generatePopulation,
  parseIsoDate,
  renderFacePhoto,
  type CalendarDate,
  type SyntheticPerson,
} from '@openmyna/core';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';

import { type CliIo, writeText } from '../io.js';
import { dateOption, integerOption } from '../options.js';

/** A generated person as one JSON Lines record; `photo` (base64 JPEG) only when asked for. */
export type PersonRecord = SyntheticPerson & { photo?: string };

/** Options of {@link writePopulation}. */
export interface WritePopulationOptions {
  readonly seed: string;
  readonly count: number;
  readonly start?: number;
  readonly asOf?: CalendarDate;
  readonly photos?: boolean;
  /** Called after each batch with the number of persons written so far. */
  readonly onProgress?: (written: number) => void;
}

const BATCH_BYTES = 64 * 1024;

/** Streams a population as JSON Lines to `out`, in batches, honouring back-pressure. */
export async function writePopulation(out: Writable, options: WritePopulationOptions): Promise<number> {
  const asOf = options.asOf ?? DEFAULT_POPULATION_DATE;
  let batch = '';
  let written = 0;
  for (const person of generatePopulation({ seed: options.seed, asOf }, options.count, options.start ?? 0)) {
    batch += JSON.stringify(options.photos ? withPhoto(person, asOf) : person) + '\n';
    written++;
    if (batch.length >= BATCH_BYTES) {
      await writeText(out, batch);
      batch = '';
      options.onProgress?.(written);
    }
  }
  if (batch) await writeText(out, batch);
  options.onProgress?.(written);
  return written;
}

/** The person with their face photo as base64 JPEG. */
export function withPhoto(person: SyntheticPerson, asOf: CalendarDate): PersonRecord {
  const age = ageOn(parseIsoDate(person.birthDate), asOf);
  const photo = renderFacePhoto({ faceSeed: person.faceSeed, sex: person.sex, age });
  return { ...person, photo: base64Encode(photo) };
}

interface GenerateFlags {
  seed: string;
  count: number;
  start: number;
  asOf?: CalendarDate;
  photos?: boolean;
  out?: string;
}

/** `openmyna person generate` */
export function registerPersonCommands(program: Command, io: CliIo): void {
  const person = program.command('person').description('synthetic residents (never real persons)');
  person
    .command('generate')
    .description('write a seeded synthetic population as JSON Lines')
    .requiredOption('--seed <seed>', 'any string; the same seed always gives the same persons')
    .requiredOption('--count <n>', 'how many persons', integerOption('--count', 0, 10_000_000_000))
    .option('--start <index>', 'index of the first person', integerOption('--start', 0, 9_999_999_999), 0)
    .option(
      '--as-of <date>',
      `reference day YYYY-MM-DD (default ${formatIsoDate(DEFAULT_POPULATION_DATE)})`,
      dateOption,
    )
    .option('--photos', 'include each face photo as base64 JPEG in "photo" (about 3.5 KB a person)')
    .option('--out <file>', 'write to FILE instead of standard output (with a progress bar on a terminal)')
    .addHelpText(
      'after',
      '\nExamples:\n  openmyna person generate --seed demo --count 10\n  openmyna person generate --seed demo --count 1000000 --out persons.jsonl',
    )
    .action(async (flags: GenerateFlags) => {
      const options = {
        seed: flags.seed,
        count: flags.count,
        start: flags.start,
        ...(flags.asOf ? { asOf: flags.asOf } : {}),
        ...(flags.photos ? { photos: true } : {}),
      };
      if (flags.out === undefined) {
        await writePopulation(io.stdout, options);
        return;
      }
      const path = resolve(io.cwd, flags.out);
      await writePopulationFile(path, options, io);
      io.stderr.write(`wrote ${options.count} persons to ${path}\n`);
    });
}

/**
 * Writes a population to `path` through a temporary file that is synced and renamed into place, so
 * a stopped run never leaves a partial file under the real name. A progress bar is drawn on
 * `io.stderr` when it is a terminal.
 */
export async function writePopulationFile(
  path: string,
  options: WritePopulationOptions,
  io: Pick<CliIo, 'stderr' | 'interactive'>,
): Promise<void> {
  const temporary = `${path}.partial`;
  // `flush` fsyncs the file before it is closed, so the rename never exposes unwritten data.
  const stream = createWriteStream(temporary, { flush: true });
  const bar = io.interactive
    ? new SingleBar({
        stream: io.stderr,
        format: 'persons |{bar}| {percentage}% {value}/{total} · {eta_formatted} left',
        hideCursor: true,
        // We decide ourselves whether this is a terminal (io.interactive).
        noTTYOutput: true,
      })
    : undefined;
  bar?.start(options.count, 0);
  try {
    await writePopulation(stream, { ...options, onProgress: (written) => bar?.update(written) });
    stream.end();
    await finished(stream);
    await rename(temporary, path);
  } catch (error) {
    stream.destroy();
    await rm(temporary, { force: true });
    throw error;
  } finally {
    bar?.stop();
  }
}
