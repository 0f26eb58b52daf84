import {
  decodeIssuedMdoc,
  decodeMobileSecurityObject,
  ecPublicJwk,
  type EcPrivateKey,
  type IssuerSigned,
} from '@openmyna/mdoc';
import { base64ToBytes, bytesToBase64 } from '@openmyna/pki';

import { WalletError } from './errors.js';
import { seal, unseal, type WalletStorage } from './storage.js';

/**
 * How the wallet spends its MSOs. `single-use`: every presentation shows an MSO never shown before, so
 * two presentations cannot be linked by the MSO's signature or device key. `per-relying-party`: the
 * MSO already shown to a relying party is shown to it again (it can link its own visits, as it could
 * by the values it receives), and never to another.
 */
export type MdocUsePolicy = 'single-use' | 'per-relying-party';

/** An MSO of the batch and its device key, checked out for one presentation. */
export interface TakenMdoc {
  readonly issued: { readonly docType: string; readonly issuerSigned: IssuerSigned };
  readonly deviceKey: EcPrivateKey;
}

/** How many MSOs the phone holds, by state. */
export interface MdocPoolSummary {
  /** Unexpired and never shown. */
  readonly unused: number;
  /** Shown (to the relying party it is kept for, in `per-relying-party` mode). */
  readonly used: number;
  readonly expired: number;
  /** The earliest end of validity among the unexpired ones. */
  readonly validUntil?: string;
}

interface PoolEntry {
  readonly deviceKeyId: string;
  readonly validUntil: string;
  readonly usedAt?: string;
  /** SHA-256 (hex) of the relying party's identity it was shown to — never its name. */
  readonly relyingParty?: string;
}

interface PoolRecord {
  readonly format: 'openmyna-wallet-mdoc-pool/1';
  /** The storage name of the sealed batch (the MSOs, base64 CBOR, in the order of `entries`). */
  readonly batch: string;
  readonly entries: readonly PoolEntry[];
}

const POOL = 'mdoc-pool';

/**
 * The phone's batch of MSOs, each bound to its own device key in the storage. The MSOs are sealed
 * under the wrapping key as one record; which ones were shown, and to whom (a digest of the relying
 * party's identity), is a small record written durably before any MSO leaves the phone, so a crash
 * after it was marked can waste an MSO but never show one twice.
 */
export class MdocPool {
  readonly #storage: WalletStorage;
  /** Pool operations run one at a time: two presentations racing must not take the same MSO. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(storage: WalletStorage) {
    this.#storage = storage;
  }

  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Makes `mdocs` (each with the id of the device key it is bound to) the phone's batch, and retires
   * the earlier batch: its MSOs and device keys are forgotten, used or not.
   */
  install(mdocs: readonly { readonly mdoc: string; readonly deviceKeyId: string }[]): Promise<void> {
    return this.#exclusive(() => this.#install(mdocs));
  }

  async #install(mdocs: readonly { readonly mdoc: string; readonly deviceKeyId: string }[]): Promise<void> {
    const previous = await this.#read();
    const batch = `mdocs:${bytesToBase64(crypto.getRandomValues(new Uint8Array(9))).replace(/[+/]/g, '_')}`;
    const sealed = await seal(
      await this.#storage.wrappingKey(),
      new TextEncoder().encode(JSON.stringify(mdocs.map((entry) => entry.mdoc))),
      batch,
    );
    await this.#storage.write(batch, sealed);
    const record: PoolRecord = {
      format: 'openmyna-wallet-mdoc-pool/1',
      batch,
      entries: mdocs.map((entry) => ({ deviceKeyId: entry.deviceKeyId, validUntil: validUntilOf(entry.mdoc) })),
    };
    await this.#storage.write(POOL, record);
    if (previous) {
      await this.#storage.remove(previous.batch);
      const kept = new Set(record.entries.map((entry) => entry.deviceKeyId));
      await this.#storage.removeDeviceKeys(
        previous.entries.map((entry) => entry.deviceKeyId).filter((id) => !kept.has(id)),
      );
    }
  }

  /**
   * Checks out an MSO for a presentation to `relyingParty` (a stable identity: the client id, or the
   * reader's certificate; undefined for a reader that did not authenticate) under `policy`, and marks
   * it used durably before returning it. None left: `ERR_MDOC_EXHAUSTED` — never a silent reuse.
   */
  take(options: {
    readonly relyingParty: string | undefined;
    readonly policy: MdocUsePolicy;
    readonly now: Date;
  }): Promise<TakenMdoc> {
    return this.#exclusive(() => this.#take(options));
  }

  async #take(options: {
    readonly relyingParty: string | undefined;
    readonly policy: MdocUsePolicy;
    readonly now: Date;
  }): Promise<TakenMdoc> {
    const record = await this.#read();
    const now = options.now.toISOString();
    const party = options.relyingParty === undefined ? undefined : await digestHex(options.relyingParty);
    const live = (entry: PoolEntry) => entry.validUntil > now;
    const entries = record?.entries ?? [];
    let position =
      options.policy === 'per-relying-party' && party !== undefined
        ? entries.findIndex((entry) => live(entry) && entry.relyingParty === party)
        : -1;
    if (position < 0) position = entries.findIndex((entry) => live(entry) && entry.usedAt === undefined);
    if (!record || position < 0)
      throw new WalletError(
        'ERR_MDOC_EXHAUSTED',
        'no unused mdoc (MSO) is left on this phone; refill the batch at the issuer',
      );
    const entry = entries[position]!;
    if (entry.usedAt === undefined) {
      const used: PoolEntry = {
        ...entry,
        usedAt: now,
        ...(options.policy === 'per-relying-party' && party !== undefined ? { relyingParty: party } : {}),
      };
      await this.#storage.write(POOL, {
        ...record,
        entries: entries.map((other, i) => (i === position ? used : other)),
      } satisfies PoolRecord);
    }
    const deviceKey = await this.#storage.deviceKey(entry.deviceKeyId);
    if (!deviceKey) throw new WalletError('ERR_WALLET_STORAGE', 'the device key of an mdoc is missing');
    const mdocs = await this.#mdocs(record);
    return { issued: decodeIssuedMdoc(base64ToBytes(mdocs[position]!)), deviceKey };
  }

  /** A device key whose MSO is unexpired, to prove the phone to the issuer for a refill; else undefined. */
  prover(now: Date): Promise<{ key: EcPrivateKey; publicJwk: JsonWebKey } | undefined> {
    return this.#exclusive(async () => {
      const record = await this.#read();
      const live = record?.entries.find((entry) => entry.validUntil > now.toISOString());
      const key = live ? await this.#storage.deviceKey(live.deviceKeyId) : undefined;
      return key ? { key, publicJwk: ecPublicJwk(key.publicKey) } : undefined;
    });
  }

  async summary(now: Date): Promise<MdocPoolSummary> {
    const entries = (await this.#read())?.entries ?? [];
    const time = now.toISOString();
    const live = entries.filter((entry) => entry.validUntil > time);
    const validUntil = live.map((entry) => entry.validUntil).sort()[0];
    return {
      unused: live.filter((entry) => entry.usedAt === undefined).length,
      used: live.filter((entry) => entry.usedAt !== undefined).length,
      expired: entries.length - live.length,
      ...(validUntil ? { validUntil } : {}),
    };
  }

  async #read(): Promise<PoolRecord | undefined> {
    const record = (await this.#storage.read(POOL)) as PoolRecord | undefined;
    if (record === undefined) return undefined;
    if (record.format !== 'openmyna-wallet-mdoc-pool/1' || !Array.isArray(record.entries))
      throw new WalletError('ERR_WALLET_STORAGE', 'the stored mdoc batch has an unknown format');
    return record;
  }

  async #mdocs(record: PoolRecord): Promise<string[]> {
    const bytes = await unseal(await this.#storage.wrappingKey(), await this.#storage.read(record.batch), record.batch);
    return JSON.parse(new TextDecoder().decode(bytes)) as string[];
  }
}

function validUntilOf(mdoc: string): string {
  const issued = decodeIssuedMdoc(base64ToBytes(mdoc));
  return decodeMobileSecurityObject(issued.issuerSigned.issuerAuth.payload).validityInfo.validUntil.toISOString();
}

async function digestHex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}
