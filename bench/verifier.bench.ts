import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';

import { nodeCardSignatureCheck } from '@openmyna/card/node';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import {
  createDeviceResponse,
  decodeIssuedMdoc,
  ISO_23220_NAMESPACE,
  JP_NAMESPACE,
  MNC_DOCTYPE,
  openId4VpSessionTranscript,
  statusListChecker,
  type AuthorizedElement,
} from '@openmyna/mdoc';
import { base64ToBytes, signCms, trustAnchor } from '@openmyna/pki';
import { nodeCryptoBackend } from '@openmyna/pki/node';
import {
  jpkiRevocation,
  OPENMYNA_POLICY_OIDS,
  verifyJpkiSignature,
  verifyKenhojo,
  verifyMdocPresentation,
  type JpkiTrust,
} from '@openmyna/verifier';

import { issuerWithPhones } from '../test-support/verifier-fixtures.js';
import { compare } from './harness.js';

/** An application document of a realistic size (an account-opening form as text). */
const DOCUMENT = new TextEncoder().encode('口座開設申込書\n'.repeat(200));

/**
 * What a relying party does per presentation, on one core: (1) a JPKI signature (CMS, detached) with
 * chain, key usage, policy and OCSP answered from cache, plus the 入力補助 records bound to the
 * signing certificate; (2) an mdoc presentation of 5 card-face elements with the status list cached.
 * Each against its raw crypto in OpenSSL, measured in the same run.
 */
export async function benchVerifier(): Promise<void> {
  const issuer = await issuerWithPhones('bench-verifier', [1]);
  const phone = issuer.phones[0]!;
  const trust: JpkiTrust = {
    anchors: {
      signing: [trustAnchor(issuer.authorities.jpki.signing.ca.certificate)],
      authentication: [trustAnchor(issuer.authorities.jpki.authentication.ca.certificate)],
    },
    policies: OPENMYNA_POLICY_OIDS,
    revocation: jpkiRevocation({ fetch: issuer.issuerFetch, clock: () => new Date(), backend: nodeCryptoBackend }),
    clock: () => new Date(),
    backend: nodeCryptoBackend,
  };
  const signedData = await signCms({
    content: DOCUMENT,
    signer: phone.keys.signing,
    certificate: base64ToBytes(phone.bundle.jpki.signingCertificate!),
    signingTime: new Date(),
  });
  const records = {
    integrityRecord: base64ToBytes(phone.bundle.kenhojo.integrityRecord),
    cvCertificate: base64ToBytes(phone.bundle.kenhojo.cvCertificate),
    myNumberFile: base64ToBytes(phone.bundle.kenhojo.myNumberFile),
    basicFourInfoFile: base64ToBytes(phone.bundle.kenhojo.basicFourInfoFile),
  };
  const jpkiAndKenhojo = async () => {
    const signature = await verifyJpkiSignature(trust, { kind: 'cms', signedData, detachedContent: DOCUMENT });
    const kenhojo = verifyKenhojo(records, {
      caKeys: issuer.authorities.caKeys,
      signer: signature.signer?.identity,
      requested: ['my_number', 'basic_four_info'],
      rp: { id: 'bench', myNumber: true },
      clock: trust.clock,
      signatureCheck: nodeCardSignatureCheck,
    });
    if (signature.status !== 'valid' || kenhojo.status !== 'valid')
      throw new Error(`verification failed: ${signature.decidedBy?.check ?? kenhojo.decidedBy?.check}`);
  };
  await jpkiAndKenhojo(); // warms the OCSP cache
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsaSignature = sign('sha256', DOCUMENT, rsa.privateKey);
  await compare(
    'JPKI signature + 入力補助 records (one core, OCSP answered from cache)',
    {
      name: 'raw crypto: 4 RSA-2048 verifications + 3 SHA-256 (OpenSSL)',
      unit: 'verification',
      run: () => {
        // CMS signer, signing certificate, CV certificate, integrity record; the document and two EFs.
        for (let i = 0; i < 4; i++) verify('sha256', DOCUMENT.subarray(0, 200), rsa.publicKey, rsaSignature);
        createHash('sha256').update(DOCUMENT).digest();
        createHash('sha256').update(records.myNumberFile).digest();
        createHash('sha256').update(records.basicFourInfoFile).digest();
      },
    },
    [{ name: 'verifyJpkiSignature + verifyKenhojo', unit: 'verification', run: jpkiAndKenhojo }],
  );

  const elements: AuthorizedElement[] = [
    ...['full_name_unicode', 'resident_address_unicode', 'birth_date_unicode', 'portrait'].map((elementIdentifier) => ({
      docType: MNC_DOCTYPE,
      nameSpace: JP_NAMESPACE,
      elementIdentifier,
    })),
    { docType: MNC_DOCTYPE, nameSpace: ISO_23220_NAMESPACE, elementIdentifier: 'age_over_20' },
  ];
  const transcript = await openId4VpSessionTranscript(
    { clientId: 'x509_hash:bench', nonce: 'n', responseUri: 'https://rp.example/post', jwkThumbprint: null },
    nodeMdocCrypto,
  );
  const response = await createDeviceResponse({
    issued: decodeIssuedMdoc(base64ToBytes(phone.bundle.mdoc)),
    release: new Map([
      [JP_NAMESPACE, new Set(['full_name_unicode', 'resident_address_unicode', 'birth_date_unicode', 'portrait'])],
      [ISO_23220_NAMESPACE, new Set(['age_over_20'])],
    ]),
    sessionTranscript: transcript,
    deviceKey: phone.device,
    mode: { type: 'signature' },
    crypto: nodeMdocCrypto,
  });
  const status = statusListChecker({
    fetch: (url, init) => issuer.issuerFetch(url, init),
    anchors: [issuer.authorities.mdoc.iaca.anchor],
    crypto: nodeMdocCrypto,
    clock: () => new Date(),
  });
  const mdoc = async () => {
    const result = await verifyMdocPresentation({
      response,
      sessionTranscript: transcript,
      issuerAnchors: [issuer.authorities.mdoc.iaca.anchor],
      time: new Date(),
      crypto: nodeMdocCrypto,
      docType: MNC_DOCTYPE,
      status,
      rp: { id: 'bench', myNumber: false, elements },
    });
    if (result.status !== 'valid') throw new Error(`mdoc verification failed: ${result.decidedBy?.check}`);
  };
  await mdoc();
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecSignature = sign('sha256', DOCUMENT.subarray(0, 300), ec.privateKey);
  const portrait = new Uint8Array(20_000);
  console.log(`\nmdoc presentation from the issuer's phone credential: ${response.length} bytes, 5 elements`);
  await compare(
    'mdoc presentation for one RP (one core, status list cached)',
    {
      name: 'raw crypto: 3 ECDSA P-256 verifications + 5 SHA-256 (OpenSSL)',
      unit: 'verification',
      run: () => {
        // DS certificate, MSO, device signature; one digest per element (the portrait the big one).
        for (let i = 0; i < 3; i++) verify('sha256', DOCUMENT.subarray(0, 300), ec.publicKey, ecSignature);
        createHash('sha256').update(portrait).digest();
        for (let i = 0; i < 4; i++) createHash('sha256').update(DOCUMENT.subarray(0, 100)).digest();
      },
    },
    [{ name: 'verifyMdocPresentation', unit: 'verification', run: mdoc }],
  );
  await issuer.dispose();
}
