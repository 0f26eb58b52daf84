import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import {
  createDeviceRequest,
  createDeviceResponse,
  decodeDeviceRequest,
  encodeCoseKey,
  encodeCbor,
  evaluateItemsRequest,
  isRenewalDue,
  issueMdocCertificate,
  ISO_23220_NAMESPACE,
  JP_NAMESPACE,
  MNC_DOCTYPE,
  openId4VpSessionTranscript,
  verifyDeviceResponse,
  verifyReaderAuthentication,
  type ItemsRequest,
} from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';

import {
  allCardFaceElements,
  issueCardFaceMdoc,
  makeMdocHierarchy,
  makeReader,
  NOW,
  type MdocHierarchy,
} from '../../../test-support/mdoc-fixtures.js';

const crypto = nodeMdocCrypto;
let hierarchy: MdocHierarchy;
beforeAll(async () => {
  hierarchy = await makeMdocHierarchy(crypto);
});

const transcriptFor = (nonce: string) =>
  openId4VpSessionTranscript(
    { clientId: 'x509_san_dns:rp.example', nonce, responseUri: 'https://rp.example/post', jwkThumbprint: null },
    crypto,
  );

const request = (elements: Record<string, Record<string, boolean>>): ItemsRequest => ({
  docType: MNC_DOCTYPE,
  nameSpaces: new Map(Object.entries(elements).map(([ns, ids]) => [ns, new Map(Object.entries(ids))])),
});

describe('card-face mdoc presentation', () => {
  it('releases exactly the approved elements and verifies end to end, by signature and by MAC', async () => {
    const { decoded, deviceKey } = await issueCardFaceMdoc(hierarchy);
    const transcript = await transcriptFor('n-1');
    const release = new Map([
      [JP_NAMESPACE, new Set(['full_name_unicode', 'portrait'])],
      [ISO_23220_NAMESPACE, new Set(['age_over_20'])],
    ]);
    const asked = request({
      [JP_NAMESPACE]: { full_name_unicode: false, portrait: false },
      [ISO_23220_NAMESPACE]: { age_over_20: false },
    });
    const response = await createDeviceResponse({
      issued: decoded,
      release,
      sessionTranscript: transcript,
      deviceKey,
      mode: { type: 'signature' },
      crypto,
    });
    const result = await verifyDeviceResponse({
      response,
      sessionTranscript: transcript,
      issuerAnchors: [hierarchy.iaca.anchor],
      time: NOW,
      crypto,
      docType: MNC_DOCTYPE,
      request: asked,
    });
    expect(result.summary.status).toBe('valid');
    const elements = result.documents[0]!.elements;
    expect([...elements.get(JP_NAMESPACE)!.keys()].sort()).toEqual(['full_name_unicode', 'portrait']);
    expect([...elements.get(ISO_23220_NAMESPACE)!.keys()]).toEqual(['age_over_20']);
    expect(elements.get(JP_NAMESPACE)!.get('full_name_unicode')).toMatch(/　/);

    const eReaderKey = await crypto.generateEcKey();
    const macResponse = await createDeviceResponse({
      issued: decoded,
      release,
      sessionTranscript: transcript,
      deviceKey,
      mode: { type: 'mac', eReaderKey: eReaderKey.publicKey },
      crypto,
    });
    const macResult = await verifyDeviceResponse({
      response: macResponse,
      sessionTranscript: transcript,
      issuerAnchors: [hierarchy.iaca.anchor],
      time: NOW,
      crypto,
      docType: MNC_DOCTYPE,
      eReaderKey,
    });
    expect(macResult.summary.status).toBe('valid');
  });

  it('gives every salt and digest ID once and hides the element count in the IDs', async () => {
    const { decoded } = await issueCardFaceMdoc(hierarchy);
    const items = [...decoded.issuerSigned.nameSpaces.values()].flat();
    expect(items).toHaveLength(7 + 7);
    expect(new Set(items.map((item) => Buffer.from(item.random).toString('hex'))).size).toBe(items.length);
    for (const list of decoded.issuerSigned.nameSpaces.values()) {
      expect(new Set(list.map((item) => item.digestID)).size).toBe(list.length);
    }
  });

  it('refuses the My Number to a reader not authorized for it, and says why', async () => {
    const { decoded } = await issueCardFaceMdoc(hierarchy);
    const transcript = await transcriptFor('n-2');
    const withoutMyNumber = allCardFaceElements().filter((e) => e.elementIdentifier !== 'individual_number_unicode');
    const shop = await makeReader(hierarchy, 'Convenience store', withoutMyNumber);
    const bank = await makeReader(hierarchy, '証券会社デモ', allCardFaceElements());
    const asked = request({ [JP_NAMESPACE]: { full_name_unicode: true, individual_number_unicode: true } });
    const available = new Map(
      [...decoded.issuerSigned.nameSpaces].map(([ns, list]) => [ns, new Set(list.map((i) => i.elementIdentifier))]),
    );

    for (const [reader, expectRefused] of [
      [shop, ['individual_number_unicode']],
      [bank, []],
    ] as const) {
      const requestBytes = await createDeviceRequest({ docRequests: [asked], sessionTranscript: transcript, reader });
      const docRequest = decodeDeviceRequest(requestBytes).docRequests[0]!;
      const readerCheck = await verifyReaderAuthentication({
        docRequest,
        sessionTranscript: transcript,
        readerAnchors: [hierarchy.readerCa.anchor],
        time: NOW,
        crypto,
      });
      expect(readerCheck.checks.at(-1)).toEqual({ check: 'reader.signature', status: 'pass' });
      const evaluation = evaluateItemsRequest({
        itemsRequest: docRequest.itemsRequest,
        reader: readerCheck.reader,
        available,
        availableDocType: MNC_DOCTYPE,
      });
      expect(evaluation.refused.map((r) => r.elementIdentifier)).toEqual(expectRefused);
      if (expectRefused.length) expect(evaluation.refused[0]!.reason).toBe('reader-not-authorized-for-my-number');
      expect(evaluation.reader.authenticated).toBe(true);
    }

    const anonymous = evaluateItemsRequest({
      itemsRequest: asked,
      reader: undefined,
      available,
      availableDocType: MNC_DOCTYPE,
    });
    expect(anonymous.reader.authenticated).toBe(false);
    expect(anonymous.refused).toEqual([
      {
        nameSpace: JP_NAMESPACE,
        elementIdentifier: 'individual_number_unicode',
        intentToRetain: true,
        reason: 'reader-not-authorized-for-my-number',
      },
    ]);
  });

  it('rejects reader authentication replayed into another session', async () => {
    const reader = await makeReader(hierarchy, 'Reader', undefined);
    const asked = request({ [JP_NAMESPACE]: { portrait: false } });
    const requestBytes = await createDeviceRequest({
      docRequests: [asked],
      sessionTranscript: await transcriptFor('a'),
      reader,
    });
    const result = await verifyReaderAuthentication({
      docRequest: decodeDeviceRequest(requestBytes).docRequests[0]!,
      sessionTranscript: await transcriptFor('b'),
      readerAnchors: [hierarchy.readerCa.anchor],
      time: NOW,
      crypto,
    });
    expect(result.checks.at(-1)?.check).toBe('reader.signature');
    expect(result.checks.at(-1)?.status).toBe('fail');
    expect(result.reader).toBeUndefined();
  });

  it('encodes COSE keys deterministically', () => {
    const key = { crv: 'P-256' as const, x: new Uint8Array(32).fill(1), y: new Uint8Array(32).fill(2) };
    expect(
      Buffer.from(encodeCbor(encodeCoseKey(key)))
        .toString('hex')
        .slice(0, 12),
    ).toBe('a40102200121');
  });
});

describe('short-lived MSOs', () => {
  it('are due for renewal at expectedUpdate, or after two thirds of their validity', () => {
    const validity = { signed: NOW, validFrom: NOW, validUntil: new Date(NOW.getTime() + 30 * 86_400_000) };
    expect(isRenewalDue(validity, new Date(NOW.getTime() + 19 * 86_400_000))).toBe(false);
    expect(isRenewalDue(validity, new Date(NOW.getTime() + 21 * 86_400_000))).toBe(true);
    expect(
      isRenewalDue(
        { ...validity, expectedUpdate: new Date(NOW.getTime() + 86_400_000) },
        new Date(NOW.getTime() + 2 * 86_400_000),
      ),
    ).toBe(true);
  });

  it('re-issuing gives fresh salts and digests for the same values', async () => {
    const first = await issueCardFaceMdoc(hierarchy);
    const second = await issueCardFaceMdoc(hierarchy);
    const name = (issued: typeof first) =>
      issued.decoded.issuerSigned.nameSpaces
        .get(JP_NAMESPACE)!
        .find((item) => item.elementIdentifier === 'full_name_unicode')!;
    expect(name(second).elementValue).toBe(name(first).elementValue);
    expect(name(second).random).not.toEqual(name(first).random);
  });
});

describe('Annex B certificate issuance', () => {
  it('refuses validities beyond the role maximum and non-root self-signing', async () => {
    const key = await crypto.generateEcKey();
    const base = {
      subject: [
        ['C', 'JP'],
        ['CN', 'x'],
      ] as const,
      publicKey: key.publicKey,
      issuerKey: key,
      issuerAltNameUri: 'https://x',
      randomBytes: (n: number) => crypto.randomBytes(n),
    };
    await expect(
      issueMdocCertificate({
        ...base,
        role: 'iaca',
        notBefore: NOW,
        notAfter: new Date(NOW.getTime() + 21 * 366 * 86_400_000),
      }),
    ).rejects.toMatchObject({ code: 'ERR_MDOC_CERTIFICATE' });
    await expect(
      issueMdocCertificate({
        ...base,
        role: 'document-signer',
        notBefore: NOW,
        notAfter: new Date(NOW.getTime() + 458 * 86_400_000),
        issuer: { subject: hierarchy.iaca.anchor.certificate.subject, publicKey: key.publicKey },
      }),
    ).rejects.toMatchObject({ code: 'ERR_MDOC_CERTIFICATE' });
    await expect(
      issueMdocCertificate({
        ...base,
        role: 'document-signer',
        notBefore: NOW,
        notAfter: new Date(NOW.getTime() + 86_400_000),
      }),
    ).rejects.toMatchObject({ code: 'ERR_MDOC_CERTIFICATE' });
    await expect(issueMdocCertificate({ ...base, role: 'iaca', notBefore: NOW, notAfter: NOW })).rejects.toMatchObject({
      code: 'ERR_MDOC_CERTIFICATE',
    });
  });

  it('makes an IACA that OpenSSL reads with the Annex B extensions', () => {
    const text = execFileSync('openssl', ['x509', '-inform', 'DER', '-noout', '-text'], {
      input: hierarchy.iaca.der,
    }).toString();
    expect(text).toMatch(/Certificate Sign, CRL Sign/);
    expect(text).toMatch(/CA:TRUE, pathlen:0/);
    expect(text).toMatch(/ecdsa-with-SHA256/);
    const ds = execFileSync('openssl', ['x509', '-inform', 'DER', '-noout', '-text'], {
      input: hierarchy.documentSigner.certificate,
    }).toString();
    expect(ds).toMatch(/1\.0\.18013\.5\.1\.2/);
    expect(ds).toMatch(/Digital Signature/);
    // OpenSSL as an independent peer builds and checks the chain, strictly.
    const dir = mkdtempSync(join(tmpdir(), 'openmyna-mdoc-x509-'));
    const pem = (der: Uint8Array) =>
      `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString('base64')}\n-----END CERTIFICATE-----\n`;
    writeFileSync(join(dir, 'iaca.pem'), pem(hierarchy.iaca.der));
    writeFileSync(join(dir, 'ds.pem'), pem(hierarchy.documentSigner.certificate));
    const verified = execFileSync('openssl', [
      'verify',
      '-x509_strict',
      '-attime',
      String(Math.floor(NOW.getTime() / 1000)),
      '-CAfile',
      join(dir, 'iaca.pem'),
      join(dir, 'ds.pem'),
    ]).toString();
    expect(verified).toMatch(/ds\.pem: OK/);
  });
});
