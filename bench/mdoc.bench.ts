import 'reflect-metadata';

import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPublicKey,
  randomBytes,
  verify,
  X509Certificate as NodeX509,
  type JsonWebKey as NodeJwk,
} from 'node:crypto';

import { Verifier as AnimoVerifier } from '@animo-id/mdoc';
import { Verifier as Auth0Verifier } from '@auth0/mdl';
import * as x509 from '@peculiar/x509';
import { decode as cborDecode, encode as cborEncode, Tagged, type TagDecoder } from 'cborg';
import jpegJs from 'jpeg-js';

import {
  authenticationBytes,
  createDeviceResponse,
  decodeDeviceResponse,
  encodedCbor,
  encodedCborBytes,
  encodeCbor,
  decodeCbor,
  ecdsaDerToRaw,
  ecPublicJwk,
  ISO_23220_NAMESPACE,
  JP_NAMESPACE,
  openId4VpSessionTranscript,
  SessionEncryption,
  MNC_DOCTYPE,
  verifyDeviceResponse,
  type MdocChainCache,
} from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { parseCertificate } from '@openmyna/pki';

import { cardFaceAttributesOf, issueCardFaceMdoc, makeMdocHierarchy } from '../test-support/mdoc-fixtures.js';
import { compare, formatRate } from './harness.js';
import { animoContext } from '../test-support/animo-mdoc-context.js';

const crypto = nodeMdocCrypto;
const DAY = 86_400_000;

/** The synthetic face scaled up 3× and re-encoded, to give the ~20 KB portrait a phone wallet carries. */
export function largePortrait(jpeg: Uint8Array): Uint8Array {
  const small = jpegJs.decode(jpeg, { useTArray: true });
  const scale = 3;
  const width = small.width * scale;
  const height = small.height * scale;
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = (Math.floor(y / scale) * small.width + Math.floor(x / scale)) * 4;
      data.set(small.data.subarray(from, from + 4), (y * width + x) * 4);
    }
  }
  return new Uint8Array(jpegJs.encode({ data, width, height }, 92).data);
}

/** The response the issue names: the portrait and 7 more card-face elements, device-signed. */
async function benchResponse() {
  const now = Date.now();
  const hierarchy = await makeMdocHierarchy(crypto, { now: new Date(now) });
  const attributes = { ...cardFaceAttributesOf(7), portrait: largePortrait(cardFaceAttributesOf(7).portrait) };
  const { decoded, deviceKey } = await issueCardFaceMdoc(hierarchy, {
    signed: new Date(now - DAY),
    validFrom: new Date(now - DAY),
    validUntil: new Date(now + 29 * DAY),
    attributes,
  });
  const transcript = await openId4VpSessionTranscript(
    {
      clientId: 'x509_san_dns:rp.example',
      nonce: 'bench',
      responseUri: 'https://rp.example/post',
      jwkThumbprint: null,
    },
    crypto,
  );
  const release = new Map([
    [
      JP_NAMESPACE,
      new Set(['full_name_unicode', 'resident_address_unicode', 'birth_date_unicode', 'sex_unicode', 'portrait']),
    ],
    [ISO_23220_NAMESPACE, new Set(['birth_date', 'age_over_20', 'expiry_date'])],
  ]);
  const response = await createDeviceResponse({
    issued: decoded,
    release,
    sessionTranscript: transcript,
    deviceKey,
    mode: { type: 'signature' },
    crypto,
  });
  return { hierarchy, transcript, response, portraitBytes: attributes.portrait.length };
}

/**
 * The raw crypto of one verification in OpenSSL, keys already imported: the DS certificate signature
 * (ECDSA), the MSO signature and the device signature (ES256), and the 8 item digests plus the MSO hash.
 */
function rawCryptoCase(response: Uint8Array, iacaDer: Uint8Array, deviceAuthentication: Uint8Array) {
  /* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument */
  const value: any = decodeCbor(response, 'bench');
  const document = value.get('documents')[0];
  const issuerAuth = document.get('issuerSigned').get('issuerAuth');
  const ds = parseCertificate(issuerAuth[1].get(33));
  const iaca = parseCertificate(iacaDer);
  const key = (spki: Uint8Array) => createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  const iacaKey = key(iaca.subjectPublicKeyInfo);
  const dsKey = key(ds.subjectPublicKeyInfo);
  const msoToBeSigned = Buffer.concat([
    Buffer.from('846a5369676e61747572653143a1012640', 'hex'),
    Buffer.from(encodeBstrHeader(issuerAuth[2].length)),
    issuerAuth[2],
  ]);
  const items: Uint8Array[] = [...document.get('issuerSigned').get('nameSpaces').values()]
    .flat()
    .map((item: Tagged) => encodedCborBytes(item.value as Uint8Array));
  const deviceSign1 = document.get('deviceSigned').get('deviceAuth').get('deviceSignature');
  const deviceSignature = deviceSign1[3] as Uint8Array;
  // RFC 9052 §4.4: what the device key signed is the Sig_structure around DeviceAuthenticationBytes.
  const deviceToBeSigned = encodeCbor(['Signature1', deviceSign1[0], new Uint8Array(0), deviceAuthentication]);
  const msoSignature = issuerAuth[3] as Uint8Array;
  const msoMap: any = decodeCbor((decodeCbor(issuerAuth[2], 'x') as Tagged).value as Uint8Array, 'mso');
  const deviceKey = createPublicKey({
    key: ecPublicJwk({
      crv: 'P-256',
      x: msoMap.get('deviceKeyInfo').get('deviceKey').get(-2),
      y: msoMap.get('deviceKeyInfo').get('deviceKey').get(-3),
    }) as NodeJwk,
    format: 'jwk',
  });
  /* eslint-enable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument */
  const dsSignature = ecdsaDerToRaw(ds.signatureValue)!;
  return () => {
    let ok = verify('sha256', ds.tbsCertificate, { key: iacaKey, dsaEncoding: 'ieee-p1363' }, dsSignature);
    ok = verify('sha256', msoToBeSigned, { key: dsKey, dsaEncoding: 'ieee-p1363' }, msoSignature) && ok;
    ok = verify('sha256', deviceToBeSigned, { key: deviceKey, dsaEncoding: 'ieee-p1363' }, deviceSignature) && ok;
    for (const item of items) createHash('sha256').update(item).digest();
    if (!ok) throw new Error(`raw verification failed`);
  };
}

/**
 * A lean verifier in plain node:crypto doing the same checks — the baseline the issue measures against:
 * decode the response (cborg), the DS certificate (node's X509Certificate: chains to the IACA by name and
 * signature, valid now), the MSO signature, its docType and validity, each item's digest, and the
 * device signature over DeviceAuthentication, the device key imported from the MSO each time. No named
 * checks, no profile, element or limit checks: what a careful hand-written verifier would do first.
 */
function leanNodeVerifier(response: Uint8Array, iacaDer: Uint8Array, transcriptBytes: Uint8Array) {
  /* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument */
  const tags: TagDecoder[] = [];
  for (const tag of [0, 24, 1004]) tags[tag] = Tagged.decoder(tag);
  const decode = (bytes: Uint8Array): any => cborDecode(bytes, { useMaps: true, tags });
  const iaca = new NodeX509(iacaDer);
  const transcript: unknown = decode(transcriptBytes);
  return () => {
    const now = Date.now();
    const value = decode(response);
    const document = value.get('documents')[0];
    const docType: string = document.get('docType');
    const issuerSigned = document.get('issuerSigned');
    const [protectedBytes, unprotected, payload, signature] = issuerSigned.get('issuerAuth');
    const ds = new NodeX509(unprotected.get(33));
    if (!ds.checkIssued(iaca) || !ds.verify(iaca.publicKey)) throw new Error('chain');
    if (now < Date.parse(ds.validFrom) || now > Date.parse(ds.validTo)) throw new Error('ds validity');
    const toBeSigned = cborEncode(['Signature1', protectedBytes, new Uint8Array(0), payload]);
    if (!verify('sha256', toBeSigned, { key: ds.publicKey, dsaEncoding: 'ieee-p1363' }, signature))
      throw new Error('mso signature');
    const mso = decode(decode(payload).value);
    if (mso.get('docType') !== docType) throw new Error('docType');
    const validity = mso.get('validityInfo');
    if (now < Date.parse(validity.get('validFrom').value) || now > Date.parse(validity.get('validUntil').value))
      throw new Error('mso validity');
    for (const [nameSpace, items] of issuerSigned.get('nameSpaces')) {
      const digests = mso.get('valueDigests').get(nameSpace);
      for (const item of items) {
        const digestId = decode(item.value).get('digestID');
        const digest = createHash('sha256').update(cborEncode(item)).digest();
        if (!digest.equals(digests.get(digestId))) throw new Error('digest');
      }
    }
    const coseKey = mso.get('deviceKeyInfo').get('deviceKey');
    const deviceKey = createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: Buffer.from(coseKey.get(-2)).toString('base64url'),
        y: Buffer.from(coseKey.get(-3)).toString('base64url'),
      },
      format: 'jwk',
    });
    const deviceSigned = document.get('deviceSigned');
    const deviceAuthentication = cborEncode(
      new Tagged(24, cborEncode(['DeviceAuthentication', transcript, docType, deviceSigned.get('nameSpaces')])),
    );
    const [deviceProtected, , , deviceSignature] = deviceSigned.get('deviceAuth').get('deviceSignature');
    const deviceToBeSigned = cborEncode(['Signature1', deviceProtected, new Uint8Array(0), deviceAuthentication]);
    if (!verify('sha256', deviceToBeSigned, { key: deviceKey, dsaEncoding: 'ieee-p1363' }, deviceSignature))
      throw new Error('device signature');
  };
  /* eslint-enable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument */
}

function encodeBstrHeader(length: number): Uint8Array {
  if (length < 24) return Uint8Array.of(0x40 + length);
  if (length < 256) return Uint8Array.of(0x58, length);
  if (length < 65536) return Uint8Array.of(0x59, length >> 8, length & 0xff);
  return Uint8Array.of(0x5a, length >>> 24, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff);
}

/**
 * DeviceResponse verification (chain, MSO signature, digests, device signature) against its raw crypto
 * cost and against @auth0/mdl and @animo-id/mdoc on the same response.
 */
export async function benchMdocVerification(): Promise<void> {
  const { hierarchy, transcript, response, portraitBytes } = await benchResponse();
  const anchors = [hierarchy.iaca.anchor];
  const verifyOurs = async (chainCache?: MdocChainCache) => {
    const result = await verifyDeviceResponse({
      response,
      sessionTranscript: transcript,
      issuerAnchors: anchors,
      time: new Date(),
      crypto,
      docType: MNC_DOCTYPE,
      ...(chainCache ? { chainCache } : {}),
    });
    if (result.summary.status !== 'valid')
      throw new Error(`our verification failed: ${result.summary.decidedBy?.check}`);
  };
  await verifyOurs();
  const cache: MdocChainCache = new Map();
  const document = decodeDeviceResponse(response).documents[0]!;
  const deviceAuthentication = authenticationBytes('DeviceAuthentication', transcript, [
    document.docType,
    encodedCbor(document.deviceNameSpacesBytes),
  ]);
  const auth0 = new Auth0Verifier([x509.PemConverter.encode(hierarchy.iaca.der.slice().buffer, 'CERTIFICATE')]);
  const animo = new AnimoVerifier();
  console.log(`\nmdoc DeviceResponse: ${response.length} bytes, portrait ${portraitBytes} bytes, 8 elements`);
  const lean = leanNodeVerifier(response, hierarchy.iaca.der, transcript.bytes);
  lean();
  await compare(
    'mdoc DeviceResponse verification against a lean node:crypto verifier doing the same checks (one core)',
    { name: 'lean node:crypto verifier (cborg + X509Certificate)', run: lean, unit: 'verification' },
    [
      { name: 'openmyna verifyDeviceResponse (full)', run: () => verifyOurs(), unit: 'verification' },
      { name: 'openmyna, document-signer chain cached', run: () => verifyOurs(cache), unit: 'verification' },
    ],
  );
  await compare(
    'mdoc DeviceResponse verification (one core)',
    {
      name: 'raw crypto: DS cert ECDSA + 2 ES256 + 8 SHA-256 (OpenSSL)',
      run: rawCryptoCase(response, hierarchy.iaca.der, deviceAuthentication),
      unit: 'verification',
    },
    [
      { name: 'openmyna verifyDeviceResponse (full)', run: () => verifyOurs(), unit: 'verification' },
      { name: 'openmyna, document-signer chain cached', run: () => verifyOurs(cache), unit: 'verification' },
      {
        name: '@auth0/mdl Verifier.verify',
        run: () => auth0.verify(response, { encodedSessionTranscript: transcript.taggedBytes }),
        unit: 'verification',
      },
      {
        name: '@animo-id/mdoc verifyDeviceResponse',
        run: () =>
          animo.verifyDeviceResponse(
            {
              encodedDeviceResponse: response,
              encodedSessionTranscript: transcript.taggedBytes,
              trustedCertificates: [hierarchy.iaca.der],
            },
            animoContext,
          ),
        unit: 'verification',
      },
    ],
  );
}

/** Session encryption (AES-256-GCM with counters) for 1 KB and 64 KB messages, against raw OpenSSL AES-GCM. */
export async function benchSessionEncryption(): Promise<void> {
  const transcript = await openId4VpSessionTranscript(
    { clientId: 'c', nonce: 'n', responseUri: 'https://r', jwkThumbprint: null },
    crypto,
  );
  for (const size of [1024, 65536]) {
    const message = randomBytes(size);
    const secret = randomBytes(32);
    const reader = await SessionEncryption.fromSharedSecret('reader', secret, transcript, crypto);
    const mdoc = await SessionEncryption.fromSharedSecret('mdoc', secret, transcript, crypto);
    const key = randomBytes(32);
    let counter = 0;
    const raw = () => {
      const iv = Buffer.alloc(12);
      iv.writeUInt32BE(++counter, 8);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const sealed = Buffer.concat([cipher.update(message), cipher.final(), cipher.getAuthTag()]);
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAuthTag(sealed.subarray(sealed.length - 16));
      Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
    };
    const rates = await compare(
      `session encryption, ${size / 1024} KB messages (encrypt + decrypt)`,
      { name: 'raw OpenSSL AES-256-GCM', run: raw, unit: 'message' },
      [
        {
          name: 'openmyna SessionEncryption',
          run: async () => void (await mdoc.decrypt(await reader.encrypt(message))),
          unit: 'message',
        },
      ],
    );
    for (const rate of rates) console.log(`  ${rate.name}: ${formatRate((rate.perSecond * size) / 1e6)} MB/s`);
  }
}
