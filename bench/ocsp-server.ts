// A child process for the OCSP benchmark: one responder (pre-produced answers) and, for the
// baseline, a static route that returns the same bytes with no OCSP work at all.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { certIdFor, encodeOcspRequest, parseCertificate, SoftwareSigner } from '@openmyna/pki';
import { OcspResponder } from '@openmyna/pki/ca';
import { parseIsoDate, type MunicipalityCode } from '@openmyna/core';

import { benchAuthority } from './fixtures.js';

const now = new Date();
const { ca, responderKey, responderCertificate } = await benchAuthority('authentication');
const leafKey = await SoftwareSigner.generate();
const leaf = parseCertificate(
  await ca.issueEndEntity({
    profile: 'jpki-authentication',
    subjectPublicKeyInfo: leafKey.publicKeyInfo,
    holder: {
      basicFourInfo: {
        name: '番号　花子',
        address: '東京都千代田区永田町１－１',
        birthDate: parseIsoDate('1990-01-01'),
        sex: '2',
      },
      municipalityCode: '13101' as MunicipalityCode,
      prefecture: '東京都',
      municipality: '千代田区',
      cardExpiry: parseIsoDate('2035-01-01'),
    },
    issuedAt: now,
  }),
);
const responder = new OcspResponder({
  issuerCertificate: ca.certificate,
  responderCertificate,
  responderSigner: responderKey,
  statusSource: () => Promise.resolve({ status: 'good' }),
  clock: () => new Date(),
});
const request = encodeOcspRequest([certIdFor(leaf, parseCertificate(ca.certificate))]);
const staticBody = await responder.respond(request);

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    if (req.url === '/static') {
      res.writeHead(200, { 'content-type': 'application/ocsp-response', 'content-length': staticBody.length });
      res.end(staticBody);
      return;
    }
    void responder.respond(new Uint8Array(Buffer.concat(chunks))).then((body) => {
      res.writeHead(200, { 'content-type': 'application/ocsp-response', 'content-length': body.length });
      res.end(body);
    });
  });
});
server.listen(0, '127.0.0.1', () => {
  const port = (server.address() as AddressInfo).port;
  process.stdout.write(JSON.stringify({ port, request: Buffer.from(request).toString('base64') }) + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
