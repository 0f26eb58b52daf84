import { sha256 } from '@noble/hashes/sha2.js';
import { encodeDigestInfo } from '@openmyna/pki';

import type { CardPrivateKey } from './card-private-key.js';
import type { CommandApdu } from './command-apdu.js';
import { CardError } from './errors.js';
import { status, SW, wrongPin, type ResponseApdu } from './response-apdu.js';
import { protectPin, type RetryCounter } from './retry-counter.js';

/** Who may use a file or key: anyone, no one, or whoever verified one of these key references. */
export type AccessRule =
  | { readonly kind: 'always' }
  | { readonly kind: 'never' }
  | { readonly kind: 'verified'; readonly anyOf: readonly number[] };

export const ALWAYS: AccessRule = { kind: 'always' };
export const NEVER: AccessRule = { kind: 'never' };
export const verifiedAnyOf = (...anyOf: number[]): AccessRule => ({ kind: 'verified', anyOf });

/** An elementary file: transparent (`content`) or record-structured (`records`, numbered from 1). */
export interface ElementaryFile {
  readonly fid: number;
  readonly content: Uint8Array;
  readonly records?: readonly Uint8Array[];
  readonly read: AccessRule;
}

/** A key reference: a PIN, password or 照合番号 with its retry counter. */
export interface KeyReference {
  readonly fid: number;
  readonly counter: RetryCounter;
  /** Whether CHANGE REFERENCE DATA may set this value; absent means the reference cannot be changed. */
  readonly acceptsNewValue?: (value: Uint8Array) => boolean;
}

/** A private key and who may use it with `80 2A`. */
export interface AppletKey {
  readonly fid: number;
  readonly key: CardPrivateKey;
  readonly use: AccessRule;
}

/** What an applet is built from. */
export interface AppletDefinition {
  readonly name: string;
  readonly aid: Uint8Array;
  readonly files: readonly ElementaryFile[];
  readonly references?: readonly KeyReference[];
  readonly keys?: readonly AppletKey[];
  /** Persists changed reference data (CHANGE REFERENCE DATA) with the rest of the card. */
  readonly onReferenceChanged?: () => Promise<void>;
  /** Whether PINs are changed with JICSAP's CHANGE KEY `80 32 00 80` instead of `00 24 01 80` (card-spec §2.1). */
  readonly changeWithChangeKey?: boolean;
}

const MAX_VERIFY_DATA = 16;

/**
 * One card application (DF) with transparent EFs, key references and keys, answering the commands
 * the real card answers (card-spec §2.1) with its status words (§2.2). Security state lives until
 * {@link deselect} (another AP is selected or the card resets).
 */
export class Applet {
  readonly name: string;
  readonly aid: Uint8Array;
  readonly #files: Map<number, ElementaryFile>;
  readonly #references: Map<number, KeyReference>;
  readonly #keys: Map<number, AppletKey>;
  readonly #onReferenceChanged: (() => Promise<void>) | undefined;
  readonly #changeWithChangeKey: boolean;
  readonly #verified = new Set<number>();
  #current: number | undefined;

  constructor(definition: AppletDefinition) {
    this.name = definition.name;
    this.aid = definition.aid;
    this.#files = new Map(definition.files.map((file) => [file.fid, file]));
    this.#references = new Map((definition.references ?? []).map((reference) => [reference.fid, reference]));
    this.#keys = new Map((definition.keys ?? []).map((key) => [key.fid, key]));
    this.#onReferenceChanged = definition.onReferenceChanged;
    this.#changeWithChangeKey = definition.changeWithChangeKey ?? false;
  }

  /** Clears the security state and the current EF. */
  deselect(): void {
    this.#verified.clear();
    this.#current = undefined;
  }

  async process(command: CommandApdu, random: (length: number) => Uint8Array): Promise<ResponseApdu> {
    const proprietary = command.cla === 0x80;
    if (command.cla !== 0x00 && !proprietary)
      return status(command.cla & 0x0c ? SW.SECURE_MESSAGING_NOT_SUPPORTED : SW.CLA_NOT_SUPPORTED);
    switch (command.ins) {
      case 0xa4:
        return proprietary ? status(SW.CLA_NOT_SUPPORTED) : this.#selectFile(command);
      case 0xb0:
        return proprietary ? status(SW.CLA_NOT_SUPPORTED) : this.#readBinary(command);
      case 0x20:
        return proprietary ? status(SW.CLA_NOT_SUPPORTED) : this.#verify(command);
      case 0x24:
        if (proprietary || this.#changeWithChangeKey)
          return status(proprietary ? SW.CLA_NOT_SUPPORTED : SW.INS_NOT_SUPPORTED);
        return this.#changeReferenceData(command, random);
      case 0x32:
        if (!this.#changeWithChangeKey) return status(SW.INS_NOT_SUPPORTED);
        // CHANGE KEY (JICSAP): 80 32 00 80 Lc new-value after VERIFY.
        if (!proprietary) return status(SW.CLA_NOT_SUPPORTED);
        if (command.p1 !== 0x00) return status(SW.WRONG_P1P2);
        return this.#changeReferenceData({ ...command, p1: 0x01 }, random);
      case 0xb2:
        return proprietary ? status(SW.CLA_NOT_SUPPORTED) : this.#readRecord(command);
      case 0x84:
        return proprietary ? status(SW.CLA_NOT_SUPPORTED) : getChallenge(command, random);
      case 0x2a:
        return proprietary ? this.#computeSignature(command) : status(SW.CLA_NOT_SUPPORTED);
      default:
        return status(SW.INS_NOT_SUPPORTED);
    }
  }

  /** `true` when the rule is met in the current security state. */
  allows(rule: AccessRule): boolean {
    if (rule.kind === 'always') return true;
    if (rule.kind === 'never') return false;
    return rule.anyOf.some((fid) => this.#verified.has(fid));
  }

  #selectFile(command: CommandApdu): ResponseApdu {
    // SELECT EF by file identifier, no response data (card-spec §2.1: 00 A4 02 0C 02 FID).
    if (command.p1 !== 0x02 || command.p2 !== 0x0c) return status(SW.WRONG_P1P2);
    if (command.data.length !== 2 || command.le !== undefined) return status(SW.WRONG_LENGTH);
    const fid = (command.data[0]! << 8) | command.data[1]!;
    if (!this.#files.has(fid) && !this.#references.has(fid) && !this.#keys.has(fid)) return status(SW.FILE_NOT_FOUND);
    this.#current = fid;
    return status(SW.OK);
  }

  #readBinary(command: CommandApdu): ResponseApdu {
    if (command.data.length > 0 || command.le === undefined) return status(SW.WRONG_LENGTH);
    let fid = this.#current;
    let offset: number;
    if (command.p1 & 0x80) {
      // P1 b8 = 1: b5–b1 is a short EF identifier and P2 the offset (ISO/IEC 7816-4 §11.2.2).
      if (command.p1 & 0x60) return status(SW.WRONG_P1P2);
      fid = command.p1 & 0x1f;
      offset = command.p2;
      if (!this.#files.has(fid)) return status(SW.FILE_NOT_FOUND);
      this.#current = fid;
    } else {
      offset = (command.p1 << 8) | command.p2;
    }
    if (fid === undefined) return status(SW.CONDITIONS_NOT_SATISFIED);
    const file = this.#files.get(fid);
    if (!file || file.records) return status(SW.INCOMPATIBLE_FILE);
    if (!this.allows(file.read)) return status(SW.SECURITY_STATUS_NOT_SATISFIED);
    if (offset >= file.content.length) return status(SW.WRONG_OFFSET);
    const data = file.content.subarray(offset, offset + command.le);
    return { data, sw: data.length < command.le ? SW.END_OF_FILE : SW.OK };
  }

  #readRecord(command: CommandApdu): ResponseApdu {
    // READ RECORD, P2 = 04 (P1 is the record number) for the current EF or (SFI << 3) | 04.
    if ((command.p2 & 0x07) !== 0x04 || command.p1 === 0) return status(SW.WRONG_P1P2);
    if (command.data.length > 0 || command.le === undefined) return status(SW.WRONG_LENGTH);
    const sfi = command.p2 >> 3;
    const fid = sfi === 0 ? this.#current : sfi;
    if (fid === undefined) return status(SW.CONDITIONS_NOT_SATISFIED);
    const file = this.#files.get(fid);
    if (!file) return status(sfi === 0 ? SW.INCOMPATIBLE_FILE : SW.FILE_NOT_FOUND);
    if (!file.records) return status(SW.INCOMPATIBLE_FILE);
    if (!this.allows(file.read)) return status(SW.SECURITY_STATUS_NOT_SATISFIED);
    const record = file.records[command.p1 - 1];
    if (!record) return status(SW.RECORD_NOT_FOUND);
    if (sfi !== 0) this.#current = fid;
    const data = record.subarray(0, command.le);
    return { data, sw: data.length < record.length ? SW.WRONG_LENGTH : SW.OK };
  }

  #reference(command: CommandApdu): KeyReference | undefined {
    if (command.p2 === 0x80) return this.#current === undefined ? undefined : this.#references.get(this.#current);
    // P2 = 80 | SFI: the key reference by its short identifier.
    if ((command.p2 & 0xe0) === 0x80) return this.#references.get(command.p2 & 0x1f);
    return undefined;
  }

  async #verify(command: CommandApdu): Promise<ResponseApdu> {
    if (command.p1 !== 0x00 || (command.p2 & 0xe0) !== 0x80) return status(SW.WRONG_P1P2);
    const reference = this.#reference(command);
    if (!reference) return status(SW.DATA_OBJECT_NOT_FOUND);
    try {
      // VERIFY with no data asks for the tries left and uses none (card-spec §2.1).
      if (command.data.length === 0) return status(wrongPin(await reference.counter.triesLeft()));
      if (command.data.length > MAX_VERIFY_DATA) return status(SW.WRONG_LENGTH);
      const outcome = await reference.counter.verify(command.data);
      if (outcome.result === 'verified') {
        this.#verified.add(reference.fid);
        return status(SW.OK);
      }
      this.#verified.delete(reference.fid);
      return status(outcome.result === 'blocked' ? SW.BLOCKED : wrongPin(outcome.triesLeft));
    } catch (error) {
      // A counter that cannot be read or written verifies nothing.
      if (error instanceof CardError) return status(SW.NO_PRECISE_DIAGNOSIS);
      throw error;
    }
  }

  async #changeReferenceData(command: CommandApdu, random: (length: number) => Uint8Array): Promise<ResponseApdu> {
    // P1 = 01: only the new value is sent; the old one was verified first (card-spec §2.1).
    if (command.p1 !== 0x01 || (command.p2 & 0xe0) !== 0x80) return status(SW.WRONG_P1P2);
    const reference = this.#reference(command);
    if (!reference) return status(SW.DATA_OBJECT_NOT_FOUND);
    if (!this.#verified.has(reference.fid)) return status(SW.SECURITY_STATUS_NOT_SATISFIED);
    if (command.data.length === 0 || command.data.length > MAX_VERIFY_DATA) return status(SW.WRONG_LENGTH);
    if (!reference.acceptsNewValue?.(command.data)) return status(SW.WRONG_DATA);
    reference.counter.change(protectPin(command.data, random(16)));
    await this.#onReferenceChanged?.();
    return status(SW.OK);
  }

  async #computeSignature(command: CommandApdu): Promise<ResponseApdu> {
    if (command.p1 > 0x05) return status(SW.WRONG_P1P2);
    let key: AppletKey | undefined;
    if (command.p2 === 0x80) key = this.#current === undefined ? undefined : this.#keys.get(this.#current);
    else if ((command.p2 & 0xe0) === 0x80) key = this.#keys.get(command.p2 & 0x1f);
    else if (command.p2 === 0x00) key = this.#keys.get(0);
    if (!key) return status(SW.CONDITIONS_NOT_SATISFIED);
    if (!this.allows(key.use)) return status(SW.SECURITY_STATUS_NOT_SATISFIED);
    if (command.le === undefined || command.data.length === 0) return status(SW.WRONG_LENGTH);
    const data = command.data;
    let signature: Uint8Array;
    switch (command.p1) {
      case 0x00: // PKCS#1 v1.5 type 01 over the data as given (a DigestInfo)
        if (data.length > key.key.size - 11) return status(SW.WRONG_LENGTH);
        signature = await key.key.signPkcs1(data);
        break;
      case 0x01: // the card hashes and signs the bare hash
        signature = await key.key.signPkcs1(sha256(data));
        break;
      case 0x02: // a SHA-256 hash that the card wraps in a DigestInfo
        if (data.length !== 32) return status(SW.WRONG_LENGTH);
        signature = await key.key.signPkcs1(encodeDigestInfo('SHA-256', data));
        break;
      case 0x03: // sha256WithRSAEncryption over the data
        signature = await key.key.signPkcs1(encodeDigestInfo('SHA-256', sha256(data)));
        break;
      case 0x04: // RSASSA-PSS over a given SHA-256 hash
        if (data.length !== 32) return status(SW.WRONG_LENGTH);
        signature = await key.key.signPssHash(data);
        break;
      default: // 0x05: RSASSA-PSS, the card hashes
        signature = await key.key.signPssHash(sha256(data));
    }
    return { data: signature, sw: SW.OK };
  }
}

/** GET CHALLENGE (00 84 00 00 Le): 1–256 random bytes; extended Le is refused (card-spec §0). */
export function getChallenge(command: CommandApdu, random: (length: number) => Uint8Array): ResponseApdu {
  if (command.p1 !== 0 || command.p2 !== 0) return status(SW.WRONG_P1P2);
  if (command.extended) return status(SW.CONDITIONS_NOT_SATISFIED);
  if (command.le === undefined || command.data.length > 0) return status(SW.WRONG_LENGTH);
  return { data: random(command.le), sw: SW.OK };
}
