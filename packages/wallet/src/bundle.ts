import type { PhoneCardContents } from '@openmyna/card';

import { WalletError } from './errors.js';

/**
 * What the issuer's provisioning returns (`POST /provisioning/sessions/{id}/complete`, the issuer's
 * `ProvisioningBundle`): the phone's certificates, 入力補助 and 券面 records, 住民票コード, mdoc and the
 * PIN-reset authority the phone pins. All binary values base64.
 */
export interface PhoneBundle extends PhoneCardContents {
  readonly phoneId: string;
  /** The mdoc (`{docType, issuerSigned}`), base64 CBOR: the first MSO of the batch. */
  readonly mdoc: string;
  /** The rest of the batch, in the order of the phone's `batchDeviceKeys`. */
  readonly batchMdocs?: readonly string[];
  readonly pinResetAuthority: { readonly issuer: string; readonly publicJwk: JsonWebKey };
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Checks the bundle's shape (every field present and of its type) before anything is built from it. */
export function parsePhoneBundle(value: unknown): PhoneBundle {
  const problem = (path: string) =>
    new WalletError('ERR_BUNDLE_INVALID', `the issuer's bundle is malformed at ${path}`);
  const object = (input: unknown, path: string): Record<string, unknown> => {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw problem(path);
    return input as Record<string, unknown>;
  };
  const text = (input: Record<string, unknown>, key: string, path: string, pattern?: RegExp) => {
    const field = input[key];
    if (typeof field !== 'string' || field.length === 0 || (pattern && !pattern.test(field)))
      throw problem(`${path}.${key}`);
    return field;
  };
  const root = object(value, 'bundle');
  const jpki = object(root['jpki'], 'jpki');
  const kenhojo = object(root['kenhojo'], 'kenhojo');
  const kenkaku = object(root['kenkaku'], 'kenkaku');
  const juki = object(root['juki'], 'juki');
  const authority = object(root['pinResetAuthority'], 'pinResetAuthority');
  const publicJwk = object(authority['publicJwk'], 'pinResetAuthority.publicJwk');
  if (publicJwk['kty'] !== 'EC' || publicJwk['crv'] !== 'P-256' || 'd' in publicJwk)
    throw problem('pinResetAuthority.publicJwk');
  const batchMdocs = root['batchMdocs'];
  if (
    batchMdocs !== undefined &&
    (!Array.isArray(batchMdocs) || !batchMdocs.every((mdoc) => typeof mdoc === 'string' && BASE64.test(mdoc)))
  )
    throw problem('bundle.batchMdocs');
  const cardCvCertificate = kenkaku['cardCvCertificate'];
  if (cardCvCertificate !== undefined && (typeof cardCvCertificate !== 'string' || !BASE64.test(cardCvCertificate)))
    throw problem('kenkaku.cardCvCertificate');
  const signingCertificate = jpki['signingCertificate'];
  if (signingCertificate !== undefined && (typeof signingCertificate !== 'string' || !BASE64.test(signingCertificate)))
    throw problem('jpki.signingCertificate');
  return {
    phoneId: text(root, 'phoneId', 'bundle', /^[A-Za-z0-9_-]{1,64}$/),
    jpki: {
      authenticationCertificate: text(jpki, 'authenticationCertificate', 'jpki', BASE64),
      ...(typeof signingCertificate === 'string' ? { signingCertificate } : {}),
      authenticationCaCertificate: text(jpki, 'authenticationCaCertificate', 'jpki', BASE64),
      signingCaCertificate: text(jpki, 'signingCaCertificate', 'jpki', BASE64),
    },
    kenhojo: {
      myNumberFile: text(kenhojo, 'myNumberFile', 'kenhojo', BASE64),
      basicFourInfoFile: text(kenhojo, 'basicFourInfoFile', 'kenhojo', BASE64),
      integrityRecord: text(kenhojo, 'integrityRecord', 'kenhojo', BASE64),
      cvCertificate: text(kenhojo, 'cvCertificate', 'kenhojo', BASE64),
      signerKeyId: text(kenhojo, 'signerKeyId', 'kenhojo'),
    },
    kenkaku: {
      cardFaceFile: text(kenkaku, 'cardFaceFile', 'kenkaku', BASE64),
      ageRecord: text(kenkaku, 'ageRecord', 'kenkaku', BASE64),
      myNumberImageRecord: text(kenkaku, 'myNumberImageRecord', 'kenkaku', BASE64),
      cvCertificate: text(kenkaku, 'cvCertificate', 'kenkaku', BASE64),
      signerKeyId: text(kenkaku, 'signerKeyId', 'kenkaku'),
      ...(typeof cardCvCertificate === 'string' ? { cardCvCertificate } : {}),
    },
    juki: { residentCode: text(juki, 'residentCode', 'juki', /^\d{11}$/) },
    municipalityCode: text(root, 'municipalityCode', 'bundle', /^\d{5}$/),
    cardExpiry: text(root, 'cardExpiry', 'bundle', /^\d{4}-\d{2}-\d{2}$/),
    mdoc: text(root, 'mdoc', 'bundle', BASE64),
    ...(Array.isArray(batchMdocs) ? { batchMdocs: batchMdocs as string[] } : {}),
    pinResetAuthority: { issuer: text(authority, 'issuer', 'pinResetAuthority'), publicJwk: publicJwk },
  };
}
