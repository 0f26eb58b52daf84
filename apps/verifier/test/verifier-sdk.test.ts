import {
  decodeIssuedMdoc,
  createDeviceResponse,
  MNC_DOCTYPE,
  JP_NAMESPACE,
  ISO_23220_NAMESPACE,
  openId4VpSessionTranscript,
  statusListChecker,
  type AuthorizedElement,
} from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import {
  base64ToBytes,
  derFromPemOrDer,
  encodeDigestInfo,
  parseCertificate,
  signCms,
  trustAnchor,
} from '@openmyna/pki';
import { inProcessTransport, JpkiReader, MemoryRetryCounterStore, openVirtualCard } from '@openmyna/card';
import { sha256 } from '@noble/hashes/sha2.js';
import { nodeCryptoBackend } from '@openmyna/pki/node';
import { isValidMyNumber } from '@openmyna/core';
import { changePhone, type IssuerContext } from '@openmyna/issuer';
import {
  createLoginChallenge,
  JLIS_POLICY_OIDS,
  jpkiRevocation,
  loginStatement,
  MemoryChallengeStore,
  OPENMYNA_POLICY_OIDS,
  verifyJpkiAuthentication,
  verifyJpkiLogin,
  verifyJpkiSignature,
  verifyKenhojo,
  verifyMdocPresentation,
  type JpkiTrust,
} from '@openmyna/verifier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { registryPerson } from '../../../test-support/issuer-fixtures.js';
import { cardSigns } from '../../../test-support/phone-proofs.js';
import { readVector } from '../../../test-support/test-vectors.js';
import { issuerWithPhones, type ProvisionedPhone } from '../../../test-support/verifier-fixtures.js';

const encode = (text: string) => new TextEncoder().encode(text);
// Adults of the 'verifier' population (a holder under 15 has no signing certificate).
const PERSONS = [1, 4] as const;
const DOCUMENT = encode('口座開設申込書 — openmyna 証券');

describe('@openmyna/verifier against what the issuer issues', () => {
  let issuer: Awaited<ReturnType<typeof issuerWithPhones>>;
  let context: IssuerContext;
  let clock = new Date();
  let authorities: Awaited<ReturnType<typeof issuerWithPhones>>['authorities'];
  let issuerFetch: typeof fetch;
  let phones: ProvisionedPhone[];
  let requests: string[];
  const setFailing = (pattern: RegExp | undefined) => {
    issuer.state.failing = pattern;
  };

  beforeAll(async () => {
    issuer = await issuerWithPhones('verifier', PERSONS);
    ({ context, authorities, issuerFetch, phones } = issuer);
    requests = issuer.state.requests;
    clock = issuer.clock();
  }, 60_000);
  afterAll(() => issuer.dispose());
  const advance = (ms: number) => {
    clock = new Date(clock.getTime() + ms);
    issuer.setClock(clock);
  };

  const trust = (overrides: Partial<JpkiTrust> = {}): JpkiTrust => ({
    anchors: {
      signing: [trustAnchor(authorities.jpki.signing.ca.certificate)],
      authentication: [trustAnchor(authorities.jpki.authentication.ca.certificate)],
    },
    policies: OPENMYNA_POLICY_OIDS,
    revocation: jpkiRevocation({ fetch: issuerFetch, clock: () => clock, backend: nodeCryptoBackend }),
    clock: () => clock,
    backend: nodeCryptoBackend,
    ...overrides,
  });
  const phoneSigns = async (index: number, content = DOCUMENT) =>
    signCms({
      content,
      signer: phones[index]!.keys.signing,
      certificate: base64ToBytes(phones[index]!.bundle.jpki.signingCertificate!),
      signingTime: clock,
    });
  const kenhojoOf = (index: number) => {
    const records = phones[index]!.bundle.kenhojo;
    return {
      integrityRecord: base64ToBytes(records.integrityRecord),
      cvCertificate: base64ToBytes(records.cvCertificate),
      myNumberFile: base64ToBytes(records.myNumberFile),
      basicFourInfoFile: base64ToBytes(records.basicFourInfoFile),
    };
  };

  describe('verifyJpkiSignature', () => {
    it('verifies the phone’s CMS signature, chain, key usage, policy and OCSP, and returns the signer’s 4 info', async () => {
      const result = await verifyJpkiSignature(trust(), {
        kind: 'cms',
        signedData: await phoneSigns(0),
        detachedContent: DOCUMENT,
      });
      expect(result.status, JSON.stringify(result.decidedBy)).toBe('valid');
      expect(result.checks.map((check) => check.check)).toEqual(
        expect.arrayContaining(['cms.signature', 'cms.message-digest', 'jpki.identity']),
      );
      const { input } = registryPerson('verifier', PERSONS[0]);
      expect(result.signer!.identity.basicFourInfo.name).toBe(input.basicFourInfo.name);
      expect(result.signer!.identity.basicFourInfo.address).toBe(input.basicFourInfo.address);
      expect(result.record).toMatchObject({
        method: 'jpki-signature',
        result: 'valid',
        revocation: 'ocsp',
        subject: { name: input.basicFourInfo.name },
      });
      expect(result.record.legalBasis).toContain('第6条第1項第1号ワ');
      expect(result.record.certificate!.issuer).toContain('O=');
      // The record keeps no signature, no signed bytes and no My Number.
      const stored = JSON.stringify(result.record);
      expect(stored).not.toContain(input.myNumber);
      expect(stored).not.toContain(Buffer.from(DOCUMENT).toString('hex'));
    });

    it('verifies a raw PKCS#1 signature with its certificate', async () => {
      const result = await verifyJpkiSignature(trust(), {
        kind: 'pkcs1',
        signature: await phones[0]!.keys.signing.sign(DOCUMENT),
        certificate: base64ToBytes(phones[0]!.bundle.jpki.signingCertificate!),
        content: DOCUMENT,
      });
      expect(result.status).toBe('valid');
      expect(result.checks.slice(0, 2).map((check) => check.check)).toEqual(['pkcs1.certificate', 'pkcs1.signature']);
    });

    it('verifies what the card itself signs, read through the card package’s reader', async () => {
      const { certificate, signature } = await cardSigns(
        phones[0]!.card.document,
        phones[0]!.card.passphrase,
        'signing',
        DOCUMENT,
      );
      const result = await verifyJpkiSignature(trust(), {
        kind: 'pkcs1',
        signature: base64ToBytes(signature),
        certificate: base64ToBytes(certificate),
        content: DOCUMENT,
      });
      expect(result.status, JSON.stringify(result.decidedBy)).toBe('valid');
      expect(result.signer!.identity.basicFourInfo.name).toBe(
        registryPerson('verifier', PERSONS[0]).input.basicFourInfo.name,
      );
    });

    it('answers OCSP from its cache, and falls back to the CRL when the responder is down', async () => {
      const cached = trust();
      const signedData = await phoneSigns(0);
      requests.length = 0;
      await verifyJpkiSignature(cached, { kind: 'cms', signedData, detachedContent: DOCUMENT });
      const second = await verifyJpkiSignature(cached, { kind: 'cms', signedData, detachedContent: DOCUMENT });
      expect(requests.filter((path) => path.startsWith('/ocsp'))).toHaveLength(1);
      expect(second.record.revocation).toBe('ocsp-cache');
      setFailing(/\/ocsp\//);
      try {
        const fallback = await verifyJpkiSignature(trust(), { kind: 'cms', signedData, detachedContent: DOCUMENT });
        expect(fallback.status).toBe('valid');
        expect(fallback.record.revocation).toBe('crl');
        setFailing(/\/(ocsp|crl)\//);
        const unknown = await verifyJpkiSignature(trust(), { kind: 'cms', signedData, detachedContent: DOCUMENT });
        expect(unknown.status).toBe('status-unknown');
        expect(unknown.decidedBy!.check).toMatch(/revocation/);
        expect(unknown.signer).toBeDefined();
      } finally {
        setFailing(undefined);
      }
    });

    it.each([
      ['a changed document', () => ({ detachedContent: encode('another document') }), 'cms.message-digest'],
      ['an expired certificate', () => ({ time: new Date('2099-01-01T00:00:00Z') }), 'validity'],
      ['a signer from another hierarchy', () => ({ anchors: 'other' as const }), 'path.build'],
    ])('refuses %s with its named check', async (_name, make, check) => {
      const change = make() as { detachedContent?: Uint8Array; time?: Date; anchors?: 'other' };
      const verifierTrust =
        change.anchors === 'other'
          ? trust({
              anchors: {
                signing: [trustAnchor(authorities.jpki.authentication.ca.certificate)],
                authentication: [],
              },
            })
          : trust();
      const result = await verifyJpkiSignature(
        verifierTrust,
        { kind: 'cms', signedData: await phoneSigns(0), detachedContent: change.detachedContent ?? DOCUMENT },
        change.time ? { time: change.time } : {},
      );
      expect(result.status).toBe('invalid');
      expect(result.decidedBy!.check).toContain(check);
      expect(result.signer).toBeUndefined();
      expect(result.record.subject).toBeUndefined();
    });

    it('refuses an authentication certificate used to sign (key usage) ', async () => {
      const both = trust({
        anchors: {
          signing: [
            trustAnchor(authorities.jpki.signing.ca.certificate),
            trustAnchor(authorities.jpki.authentication.ca.certificate),
          ],
          authentication: [],
        },
      });
      const signedData = await signCms({
        content: DOCUMENT,
        signer: phones[0]!.keys.authentication,
        certificate: base64ToBytes(phones[0]!.bundle.jpki.authenticationCertificate),
        signingTime: clock,
      });
      const result = await verifyJpkiSignature(both, { kind: 'cms', signedData, detachedContent: DOCUMENT });
      expect(result.status).toBe('invalid');
      expect(result.decidedBy!.check).toBe('certificate[0].key-usage');
    });

    it('refuses a suspended and a revoked phone, once the cached answer is older than a minute', async () => {
      const verifierTrust = trust();
      const signedData = await phoneSigns(1);
      expect(
        (await verifyJpkiSignature(verifierTrust, { kind: 'cms', signedData, detachedContent: DOCUMENT })).status,
      ).toBe('valid');
      await changePhone(context, phones[1]!.bundle.phoneId, 'suspend', 'admin', '紛失の届出');
      advance(61_000);
      const suspended = await verifyJpkiSignature(verifierTrust, {
        kind: 'cms',
        signedData,
        detachedContent: DOCUMENT,
      });
      expect(suspended.status).toBe('invalid');
      expect(suspended.decidedBy!.reason).toMatch(/suspended/);
      await changePhone(context, phones[1]!.bundle.phoneId, 'resume', 'admin', '発見');
      advance(61_000);
      expect(
        (await verifyJpkiSignature(verifierTrust, { kind: 'cms', signedData, detachedContent: DOCUMENT })).status,
      ).toBe('valid');
    });
  });

  describe('verifyKenhojo', () => {
    const signerOf = async (index: number) =>
      (
        await verifyJpkiSignature(trust(), {
          kind: 'cms',
          signedData: await phoneSigns(index),
          detachedContent: DOCUMENT,
        })
      ).signer?.identity;

    it('verifies the records bound to the signing certificate and returns the My Number, never in the record', async () => {
      const result = verifyKenhojo(kenhojoOf(0), {
        caKeys: authorities.caKeys,
        signer: await signerOf(0),
        requested: ['my_number', 'basic_four_info'],
        rp: { id: 'firm', myNumber: true },
        clock: () => clock,
      });
      expect(result.status, JSON.stringify(result.decidedBy)).toBe('valid');
      expect(result.checks.at(-1)!.check).toBe('kenhojo.binding');
      expect(result.myNumber).toBe(registryPerson('verifier', PERSONS[0]).input.myNumber);
      expect(isValidMyNumber(result.myNumber!)).toBe(true);
      expect(JSON.stringify(result.record)).not.toContain(result.myNumber);
    });

    it.each<[string, () => { records: ReturnType<typeof kenhojoOf>; signer: number | undefined }, string]>([
      ['records of another person than the signer', () => ({ records: kenhojoOf(1), signer: 0 }), 'kenhojo.binding'],
      [
        'records with no signature beside them',
        () => ({ records: kenhojoOf(0), signer: undefined }),
        'kenhojo.binding',
      ],
      [
        'a tampered 基本4情報 EF',
        () => {
          const records = kenhojoOf(0);
          const tampered = new Uint8Array(records.basicFourInfoFile);
          tampered[tampered.length - 1]! ^= 0x01;
          return { records: { ...records, basicFourInfoFile: tampered }, signer: 0 };
        },
        'kenhojo.basic-four-info-digest',
      ],
      [
        'a tampered integrity record',
        () => {
          const records = kenhojoOf(0);
          const tampered = new Uint8Array(records.integrityRecord);
          tampered[tampered.length - 5]! ^= 0x01;
          return { records: { ...records, integrityRecord: tampered }, signer: 0 };
        },
        'kenhojo.integrity-signature',
      ],
    ])('refuses %s', async (_name, make, check) => {
      const { records, signer } = make();
      const result = verifyKenhojo(records, {
        caKeys: authorities.caKeys,
        signer: signer === undefined ? undefined : await signerOf(signer),
        requested: ['my_number', 'basic_four_info'],
        rp: { id: 'firm', myNumber: true },
        clock: () => clock,
      });
      expect(result.status).toBe('invalid');
      expect(result.decidedBy!.check).toBe(check);
      expect(result.myNumber).toBeUndefined();
    });

    it.each<[string, { requested: ('my_number' | 'basic_four_info')[]; myNumber: boolean }, string]>([
      [
        'a My Number to a relying party not registered for one',
        { requested: ['my_number', 'basic_four_info'], myNumber: false },
        'rp.authorization',
      ],
      [
        'a My Number the request did not ask for',
        { requested: ['basic_four_info'], myNumber: true },
        'kenhojo.requested',
      ],
    ])('refuses, on the answer side, %s', async (_name, { requested, myNumber }, check) => {
      const result = verifyKenhojo(kenhojoOf(0), {
        caKeys: authorities.caKeys,
        signer: await signerOf(0),
        requested,
        rp: { id: 'shop', myNumber },
        clock: () => clock,
      });
      expect(result.status).toBe('invalid');
      expect(result.decidedBy!.check).toBe(check);
      expect(result.myNumber).toBeUndefined();
    });
  });

  describe('verifyJpkiLogin', () => {
    const login = async (store: MemoryChallengeStore, clientId: string, signFor = clientId) => {
      const challenge = await createLoginChallenge(store, { clientId: signFor, clock: () => clock });
      return {
        challenge,
        input: {
          challengeId: challenge.id,
          clientId,
          certificate: base64ToBytes(phones[0]!.bundle.jpki.authenticationCertificate),
          signature: await phones[0]!.keys.authentication.sign(loginStatement(challenge)),
        },
      };
    };

    it('logs in with a pairwise subject that is stable per relying party', async () => {
      const store = new MemoryChallengeStore();
      const first = await verifyJpkiLogin(trust(), store, (await login(store, 'rp-a')).input);
      const again = await verifyJpkiLogin(trust(), store, (await login(store, 'rp-a')).input);
      const elsewhere = await verifyJpkiLogin(trust(), store, (await login(store, 'rp-b')).input);
      expect(first.status, JSON.stringify(first.decidedBy)).toBe('valid');
      expect(first.subject).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(again.subject).toBe(first.subject);
      expect(elsewhere.subject).not.toBe(first.subject);
    });

    it('refuses a replayed, an expired and another relying party’s challenge', async () => {
      const store = new MemoryChallengeStore();
      const { input } = await login(store, 'rp-a');
      expect((await verifyJpkiLogin(trust(), store, input)).status).toBe('valid');
      const replayed = await verifyJpkiLogin(trust(), store, input);
      expect(replayed.decidedBy).toMatchObject({ check: 'login.challenge', reason: 'the challenge is used' });
      const stale = await login(store, 'rp-a');
      advance(121_000);
      expect((await verifyJpkiLogin(trust(), store, stale.input)).decidedBy).toMatchObject({
        check: 'login.challenge',
        reason: 'the challenge is expired',
      });
      const other = await login(store, 'rp-a', 'rp-b');
      expect((await verifyJpkiLogin(trust(), store, other.input)).decidedBy?.check).toBe('login.challenge');
      expect(replayed.subject).toBeUndefined();
    });

    it('refuses a signature over another challenge', async () => {
      const store = new MemoryChallengeStore();
      const { input } = await login(store, 'rp-a');
      const result = await verifyJpkiLogin(trust(), store, {
        ...input,
        signature: await phones[0]!.keys.authentication.sign(encode('another challenge')),
      });
      expect(result.decidedBy!.check).toBe('auth.signature');
    });
  });

  describe('verifyMdocPresentation', () => {
    const ELEMENTS: AuthorizedElement[] = [
      { docType: MNC_DOCTYPE, nameSpace: JP_NAMESPACE, elementIdentifier: 'full_name_unicode' },
      { docType: MNC_DOCTYPE, nameSpace: JP_NAMESPACE, elementIdentifier: 'individual_number_unicode' },
      { docType: MNC_DOCTYPE, nameSpace: ISO_23220_NAMESPACE, elementIdentifier: 'age_over_20' },
    ];
    const present = async (release: Record<string, string[]>) => {
      const transcript = await openId4VpSessionTranscript(
        { clientId: 'x509_hash:rp', nonce: 'n-1', responseUri: 'https://rp.example/post', jwkThumbprint: null },
        nodeMdocCrypto,
      );
      const response = await createDeviceResponse({
        issued: decodeIssuedMdoc(base64ToBytes(phones[0]!.bundle.mdoc)),
        release: new Map(Object.entries(release).map(([ns, ids]) => [ns, new Set(ids)])),
        sessionTranscript: transcript,
        deviceKey: phones[0]!.device,
        mode: { type: 'signature' },
        crypto: nodeMdocCrypto,
      });
      return { response, transcript };
    };
    const verify = async (release: Record<string, string[]>, myNumber: boolean) => {
      const { response, transcript } = await present(release);
      return verifyMdocPresentation({
        response,
        sessionTranscript: transcript,
        issuerAnchors: [authorities.mdoc.iaca.anchor],
        time: clock,
        crypto: nodeMdocCrypto,
        docType: MNC_DOCTYPE,
        status: statusListChecker({
          fetch: (url, init) => issuerFetch(url, init),
          anchors: [authorities.mdoc.iaca.anchor],
          crypto: nodeMdocCrypto,
          clock: () => clock,
        }),
        rp: { id: myNumber ? 'securities' : 'shop', myNumber, elements: ELEMENTS },
      });
    };

    it('verifies the phone’s mdoc for an RP registered for My Numbers, with its status', async () => {
      const result = await verify({ [JP_NAMESPACE]: ['full_name_unicode', 'individual_number_unicode'] }, true);
      expect(result.status, JSON.stringify(result.decidedBy)).toBe('valid');
      expect(result.checks.at(-1)!.check).toBe('rp.authorization');
      expect(result.record.disclosed).toEqual([
        `${JP_NAMESPACE}/full_name_unicode`,
        `${JP_NAMESPACE}/individual_number_unicode`,
      ]);
      expect(JSON.stringify(result.record)).not.toContain(registryPerson('verifier', PERSONS[0]).input.myNumber);
    });

    it('refuses a My Number to an RP not registered for it, and returns nothing', async () => {
      const result = await verify({ [JP_NAMESPACE]: ['full_name_unicode', 'individual_number_unicode'] }, false);
      expect(result.status).toBe('invalid');
      expect(result.decidedBy).toMatchObject({ check: 'rp.authorization' });
      expect(result.decidedBy!.reason).toContain('individual_number_unicode');
      expect(result.documents).toEqual([]);
      const allowed = await verify({ [ISO_23220_NAMESPACE]: ['age_over_20'] }, false);
      expect(allowed.status).toBe('valid');
    });
  });

  // Last: it revokes phone 1.
  describe('verifyJpkiSignature over a relying party’s digest (pkcs1-digest)', () => {
    const DIGEST = sha256(DOCUMENT);
    /** The card signs exactly the bytes given (`80 2A 00 80`), as the wallet does for a jpki_sign_digest. */
    const cardSignsBytes = async (index: number, key: 'signing' | 'authentication', bytes: Uint8Array) => {
      const { document, passphrase } = phones[index]!.card;
      const smartCard = await openVirtualCard({ document, passphrase, store: () => new MemoryRetryCounterStore() });
      const jpki = new JpkiReader(inProcessTransport(smartCard));
      await jpki.select();
      await jpki.verifyPin(key, key === 'signing' ? 'OPENMYNA1' : '1234');
      return { certificate: await jpki.readCertificate(key), signature: await jpki.sign(key, bytes) };
    };

    it('verifies the card’s signature over a bare SHA-256 hash and over its DigestInfo, with the signer’s 4 info', async () => {
      for (const signed of [DIGEST, encodeDigestInfo('SHA-256', DIGEST)]) {
        const result = await verifyJpkiSignature(trust(), {
          kind: 'pkcs1-digest',
          ...(await cardSignsBytes(0, 'signing', signed)),
          signed,
        });
        expect(result.status, JSON.stringify(result.decidedBy)).toBe('valid');
        expect(result.checks.slice(0, 2).map((check) => check.check)).toEqual(['pkcs1.certificate', 'pkcs1.signature']);
        expect(result.signer!.identity.basicFourInfo.name).toBe(
          registryPerson('verifier', PERSONS[0]).input.basicFourInfo.name,
        );
        expect(result.record.documentDigest).toBe(Buffer.from(DIGEST).toString('hex'));
      }
    });

    it('refuses other bytes, a DigestInfo it was not given, another key and a truncated signature', async () => {
      const { certificate, signature } = await cardSignsBytes(0, 'signing', DIGEST);
      const checked = async (input: { certificate?: Uint8Array; signature?: Uint8Array; signed?: Uint8Array }) =>
        (await verifyJpkiSignature(trust(), { kind: 'pkcs1-digest', certificate, signature, signed: DIGEST, ...input }))
          .decidedBy?.check;
      const flipped = DIGEST.slice();
      flipped[31]! ^= 1;
      expect(await checked({ signed: flipped })).toBe('pkcs1.signature');
      expect(await checked({ signed: encodeDigestInfo('SHA-256', DIGEST) })).toBe('pkcs1.signature');
      expect(await checked({ certificate: base64ToBytes(phones[1]!.bundle.jpki.signingCertificate!) })).toBe(
        'pkcs1.signature',
      );
      expect(await checked({ signature: signature.subarray(0, signature.length - 1) })).toBe('pkcs1.signature');
    });

    it('refuses an authentication certificate (key usage) and a revoked phone', async () => {
      const both = trust({
        anchors: {
          signing: [
            trustAnchor(authorities.jpki.signing.ca.certificate),
            trustAnchor(authorities.jpki.authentication.ca.certificate),
          ],
          authentication: [],
        },
      });
      const login = await cardSignsBytes(0, 'authentication', DIGEST);
      const result = await verifyJpkiSignature(both, { kind: 'pkcs1-digest', ...login, signed: DIGEST });
      expect(result.decidedBy?.check).toBe('certificate[0].key-usage');
      expect(result.signer).toBeUndefined();
      // The phone's key signs sha256WithRSAEncryption: exactly the DigestInfo of the document's hash.
      const phoneSigned = {
        kind: 'pkcs1-digest' as const,
        certificate: base64ToBytes(phones[1]!.bundle.jpki.signingCertificate!),
        signature: await phones[1]!.keys.signing.sign(DOCUMENT),
        signed: encodeDigestInfo('SHA-256', DIGEST),
      };
      const verifierTrust = trust();
      expect((await verifyJpkiSignature(verifierTrust, phoneSigned)).status).toBe('valid');
      await changePhone(context, phones[1]!.bundle.phoneId, 'revoke', 'admin', '機種変更');
      advance(61_000);
      const revoked = await verifyJpkiSignature(verifierTrust, phoneSigned);
      expect(revoked.status).toBe('invalid');
      expect(revoked.decidedBy?.check).toMatch(/revocation/);
      expect(revoked.decidedBy?.reason).toMatch(/revoked/);
    });
  });
});

describe('the real J-LIS user-authentication signature', () => {
  const real = (name: string) => readVector(`jpki-real/${name}`);
  const historical = new Date('2020-01-15T00:00:00Z');
  const jlis = (): JpkiTrust => ({
    anchors: {
      signing: [trustAnchor(derFromPemOrDer(real('ta/sign_ca_2015.pem'), 'CERTIFICATE'))],
      authentication: [trustAnchor(derFromPemOrDer(real('ta/auth_ca_2015.pem'), 'CERTIFICATE'))],
    },
    policies: JLIS_POLICY_OIDS,
    // J-LIS's responders answer only contracted verifiers, and not for 2020: the checks say so.
    revocation: 'not-checked',
    clock: () => historical,
  });

  it('verifies under J-LIS’s 2015 root at its historical time, with revocation marked as not checked', async () => {
    const result = await verifyJpkiAuthentication(jlis(), {
      certificate: real('auth-cert-myna.cer'),
      signature: real('auth-message1-sha256rsapkcs.sig'),
      content: real('message1.txt'),
      time: historical,
    });
    expect(result.status, JSON.stringify(result.decidedBy)).toBe('valid');
    expect(result.checks.find((check) => check.check.endsWith('revocation'))?.status).toBe('skip');
    expect(result.record).toMatchObject({ revocation: 'not-checked', certificate: { serialNumber: '012d57ca' } });
    expect(parseCertificate(real('auth-cert-myna.cer')).notAfter.toISOString()).toBe('2024-05-02T14:59:59.000Z');
  });

  it('refuses it over another message, after its expiry, and under the 2023 root', async () => {
    const base = { certificate: real('auth-cert-myna.cer'), signature: real('auth-message1-sha256rsapkcs.sig') };
    expect(
      (await verifyJpkiAuthentication(jlis(), { ...base, content: real('message2.txt'), time: historical })).decidedBy
        ?.check,
    ).toBe('auth.signature');
    const late = await verifyJpkiAuthentication(jlis(), {
      ...base,
      content: real('message1.txt'),
      time: new Date('2024-06-01T00:00:00Z'),
    });
    expect(late.status).toBe('invalid');
    const newRoot = await verifyJpkiAuthentication(
      {
        ...jlis(),
        anchors: {
          signing: [],
          authentication: [trustAnchor(derFromPemOrDer(real('ta/auth_ca_2023.pem'), 'CERTIFICATE'))],
        },
      },
      { ...base, content: real('message1.txt'), time: historical },
    );
    expect(newRoot.decidedBy?.check).toBe('path.build');
  });
});
