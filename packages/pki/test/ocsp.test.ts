import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { bytesToHex } from '@noble/hashes/utils.js';
import {
  bytesToBase64,
  certIdFor,
  encodeOcspRequest,
  ocspRevocationChecker,
  parseCertificate,
  parseOcspResponse,
  SoftwareSigner,
  toPem,
  trustAnchor,
  validatePath,
  verifyOcspResponse,
  type X509Certificate,
} from '@openmyna/pki';
import { OcspResponder, type CertificateState } from '@openmyna/pki/ca';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { atTime } from '../../../test-support/faketime.js';
import { NOW, testCardHolder, testHierarchy } from './fixtures.js';

let clock = NOW;
const states = new Map<string, CertificateState>();
let responder: OcspResponder;
let issuer: X509Certificate;
let certificate: X509Certificate;
let certificateDer: Uint8Array;
let serial: string;
let server: ReturnType<typeof createServer>;
let url: string;

beforeAll(async () => {
  const { ca } = await testHierarchy('authentication');
  const responderKey = await SoftwareSigner.generate();
  const responderCertificate = await ca.issueOcspResponder({
    subjectPublicKeyInfo: responderKey.publicKeyInfo,
    commonName: 'openmyna test OCSP responder',
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2035-12-31T00:00:00Z'),
  });
  responder = new OcspResponder({
    issuerCertificate: ca.certificate,
    responderCertificate,
    responderSigner: responderKey,
    statusSource: (serialNumber) => Promise.resolve(states.get(serialNumber) ?? { status: 'never-issued' }),
    clock: () => clock,
    validitySeconds: 3600,
    refreshBeforeSeconds: 600,
  });
  const key = await SoftwareSigner.generate();
  certificateDer = await ca.issueEndEntity({
    profile: 'jpki-authentication',
    subjectPublicKeyInfo: key.publicKeyInfo,
    holder: testCardHolder(),
    issuedAt: NOW,
  });
  certificate = parseCertificate(certificateDer);
  issuer = parseCertificate(ca.certificate);
  serial = bytesToHex(certificate.serialNumber);
  states.set(serial, { status: 'good' });
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const answer =
        request.method === 'GET'
          ? responder.respondToGet(request.url!.slice(1))
          : responder.respond(new Uint8Array(Buffer.concat(chunks)));
      void answer.then((der) => {
        response.writeHead(200, { 'content-type': 'application/ocsp-response' });
        response.end(der);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => server.close());

const ask = async (nonce?: Uint8Array) => responder.respond(encodeOcspRequest([certIdFor(certificate, issuer)], nonce));

describe('OCSP responder and verification (RFC 6960)', () => {
  it('answers good, revoked, suspended and never-issued, each as itself', async () => {
    const verify = async () =>
      (await verifyOcspResponse({ response: await ask(), certificate, issuer, time: clock })).revocation.status;
    expect(await verify()).toBe('good');
    states.set(serial, { status: 'suspended', since: NOW });
    responder.invalidate(serial);
    expect(await verify()).toBe('on-hold');
    states.set(serial, { status: 'good' });
    responder.invalidate(serial);
    expect(await verify()).toBe('good');
    states.set(serial, { status: 'revoked', revocationTime: NOW, reason: 'keyCompromise' });
    responder.invalidate(serial);
    expect(await verify()).toBe('revoked');
    states.delete(serial);
    responder.invalidate(serial);
    expect(await verify()).toBe('unknown');
    states.set(serial, { status: 'good' });
    responder.invalidate(serial);
  });

  it('serves pre-produced responses and refreshes them before they go stale', async () => {
    const first = await ask();
    expect(await ask()).toEqual(first);
    clock = new Date(NOW.getTime() + 51 * 60_000); // inside the 10-minute refresh window
    expect(await responder.refreshDue()).toBeGreaterThan(0);
    const refreshed = await ask();
    expect(refreshed).not.toEqual(first);
    expect((await verifyOcspResponse({ response: refreshed, certificate, issuer, time: clock })).status).toBe('valid');
    clock = NOW;
    responder.invalidate(serial);
  });

  it('echoes a nonce and flags a response that does not (replay)', async () => {
    const nonce = crypto.getRandomValues(new Uint8Array(32));
    const fresh = await verifyOcspResponse({ response: await ask(nonce), certificate, issuer, time: clock, nonce });
    expect(fresh.status).toBe('valid');
    const replayed = await verifyOcspResponse({ response: await ask(), certificate, issuer, time: clock, nonce });
    expect(replayed.decidedBy?.check).toBe('ocsp.nonce');
    expect(replayed.revocation.status).toBe('unknown');
  });

  it('calls a stale response unknown, never good', async () => {
    const response = await ask();
    const later = new Date(NOW.getTime() + 2 * 3600_000);
    const result = await verifyOcspResponse({ response, certificate, issuer, time: later });
    expect(result.decidedBy?.check).toBe('ocsp.freshness');
    expect(result.revocation.status).toBe('unknown');
  });

  it('rejects a response signed by a responder the CA did not delegate', async () => {
    const { ca: other } = await testHierarchy('signing');
    const rogueKey = await SoftwareSigner.generate();
    const rogueCertificate = await other.issueOcspResponder({
      subjectPublicKeyInfo: rogueKey.publicKeyInfo,
      commonName: 'rogue',
      notBefore: new Date('2026-01-01T00:00:00Z'),
      notAfter: new Date('2026-12-31T00:00:00Z'),
    });
    const rogue = new OcspResponder({
      issuerCertificate: ca(),
      responderCertificate: rogueCertificate,
      responderSigner: rogueKey,
      statusSource: () => Promise.resolve({ status: 'good' }),
      clock: () => clock,
    });
    const result = await verifyOcspResponse({
      response: await rogue.respond(encodeOcspRequest([certIdFor(certificate, issuer)])),
      certificate,
      issuer,
      time: clock,
    });
    expect(result.decidedBy?.check).toBe('ocsp.responder-authorized');
    expect(result.revocation.status).toBe('unknown');
  });

  it('answers malformed requests with malformedRequest, GET and POST alike', async () => {
    expect(parseOcspResponse(await responder.respond(new Uint8Array([0x30, 0x00]))).responseStatus).toBe(1);
    expect(parseOcspResponse(await responder.respondToGet('%%%not-base64')).responseStatus).toBe(1);
    const get = await responder.respondToGet(
      encodeURIComponent(bytesToBase64(encodeOcspRequest([certIdFor(certificate, issuer)]))),
    );
    expect((await verifyOcspResponse({ response: get, certificate, issuer, time: clock })).revocation.status).toBe(
      'good',
    );
  });

  it('checks revocation inside path validation over HTTP, and says unknown when the responder is down', async () => {
    const checker = ocspRevocationChecker({ fetch, time: () => clock, url });
    const result = await validatePath({
      certificate,
      trustAnchors: [trustAnchor(ca())],
      time: clock,
      revocation: checker,
    });
    expect(result.status).toBe('valid');
    const down = ocspRevocationChecker({ fetch, time: () => clock, url: 'http://127.0.0.1:9/' });
    expect(
      (await validatePath({ certificate, trustAnchors: [trustAnchor(ca())], time: clock, revocation: down })).status,
    ).toBe('status-unknown');
  });

  it('is understood by openssl ocsp over HTTP', async () => {
    // openssl checks the response times against the real clock, whatever -attime says: it runs at NOW.
    const work = mkdtempSync(join(tmpdir(), 'openmyna-ocsp-'));
    writeFileSync(join(work, 'ca.pem'), toPem(ca(), 'CERTIFICATE'));
    writeFileSync(join(work, 'ee.pem'), toPem(certificateDer, 'CERTIFICATE'));
    const output = await new Promise<string>((resolve) => {
      const child = spawn(
        ...atTime(clock, 'openssl', [
          'ocsp',
          '-issuer',
          join(work, 'ca.pem'),
          '-cert',
          join(work, 'ee.pem'),
          '-url',
          url,
          '-CAfile',
          join(work, 'ca.pem'),
          '-resp_text',
        ]),
      );
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.on('close', () => resolve(text));
    });
    expect(output).toContain('Response verify OK');
    expect(output).toMatch(/ee\.pem: good/);
    expect(output).not.toContain('WARNING');
  });
});

function ca(): Uint8Array {
  return issuer.der;
}
