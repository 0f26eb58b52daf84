import {
  ageOn,
  calendarDateInJapan,
  formatIsoDate,
  formatWarekiYymmdd,
  type BasicFourInfo,
  type CalendarDate,
  type MunicipalityCode,
} from '@openmyna/core';
import { bytesToHex } from '@noble/hashes/utils.js';
import { base64ToBytes, bytesToBase64, parseCertificate, type PassphraseBox, type Signer } from '@openmyna/pki';
import type { CertificateAuthority, EndEntityRequest } from '@openmyna/pki/ca';

import { SoftwareCardKey, type CardPrivateKey } from './card-private-key.js';
import { issueKenhojoRecords, issueKenkakuRecords, type CardFaceImages } from './card-records.js';
import { CardError } from './errors.js';
import { createJpkiApplet } from './jpki-applet.js';
import { createCommonCardApplet, createJukiApplet } from './juki-applets.js';
import { createKenhojoApplet } from './kenhojo-applet.js';
import { createKenkakuApplet } from './kenkaku-applet.js';
import { encodeMfDataObjects } from './mf-data-objects.js';
import { protectPin, RetryCounter, type RetryCounterStore } from './retry-counter.js';
import { SmartCard } from './smart-card.js';
import {
  encodeStoredPin,
  openCardSecrets,
  recordsOf,
  sealSecrets,
  type CardRecordIssuer,
  type CardRecords,
  type CardSecrets,
  type KenhojoRecordFiles,
  type KenkakuRecordFiles,
  type VirtualCardDocument,
  type VirtualCardDocumentV1,
} from './virtual-card-document.js';

/** The physical card's ATR (card-spec §0), which OpenSC's jpki driver recognises. */
export const CARD_ATR = Uint8Array.of(0x3b, 0xe0, 0x00, 0xff, 0x81, 0x31, 0xfe, 0x45, 0x14);

/** The values a person chooses (or is given) at the counter. */
export interface CardPins {
  /** 利用者証明用暗証番号, 4 digits. */
  readonly authentication: string;
  /** 署名用パスワード, 6–16 upper-case letters and digits. */
  readonly signing: string;
  /** 券面事項入力補助用暗証番号, 4 digits. */
  readonly kenhojo: string;
  /** 住民基本台帳用暗証番号 (住基AP and 共通カードAP), 4 digits; the same as `kenhojo` when absent. */
  readonly juki?: string;
}

/** Inputs of {@link issueVirtualCard}: the registry's data and the issuer's keys. */
export interface VirtualCardIssue {
  readonly variant?: 'card' | 'phone';
  readonly person: {
    readonly id: string;
    readonly basicFourInfo: BasicFourInfo;
    readonly myNumber: string;
    readonly residentCode: string;
    readonly municipalityCode: MunicipalityCode;
    readonly prefecture: string;
    readonly municipality: string;
  };
  readonly issuedAt: Date;
  readonly cardExpiry: CalendarDate;
  /** The 4-digit security code printed on the card face (照合番号B). */
  readonly securityCode: string;
  readonly signingCa: CertificateAuthority;
  readonly authenticationCa: CertificateAuthority;
  /** The key that signs 入力補助 records, and its CV certificate. */
  readonly kenhojoIssuer: { readonly signer: Signer; readonly keyId: string; readonly cvCertificate: Uint8Array };
  /** The key that signs 券面 records (raw PKCS#1: the card face signs a 96-byte digest list), and its CV certificate. */
  readonly kenkakuIssuer: { readonly key: CardPrivateKey; readonly keyId: string; readonly cvCertificate: Uint8Array };
  /** The card face as printed, rendered by the issuer (1-bit PNGs; the photo). */
  readonly cardFaceImages: CardFaceImages;
  readonly pins: CardPins;
  readonly passphrase: string;
  /**
   * Issues one certificate. Defaults to the CA's `issueEndEntity`; the issuer service passes its durable
   * issuance, which records the to-be-signed certificate before the CA key signs it.
   */
  readonly certify?: (hierarchy: 'signing' | 'authentication', request: EndEntityRequest) => Promise<Uint8Array>;
  /** PBKDF2 work for the sealed secrets (tests lower it). */
  readonly iterations?: number;
}

/** 署名用電子証明書 are not issued to holders under 15 (card-spec §4.1). */
const SIGNING_MINIMUM_AGE = 15;

/**
 * Issues a virtual card: new RSA-2048 keys for both JPKI applications, their certificates from the
 * two CAs (signing capped by the authentication certificate), and 入力補助 records signed by the
 * card-face issuer key.
 */
export async function issueVirtualCard(input: VirtualCardIssue): Promise<VirtualCardDocument> {
  const { person } = input;
  const jpki = await issueJpkiCertificates(input);
  const cardFaceKey = await SoftwareCardKey.generate();
  const kenkaku = await issueKenkakuRecords({
    municipalityCode: person.municipalityCode,
    basicFourInfo: person.basicFourInfo,
    cardPublicKeyInfo: cardFaceKey.publicKeyInfo,
    cardExpiry: input.cardExpiry,
    issuer: input.kenkakuIssuer,
    images: input.cardFaceImages,
  });
  const kenhojo = await issueKenhojoRecords({
    myNumber: person.myNumber,
    basicFourInfo: person.basicFourInfo,
    issuer: input.kenhojoIssuer,
  });
  const codeB = collationCodeB(input);
  const random = (length: number) => crypto.getRandomValues(new Uint8Array(length));
  const issuerOf = ({ cvCertificate, signerKeyId }: CardRecordIssuer): CardRecordIssuer => ({
    cvCertificate,
    signerKeyId,
  });
  const secrets: CardSecrets = {
    stateKey: bytesToBase64(random(32)),
    keys: {
      authentication: jpki.authentication.jwk,
      ...(jpki.signing ? { signing: jpki.signing.jwk } : {}),
      cardFace: cardFaceKey.jwk,
    },
    pins: cardReferenceData(input, codeB, jpki.signing !== undefined, random),
    records: sealedRecords(jpki.signingCertificate, kenhojo, kenkaku, person.residentCode),
  };
  const identity = { personId: person.id, tokenSerial: bytesToHex(random(8)) };
  return {
    format: 'openmyna-card/2',
    variant: input.variant ?? 'card',
    personId: identity.personId,
    municipalityCode: person.municipalityCode,
    expiry: formatIsoDate(input.cardExpiry),
    tokenSerial: identity.tokenSerial,
    jpki: {
      signingIssued: jpki.signingCertificate !== undefined,
      signingCaCertificate: bytesToBase64(input.signingCa.certificate),
      authenticationCertificate: bytesToBase64(jpki.authenticationCertificate),
      authenticationCaCertificate: bytesToBase64(input.authenticationCa.certificate),
    },
    kenhojo: issuerOf(kenhojo),
    kenkaku: issuerOf(kenkaku),
    common: { serial: Array.from(random(15), (byte) => String(byte % 10)).join('') },
    secrets: await sealSecrets(secrets, input.passphrase, 'openmyna-card/2', identity, input.iterations),
  };
}

/**
 * The JPKI keys and their certificates: authentication always, signing only from age 15 and never
 * valid past the authentication certificate.
 */
async function issueJpkiCertificates(input: VirtualCardIssue) {
  const { person } = input;
  const issuedOn = calendarDateInJapan(input.issuedAt);
  const holder = {
    basicFourInfo: person.basicFourInfo,
    municipalityCode: person.municipalityCode,
    prefecture: person.prefecture,
    municipality: person.municipality,
    cardExpiry: input.cardExpiry,
  };
  const certify =
    input.certify ??
    ((hierarchy: 'signing' | 'authentication', request: EndEntityRequest) =>
      (hierarchy === 'signing' ? input.signingCa : input.authenticationCa).issueEndEntity(request));
  const authentication = await SoftwareCardKey.generate();
  const authenticationCertificate = await certify('authentication', {
    profile: 'jpki-authentication',
    subjectPublicKeyInfo: authentication.publicKeyInfo,
    holder,
    issuedAt: input.issuedAt,
  });
  const signing =
    ageOn(person.basicFourInfo.birthDate, issuedOn) >= SIGNING_MINIMUM_AGE
      ? await SoftwareCardKey.generate()
      : undefined;
  const signingCertificate = signing
    ? await certify('signing', {
        profile: 'jpki-signing',
        subjectPublicKeyInfo: signing.publicKeyInfo,
        holder,
        issuedAt: input.issuedAt,
        notLaterThan: parseCertificate(authenticationCertificate).notAfter,
      })
    : undefined;
  return { authentication, authenticationCertificate, signing, signingCertificate };
}

/** 照合番号B: 和暦 birth date YYMMDD + the expiry's Gregorian year + the security code (card-spec §3.5). */
function collationCodeB(input: VirtualCardIssue): string {
  if (!/^\d{4}$/.test(input.securityCode)) throw new CardError('ERR_PIN_FORMAT', 'the security code has 4 digits');
  return formatWarekiYymmdd(input.person.basicFourInfo.birthDate) + String(input.cardExpiry.year) + input.securityCode;
}

/** The card's reference data by key reference, as salted digests: the holder's PINs and the codes from the records. */
function cardReferenceData(
  input: VirtualCardIssue,
  codeB: string,
  signingIssued: boolean,
  random: (length: number) => Uint8Array,
): CardSecrets['pins'] {
  const { person } = input;
  const stored = (value: string) => {
    const pin = protectPin(new TextEncoder().encode(value), random(16));
    return { salt: bytesToBase64(pin.salt), digest: bytesToBase64(pin.digest) };
  };
  return {
    'jpki/0018': stored(input.pins.authentication),
    ...(signingIssued ? { 'jpki/001B': stored(input.pins.signing) } : {}),
    'kenhojo/0011': stored(input.pins.kenhojo),
    'kenhojo/0014': stored(person.myNumber),
    'kenhojo/0015': stored(codeB),
    'kenkaku/0011': stored(formatWarekiYymmdd(person.basicFourInfo.birthDate)),
    'kenkaku/0012': stored(codeB),
    'kenkaku/0013': stored(person.myNumber),
    'juki/001C': stored(input.pins.juki ?? input.pins.kenhojo),
    'common/001C': stored(input.pins.juki ?? input.pins.kenhojo),
  };
}

/** The personal records as the card file seals them (without their issuers, which it shows in the clear). */
function sealedRecords(
  signingCertificate: Uint8Array | undefined,
  kenhojo: KenhojoRecordFiles,
  kenkaku: KenkakuRecordFiles,
  residentCode: string,
): CardRecords {
  return {
    ...(signingCertificate ? { signingCertificate: bytesToBase64(signingCertificate) } : {}),
    kenhojo: {
      myNumberFile: kenhojo.myNumberFile,
      basicFourInfoFile: kenhojo.basicFourInfoFile,
      integrityRecord: kenhojo.integrityRecord,
    },
    kenkaku: {
      cardFaceFile: kenkaku.cardFaceFile,
      ageRecord: kenkaku.ageRecord,
      myNumberImageRecord: kenkaku.myNumberImageRecord,
      ...(kenkaku.cardCvCertificate ? { cardCvCertificate: kenkaku.cardCvCertificate } : {}),
    },
    residentCode,
  };
}

/** Options of {@link openVirtualCard}. */
export interface OpenVirtualCardOptions {
  readonly document: VirtualCardDocument | VirtualCardDocumentV1;
  readonly passphrase: string;
  /** The retry-counter store, given the card's state key (e.g. a `FileRetryCounterStore` beside the card file). */
  readonly store: (stateKey: Uint8Array) => RetryCounterStore;
  /** Called with the re-sealed secrets after CHANGE REFERENCE DATA, to save the card. */
  readonly onSecretsChanged?: (secrets: PassphraseBox) => Promise<void>;
  readonly iterations?: number;
  /** Makes the card's private keys from their JWKs (default `SoftwareCardKey`; on Node, `nodeCardKey` is faster). */
  readonly cardKey?: (jwk: JsonWebKey) => CardPrivateKey;
}

/** Opens a card file into a {@link SmartCard} that answers APDUs. */
export async function openVirtualCard(options: OpenVirtualCardOptions): Promise<SmartCard> {
  const { document } = options;
  const secrets = await openCardSecrets(document, options.passphrase);
  const identity = { personId: document.personId, tokenSerial: document.tokenSerial };
  const records = recordsOf(document, secrets);
  const store = options.store(base64ToBytes(secrets.stateKey));
  const counters = new Map<string, RetryCounter>();
  const counter = (reference: string, maxTries: number) => {
    const pin = secrets.pins[reference];
    if (!pin) throw new CardError('ERR_CARD_RECORD', `the card has no reference data for ${reference}`);
    const made = new RetryCounter({
      reference,
      maxTries,
      pin: { salt: base64ToBytes(pin.salt), digest: base64ToBytes(pin.digest) },
      store,
    });
    counters.set(reference, made);
    return made;
  };
  const onReferenceChanged = async () => {
    const pins: CardSecrets['pins'] = {};
    for (const [reference, made] of counters) pins[reference] = encodeStoredPin(made.storedPin);
    await options.onSecretsChanged?.(
      await sealSecrets({ ...secrets, pins }, options.passphrase, document.format, identity, options.iterations),
    );
  };
  const opened: OpenedCard = {
    document,
    records,
    secrets,
    cardKey: options.cardKey ?? ((jwk: JsonWebKey) => new SoftwareCardKey(jwk)),
    counter,
    onReferenceChanged,
  };
  const applets = [createCardJpkiApplet(opened)];
  if (document.variant === 'card') applets.push(...createCardOnlyApplets(opened));
  return new SmartCard({ applets, atr: CARD_ATR, mfData: encodeCardMfData(document, records) });
}

/** An opened card file, and how its applets reach their keys and retry counters. */
interface OpenedCard {
  readonly document: VirtualCardDocument | VirtualCardDocumentV1;
  readonly records: CardRecords;
  readonly secrets: CardSecrets;
  readonly cardKey: (jwk: JsonWebKey) => CardPrivateKey;
  readonly counter: (reference: string, maxTries: number) => RetryCounter;
  readonly onReferenceChanged: () => Promise<void>;
}

/** JPKI-AP: the signing pair only when the card holds both its certificate and its key. */
function createCardJpkiApplet({ document, records, secrets, cardKey, counter, onReferenceChanged }: OpenedCard) {
  const bytes = (text: string) => base64ToBytes(text);
  return createJpkiApplet({
    variant: document.variant,
    ...(records.signingCertificate && secrets.keys.signing
      ? {
          signing: {
            certificate: bytes(records.signingCertificate),
            key: cardKey(secrets.keys.signing),
            password: counter('jpki/001B', 5),
          },
        }
      : {}),
    signingCaCertificate: bytes(document.jpki.signingCaCertificate),
    authentication: {
      certificate: bytes(document.jpki.authenticationCertificate),
      key: cardKey(secrets.keys.authentication),
      pin: counter('jpki/0018', 3),
    },
    authenticationCaCertificate: bytes(document.jpki.authenticationCaCertificate),
    tokenSerial: document.tokenSerial,
    onReferenceChanged,
  });
}

/** The applets only the card carries (a phone file opens with JPKI-AP alone): 入力補助, 券面, 住基 and 共通カード. */
function createCardOnlyApplets({ document, records, secrets, cardKey, counter, onReferenceChanged }: OpenedCard) {
  const bytes = (text: string) => base64ToBytes(text);
  return [
    createKenhojoApplet({
      myNumberFile: bytes(records.kenhojo.myNumberFile),
      basicFourInfoFile: bytes(records.kenhojo.basicFourInfoFile),
      integrityRecord: bytes(records.kenhojo.integrityRecord),
      cvCertificate: bytes(document.kenhojo.cvCertificate),
      signerKeyId: document.kenhojo.signerKeyId,
      pin: counter('kenhojo/0011', 3),
      codeA: counter('kenhojo/0014', 3),
      codeB: counter('kenhojo/0015', 3),
      onReferenceChanged,
    }),
    createKenkakuApplet({
      cardFaceFile: bytes(records.kenkaku.cardFaceFile),
      ageRecord: bytes(records.kenkaku.ageRecord),
      myNumberImageRecord: bytes(records.kenkaku.myNumberImageRecord),
      cvCertificate: bytes(document.kenkaku.cvCertificate),
      signerKeyId: document.kenkaku.signerKeyId,
      municipalityCode: document.municipalityCode,
      cardKey: cardKey(secrets.keys.cardFace),
      birthDateKey: counter('kenkaku/0011', 3),
      codeB: counter('kenkaku/0012', 3),
      codeA: counter('kenkaku/0013', 3),
    }),
    createJukiApplet({ residentCode: records.residentCode, pin: counter('juki/001C', 3), onReferenceChanged }),
    createCommonCardApplet({
      serial: document.common.serial,
      municipalityCode: document.municipalityCode,
      expiry: document.expiry.replace(/-/g, ''),
      pin: counter('common/001C', 3),
      onReferenceChanged,
    }),
  ];
}

/** The MF's data objects: the card serial as its identification number, and the 券面 CV certificate chain. */
function encodeCardMfData(document: VirtualCardDocument | VirtualCardDocumentV1, records: CardRecords) {
  const bytes = (text: string) => base64ToBytes(text);
  return encodeMfDataObjects({
    municipalityCode: document.municipalityCode,
    expiry: document.expiry,
    cardIdentificationNumber: document.common.serial,
    atr: CARD_ATR,
    chain: {
      upper: bytes(document.kenkaku.cvCertificate),
      ...(records.kenkaku.cardCvCertificate ? { lower: bytes(records.kenkaku.cardCvCertificate) } : {}),
    },
  });
}
