import { randomBytes } from 'node:crypto';

import { computeResidentCodeCheckDigit, generatePerson, isValidMyNumber } from '@openmyna/core';
import { getPerson, myNumberIndex, unsealMyNumber, type IssuerSchema } from '@openmyna/issuer';
import { openDatabase } from '@openmyna/storage';
import { describe, expect, it } from 'vitest';

import { TEST_PG_URL } from '../test-support/databases.js';
import {
  COPY_BINARY_HEADER,
  DEFAULT_CAPACITY_OPTIONS,
  encodePersonTuple,
  instancesFor,
  parseCapacityOptions,
  PERSON_COLUMNS,
  projectNationalScale,
  registryRows,
  type RegistryRow,
} from './capacity-model.js';
import { CAPACITY_SEED, createDatabase, dropDatabase, loadRegistry } from './capacity-registry.js';

const registryKey = new Uint8Array(32).fill(5);
const photos = [new Uint8Array([0xff, 0xd8, 1]), new Uint8Array([0xff, 0xd8, 2])];
const rows = (count: number, start = 0) => [
  ...registryRows(
    { seed: 'capacity-test', registryKey, photos, randomIv: () => new Uint8Array(randomBytes(12)), now: new Date(0) },
    count,
    start,
  ),
];

/** Reads a binary COPY tuple back (PostgreSQL docs, COPY §Binary Format): one buffer per field. */
function decodeTuple(tuple: Buffer): Buffer[] {
  const fields: Buffer[] = [];
  let offset = 2;
  for (let i = 0; i < tuple.readInt16BE(0); i++) {
    const length = tuple.readInt32BE(offset);
    fields.push(tuple.subarray(offset + 4, offset + 4 + length));
    offset += 4 + length;
  }
  expect(offset).toBe(tuple.length);
  return fields;
}

describe('the capacity registry rows', () => {
  it('are synthetic persons with valid, distinct My Numbers and 住民票コード', () => {
    const generated = rows(2000);
    for (const { person } of generated) {
      expect(isValidMyNumber(person.myNumber)).toBe(true);
      expect(person.residentCode.slice(10)).toBe(
        String(computeResidentCodeCheckDigit(person.residentCode.slice(0, 10))),
      );
    }
    expect(new Set(generated.map(({ person }) => person.myNumber)).size).toBe(2000);
    expect(new Set(generated.map(({ row }) => row.resident_code)).size).toBe(2000);
    expect(new Set(generated.map(({ row }) => row.id)).size).toBe(2000);
  });

  it('seal each My Number exactly as the issuer does: its digest in the unique column, the number opened by its key', () => {
    for (const { person, row } of rows(50, 123_456)) {
      expect(row.my_number).toBe(myNumberIndex(registryKey, person.myNumber));
      expect(row.my_number).not.toContain(person.myNumber);
      expect(unsealMyNumber(registryKey, row.id, row.my_number_sealed)).toBe(person.myNumber);
      // Bound to the person: another id does not open it.
      expect(() => unsealMyNumber(registryKey, `${row.id}x`, row.my_number_sealed)).toThrow(/registry key/);
    }
  });

  it('encode as binary COPY tuples that decode to the same fields', () => {
    expect(COPY_BINARY_HEADER.subarray(0, 11)).toEqual(
      Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00]),
    );
    expect(COPY_BINARY_HEADER.subarray(11)).toEqual(Buffer.alloc(8));
    const row = rows(1)[0]!.row;
    const fields = decodeTuple(encodePersonTuple(row));
    expect(fields).toHaveLength(PERSON_COLUMNS.length);
    PERSON_COLUMNS.forEach((column, i) => {
      const value: RegistryRow[typeof column] = row[column];
      if (typeof value === 'number') expect(fields[i]!.readInt32BE(0)).toBe(value);
      else if (typeof value === 'string') expect(fields[i]!.toString('utf8')).toBe(value);
      else expect(new Uint8Array(fields[i]!)).toEqual(new Uint8Array(value));
    });
  });
});

describe('the arithmetic to national scale', () => {
  it('rounds instances up, keeps at least one, and refuses a rate it cannot divide by', () => {
    expect(instancesFor(1000, 300, 1)).toBe(4);
    expect(instancesFor(900, 300, 1)).toBe(3);
    expect(instancesFor(900, 300, 1.5)).toBe(5);
    expect(instancesFor(1, 300, 1.5)).toBe(1);
    expect(() => instancesFor(1, 0, 1)).toThrow(RangeError);
  });

  it('scales rows × measured bytes and splits revocations into partitions', () => {
    const projection = projectNationalScale(
      {
        personBytes: 3000,
        faceImageBytes: 900,
        auditBytes: 100,
        certificateBytes: 2000,
        ocspPerInstance: 1000,
        provisioningPerInstance: 10,
        loginsPerInstance: 250,
        presentationsPerInstance: 100,
        crlBytesPerEntry: 40,
      },
      {
        cards: 1000,
        persons: 2000,
        certificatesPerCard: 3,
        peakOcspPerSecond: 5000,
        peakProvisioningPerSecond: 60,
        peakLoginsPerSecond: 5000,
        peakPresentationsPerSecond: 500,
        revokedCertificates: 250_001,
        crlPartitionEntries: 100_000,
        headroom: 2,
      },
    );
    expect(projection).toEqual({
      issuerInstancesForOcsp: 10,
      issuerInstancesForProvisioning: 12,
      // (5000 / 250 + 500 / 100) × 2
      verifierInstances: 50,
      registryBytes: 8_000_000,
      certificateBytes: 6_000_000,
      crlPartitions: 3,
      crlPartitionBytes: 4_000_000,
    });
  });
});

describe('the capacity options', () => {
  it('read 1e6 notation and instance lists, and refuse what they do not know', () => {
    expect(parseCapacityOptions([])).toEqual(DEFAULT_CAPACITY_OPTIONS);
    expect(DEFAULT_CAPACITY_OPTIONS.persons).toBe(10_000_000);
    expect(parseCapacityOptions(['--persons', '1e6', '--instances', '1,2', '--keep'])).toMatchObject({
      persons: 1_000_000,
      instances: [1, 2],
      keep: true,
    });
    expect(parseCapacityOptions(['--redis', 'redis://127.0.0.1:6379/5'])).toMatchObject({
      redis: 'redis://127.0.0.1:6379/5',
    });
    expect(() => parseCapacityOptions(['--redis', 'localhost'])).toThrow(RangeError);
    expect(() => parseCapacityOptions(['--persons', '0'])).toThrow(RangeError);
    expect(() => parseCapacityOptions(['--persons', '1.5'])).toThrow(RangeError);
    expect(() => parseCapacityOptions(['--people', '5'])).toThrow(/unknown/);
  });
});

describe('the bulk load into PostgreSQL', () => {
  it('leaves persons the issuer reads back, with the unique indexes restored', async () => {
    const name = `openmyna_capacity_t${randomBytes(4).toString('hex')}`;
    const url = await createDatabase(TEST_PG_URL, name);
    try {
      const load = await loadRegistry(url, registryKey, 300, 2);
      expect(load.sizes.find((size) => size.table === 'persons')!.rows).toBe(302);
      expect(load.sizes.find((size) => size.table === 'persons')!.perIndex.map((index) => index.name)).toEqual([
        'persons_my_number_key',
        'persons_pkey',
        'persons_resident_code_key',
      ]);
      const database = openDatabase<IssuerSchema>(url);
      try {
        const context = { db: database.db, clock: () => new Date(), randomBytes, registryKey };
        const person = generatePerson({ seed: CAPACITY_SEED }, 299);
        expect((await getPerson(context, person.id)).myNumber).toBe(person.myNumber);
      } finally {
        await database.close();
      }
    } finally {
      await dropDatabase(TEST_PG_URL, name);
    }
  });
});
