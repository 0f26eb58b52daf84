import { Applet, ALWAYS, verifiedAnyOf, type ElementaryFile } from './applet.js';
import type { CardPrivateKey } from './card-private-key.js';
import type { RetryCounter } from './retry-counter.js';

/** 公的個人認証AP (card-spec §1.1). */
export const JPKI_AID = Uint8Array.of(0xd3, 0x92, 0xf0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01);

/** The JPKI-AP's EFs and key references (card-spec §1.2). */
export const JPKI_EF = {
  signingCertificate: 0x0001,
  signingCaCertificate: 0x0002,
  tokenInfo: 0x0006,
  certificateAvailability: 0x0008,
  authenticationCertificate: 0x000a,
  authenticationCaCertificate: 0x000b,
  authenticationKey: 0x0017,
  authenticationPin: 0x0018,
  signingKey: 0x001a,
  signingPassword: 0x001b,
} as const;

/**
 * Token labels (first 32 bytes of EF 0006). The virtual card uses the physical card's; the phone uses
 * openmyna's own label, distinct from Android's `JPKIAPGPSETOKEN` and iPhone's `JPKIAPIOSTOKEN`, so that
 * software can tell an openmyna phone apart.
 */
export const TOKEN_LABEL = { card: 'JPKIAPICCTOKEN2', phone: 'JPKIAPOPENMYNATOKEN' } as const;

/** Size of the certificate EFs: the DER certificate, then `FF` filler (the real filler value is not documented). */
export const CERTIFICATE_EF_SIZE = 2048;

/** Options of {@link createJpkiApplet}. */
export interface JpkiAppletOptions {
  readonly variant: 'card' | 'phone';
  /** Absent for cards of holders under 15, who get no signing certificate (card-spec §4.1). */
  readonly signing?: {
    readonly certificate: Uint8Array;
    readonly key: CardPrivateKey;
    readonly password: RetryCounter;
  };
  readonly signingCaCertificate: Uint8Array;
  readonly authentication: {
    readonly certificate: Uint8Array;
    readonly key: CardPrivateKey;
    readonly pin: RetryCounter;
  };
  readonly authenticationCaCertificate: Uint8Array;
  /** A 16-character token serial for EF 0006. */
  readonly tokenSerial: string;
  readonly onReferenceChanged?: () => Promise<void>;
}

/** 署名用パスワード: 6–16 upper-case letters and digits, at least one of each (card-spec §2.3). */
export function isValidSigningPassword(value: Uint8Array): boolean {
  const text = String.fromCharCode(...value);
  return /^[A-Z0-9]{6,16}$/.test(text) && /[A-Z]/.test(text) && /[0-9]/.test(text);
}

/** The 4-digit PINs (利用者証明用暗証番号 and the others). */
export function isValidFourDigitPin(value: Uint8Array): boolean {
  return /^[0-9]{4}$/.test(String.fromCharCode(...value));
}

/**
 * The JPKI-AP as the card (or, with `variant: 'phone'`, the phone's secure element) carries it:
 * certificates in EFs 0001/0002/000A/000B, token info 0006, availability 0008, the authentication key
 * 0017 behind the 4-digit PIN 0018 (3 tries) and the signing key 001A behind the password 001B (5 tries).
 * The signing certificate is readable only after the password; on the phone the authentication
 * certificate only after the PIN, as the real smartphone token does (card-spec §4.5).
 */
export function createJpkiApplet(options: JpkiAppletOptions): Applet {
  const signingPassword = JPKI_EF.signingPassword;
  const authenticationPin = JPKI_EF.authenticationPin;
  const files: ElementaryFile[] = [
    { fid: JPKI_EF.signingCaCertificate, content: certificateEf(options.signingCaCertificate), read: ALWAYS },
    {
      fid: JPKI_EF.tokenInfo,
      content: tokenInfo(TOKEN_LABEL[options.variant], options.variant, options.tokenSerial),
      read: ALWAYS,
    },
    {
      fid: JPKI_EF.certificateAvailability,
      content: Uint8Array.of(options.signing ? 0x8f : 0x00, 0x8f, 0x00),
      read: ALWAYS,
    },
    {
      fid: JPKI_EF.authenticationCertificate,
      content: certificateEf(options.authentication.certificate),
      read: options.variant === 'phone' ? verifiedAnyOf(authenticationPin) : ALWAYS,
    },
    {
      fid: JPKI_EF.authenticationCaCertificate,
      content: certificateEf(options.authenticationCaCertificate),
      read: ALWAYS,
    },
  ];
  if (options.signing) {
    files.push({
      fid: JPKI_EF.signingCertificate,
      content: certificateEf(options.signing.certificate),
      read: verifiedAnyOf(signingPassword),
    });
  }
  return new Applet({
    name: 'JPKI-AP',
    aid: JPKI_AID,
    files,
    references: [
      { fid: authenticationPin, counter: options.authentication.pin, acceptsNewValue: isValidFourDigitPin },
      ...(options.signing
        ? [{ fid: signingPassword, counter: options.signing.password, acceptsNewValue: isValidSigningPassword }]
        : []),
    ],
    keys: [
      { fid: JPKI_EF.authenticationKey, key: options.authentication.key, use: verifiedAnyOf(authenticationPin) },
      ...(options.signing
        ? [{ fid: JPKI_EF.signingKey, key: options.signing.key, use: verifiedAnyOf(signingPassword) }]
        : []),
    ],
    ...(options.onReferenceChanged ? { onReferenceChanged: options.onReferenceChanged } : {}),
  });
}

function certificateEf(der: Uint8Array): Uint8Array {
  const content = new Uint8Array(Math.max(CERTIFICATE_EF_SIZE, der.length)).fill(0xff);
  content.set(der);
  return content;
}

/**
 * EF 0006: a 160-byte PKCS#11 CK_TOKEN_INFO (card-spec §1.2), CK_ULONGs as 4-byte big-endian:
 * label, manufacturerID, model, serialNumber, flags, session counts, PIN lengths, memory, versions, time.
 */
export function tokenInfo(label: string, variant: 'card' | 'phone', serial: string): Uint8Array {
  const info = new Uint8Array(160).fill(0x20);
  const text = (value: string, offset: number, length: number) => {
    const bytes = new TextEncoder().encode(value.slice(0, length));
    info.fill(0x20, offset, offset + length);
    info.set(bytes, offset);
  };
  const view = new DataView(info.buffer);
  text(label, 0, 32);
  text('openmyna', 32, 32);
  text(variant === 'card' ? 'OPENMYNA-VCARD' : 'OPENMYNA-PHONE', 64, 16);
  text(serial.padStart(16, '0'), 80, 16);
  // CKF_RNG | CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED | CKF_TOKEN_INITIALIZED
  view.setUint32(96, 0x0000040d);
  for (const offset of [100, 104, 108, 112]) view.setUint32(offset, 0);
  view.setUint32(116, 16);
  view.setUint32(120, 4);
  for (const offset of [124, 128, 132, 136]) view.setUint32(offset, 0xffffffff);
  text('01', 140, 2);
  text('01', 142, 2);
  text('', 144, 16);
  return info;
}
