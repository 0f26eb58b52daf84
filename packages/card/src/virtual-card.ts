import {
  ageOn,
  calendarDateInJapan,
  formatIsoDate,
  formatWarekiYymmdd,
  type BasicFourInfo,
  type CalendarDate,
  type MunicipalityCode,
} from '@openmyna/core';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  base64ToBytes,
  bytesToBase64,
  encodeDigestInfo,
  openWithPassphrase,
  parseCertificate,
  readRsaPublicKey,
  sealWithPassphrase,
  type PassphraseBox,
  type Signer,
} from '@openmyna/pki';
import type { CertificateAuthority, EndEntityRequest } from '@openmyna/pki/ca';

import { SoftwareCardKey, type CardPrivateKey } from './card-private-key.js';
import { encodeKeyId, issueCvCertificate } from './cv-certificate.js';
import { CardError } from './errors.js';
import { createJpkiApplet } from './jpki-applet.js';
import { createCommonCardApplet, createJukiApplet } from './juki-applets.js';
import { createKenhojoApplet } from './kenhojo-applet.js';
import { encodeBasicFourInfoFile, encodeIntegrityRecord, encodeMyNumberFile } from './kenhojo-records.js';
import { createKenkakuApplet } from './kenkaku-applet.js';
import { encodeAgeRecord, encodeCardFaceFile, encodeMyNumberImageRecord } from './kenkaku-records.js';
import { encodeMfDataObjects } from './mf-data-objects.js';
import { protectPin, RetryCounter, type RetryCounterStore, type StoredPin } from './retry-counter.js';
import { SmartCard } from './smart-card.js';

/** The physical card's ATR (card-spec §0), which OpenSC's jpki driver recognises. */
export const CARD_ATR = Uint8Array.of(0x3b, 0xe0, 0x00, 0xff, 0x81, 0x31, 0xfe, 0x45, 0x14);

/**
 * A virtual card as a file (`format: openmyna-card/2`). In the clear only what any reader may read from
 * the real card without a PIN: the card's identity, the CA certificates and the authentication
 * certificate, the issuers' CV certificates. Everything personal — the 入力補助 and 券面 records, the
 * 住民票コード and the signing certificate (which the card releases only after the signing password) —
 * is sealed in `secrets` with the private keys and the PIN reference data, under the card's passphrase:
 * the file is the chip, and what opens it answers only through the applets and their access rules.
 * Retry counters live apart, in a store the host provides (a file beside the card). Files of the
 * earlier `openmyna-card/1` (records in the clear) still open.
 */
export interface VirtualCardDocument {
  readonly format: 'openmyna-card/2';
  readonly variant: 'card' | 'phone';
  readonly personId: string;
  readonly municipalityCode: string;
  /** 有効期限, `YYYY-MM-DD`. */
  readonly expiry: string;
  readonly tokenSerial: string;
  readonly jpki: {
    /** Whether a 署名用電子証明書 was issued (not to holders under 15); the certificate itself is sealed. */
    readonly signingIssued: boolean;
    readonly signingCaCertificate: string;
    readonly authenticationCertificate: string;
    readonly authenticationCaCertificate: string;
  };
  /** The 入力補助AP's issuer: its CV certificate and key id (the records are sealed). */
  readonly kenhojo: CardRecordIssuer;
  /** The 券面事項確認AP's issuer (the records are sealed). */
  readonly kenkaku: CardRecordIssuer;
  /** 共通カードAP: the 15-digit card serial. */
  readonly common: { readonly serial: string };
  readonly secrets: PassphraseBox;
}

/** An issuer of a card application's records as the card names it. */
export interface CardRecordIssuer {
  readonly cvCertificate: string;
  readonly signerKeyId: string;
}

/** 入力補助 records (base64): the My Number file, the 4 info file and the integrity record over both. */
export interface KenhojoRecordFiles extends CardRecordIssuer {
  readonly myNumberFile: string;
  readonly basicFourInfoFile: string;
  readonly integrityRecord: string;
}

/** 券面 records (base64): the signed card face, the age record and the 個人番号 image record. */
export interface KenkakuRecordFiles extends CardRecordIssuer {
  readonly cardFaceFile: string;
  readonly ageRecord: string;
  readonly myNumberImageRecord: string;
  /**
   * The MF-level `7F21` CV certificate: the 券面 issuer key certifying the card's own 券面 key
   * ({@link cardKeyId}). Absent from cards and phones issued before openmyna served it, which then
   * answer GET DATA `7F21` with `6A88`, as older real cards do (card-spec §0).
   */
  readonly cardCvCertificate?: string | undefined;
}

/** The personal contents of a card, sealed in its file. */
export interface CardRecords {
  readonly signingCertificate?: string;
  readonly kenhojo: Omit<KenhojoRecordFiles, keyof CardRecordIssuer>;
  readonly kenkaku: Omit<KenkakuRecordFiles, keyof CardRecordIssuer>;
  /** 住基AP: the 住民票コード (11 digits). */
  readonly residentCode: string;
}

/** A card file of the first format, whose records were in the clear: still opened. */
interface VirtualCardDocumentV1 extends Omit<VirtualCardDocument, 'format' | 'jpki' | 'kenhojo' | 'kenkaku'> {
  readonly format: 'openmyna-card/1';
  readonly jpki: Omit<VirtualCardDocument['jpki'], 'signingIssued'> & { readonly signingCertificate?: string };
  readonly kenhojo: KenhojoRecordFiles;
  readonly kenkaku: KenkakuRecordFiles;
  readonly juki: { readonly residentCode: string };
}

/** What `secrets` holds once opened. Never logged, never returned by an API. */
export interface CardSecrets {
  /** HMAC key of the retry-counter store. */
  readonly stateKey: string;
  readonly keys: { readonly authentication: JsonWebKey; readonly signing?: JsonWebKey; readonly cardFace: JsonWebKey };
  /** Reference data by key reference (`jpki/0018`, `kenhojo/0015` …): salted SHA-256. */
  readonly pins: Record<string, { readonly salt: string; readonly digest: string }>;
  /** The card's personal records (absent in `openmyna-card/1` files, which kept them in the clear). */
  readonly records?: CardRecords;
}

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
  readonly cardFaceImages: {
    readonly name: Uint8Array;
    readonly address: Uint8Array;
    readonly myNumber: Uint8Array;
    readonly securityCode: Uint8Array;
    readonly photo: Uint8Array;
  };
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
  if (!/^\d{4}$/.test(input.securityCode)) throw new CardError('ERR_PIN_FORMAT', 'the security code has 4 digits');
  // 照合番号B: 和暦 birth date YYMMDD + the expiry's Gregorian year + the security code (card-spec §3.5).
  const codeB = formatWarekiYymmdd(person.basicFourInfo.birthDate) + String(input.cardExpiry.year) + input.securityCode;
  const random = (length: number) => crypto.getRandomValues(new Uint8Array(length));
  const stored = (value: string) => {
    const pin = protectPin(new TextEncoder().encode(value), random(16));
    return { salt: bytesToBase64(pin.salt), digest: bytesToBase64(pin.digest) };
  };
  const issuerOf = ({ cvCertificate, signerKeyId }: CardRecordIssuer): CardRecordIssuer => ({
    cvCertificate,
    signerKeyId,
  });
  const secrets: CardSecrets = {
    stateKey: bytesToBase64(random(32)),
    keys: {
      authentication: authentication.jwk,
      ...(signing ? { signing: signing.jwk } : {}),
      cardFace: cardFaceKey.jwk,
    },
    pins: {
      'jpki/0018': stored(input.pins.authentication),
      ...(signing ? { 'jpki/001B': stored(input.pins.signing) } : {}),
      'kenhojo/0011': stored(input.pins.kenhojo),
      'kenhojo/0014': stored(person.myNumber),
      'kenhojo/0015': stored(codeB),
      'kenkaku/0011': stored(formatWarekiYymmdd(person.basicFourInfo.birthDate)),
      'kenkaku/0012': stored(codeB),
      'kenkaku/0013': stored(person.myNumber),
      'juki/001C': stored(input.pins.juki ?? input.pins.kenhojo),
      'common/001C': stored(input.pins.juki ?? input.pins.kenhojo),
    },
    records: {
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
      residentCode: person.residentCode,
    },
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
      signingIssued: signingCertificate !== undefined,
      signingCaCertificate: bytesToBase64(input.signingCa.certificate),
      authenticationCertificate: bytesToBase64(authenticationCertificate),
      authenticationCaCertificate: bytesToBase64(input.authenticationCa.certificate),
    },
    kenhojo: issuerOf(kenhojo),
    kenkaku: issuerOf(kenkaku),
    common: { serial: Array.from(random(15), (byte) => String(byte % 10)).join('') },
    secrets: await sealSecrets(secrets, input.passphrase, 'openmyna-card/2', identity, input.iterations),
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
  if (document.format !== 'openmyna-card/2' && document.format !== 'openmyna-card/1')
    throw new CardError('ERR_CARD_RECORD', 'not an openmyna-card file');
  const identity = { personId: document.personId, tokenSerial: document.tokenSerial };
  const secrets = JSON.parse(
    new TextDecoder().decode(
      await openWithPassphrase(document.secrets, options.passphrase, associatedData(document.format, identity)),
    ),
  ) as CardSecrets;
  const records = recordsOf(document, secrets);
  const store = options.store(base64ToBytes(secrets.stateKey));
  const cardKey = options.cardKey ?? ((jwk: JsonWebKey) => new SoftwareCardKey(jwk));
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
  const bytes = (text: string) => base64ToBytes(text);
  const jpki = createJpkiApplet({
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
  const applets = [jpki];
  if (document.variant === 'card') {
    applets.push(
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
    );
  }
  const mfData = encodeMfDataObjects({
    municipalityCode: document.municipalityCode,
    expiry: document.expiry,
    cardIdentificationNumber: document.common.serial,
    atr: CARD_ATR,
    chain: {
      upper: bytes(document.kenkaku.cvCertificate),
      ...(records.kenkaku.cardCvCertificate ? { lower: bytes(records.kenkaku.cardCvCertificate) } : {}),
    },
  });
  return new SmartCard({ applets, atr: CARD_ATR, mfData });
}

function encodeStoredPin(pin: StoredPin): { salt: string; digest: string } {
  return { salt: bytesToBase64(pin.salt), digest: bytesToBase64(pin.digest) };
}

/** A card's personal records: sealed in its secrets, or in the clear in an `openmyna-card/1` file. */
function recordsOf(document: VirtualCardDocument | VirtualCardDocumentV1, secrets: CardSecrets): CardRecords {
  if (document.format === 'openmyna-card/1')
    return {
      ...(document.jpki.signingCertificate ? { signingCertificate: document.jpki.signingCertificate } : {}),
      kenhojo: document.kenhojo,
      kenkaku: document.kenkaku,
      residentCode: document.juki.residentCode,
    };
  if (!secrets.records) throw new CardError('ERR_CARD_RECORD', 'the card file holds no records');
  return secrets.records;
}

/** What the sealed secrets are bound to: the file's format (so a box cannot move between formats) and identity. */
function associatedData(
  format: VirtualCardDocument['format'] | VirtualCardDocumentV1['format'],
  identity: { personId: string; tokenSerial: string },
): Uint8Array {
  return new TextEncoder().encode(`${format}:${identity.personId}:${identity.tokenSerial}`);
}

function sealSecrets(
  secrets: CardSecrets,
  passphrase: string,
  format: VirtualCardDocument['format'] | VirtualCardDocumentV1['format'],
  identity: { personId: string; tokenSerial: string },
  iterations?: number,
): Promise<PassphraseBox> {
  return sealWithPassphrase(new TextEncoder().encode(JSON.stringify(secrets)), passphrase, {
    associatedData: associatedData(format, identity),
    ...(iterations ? { iterations } : {}),
  });
}

/** 入力補助 records for one holder, signed by the municipality's issuer key (base64, as card files keep them). */
export async function issueKenhojoRecords(input: {
  readonly myNumber: string;
  readonly basicFourInfo: BasicFourInfo;
  readonly issuer: { readonly signer: Signer; readonly keyId: string; readonly cvCertificate: Uint8Array };
}): Promise<KenhojoRecordFiles> {
  const myNumberFile = encodeMyNumberFile(input.myNumber);
  const basicFourInfoFile = encodeBasicFourInfoFile(input.basicFourInfo);
  return {
    myNumberFile: bytesToBase64(myNumberFile),
    basicFourInfoFile: bytesToBase64(basicFourInfoFile),
    integrityRecord: bytesToBase64(await encodeIntegrityRecord(myNumberFile, basicFourInfoFile, input.issuer.signer)),
    cvCertificate: bytesToBase64(input.issuer.cvCertificate),
    signerKeyId: input.issuer.keyId,
  };
}

/**
 * 券面 records for one holder whose 券面AP key is `cardPublicKeyInfo` (the card's, or a phone's own):
 * the signed card face, the age record and the 個人番号 image record.
 */
export async function issueKenkakuRecords(input: {
  readonly municipalityCode: string;
  readonly basicFourInfo: BasicFourInfo;
  readonly cardPublicKeyInfo: Uint8Array;
  readonly cardExpiry: CalendarDate;
  readonly issuer: { readonly key: CardPrivateKey; readonly keyId: string; readonly cvCertificate: Uint8Array };
  readonly images: VirtualCardIssue['cardFaceImages'];
}): Promise<KenkakuRecordFiles> {
  const publicKey = readRsaPublicKey(input.cardPublicKeyInfo);
  const cardKey = { modulus: publicKey.modulus, exponent: publicKey.publicExponent };
  const cardFaceFile = await encodeCardFaceFile(
    {
      birthDate: input.basicFourInfo.birthDate,
      sex: input.basicFourInfo.sex,
      cardKey,
      nameImage: input.images.name,
      addressImage: input.images.address,
      photo: input.images.photo,
      expiry: input.cardExpiry,
      securityCodeImage: input.images.securityCode,
    },
    input.issuer.key,
  );
  return {
    cardFaceFile: bytesToBase64(cardFaceFile),
    ageRecord: bytesToBase64(await encodeAgeRecord(input.basicFourInfo.birthDate, cardKey, input.issuer.key)),
    myNumberImageRecord: bytesToBase64(
      await encodeMyNumberImageRecord(input.images.myNumber, cardKey, input.issuer.key),
    ),
    cvCertificate: bytesToBase64(input.issuer.cvCertificate),
    signerKeyId: input.issuer.keyId,
    cardCvCertificate: bytesToBase64(
      await issueCvCertificate({
        issuerKeyId: encodeKeyId(input.issuer.keyId),
        subjectKeyId: encodeKeyId(cardKeyId(input.municipalityCode), true),
        subjectKey: cardKey,
        issuer: { sign: (body) => input.issuer.key.signPkcs1(encodeDigestInfo('SHA-256', sha256(body))) },
      }),
    ),
  };
}

/**
 * The key ID under which the MF-level `7F21` certificate names a card's own 券面 key:
 * `<municipality code>23/000`, an MF-level key ID (card-spec §3.7). J-LIS's are municipality-specific
 * too; the real certificate's subject is not documented.
 */
export function cardKeyId(municipalityCode: string): string {
  return `${municipalityCode}23/000`;
}
