import { execFileSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  COSE_HEADER,
  createDeviceResponse,
  decodeCbor,
  encodeCbor,
  ISO_23220_NAMESPACE,
  JP_NAMESPACE,
  MNC_DOCTYPE,
  mdocTrustAnchor,
  openId4VpSessionTranscript,
  tdate,
  verifyDeviceResponse,
  webMdocCrypto,
  type DigestAlgorithm,
  type MdocCrypto,
  type SessionTranscript,
  type Tagged,
  type VerificationKey,
} from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { derFromPemOrDer } from '@openmyna/pki';
import { beforeAll, describe, expect, it } from 'vitest';

import { issueCardFaceMdoc, makeMdocHierarchy, type MdocHierarchy } from '../../../test-support/mdoc-fixtures.js';
import { decodeCoseVerificationKey, embedCbor, verificationKey } from './internal.js';

/*
 * ISO/IEC 18013-5 lets IACAs, document signers and devices use P-256, P-384, P-521, Ed25519 and Ed448
 * (issue 18, finding 6: one P-384 IACA in the trust list made every verification fail). Chains of each
 * curve are made by OpenSSL, so the verifier meets certificates it did not write.
 */

/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument */

type Curve = 'P-384' | 'P-521' | 'Ed25519' | 'Ed448';
const CURVES: readonly Curve[] = ['P-384', 'P-521', 'Ed25519', 'Ed448'];
const COSE_ALG: Record<Curve, number> = { 'P-384': -35, 'P-521': -36, Ed25519: -8, Ed448: -8 };
const HASH: Record<Curve, DigestAlgorithm> = {
  'P-384': 'SHA-384',
  'P-521': 'SHA-512',
  Ed25519: 'SHA-512',
  Ed448: 'SHA-512',
};
const NODE_HASH: Record<Curve, string | null> = { 'P-384': 'sha384', 'P-521': 'sha512', Ed25519: null, Ed448: null };

const dir = mkdtempSync(join(tmpdir(), 'openmyna-curves-'));
const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
const keyOptions = (curve: Curve) =>
  curve.startsWith('P-')
    ? ['-newkey', 'ec', '-pkeyopt', `ec_paramgen_curve:${curve}`]
    : ['-newkey', curve.toLowerCase()];
const digestOption = (curve: Curve) => (NODE_HASH[curve] ? [`-${NODE_HASH[curve]}`] : []);

/** An IACA and a document signer on `curve`, by OpenSSL, with the Annex B extensions the verifier checks. */
function opensslChain(curve: Curve): { iaca: Uint8Array; ds: Uint8Array; dsKey: KeyObject } {
  const name = curve.toLowerCase().replace('-', '');
  openssl([
    'req', '-x509', ...keyOptions(curve), ...digestOption(curve), '-nodes', '-days', '30',
    '-keyout', `${name}-iaca.key`, '-out', `${name}-iaca.pem`,
    '-subj', `/C=JP/O=openmyna test/CN=IACA ${curve}`,
    '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-addext', 'subjectKeyIdentifier=hash',
  ]); // prettier-ignore
  openssl([
    'req', '-new', ...keyOptions(curve), '-nodes', '-keyout', `${name}-ds.key`, '-out', `${name}-ds.csr`,
    '-subj', `/C=JP/O=openmyna test/CN=DS ${curve}`,
  ]); // prettier-ignore
  writeFileSync(
    join(dir, `${name}-ds.ext`),
    'keyUsage=critical,digitalSignature\nextendedKeyUsage=1.0.18013.5.1.2\nauthorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n',
  );
  openssl([
    'x509', '-req', '-in', `${name}-ds.csr`, '-CA', `${name}-iaca.pem`, '-CAkey', `${name}-iaca.key`,
    '-days', '20', '-set_serial', '7', ...digestOption(curve), '-extfile', `${name}-ds.ext`, '-out', `${name}-ds.pem`,
  ]); // prettier-ignore
  const der = (file: string) => derFromPemOrDer(new Uint8Array(readFileSync(join(dir, file))), 'CERTIFICATE');
  return {
    iaca: der(`${name}-iaca.pem`),
    ds: der(`${name}-ds.pem`),
    dsKey: createPrivateKey(readFileSync(join(dir, `${name}-ds.key`))),
  };
}

let ours: MdocHierarchy;
let transcript: SessionTranscript;
let issued: Awaited<ReturnType<typeof issueCardFaceMdoc>>;
let response: Uint8Array;

beforeAll(async () => {
  ours = await makeMdocHierarchy(nodeMdocCrypto, { now: new Date() });
  transcript = await openId4VpSessionTranscript(
    { clientId: 'x509_san_dns:rp.example', nonce: 'n', responseUri: 'https://rp.example/post', jwkThumbprint: null },
    nodeMdocCrypto,
  );
  issued = await issueCardFaceMdoc(ours, { validFrom: new Date(Date.now() - 60_000) });
  response = await createDeviceResponse({
    issued: issued.decoded,
    release: new Map([
      [JP_NAMESPACE, new Set(['full_name_unicode'])],
      [ISO_23220_NAMESPACE, new Set(['age_over_20'])],
    ]),
    sessionTranscript: transcript,
    deviceKey: issued.deviceKey,
    mode: { type: 'signature' },
    crypto: nodeMdocCrypto,
  });
}, 60_000);

const verify = (bytes: Uint8Array, anchors: Uint8Array[], crypto: MdocCrypto = nodeMdocCrypto) =>
  verifyDeviceResponse({
    response: bytes,
    sessionTranscript: transcript,
    issuerAnchors: anchors.map((der) => mdocTrustAnchor(der)),
    time: new Date(),
    crypto,
    docType: MNC_DOCTYPE,
    status: () => Promise.resolve('valid'),
  });

/** The response with its MSO re-signed (COSE alg of the curve) by another document signer. */
function resignedBy(chain: { ds: Uint8Array; dsKey: KeyObject }, curve: Curve): Uint8Array {
  const value: any = decodeCbor(response, 'response');
  const issuerSigned = value.get('documents')[0].get('issuerSigned');
  const auth = issuerSigned.get('issuerAuth');
  const mso: any = decodeCbor((decodeCbor(auth[2], 'payload') as Tagged).value as Uint8Array, 'mso');
  // Signed now, inside the OpenSSL-made signer's validity; validFrom never before signed (§9.1.2.4).
  const now = new Date();
  mso.get('validityInfo').set('signed', tdate(now)).set('validFrom', tdate(now));
  const payload = encodeCbor(embedCbor(mso));
  const protectedBytes = encodeCbor(new Map([[COSE_HEADER.alg, COSE_ALG[curve]]]));
  const toBeSigned = encodeCbor(['Signature1', protectedBytes, new Uint8Array(0), payload]);
  const signature = sign(NODE_HASH[curve], toBeSigned, { key: chain.dsKey, dsaEncoding: 'ieee-p1363' });
  issuerSigned.set('issuerAuth', [protectedBytes, new Map([[COSE_HEADER.x5chain, chain.ds]]), payload, signature]);
  return encodeCbor(value);
}

describe('mdoc trust on every curve ISO/IEC 18013-5 allows', () => {
  const chains = new Map<Curve, ReturnType<typeof opensslChain>>();
  beforeAll(() => {
    for (const curve of CURVES) chains.set(curve, opensslChain(curve));
  });

  it('verifies our response whatever other curves the trust list holds', async () => {
    const anchors = [...CURVES.map((curve) => chains.get(curve)!.iaca), ours.iaca.der];
    for (const crypto of [nodeMdocCrypto, webMdocCrypto])
      expect((await verify(response, anchors, crypto)).summary.status).toBe('valid');
  });

  it.each(CURVES)('verifies a document signer chain on %s (OpenSSL-made), and refuses it tampered', async (curve) => {
    const chain = chains.get(curve)!;
    const resigned = resignedBy(chain, curve);
    for (const crypto of [nodeMdocCrypto, webMdocCrypto]) {
      const result = await verify(resigned, [ours.iaca.der, chain.iaca], crypto);
      expect(result.summary.status, JSON.stringify(result.summary.decidedBy)).toBe('valid');
      // Under another curve's IACA it does not chain.
      const other = chains.get(CURVES.find((candidate) => candidate !== curve)!)!;
      expect((await verify(resigned, [other.iaca], crypto)).summary.decidedBy?.check).toBe('issuer.chain.anchor');
    }
    // The MSO signature with a flipped bit, or claimed under another algorithm, fails.
    const value: any = decodeCbor(resigned, 'response');
    const auth = value.get('documents')[0].get('issuerSigned').get('issuerAuth');
    auth[3] = Uint8Array.from(auth[3], (byte: number, index: number) => (index === 5 ? byte ^ 1 : byte));
    expect((await verify(encodeCbor(value), [chain.iaca])).summary.decidedBy?.check).toBe('issuer.signature');
    auth[0] = encodeCbor(new Map([[COSE_HEADER.alg, -7]]));
    expect((await verify(encodeCbor(value), [chain.iaca])).summary.decidedBy?.check).toBe('issuer.signature');
  });
});

describe('signatures and device keys on every curve', () => {
  const keyOf = (curve: Curve): { key: VerificationKey; privateKey: KeyObject } => {
    const { publicKey, privateKey } = curve.startsWith('P-')
      ? generateKeyPairSync('ec', { namedCurve: curve })
      : generateKeyPairSync(curve.toLowerCase() as 'ed25519', {});
    const jwk = publicKey.export({ format: 'jwk' });
    const bytes = (text: string | undefined) => new Uint8Array(Buffer.from(text!, 'base64url'));
    return { key: verificationKey(curve, bytes(jwk.x), jwk.y ? bytes(jwk.y) : undefined), privateKey };
  };

  it.each(CURVES)('verifies %s signatures in both backends and refuses altered ones', async (curve) => {
    const { key, privateKey } = keyOf(curve);
    const data = new TextEncoder().encode('DeviceAuthentication');
    const signature = new Uint8Array(sign(NODE_HASH[curve], data, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
    for (const crypto of [nodeMdocCrypto, webMdocCrypto]) {
      expect(await crypto.verifySignature(key, HASH[curve], data, signature)).toBe(true);
      const flipped = signature.slice();
      flipped[0]! ^= 1;
      expect(await crypto.verifySignature(key, HASH[curve], data, flipped)).toBe(false);
      expect(await crypto.verifySignature(key, HASH[curve], data, signature.subarray(1))).toBe(false);
      expect(await crypto.verifySignature(key, HASH[curve], Uint8Array.of(1), signature)).toBe(false);
    }
  });

  it.each(CURVES)('reads a %s device key from its COSE_Key, strictly', (curve) => {
    const { key } = keyOf(curve);
    const ec = 'y' in key;
    const crv = { 'P-384': 2, 'P-521': 3, Ed25519: 6, Ed448: 7 }[curve];
    const coseKey = new Map<number, unknown>([
      [1, ec ? 2 : 1],
      [-1, crv],
      [-2, key.x],
      ...(ec ? [[-3, key.y] as [number, unknown]] : []),
    ]);
    expect(decodeCoseVerificationKey(coseKey as any, 'deviceKey')).toEqual(key);
    // The wrong key type for the curve, a foreign alg, a private part, a point off the curve: refused.
    for (const change of [
      (map: Map<number, unknown>) => map.set(1, ec ? 1 : 2),
      (map: Map<number, unknown>) => map.set(3, -7),
      (map: Map<number, unknown>) => map.set(-4, new Uint8Array(32)),
      (map: Map<number, unknown>) => map.set(-2, new Uint8Array(key.x.length).fill(ec ? 0 : 0xff)),
    ]) {
      const altered = new Map(coseKey);
      change(altered);
      expect(() => decodeCoseVerificationKey(altered as any, 'deviceKey')).toThrow(/COSE_Key|point|curve/);
    }
  });
});
