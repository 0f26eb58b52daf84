import { beforeAll, describe, expect, it } from 'vitest';

import {
  COSE_HEADER,
  createDeviceResponse,
  decodeCbor,
  encodeCbor,
  encodedCbor,
  ISO_23220_NAMESPACE,
  issueMdocCertificate,
  JP_NAMESPACE,
  MNC_DOCTYPE,
  mdocTrustAnchor,
  openId4VpSessionTranscript,
  signCoseSign1,
  Tagged,
  tdate,
  verifyDeviceResponse,
  type CredentialStatus,
  type EcPrivateKey,
  type SessionTranscript,
  type VerifyDeviceResponseOptions,
} from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';

import {
  allCardFaceElements,
  days,
  issueCardFaceMdoc,
  makeMdocHierarchy,
  makeReader,
  NOW,
  type MdocHierarchy,
} from '../../../test-support/mdoc-fixtures.js';
import { embedCbor } from './internal.js';

/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument */
// The mutations below reach into decoded CBOR by position; `any` keeps each one a line long.

const crypto = nodeMdocCrypto;
const RELEASE = new Map([
  [JP_NAMESPACE, new Set(['full_name_unicode', 'individual_number_unicode', 'portrait'])],
  [ISO_23220_NAMESPACE, new Set(['age_over_20', 'birth_date'])],
]);

let hierarchy: MdocHierarchy;
let other: MdocHierarchy;
let transcript: SessionTranscript;
let deviceKey: EcPrivateKey;
let decoded: Awaited<ReturnType<typeof issueCardFaceMdoc>>['decoded'];
let valid: Uint8Array;
let eReaderKey: EcPrivateKey;
let macResponse: Uint8Array;

beforeAll(async () => {
  hierarchy = await makeMdocHierarchy(crypto);
  other = await makeMdocHierarchy(crypto);
  transcript = await openId4VpSessionTranscript(
    { clientId: 'x509_san_dns:rp.example', nonce: 'n', responseUri: 'https://rp.example/post', jwkThumbprint: null },
    crypto,
  );
  ({ decoded, deviceKey } = await issueCardFaceMdoc(hierarchy, {
    status: { idx: 5, uri: 'https://issuer.openmyna.test/status/1' },
  }));
  valid = await respond();
  eReaderKey = await crypto.generateEcKey();
  macResponse = await respond({ type: 'mac', eReaderKey: eReaderKey.publicKey });
});

function respond(
  mode: { type: 'signature' } | { type: 'mac'; eReaderKey: EcPrivateKey['publicKey'] } = { type: 'signature' },
  issued = decoded,
  key = deviceKey,
) {
  return createDeviceResponse({
    issued,
    release: RELEASE,
    sessionTranscript: transcript,
    deviceKey: key,
    mode,
    crypto,
  });
}

function verify(response: Uint8Array, overrides: Partial<VerifyDeviceResponseOptions> = {}) {
  return verifyDeviceResponse({
    response,
    sessionTranscript: transcript,
    issuerAnchors: [hierarchy.iaca.anchor],
    time: NOW,
    crypto,
    docType: MNC_DOCTYPE,
    status: () => Promise.resolve('valid'),
    ...overrides,
  });
}

/** Decodes the response, lets `change` edit it in place, and encodes it again. */
function mutate(bytes: Uint8Array, change: (response: any) => void): Uint8Array {
  const value: any = decodeCbor(bytes, 'test');
  change(value);
  return encodeCbor(value);
}
const doc = (response: any): any => response.get('documents')[0];
const issuerAuth = (response: any): any => doc(response).get('issuerSigned').get('issuerAuth');
const items = (response: any, ns = JP_NAMESPACE): any[] => doc(response).get('issuerSigned').get('nameSpaces').get(ns);
const flip = (bytes: Uint8Array, at = -1): Uint8Array => {
  const copy = bytes.slice();
  const index = at < 0 ? copy.length + at : at;
  copy[index] = copy[index]! ^ 0x01;
  return copy;
};

/** Edits one IssuerSignedItem (decoded from its tag 24) and re-embeds it. */
function editItem(response: any, index: number, change: (item: Map<string, unknown>) => void): void {
  const list = items(response);
  const item: any = decodeCbor(list[index].value, 'item');
  change(item);
  list[index] = embedCbor(item);
}

/** Re-signs the MSO with the real document signer after `change`, isolating checks behind the signature. */
async function resignMso(bytes: Uint8Array, change: (mso: any) => void, signer = hierarchy): Promise<Uint8Array> {
  const value: any = decodeCbor(bytes, 'test');
  const auth = issuerAuth(value);
  const mso: any = decodeCbor((decodeCbor(auth[2], 'payload') as Tagged).value as Uint8Array, 'mso');
  change(mso);
  const signed = await signCoseSign1({
    payload: encodeCbor(embedCbor(mso)),
    key: signer.documentSigner.key,
    unprotected: new Map([[COSE_HEADER.x5chain, signer.documentSigner.certificate]]),
  });
  doc(value).get('issuerSigned').set('issuerAuth', signed);
  return encodeCbor(value);
}

/**
 * Lets `change` edit the decoded items of `nameSpace` (and add new ones), then issues them properly:
 * each item re-embedded, its digest in the MSO, the MSO re-signed by the real document signer — so
 * only the element checks can catch what changed.
 */
async function reissueItems(
  bytes: Uint8Array,
  nameSpace: string,
  change: (list: Map<string, unknown>[]) => void,
): Promise<Uint8Array> {
  const value: any = decodeCbor(bytes, 'test');
  const list = items(value, nameSpace).map((tagged: any) => decodeCbor(tagged.value, 'item') as Map<string, unknown>);
  change(list);
  const embedded = list.map((item) => embedCbor(item));
  items(value, nameSpace).splice(0, Infinity, ...embedded);
  const digests = new Map<number, Uint8Array>();
  for (const [index, item] of list.entries())
    digests.set(item.get('digestID') as number, await crypto.digest('SHA-256', encodeCbor(embedded[index])));
  return resignMso(encodeCbor(value), (mso) => {
    for (const [id, digest] of digests) mso.get('valueDigests').get(nameSpace).set(id, digest);
  });
}
const newItem = (identifier: string, elementValue: unknown) =>
  new Map<string, unknown>([
    ['digestID', 90_000],
    ['random', new Uint8Array(16).fill(9)],
    ['elementIdentifier', identifier],
    ['elementValue', elementValue],
  ]);

type Case = readonly [
  name: string,
  build: () => Promise<Uint8Array> | Uint8Array,
  check: string,
  options?: () => Promise<Partial<VerifyDeviceResponseOptions>> | Partial<VerifyDeviceResponseOptions>,
];

const CASES: Case[] = [
  // Strict CBOR of the response itself.
  ['trailing byte after the response', () => Uint8Array.of(...valid, 0x00), 'response.decode'],
  ['truncated response', () => valid.subarray(0, valid.length - 1), 'response.decode'],
  ['duplicate map key', () => Uint8Array.of(0xa2, 0x61, 0x61, 0x01, 0x61, 0x61, 0x02), 'response.decode'],
  ['indefinite-length map', () => Uint8Array.of(0xbf, 0x61, 0x61, 0x01, 0xff), 'response.decode'],
  [
    'undefined element value',
    () => mutate(valid, (r) => editItem(r, 0, (item) => item.set('elementValue', undefined))),
    'response.decode',
  ],
  ['unknown tag', () => mutate(valid, (r) => r.set('version', new Tagged(99, '1.0'))), 'response.decode'],
  [
    'undefined where the version belongs',
    () => Uint8Array.of(0xa1, 0x67, ...Buffer.from('version'), 0xf7),
    'response.decode',
  ],
  ['unsupported version', () => mutate(valid, (r) => r.set('version', '2.0')), 'response.decode'],
  [
    'item not wrapped in tag 24',
    () => mutate(valid, (r) => (items(r)[0] = decodeCbor(items(r)[0].value, 'x'))),
    'response.decode',
  ],
  ['alg in the unprotected header', () => mutate(valid, (r) => issuerAuth(r)[1].set(1, -7)), 'response.decode'],
  [
    'critical header listed',
    () =>
      mutate(
        valid,
        (r) =>
          (issuerAuth(r)[0] = encodeCbor(
            new Map<number, unknown>([
              [1, -7],
              [2, [99]],
            ]),
          )),
      ),
    'response.decode',
  ],
  [
    'both deviceSignature and deviceMac',
    () =>
      mutate(valid, (r) =>
        doc(r)
          .get('deviceSigned')
          .get('deviceAuth')
          .set('deviceMac', [new Uint8Array(0), new Map(), null, new Uint8Array(32)]),
      ),
    'response.decode',
  ],
  ['COSE_Sign1 with three elements', () => mutate(valid, (r) => issuerAuth(r).pop()), 'response.decode'],
  // Response status.
  ['status 10', () => mutate(valid, (r) => r.set('status', 10)), 'response.status'],
  ['no documents', () => mutate(valid, (r) => r.set('documents', [])), 'response.status'],
  [
    'docType not requested',
    () => mutate(valid, (r) => doc(r).set('docType', 'org.iso.18013.5.1.mDL')),
    'response.docType',
  ],
  // Issuer chain.
  ['no x5chain', () => mutate(valid, (r) => issuerAuth(r)[1].delete(33)), 'issuer.certificate.parse'],
  [
    'x5chain is not a certificate',
    () => mutate(valid, (r) => issuerAuth(r)[1].set(33, new Uint8Array([0x30, 0x00]))),
    'issuer.certificate.parse',
  ],
  [
    'chain to an IACA we do not trust',
    async () => respond(undefined, (await issueCardFaceMdoc(other)).decoded),
    'issuer.chain.anchor',
  ],
  [
    'IACA swapped for an untrusted one of the same name',
    () => valid,
    'issuer.chain.anchor',
    () => ({ issuerAnchors: [other.iaca.anchor] }),
  ],
  [
    'foreign certificate appended to x5chain',
    () => mutate(valid, (r) => issuerAuth(r)[1].set(33, [hierarchy.documentSigner.certificate, other.iaca.der])),
    'issuer.chain.anchor',
  ],
  [
    'flipped bit in the DS certificate signature',
    () => mutate(valid, (r) => issuerAuth(r)[1].set(33, flip(hierarchy.documentSigner.certificate, -3))),
    'issuer.chain.signature',
  ],
  [
    'flipped bit in the DS certificate body',
    () =>
      mutate(valid, (r) =>
        issuerAuth(r)[1].set(
          33,
          flip(
            hierarchy.documentSigner.certificate,
            Buffer.from(hierarchy.documentSigner.certificate).indexOf('signer'),
          ),
        ),
      ),
    'issuer.chain.signature',
  ],
  ['DS certificate expired', () => valid, 'issuer.certificate.validity', () => ({ time: days(301) })],
  ['DS certificate not yet valid', () => valid, 'issuer.certificate.validity', () => ({ time: days(-31) })],
  [
    'IACA certificate used as DS',
    async () => {
      const signed = await signCoseSign1({
        payload: decodeIssuerPayload(valid),
        key: hierarchy.iaca.key,
        unprotected: new Map([[33, hierarchy.iaca.der]]),
      });
      return mutate(valid, (r) => doc(r).get('issuerSigned').set('issuerAuth', signed));
    },
    'issuer.certificate.profile',
  ],
  [
    'reader certificate used as DS',
    async () => {
      const reader = await makeReader(
        { ...hierarchy, readerCa: { ...hierarchy.readerCa, key: hierarchy.iaca.key, anchor: hierarchy.iaca.anchor } },
        'not a DS',
        undefined,
      );
      const signed = await signCoseSign1({
        payload: decodeIssuerPayload(valid),
        key: reader.key,
        unprotected: new Map([[33, reader.certificateChain[0]]]),
      });
      return mutate(valid, (r) => doc(r).get('issuerSigned').set('issuerAuth', signed));
    },
    'issuer.certificate.profile',
  ],
  // MSO signature.
  [
    'flipped bit in the MSO signature',
    () => mutate(valid, (r) => (issuerAuth(r)[3] = flip(issuerAuth(r)[3]))),
    'issuer.signature',
  ],
  [
    'flipped bit in the MSO payload',
    () => mutate(valid, (r) => (issuerAuth(r)[2] = flip(issuerAuth(r)[2], 40))),
    'issuer.signature',
  ],
  [
    'alg ES384 in the protected header',
    () => mutate(valid, (r) => (issuerAuth(r)[0] = encodeCbor(new Map([[1, -35]])))),
    'issuer.signature',
  ],
  [
    'MSO signed by another document signer',
    async () =>
      resignMso(valid, () => undefined, {
        ...other,
        documentSigner: { ...other.documentSigner, certificate: hierarchy.documentSigner.certificate },
      }),
    'issuer.signature',
  ],
  ['detached MSO payload', () => mutate(valid, (r) => (issuerAuth(r)[2] = null)), 'issuer.signature'],
  // MSO content (re-signed, so only the content check can catch it).
  ['MSO version 2.0', () => resignMso(valid, (mso) => mso.set('version', '2.0')), 'mso.decode'],
  ['MSO digest algorithm MD5', () => resignMso(valid, (mso) => mso.set('digestAlgorithm', 'MD5')), 'mso.decode'],
  [
    'MSO device key off the curve',
    () => resignMso(valid, (mso) => mso.get('deviceKeyInfo').get('deviceKey').set(-3, new Uint8Array(32).fill(7))),
    'mso.decode',
  ],
  [
    'MSO validUntil not a tdate',
    () => resignMso(valid, (mso) => mso.get('validityInfo').set('validUntil', '2030-01-01')),
    'mso.decode',
  ],
  ['MSO docType mismatch', () => resignMso(valid, (mso) => mso.set('docType', 'org.iso.18013.5.1.mDL')), 'mso.docType'],
  [
    'MSO expired',
    () => resignMso(valid, (mso) => mso.get('validityInfo').set('validUntil', tdate(days(-0.5)))),
    'mso.validity',
  ],
  [
    'MSO not yet valid',
    () => resignMso(valid, (mso) => mso.get('validityInfo').set('validFrom', tdate(days(0.5)))),
    'mso.validity',
  ],
  [
    'MSO signed before the DS certificate',
    () => resignMso(valid, (mso) => mso.get('validityInfo').set('signed', tdate(days(-60)))),
    'mso.validity',
  ],
  // Digests.
  [
    'changed element value',
    () => mutate(valid, (r) => editItem(r, 0, (item) => item.set('elementValue', '山田　太郎'))),
    'issuer.digests',
  ],
  [
    'changed salt',
    () => mutate(valid, (r) => editItem(r, 0, (item) => item.set('random', new Uint8Array(32)))),
    'issuer.digests',
  ],
  [
    'renamed element',
    () => mutate(valid, (r) => editItem(r, 0, (item) => item.set('elementIdentifier', 'resident_address_unicode'))),
    'issuer.digests',
  ],
  [
    'digest ID absent from the MSO',
    () => mutate(valid, (r) => editItem(r, 0, (item) => item.set('digestID', 100_000))),
    'issuer.digests',
  ],
  [
    'two items swap digest IDs',
    () =>
      mutate(valid, (r) => {
        const a: any = decodeCbor(items(r)[0].value, 'a');
        const b: any = decodeCbor(items(r)[1].value, 'b');
        const id = a.get('digestID');
        a.set('digestID', b.get('digestID'));
        b.set('digestID', id);
        items(r)[0] = embedCbor(a);
        items(r)[1] = embedCbor(b);
      }),
    'issuer.digests',
  ],
  ['duplicated item', () => mutate(valid, (r) => items(r).push(items(r)[0])), 'issuer.digests'],
  [
    'missing digest for the namespace',
    () => resignMso(valid, (mso) => mso.get('valueDigests').delete(JP_NAMESPACE)),
    'issuer.digests',
  ],
  [
    'missing digest for one element',
    () =>
      resignMso(valid, (mso) => {
        const released: any = decodeCbor(decoded.issuerSigned.nameSpaces.get(JP_NAMESPACE)![0]!.bytes, 'item');
        mso.get('valueDigests').get(JP_NAMESPACE).delete(released.get('digestID'));
      }),
    'issuer.digests',
  ],
  [
    'item moved to the other namespace',
    () =>
      mutate(valid, (r) => {
        items(r, ISO_23220_NAMESPACE).push(items(r).shift());
      }),
    'issuer.digests',
  ],
  // Strict items and elements (issue 18): each was accepted before.
  [
    'negative digestID in an item',
    () => mutate(valid, (r) => editItem(r, 0, (item) => item.set('digestID', -1))),
    'response.decode',
  ],
  [
    'negative DigestID in the MSO',
    () => resignMso(valid, (mso) => mso.get('valueDigests').get(JP_NAMESPACE).set(-1, new Uint8Array(32))),
    'mso.decode',
  ],
  [
    'item with a fifth key',
    () => mutate(valid, (r) => editItem(r, 0, (item) => item.set('note', 'x'))),
    'response.decode',
  ],
  [
    'invalid UTF-8 in a text element',
    () =>
      mutate(valid, (r) => {
        const item: any = decodeCbor(items(r)[0].value, 'item');
        item.set('elementValue', 'WXYZ');
        const raw = Buffer.from(encodeCbor(item));
        raw.set([0xff, 0xfe, 0xfd, 0xfc], raw.indexOf('WXYZ'));
        items(r)[0] = encodedCbor(new Uint8Array(raw));
      }),
    'response.decode',
  ],
  [
    'full_name_unicode as an integer',
    () =>
      reissueItems(valid, JP_NAMESPACE, (list) => {
        const name = list.find((item) => item.get('elementIdentifier') === 'full_name_unicode')!;
        name.set('elementValue', 42);
      }),
    'issuer.elements',
  ],
  [
    'birth_date as plain text',
    () =>
      reissueItems(valid, ISO_23220_NAMESPACE, (list) => {
        const birth = list.find((item) => item.get('elementIdentifier') === 'birth_date')!;
        birth.set('elementValue', '1971-09-01');
      }),
    'issuer.elements',
  ],
  [
    'birth_date on a day that does not exist (1980-02-31)',
    () =>
      reissueItems(valid, ISO_23220_NAMESPACE, (list) => {
        list
          .find((item) => item.get('elementIdentifier') === 'birth_date')!
          .set('elementValue', new Tagged(1004, '1980-02-31'));
      }),
    'issuer.elements',
  ],
  [
    'MSO validUntil at a time that does not exist (2030-02-30)',
    () => resignMso(valid, (mso) => mso.get('validityInfo').set('validUntil', new Tagged(0, '2030-02-30T10:00:00Z'))),
    'mso.decode',
  ],
  [
    'MSO validFrom before signed (§9.1.2.4)',
    () =>
      resignMso(valid, (mso) =>
        mso
          .get('validityInfo')
          .set('signed', tdate(days(-1)))
          .set('validFrom', tdate(days(-2))),
      ),
    'mso.validity',
  ],
  [
    'DS certificate with an unreadable authorityKeyIdentifier (a failed check, not an exception)',
    () =>
      mutate(valid, (r) => {
        const ds = hierarchy.documentSigner.certificate.slice();
        const at = Buffer.from(ds).indexOf(Buffer.from('0603551d23', 'hex'));
        ds[at + 7] = 0x31; // the AKI's SEQUENCE made a SET
        issuerAuth(r)[1] = new Map([[COSE_HEADER.x5chain, ds]]);
      }),
    'issuer.chain.anchor',
  ],
  [
    'a pinned document-signer certificate used as a CA for a certificate its key made',
    async () => {
      const minted = await crypto.generateEcKey();
      const pinned = mdocTrustAnchor(other.documentSigner.certificate);
      const der = await issueMdocCertificate({
        role: 'document-signer',
        subject: [
          ['C', 'JP'],
          ['CN', 'minted by a document signer'],
        ],
        publicKey: minted.publicKey,
        issuerKey: other.documentSigner.key,
        issuer: { subject: pinned.certificate.subject, publicKey: other.documentSigner.key.publicKey },
        notBefore: days(-30),
        notAfter: days(300),
        issuerAltNameUri: 'https://issuer.openmyna.test/',
        crlDistributionPointUri: 'https://issuer.openmyna.test/mdoc/iaca.crl',
        randomBytes: (length) => crypto.randomBytes(length),
      });
      return resignMso(valid, () => undefined, { documentSigner: { key: minted, certificate: der } } as MdocHierarchy);
    },
    'issuer.chain.anchor',
    () => ({ issuerAnchors: [mdocTrustAnchor(other.documentSigner.certificate)] }),
  ],
  [
    'age_over_20 as a number',
    () =>
      reissueItems(valid, ISO_23220_NAMESPACE, (list) => {
        list.find((item) => item.get('elementIdentifier') === 'age_over_20')!.set('elementValue', 1);
      }),
    'issuer.elements',
  ],
  [
    'issuing_country "US" under a C=JP document signer',
    () => reissueItems(valid, ISO_23220_NAMESPACE, (list) => list.push(newItem('issuing_country', 'US'))),
    'issuer.elements',
  ],
  // Limits.
  [
    '2,001 copies of the document',
    () =>
      mutate(valid, (r) =>
        r.set(
          'documents',
          Array.from({ length: 2001 }, () => doc(r)),
        ),
      ),
    'response.limits',
  ],
  [
    'nine documents',
    () =>
      mutate(valid, (r) =>
        r.set(
          'documents',
          Array.from({ length: 9 }, () => doc(r)),
        ),
      ),
    'response.limits',
  ],
  ['an element over the size limit', () => valid, 'response.limits', () => ({ limits: { elementBytes: 64 } })],
  [
    'CBOR nested deeper than the limit',
    () =>
      mutate(valid, (r) => {
        let deep: unknown = 1;
        for (let level = 0; level < 40; level++) deep = [deep];
        r.set('version', deep);
      }),
    'response.decode',
  ],
  // Device authentication.
  [
    'device-signed elements present',
    () =>
      mutate(valid, (r) =>
        doc(r)
          .get('deviceSigned')
          .set('nameSpaces', embedCbor(new Map([[JP_NAMESPACE, new Map([['full_name_unicode', 'x']])]]))),
      ),
    'device.nameSpaces',
  ],
  [
    'flipped device signature',
    () =>
      mutate(valid, (r) => {
        const sig = doc(r).get('deviceSigned').get('deviceAuth').get('deviceSignature');
        sig[3] = flip(sig[3]);
      }),
    'device.authentication',
  ],
  [
    'device signature over another transcript',
    () => valid,
    'device.authentication',
    async () => ({
      sessionTranscript: await openId4VpSessionTranscript(
        {
          clientId: 'x509_san_dns:rp.example',
          nonce: 'other',
          responseUri: 'https://rp.example/post',
          jwkThumbprint: null,
        },
        crypto,
      ),
    }),
  ],
  [
    'swapped device key (signed by another device)',
    async () => respond(undefined, decoded, await crypto.generateEcKey()),
    'device.authentication',
  ],
  [
    'MSO device key swapped (re-signed)',
    async () => {
      const stranger = await crypto.generateEcKey();
      return resignMso(valid, (mso) => {
        const key = mso.get('deviceKeyInfo').get('deviceKey');
        key.set(-2, stranger.publicKey.x);
        key.set(-3, stranger.publicKey.y);
      });
    },
    'device.authentication',
  ],
  [
    'device signature with a payload attached',
    () =>
      mutate(valid, (r) => {
        const sig = doc(r).get('deviceSigned').get('deviceAuth').get('deviceSignature');
        sig[2] = new Uint8Array([1]);
      }),
    'device.authentication',
  ],
  [
    'device MAC with the wrong reader key',
    () => macResponse,
    'device.authentication',
    async () => ({ eReaderKey: await crypto.generateEcKey() }),
  ],
  ['device MAC without the reader key', () => macResponse, 'device.authentication', () => ({})],
  [
    'flipped device MAC tag',
    () =>
      mutate(macResponse, (r) => {
        const mac = doc(r).get('deviceSigned').get('deviceAuth').get('deviceMac');
        mac[3] = flip(mac[3]);
      }),
    'device.authentication',
    () => ({ eReaderKey }),
  ],
  [
    'device MAC over another transcript',
    () => macResponse,
    'device.authentication',
    async () => ({
      eReaderKey,
      sessionTranscript: await openId4VpSessionTranscript(
        {
          clientId: 'x509_san_dns:rp.example',
          nonce: 'n',
          responseUri: 'https://evil.example/post',
          jwkThumbprint: null,
        },
        crypto,
      ),
    }),
  ],
  [
    'device MAC alg changed to 256/64',
    () =>
      mutate(macResponse, (r) => {
        const mac = doc(r).get('deviceSigned').get('deviceAuth').get('deviceMac');
        mac[0] = encodeCbor(new Map([[1, 4]]));
      }),
    'device.authentication',
    () => ({ eReaderKey }),
  ],
  // Authorization and request.
  [
    'element returned but not requested',
    () => valid,
    'request.consistency',
    () => ({
      request: { docType: MNC_DOCTYPE, nameSpaces: new Map([[JP_NAMESPACE, new Map([['full_name_unicode', false]])]]) },
    }),
  ],
  [
    'My Number to a reader not authorized for it',
    () => valid,
    'request.consistency',
    () => ({
      authorizedElements: allCardFaceElements().filter((e) => e.elementIdentifier !== 'individual_number_unicode'),
    }),
  ],
  // Revocation.
  [
    'revoked credential',
    () => valid,
    'status.revocation',
    () => ({ status: () => Promise.resolve<CredentialStatus>('invalid') }),
  ],
  [
    'suspended credential',
    () => valid,
    'status.revocation',
    () => ({ status: () => Promise.resolve<CredentialStatus>('suspended') }),
  ],
];

function decodeIssuerPayload(response: Uint8Array): Uint8Array {
  return issuerAuth(decodeCbor(response, 'x'))[2];
}

describe('negative corpus: each mutation of a valid DeviceResponse fails its own named check', () => {
  it('the unmutated response is valid', async () => {
    expect((await verify(valid)).summary.status).toBe('valid');
    expect((await verify(macResponse, { eReaderKey })).summary.status).toBe('valid');
  });

  it('has at least 40 mutations', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(CASES.map(([name, build, check, options]) => ({ name, build, check, options })))(
    '$name → $check',
    async ({ build, check, options }) => {
      const result = await verify(await build(), options ? await options() : {});
      expect(result.summary.status).toBe('invalid');
      expect(result.summary.decidedBy?.check).toBe(check);
      expect(result.documents).toEqual([]);
    },
  );

  it('reports an unreachable status list as status unknown, not valid and not revoked', async () => {
    const result = await verify(valid, { status: () => Promise.reject(new Error('connection refused')) });
    expect(result.summary.status).toBe('status-unknown');
    expect(result.summary.decidedBy?.check).toBe('status.revocation');
    const unconfigured = await verifyDeviceResponse({
      response: valid,
      sessionTranscript: transcript,
      issuerAnchors: [hierarchy.iaca.anchor],
      time: NOW,
      crypto,
      docType: MNC_DOCTYPE,
    });
    expect(unconfigured.summary.status).toBe('status-unknown');
  });

  it('accepts what the element checks must not refuse: issuing_country as the document signer has it', async () => {
    const consistent = await reissueItems(valid, ISO_23220_NAMESPACE, (list) =>
      list.push(newItem('issuing_country', 'JP')),
    );
    expect((await verify(consistent)).summary.status).toBe('valid');
  });

  it('never re-encodes: a non-deterministic but valid item encoding still verifies', async () => {
    // Re-wrap an item's bytes unchanged: the digest is over the received bytes.
    const same = mutate(valid, (r) => (items(r)[0] = encodedCbor(items(r)[0].value)));
    expect((await verify(same)).summary.status).toBe('valid');
  });
});
