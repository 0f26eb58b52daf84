import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

import {
  ageOn,
  DEFAULT_POPULATION_DATE,
  formatWareki,
  generatePopulation,
  parseIsoDate,
  renderFacePhoto,
  SEX_CODES,
  type SyntheticPerson,
} from '@openmyna/core';

import { type CliIo, maskMyNumber } from '../../io.js';
import { writePopulationFile } from '../person.js';

/** What `sandbox up` records about a data directory, in `sandbox.json`. */
export interface SandboxManifest {
  readonly format: 'openmyna-sandbox/1';
  readonly seed: string;
  readonly persons: number;
  readonly createdAt: string;
}

/** Options of {@link sandboxUp}. */
export interface SandboxOptions {
  readonly dataDir: string;
  readonly seed: string;
  readonly persons: number;
  readonly now: Date;
}

const DEMO_PERSONS_SHOWN = 5;

/** The first persons of the population, shown with their cards and used as the demo persons. */
export function demoPersons(manifest: SandboxManifest): SyntheticPerson[] {
  return [...generatePopulation({ seed: manifest.seed }, Math.min(DEMO_PERSONS_SHOWN, manifest.persons))];
}

/**
 * Creates (or reuses) the sandbox data directory with a demo population and face photos, and
 * reports what is there. Re-running with the same seed and size changes nothing.
 */
export async function sandboxUp(options: SandboxOptions, io: CliIo): Promise<SandboxManifest> {
  const dataDir = options.dataDir;
  const manifestPath = join(dataDir, 'sandbox.json');
  const existing = await readManifest(manifestPath);
  let manifest: SandboxManifest;
  if (existing && existing.seed === options.seed && existing.persons === options.persons) {
    manifest = existing;
    io.stdout.write(`Using the existing sandbox in ${displayPath(io, dataDir)}\n`);
  } else {
    manifest = await createSandbox(options, io);
    io.stdout.write(`Created a sandbox in ${displayPath(io, dataDir)}\n`);
  }
  io.stdout.write(
    [
      `  population   ${manifest.persons} synthetic persons, seed "${manifest.seed}" → population.jsonl`,
      `  face photos  photos/<id>.jpg`,
      '',
      'Demo persons (synthetic; My Numbers masked):',
      ...demoLines(manifest),
      '',
      'Generate more persons with `openmyna person generate --help`.',
      '',
    ].join('\n'),
  );
  return manifest;
}

async function createSandbox(options: SandboxOptions, io: CliIo): Promise<SandboxManifest> {
  // A different seed or size starts over: the manifest goes first, so a stopped run is redone.
  await rm(join(options.dataDir, 'sandbox.json'), { force: true });
  await rm(join(options.dataDir, 'photos'), { recursive: true, force: true });
  // The issuer's registry was seeded from the old population: it starts over too.
  for (const file of ['issuer.db', 'issuer.db-wal', 'issuer.db-shm'])
    await rm(join(options.dataDir, file), { force: true });
  await mkdir(join(options.dataDir, 'photos'), { recursive: true });
  const populationPath = join(options.dataDir, 'population.jsonl');
  await writePopulationFile(populationPath, { seed: options.seed, count: options.persons }, io);
  for (const person of generatePopulation({ seed: options.seed }, options.persons)) {
    const age = ageOn(parseIsoDate(person.birthDate), DEFAULT_POPULATION_DATE);
    await writeFile(join(options.dataDir, 'photos', `${person.id}.jpg`), renderFacePhoto({ ...person, age }));
  }
  const manifest: SandboxManifest = {
    format: 'openmyna-sandbox/1',
    seed: options.seed,
    persons: options.persons,
    createdAt: options.now.toISOString(),
  };
  // Written last: a directory with a manifest is complete.
  await writeFile(join(options.dataDir, 'sandbox.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

function demoLines(manifest: SandboxManifest): string[] {
  const lines: string[] = [];
  for (const person of demoPersons(manifest)) {
    const born = formatWareki(parseIsoDate(person.birthDate));
    lines.push(
      `  ${person.id}  ${person.name}（${person.nameKana}）  ${SEX_CODES[person.sex].ja}  ${born}生  ${person.municipality}  ${maskMyNumber(person.myNumber)}`,
    );
  }
  return lines;
}

async function readManifest(path: string): Promise<SandboxManifest | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<SandboxManifest>;
    return parsed.format === 'openmyna-sandbox/1' ? (parsed as SandboxManifest) : undefined;
  } catch {
    return undefined;
  }
}

/** A path as the user can paste it: relative to the working directory when inside it. */
export function displayPath(io: CliIo, path: string): string {
  const shown = relative(io.cwd, path);
  return shown === '' ? '.' : shown.startsWith('..') ? path : `./${shown}`;
}
