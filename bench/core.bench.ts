import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { fakerJA } from '@faker-js/faker';
import {
  ageOn,
  decodeTlv,
  decodeTlvChildren,
  DEFAULT_POPULATION_DATE,
  FACE_PHOTO_HEIGHT,
  FACE_PHOTO_WIDTH,
  generatePerson,
  generatePopulation,
  parseIsoDate,
  renderFacePhoto,
  SeededRandom,
  generateMyNumber,
  validateMyNumber,
} from '@openmyna/core';
import { hexToBytes } from '@noble/hashes/utils.js';
import * as asn1js from 'asn1js';
import jpeg from 'jpeg-js';

import { readVectorText } from '../test-support/test-vectors.js';
import { compare, formatRate } from './harness.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Population generation on one core, against @faker-js/faker's Japanese locale doing comparable work. */
export async function benchPopulation(): Promise<void> {
  const BATCH = 200;
  let next = 0;
  const population = generatePopulation({ seed: 'bench' }, Number.MAX_SAFE_INTEGER >= 1e10 ? 1e10 : 1e9);
  fakerJA.seed(1);
  await compare(
    'Population generation (one core)',
    {
      name: '@faker-js/faker ja: name, address, birth date, sex',
      batch: BATCH,
      unit: 'person',
      run: () => {
        for (let i = 0; i < BATCH; i++) {
          const sex = fakerJA.person.sexType();
          JSON.stringify({
            name: `${fakerJA.person.lastName()}　${fakerJA.person.firstName(sex)}`,
            address: `${fakerJA.location.state()}${fakerJA.location.city()}${fakerJA.location.streetAddress()}`,
            birthDate: fakerJA.date.birthdate(),
            sex,
          });
        }
      },
    },
    [
      {
        name: 'openmyna generatePopulation + JSON',
        batch: BATCH,
        unit: 'person',
        run: () => {
          for (let i = 0; i < BATCH; i++) JSON.stringify(population.next().value);
        },
      },
    ],
  );
  const blank = new Uint8Array(FACE_PHOTO_WIDTH * FACE_PHOTO_HEIGHT * 4).fill(200);
  await compare(
    `Face photo (${FACE_PHOTO_WIDTH}×${FACE_PHOTO_HEIGHT} JPEG)`,
    {
      name: 'jpeg-js encode of a blank image',
      unit: 'photo',
      run: () => jpeg.encode({ data: blank, width: FACE_PHOTO_WIDTH, height: FACE_PHOTO_HEIGHT }, 80),
    },
    [
      {
        name: 'openmyna person + renderFacePhoto',
        unit: 'photo',
        run: () => {
          const person = generatePerson({ seed: 'bench-photo' }, next++);
          const age = ageOn(parseIsoDate(person.birthDate), DEFAULT_POPULATION_DATE);
          renderFacePhoto({ faceSeed: person.faceSeed, sex: person.sex, age });
        },
      },
    ],
  );
}

/** Peak memory of `openmyna person generate` for 1,000 to 1,000,000 persons, each in its own process. */
export function benchPopulationMemory(): void {
  const program = resolve(ROOT, 'apps/cli/dist/program.js');
  const peak = (count: number) => {
    const script = `
      import { runCli } from ${JSON.stringify(program)};
      import { createWriteStream } from 'node:fs';
      const out = createWriteStream('/dev/null');
      const io = { stdout: out, stderr: process.stderr, stdin: process.stdin, cwd: process.cwd(), interactive: false };
      const started = performance.now();
      const code = await runCli(['person', 'generate', '--seed', 'memory', '--count', '${count}'], io);
      await new Promise((done) => out.end(done));
      const seconds = (performance.now() - started) / 1000;
      console.log(JSON.stringify({ code, maxRssKb: process.resourceUsage().maxRSS, seconds }));
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    const measured = JSON.parse(result.stdout || '{}') as { code?: number; maxRssKb: number; seconds: number };
    if (result.status !== 0 || measured.code !== 0) throw new Error(`person generate failed: ${result.stderr}`);
    return measured;
  };
  console.log('\nPopulation memory (child process, JSON Lines to /dev/null, one core)');
  const baseline = peak(1_000);
  for (const count of [1_000, 100_000, 1_000_000]) {
    const run = count === 1_000 ? baseline : peak(count);
    const label = `${count.toLocaleString('en')} persons${count === 1_000 ? ' (baseline)' : ''}`;
    console.log(
      `  ${label.padEnd(24)} peak RSS ${(run.maxRssKb / 1024).toFixed(1).padStart(6)} MB  ${(run.maxRssKb / baseline.maxRssKb).toFixed(2)}× baseline  ${formatRate(count / run.seconds).padStart(8)} persons/s`,
    );
  }
}

/** 個人番号 validation against a format-only regular expression. */
export async function benchMyNumber(): Promise<void> {
  const random = SeededRandom.fromSeed('bench');
  const numbers = Array.from({ length: 1024 }, (_, i) => (i % 3 === 0 ? '123456789019' : generateMyNumber(random)));
  const BATCH = 1024;
  const pattern = /^\d{12}$/;
  let sink = 0;
  await compare(
    '個人番号 validation',
    {
      name: 'regex /^\\d{12}$/ (format only)',
      batch: BATCH,
      unit: 'check',
      run: () => {
        for (const number of numbers) if (pattern.test(number)) sink++;
      },
    },
    [
      {
        name: 'validateMyNumber (format + check digit)',
        batch: BATCH,
        unit: 'check',
        run: () => {
          for (const number of numbers) if (validateMyNumber(number).valid) sink++;
        },
      },
    ],
  );
  if (sink < 0) console.log(sink);
}

/** BER-TLV decoding of the real 基本4情報 record against asn1js, the BER parser pkijs uses. */
export async function benchTlv(): Promise<void> {
  const record = hexToBytes(readVectorText('card-format/text-ap-ef0002.hex').trim());
  const BATCH = 100;
  let sink = 0;
  await compare(
    'BER-TLV decode of 入力補助 EF 0002 (FF20, 104 bytes, 5 children)',
    {
      name: 'asn1js.fromBER',
      batch: BATCH,
      unit: 'record',
      run: () => {
        for (let i = 0; i < BATCH; i++) {
          const { result } = asn1js.fromBER(record);
          sink += (result.valueBlock as asn1js.Constructed['valueBlock']).value.length;
        }
      },
    },
    [
      {
        name: 'openmyna decodeTlv + decodeTlvChildren',
        batch: BATCH,
        unit: 'record',
        run: () => {
          for (let i = 0; i < BATCH; i++) sink += decodeTlvChildren(decodeTlv(record)).length;
        },
      },
    ],
  );
  if (sink < 0) console.log(sink);
}
