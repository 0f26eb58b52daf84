// The pure parts of the capacity benchmark (`npm run bench -- capacity`): the registry rows it loads,
// their PostgreSQL binary COPY encoding, and the arithmetic from measured figures to Japan's scale.
// No I/O here; bench/capacity.test.ts checks them.
import { createCipheriv, createHmac, hkdfSync } from 'node:crypto';

import { generatePopulation, type SyntheticPerson } from '@openmyna/core';

/** The `persons` columns in the order {@link encodePersonTuple} writes them (`COPY persons (…)`). */
export const PERSON_COLUMNS = [
  'id',
  'name',
  'name_kana',
  'address',
  'birth_date',
  'sex',
  'my_number',
  'my_number_sealed',
  'resident_code',
  'municipality_code',
  'photo',
  'version',
  'created_at',
  'updated_at',
] as const;

/** One `persons` row as the issuer's `createPerson` writes it: the My Number as keyed digest and sealed copy. */
export interface RegistryRow {
  readonly id: string;
  readonly name: string;
  readonly name_kana: string;
  readonly address: string;
  readonly birth_date: string;
  readonly sex: string;
  readonly my_number: string;
  readonly my_number_sealed: Uint8Array;
  readonly resident_code: string;
  readonly municipality_code: string;
  readonly photo: Uint8Array;
  readonly version: number;
  readonly created_at: string;
  readonly updated_at: string;
}

export interface RegistryRowOptions {
  /** The population seed (`@openmyna/core`): My Numbers and 住民票コード never repeat within it. */
  readonly seed: string;
  readonly registryKey: Uint8Array;
  /** Face photos (JPEG) used in turn: rendering one per person (~23 ms) would dominate a bulk load. */
  readonly photos: readonly Uint8Array[];
  /** 12 random bytes per row, the AES-GCM IV of the sealed My Number. */
  readonly randomIv: () => Uint8Array;
  readonly now: Date;
}

/**
 * The issuer's My Number sealing (apps/issuer/src/my-number-seal.ts: HMAC-SHA-256 digest for the unique
 * column, AES-256-GCM bound to the person id) with its two HKDF keys derived once, not per row: the
 * issuer derives them per call, which would make key derivation most of a bulk load's time. The test
 * checks every row against the issuer's own `myNumberIndex` and `unsealMyNumber`.
 */
export function registrySealer(registryKey: Uint8Array) {
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', registryKey, new Uint8Array(0), info, 32));
  const indexKey = derive('openmyna/registry/my-number-index/v1');
  const sealKey = derive('openmyna/registry/my-number-seal/v1');
  return {
    index: (myNumber: string) => 'hmac-sha256:' + createHmac('sha256', indexKey).update(myNumber).digest('hex'),
    seal: (personId: string, myNumber: string, iv: Uint8Array): Uint8Array => {
      const cipher = createCipheriv('aes-256-gcm', sealKey, iv);
      cipher.setAAD(Buffer.from(personId, 'utf8'));
      const sealed = Buffer.concat([cipher.update(myNumber, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, sealed, cipher.getAuthTag()]);
    },
  };
}

/** Persons `start` … `start + count - 1` of the population as registry rows, each with its person. */
export function* registryRows(
  options: RegistryRowOptions,
  count: number,
  start = 0,
): Generator<{ readonly person: SyntheticPerson; readonly row: RegistryRow }> {
  const at = options.now.toISOString();
  const sealer = registrySealer(options.registryKey);
  for (const person of generatePopulation({ seed: options.seed }, count, start)) {
    yield {
      person,
      row: {
        id: person.id,
        name: person.name,
        name_kana: person.nameKana,
        address: person.address,
        birth_date: person.birthDate,
        sex: person.sex,
        my_number: sealer.index(person.myNumber),
        my_number_sealed: sealer.seal(person.id, person.myNumber, options.randomIv()),
        resident_code: person.residentCode,
        municipality_code: person.municipalityCode,
        photo: options.photos[person.index % options.photos.length]!,
        version: 1,
        created_at: at,
        updated_at: at,
      },
    };
  }
}

/** PostgreSQL's binary COPY header: signature, flags, header extension length (PostgreSQL docs, COPY §Binary Format). */
export const COPY_BINARY_HEADER = Buffer.concat([
  Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'),
  Buffer.alloc(8), // flags 0, no header extension
]);
/** The binary COPY trailer: a field count of -1. */
export const COPY_BINARY_TRAILER = Buffer.from([0xff, 0xff]);

/** One row as a binary COPY tuple: field count, then each field as its length and bytes (int4 big-endian for `version`). */
export function encodePersonTuple(row: RegistryRow): Buffer {
  const fields = PERSON_COLUMNS.map((column): Buffer => {
    const value = row[column];
    if (typeof value === 'number') {
      const int = Buffer.alloc(4);
      int.writeInt32BE(value);
      return int;
    }
    return typeof value === 'string'
      ? Buffer.from(value, 'utf8')
      : Buffer.from(value.buffer, value.byteOffset, value.length);
  });
  const tuple = Buffer.alloc(2 + fields.reduce((sum, field) => sum + 4 + field.length, 0));
  let offset = tuple.writeInt16BE(fields.length, 0);
  for (const field of fields) {
    offset = tuple.writeInt32BE(field.length, offset);
    offset += field.copy(tuple, offset);
  }
  return tuple;
}

/** What the capacity run measured on this machine. */
export interface MeasuredCapacity {
  /** `persons` with its TOAST table and indexes, per row. */
  readonly personBytes: number;
  /** `card_face_images` and `audit_log` per person, from the sample written by `createPerson`. */
  readonly faceImageBytes: number;
  readonly auditBytes: number;
  /** `certificates` per row (TBS + certificate + indexes), from the certificates the throughput runs issued. */
  readonly certificateBytes: number;
  /** Per issuer or verifier instance of one core: operations per second of the service's CPU, best of the scaling runs. */
  readonly ocspPerInstance: number;
  readonly provisioningPerInstance: number;
  readonly loginsPerInstance: number;
  readonly presentationsPerInstance: number;
  /** Bytes per entry of a signed CRL of a large partition. */
  readonly crlBytesPerEntry: number;
}

/** Peak rates and sizes of the national deployment (docs/capacity.md says where each comes from). */
export interface NationalAssumptions {
  readonly cards: number;
  readonly persons: number;
  /** Live JPKI certificates per card: 2 on the card, 2 more with a phone provisioned from it. */
  readonly certificatesPerCard: number;
  readonly peakOcspPerSecond: number;
  readonly peakProvisioningPerSecond: number;
  readonly peakLoginsPerSecond: number;
  readonly peakPresentationsPerSecond: number;
  /** Revoked, unexpired certificates at one time, both JPKI hierarchies together. */
  readonly revokedCertificates: number;
  /** The most entries one CRL partition may hold (the proposal of docs/capacity.md). */
  readonly crlPartitionEntries: number;
  /** Spare capacity kept at peak (1.5 = run at two thirds of the measured rate). */
  readonly headroom: number;
}

export interface NationalProjection {
  readonly issuerInstancesForOcsp: number;
  readonly issuerInstancesForProvisioning: number;
  /** For the logins and the presentations together (each takes its share of a core). */
  readonly verifierInstances: number;
  readonly registryBytes: number;
  readonly certificateBytes: number;
  /** At least this many partitions (more where a municipality's partition is smaller than the cap). */
  readonly crlPartitions: number;
  readonly crlPartitionBytes: number;
}

function positive(perInstance: number): number {
  if (!(perInstance > 0)) throw new RangeError('the measured rate per instance must be positive');
  return perInstance;
}

/** Instances needed to serve `rate` with `headroom` when one instance serves `perInstance`. */
export function instancesFor(rate: number, perInstance: number, headroom: number): number {
  return Math.max(1, Math.ceil((rate * headroom) / positive(perInstance)));
}

/** The measured figures scaled to the national deployment. */
export function projectNationalScale(measured: MeasuredCapacity, assumed: NationalAssumptions): NationalProjection {
  return {
    issuerInstancesForOcsp: instancesFor(assumed.peakOcspPerSecond, measured.ocspPerInstance, assumed.headroom),
    issuerInstancesForProvisioning: instancesFor(
      assumed.peakProvisioningPerSecond,
      measured.provisioningPerInstance,
      assumed.headroom,
    ),
    verifierInstances: Math.max(
      1,
      Math.ceil(
        assumed.headroom *
          (assumed.peakLoginsPerSecond / positive(measured.loginsPerInstance) +
            assumed.peakPresentationsPerSecond / positive(measured.presentationsPerInstance)),
      ),
    ),
    registryBytes: Math.round(assumed.persons * (measured.personBytes + measured.faceImageBytes + measured.auditBytes)),
    certificateBytes: Math.round(assumed.cards * assumed.certificatesPerCard * measured.certificateBytes),
    crlPartitions: Math.max(1, Math.ceil(assumed.revokedCertificates / assumed.crlPartitionEntries)),
    crlPartitionBytes: Math.round(assumed.crlPartitionEntries * measured.crlBytesPerEntry),
  };
}

/** What `npm run bench -- capacity [options]` runs. */
export interface CapacityOptions {
  /** Persons bulk-loaded into the registry (`--persons 1e6`; the documented figure is 10 million). */
  readonly persons: number;
  /** Persons written through `createPerson` after the bulk load (`--sample`). */
  readonly sample: number;
  /** Instance counts of the scaling runs (`--instances 1,2,4`). */
  readonly instances: readonly number[];
  /** Seconds of each OCSP run (`--seconds`). */
  readonly seconds: number;
  /** Entries of the large CRL partition (`--crl-entries`) and of the proposed one (`--partition`). */
  readonly crlEntries: number;
  readonly partition: number;
  /** Keep the databases afterwards (`--keep`). */
  readonly keep: boolean;
  /** The instances share rate limits, caches and relay sessions through this Redis (`--redis redis://…`). */
  readonly redis?: string;
}

export const DEFAULT_CAPACITY_OPTIONS: CapacityOptions = {
  persons: 10_000_000,
  sample: 1000,
  instances: [1, 2, 4],
  seconds: 20,
  crlEntries: 1_000_000,
  partition: 100_000,
  keep: false,
};

const count = (flag: string, text: string | undefined): number => {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`${flag} wants a positive whole number, e.g. 1e6`);
  return value;
};

/** The options after `capacity` on the command line (`1e6` notation accepted). */
export function parseCapacityOptions(args: readonly string[]): CapacityOptions {
  let options = { ...DEFAULT_CAPACITY_OPTIONS };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    if (flag === '--keep') {
      options = { ...options, keep: true };
      continue;
    }
    const value = args[++i];
    if (flag === '--persons') options = { ...options, persons: count(flag, value) };
    else if (flag === '--sample') options = { ...options, sample: count(flag, value) };
    else if (flag === '--seconds') options = { ...options, seconds: count(flag, value) };
    else if (flag === '--crl-entries') options = { ...options, crlEntries: count(flag, value) };
    else if (flag === '--partition') options = { ...options, partition: count(flag, value) };
    else if (flag === '--redis') {
      if (!value || !/^rediss?:\/\//.test(value))
        throw new RangeError('--redis wants a URL, e.g. redis://127.0.0.1:6379/5');
      options = { ...options, redis: value };
    } else if (flag === '--instances')
      options = { ...options, instances: (value ?? '').split(',').map((part) => count(flag, part)) };
    else throw new RangeError(`unknown capacity option ${flag}`);
  }
  return options;
}
