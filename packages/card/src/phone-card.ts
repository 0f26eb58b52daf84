import { constantTimeEqual, formatWarekiYymmdd } from '@openmyna/core';
import { base64ToBytes, bytesToBase64, parseCertificate, readJpkiIdentity, readRsaPublicKey } from '@openmyna/pki';

import type { Applet } from './applet.js';
import type { CardPrivateKey } from './card-private-key.js';
import { CardError } from './errors.js';
import { createJpkiApplet, isValidFourDigitPin, isValidSigningPassword } from './jpki-applet.js';
import { createJukiApplet } from './juki-applets.js';
import { createKenhojoApplet } from './kenhojo-applet.js';
import { decodeBasicFourInfoFile, decodeMyNumberFile } from './kenhojo-records.js';
import { createKenkakuApplet } from './kenkaku-applet.js';
import { decodeCardFaceFile } from './kenkaku-records.js';
import { encodeMfDataObjects } from './mf-data-objects.js';
import { protectPin, RetryCounter, type RetryCounterStore, type StoredPin } from './retry-counter.js';
import { SmartCard } from './smart-card.js';
import { CARD_ATR } from './virtual-card.js';
import type { KenhojoRecordFiles, KenkakuRecordFiles } from './virtual-card-document.js';

/**
 * The key references of the phone's applet set, with their try limits (DESIGN.md: 5 for the signing
 * password, 3 for the rest). The phone has no printed card face, so no 照合番号B (`kenhojo/0015`,
 * `kenkaku/0012`); 照合番号A is the 個人番号 and the 券面 birth-date key is derived from the records.
 */
export const PHONE_PIN_REFERENCES = {
  'jpki/0018': 3,
  'jpki/001B': 5,
  'kenhojo/0011': 3,
  'kenhojo/0014': 3,
  'kenkaku/0011': 3,
  'kenkaku/0013': 3,
  'juki/001C': 3,
} as const;

export type PhonePinReference = keyof typeof PHONE_PIN_REFERENCES;

/** The PINs the holder chooses for the phone (they may equal the card's). */
export interface PhonePins {
  /** 利用者証明用暗証番号, 4 digits. */
  readonly authentication: string;
  /** 署名用パスワード, 6–16 upper-case letters and digits. */
  readonly signing: string;
  /** 券面事項入力補助用暗証番号, 4 digits. */
  readonly kenhojo: string;
  /** 住民基本台帳用暗証番号, 4 digits. */
  readonly juki: string;
}

/** What the phone's applets show: the issuer's records and certificates for the phone (base64). */
export interface PhoneCardContents {
  readonly jpki: {
    readonly authenticationCertificate: string;
    readonly signingCertificate?: string | undefined;
    readonly authenticationCaCertificate: string;
    readonly signingCaCertificate: string;
  };
  readonly kenhojo: KenhojoRecordFiles;
  readonly kenkaku: KenkakuRecordFiles;
  readonly juki: { readonly residentCode: string };
  readonly municipalityCode: string;
  /** `YYYY-MM-DD`. */
  readonly cardExpiry: string;
}

/**
 * The reference data of a new phone: the holder's PINs, and the codes the phone derives from its own
 * records (照合番号A = the 個人番号, the 券面 birth-date key = 和暦 YYMMDD). Salted digests, never values.
 */
export function phoneReferenceData(
  contents: PhoneCardContents,
  pins: PhonePins,
  random: (length: number) => Uint8Array = (length) => crypto.getRandomValues(new Uint8Array(length)),
): Record<string, StoredPin> {
  const { myNumber } = decodeMyNumberFile(base64ToBytes(contents.kenhojo.myNumberFile));
  const { info } = decodeBasicFourInfoFile(base64ToBytes(contents.kenhojo.basicFourInfoFile));
  const stored = (value: string) => protectPin(new TextEncoder().encode(value), random(16));
  return {
    'jpki/0018': stored(pins.authentication),
    ...(contents.jpki.signingCertificate ? { 'jpki/001B': stored(pins.signing) } : {}),
    'kenhojo/0011': stored(pins.kenhojo),
    'kenhojo/0014': stored(myNumber),
    'kenkaku/0011': stored(formatWarekiYymmdd(info.birthDate)),
    'kenkaku/0013': stored(myNumber),
    'juki/001C': stored(pins.juki),
  };
}

/** Options of {@link openPhoneCard}. */
export interface PhoneCardOptions {
  readonly contents: PhoneCardContents;
  readonly keys: {
    readonly authentication: CardPrivateKey;
    readonly signing?: CardPrivateKey;
    readonly cardFace: CardPrivateKey;
  };
  /** Reference data by key reference (from {@link phoneReferenceData}, or as last saved). */
  readonly pins: Readonly<Record<string, StoredPin>>;
  readonly store: RetryCounterStore;
  readonly tokenSerial: string;
  /** Called with every reference's data after CHANGE REFERENCE DATA, to save them. */
  readonly onPinsChanged?: (pins: Record<string, StoredPin>) => Promise<void>;
}

/**
 * The phone's secure element: JPKI-AP (phone token label), 券面事項入力補助AP, 券面事項確認AP and 住基AP
 * over the phone's own keys and records, answering the same APDUs as the card. Returns the card and
 * its retry counters by reference (the PIN-reset flow resets them).
 */
export function openPhoneCard(options: PhoneCardOptions): {
  card: SmartCard;
  counters: ReadonlyMap<string, RetryCounter>;
} {
  const { contents } = options;
  const counters = new Map<string, RetryCounter>();
  const counter = (reference: PhonePinReference) => {
    const pin = options.pins[reference];
    if (!pin) throw new CardError('ERR_CARD_RECORD', `the phone has no reference data for ${reference}`);
    const made = new RetryCounter({ reference, maxTries: PHONE_PIN_REFERENCES[reference], pin, store: options.store });
    counters.set(reference, made);
    return made;
  };
  const onReferenceChanged = async () => {
    const pins: Record<string, StoredPin> = { ...options.pins };
    for (const [reference, made] of counters) pins[reference] = made.storedPin;
    await options.onPinsChanged?.(pins);
  };
  const bytes = base64ToBytes;
  const applets = [
    createPhoneJpkiApplet(options, counter, onReferenceChanged),
    createKenhojoApplet({
      myNumberFile: bytes(contents.kenhojo.myNumberFile),
      basicFourInfoFile: bytes(contents.kenhojo.basicFourInfoFile),
      integrityRecord: bytes(contents.kenhojo.integrityRecord),
      cvCertificate: bytes(contents.kenhojo.cvCertificate),
      signerKeyId: contents.kenhojo.signerKeyId,
      pin: counter('kenhojo/0011'),
      codeA: counter('kenhojo/0014'),
      onReferenceChanged,
    }),
    createKenkakuApplet({
      cardFaceFile: bytes(contents.kenkaku.cardFaceFile),
      ageRecord: bytes(contents.kenkaku.ageRecord),
      myNumberImageRecord: bytes(contents.kenkaku.myNumberImageRecord),
      cvCertificate: bytes(contents.kenkaku.cvCertificate),
      signerKeyId: contents.kenkaku.signerKeyId,
      municipalityCode: contents.municipalityCode,
      cardKey: options.keys.cardFace,
      birthDateKey: counter('kenkaku/0011'),
      codeA: counter('kenkaku/0013'),
    }),
    createJukiApplet({ residentCode: contents.juki.residentCode, pin: counter('juki/001C'), onReferenceChanged }),
  ];
  const card = new SmartCard({
    applets,
    atr: CARD_ATR,
    mfData: encodePhoneMfData(contents, options.tokenSerial),
  });
  return { card, counters };
}

/** JPKI-AP with the phone token label: the signing pair only when the issuer certified one. */
function createPhoneJpkiApplet(
  options: PhoneCardOptions,
  counter: (reference: PhonePinReference) => RetryCounter,
  onReferenceChanged: () => Promise<void>,
): Applet {
  const { jpki } = options.contents;
  const bytes = base64ToBytes;
  const signing = jpki.signingCertificate;
  if (signing && !options.keys.signing) throw new CardError('ERR_CARD_KEY', 'a signing certificate needs its key');
  return createJpkiApplet({
    variant: 'phone',
    ...(signing && options.keys.signing
      ? { signing: { certificate: bytes(signing), key: options.keys.signing, password: counter('jpki/001B') } }
      : {}),
    signingCaCertificate: bytes(jpki.signingCaCertificate),
    authentication: {
      certificate: bytes(jpki.authenticationCertificate),
      key: options.keys.authentication,
      pin: counter('jpki/0018'),
    },
    authenticationCaCertificate: bytes(jpki.authenticationCaCertificate),
    tokenSerial: options.tokenSerial,
    onReferenceChanged,
  });
}

/** The MF's data objects. The phone has no 共通カードAP serial: its card identification number is its token serial. */
function encodePhoneMfData(contents: PhoneCardContents, tokenSerial: string): Map<number, Uint8Array> {
  const bytes = base64ToBytes;
  return encodeMfDataObjects({
    municipalityCode: contents.municipalityCode,
    expiry: contents.cardExpiry,
    cardIdentificationNumber: tokenSerial,
    atr: CARD_ATR,
    chain: {
      upper: bytes(contents.kenkaku.cvCertificate),
      ...(contents.kenkaku.cardCvCertificate ? { lower: bytes(contents.kenkaku.cardCvCertificate) } : {}),
    },
  });
}

/** Reference data in its stored form: salt and digest in base64, by key reference. */
export type EncodedStoredPins = Record<string, { readonly salt: string; readonly digest: string }>;

/** Reference data for storage as JSON (the phone's sealed credential, the remote secure area's). */
export function encodeStoredPins(pins: Readonly<Record<string, StoredPin>>): EncodedStoredPins {
  return Object.fromEntries(
    Object.entries(pins).map(([reference, pin]) => [
      reference,
      { salt: bytesToBase64(pin.salt), digest: bytesToBase64(pin.digest) },
    ]),
  );
}

/** What {@link encodeStoredPins} wrote. */
export function decodeStoredPins(pins: EncodedStoredPins): Record<string, StoredPin> {
  return Object.fromEntries(
    Object.entries(pins).map(([reference, pin]) => [
      reference,
      { salt: base64ToBytes(pin.salt), digest: base64ToBytes(pin.digest) },
    ]),
  );
}

/** Whether `value` has the form key reference `reference` of the phone requires (a change or reset). */
export function phonePinAccepts(reference: string, value: string): boolean {
  const bytes = new TextEncoder().encode(value);
  return reference === 'jpki/001B' ? isValidSigningPassword(bytes) : isValidFourDigitPin(bytes);
}

/** The first of the holder's chosen phone PINs that does not have its form, described; none: `undefined`. */
export function phonePinsProblem(pins: PhonePins): string | undefined {
  const references = { authentication: 'jpki/0018', signing: 'jpki/001B', kenhojo: 'kenhojo/0011', juki: 'juki/001C' };
  const names = {
    authentication: 'the 利用者証明用暗証番号 has 4 digits',
    signing: 'the 署名用パスワード has 6 to 16 upper-case letters and digits, with at least one of each',
    kenhojo: 'the 券面事項入力補助用暗証番号 has 4 digits',
    juki: 'the 住民基本台帳用暗証番号 has 4 digits',
  } as const;
  for (const name of ['authentication', 'kenhojo', 'juki', 'signing'] as const)
    if (typeof pins[name] !== 'string' || !phonePinAccepts(references[name], pins[name])) return names[name];
  return undefined;
}

/**
 * Why the phone's applet contents do not belong to the phone's public keys, or `undefined` when they
 * do: both certificates hold its JPKI keys, the 入力補助 4 info are the signing certificate's, and the
 * 券面 records are over its 券面 key. A record that does not decode throws.
 */
export function phoneContentsMismatch(
  contents: PhoneCardContents,
  keys: { readonly authenticationKey: string; readonly signingKey: string; readonly cardFaceKey: string },
): string | undefined {
  const authentication = parseCertificate(base64ToBytes(contents.jpki.authenticationCertificate));
  if (!constantTimeEqual(authentication.subjectPublicKeyInfo, base64ToBytes(keys.authenticationKey)))
    return 'the authentication certificate is for another key';
  if (contents.jpki.signingCertificate) {
    const signing = parseCertificate(base64ToBytes(contents.jpki.signingCertificate));
    if (!constantTimeEqual(signing.subjectPublicKeyInfo, base64ToBytes(keys.signingKey)))
      return 'the signing certificate is for another key';
    const recorded = decodeBasicFourInfoFile(base64ToBytes(contents.kenhojo.basicFourInfoFile)).info;
    if (JSON.stringify(recorded) !== JSON.stringify(readJpkiIdentity(signing).basicFourInfo))
      return 'the 入力補助 4 info differ from the signing certificate';
  }
  const face = decodeCardFaceFile(base64ToBytes(contents.kenkaku.cardFaceFile)).face;
  if (!constantTimeEqual(face.cardKey.modulus, readRsaPublicKey(base64ToBytes(keys.cardFaceKey)).modulus))
    return 'the 券面 records are for another key';
  return undefined;
}
