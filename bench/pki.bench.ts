import 'reflect-metadata';
import { execFileSync, spawn } from 'node:child_process';
import { X509Certificate as NodeX509Certificate, verify as nodeVerify } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  certIdFor,
  encodeOcspRequest,
  parseCertificate,
  parseCrl,
  trustAnchor,
  validatePath,
  verifyPkcs1Signature,
  type SignatureBackend,
} from '@openmyna/pki';
import { OcspResponder } from '@openmyna/pki/ca';
import { nodeCryptoBackend } from '@openmyna/pki/node';
import * as x509 from '@peculiar/x509';
import autocannon from 'autocannon';
import * as pkijs from 'pkijs';

import { readVector } from '../test-support/test-vectors.js';
import { buildCrlPartition } from './capacity-crl.js';
import { benchAuthority } from './fixtures.js';
import { compare } from './harness.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const read = readVector;

/**
 * Verifying a real JPKI signature with its 2-certificate chain: parse the leaf, chain it to the
 * J-LIS root, check validity, verify the RSA-2048 signature over the document. Each library does
 * the same work; trust anchors are parsed once by all of them.
 */
export async function benchJpkiVerification(): Promise<void> {
  const leafDer = read('jpki-real/auth-cert-myna.cer');
  const rootDer = read('jpki-real/authca01.cer');
  const message = read('jpki-real/message1.txt');
  const signature = read('jpki-real/auth-message1-sha256rsapkcs.sig');
  const time = new Date('2020-01-01T00:00:00Z');

  const nodeRoot = new NodeX509Certificate(rootDer);
  const anchors = [trustAnchor(rootDer)];
  const x509Root = new x509.X509Certificate(rootDer);
  const pkijsRoot = pkijs.Certificate.fromBER(rootDer);

  const check = (ok: boolean, who: string) => {
    if (!ok) throw new Error(`${who} did not verify the JPKI signature`);
  };
  await compare(
    'JPKI signature + 2-certificate chain (real J-LIS root, RSA-2048), one core',
    {
      name: 'node:crypto X509Certificate + crypto.verify (practical limit)',
      unit: 'verification',
      run: () => {
        const leaf = new NodeX509Certificate(leafDer);
        const valid =
          leaf.checkIssued(nodeRoot) &&
          leaf.verify(nodeRoot.publicKey) &&
          new Date(leaf.validFrom) <= time &&
          time <= new Date(leaf.validTo) &&
          nodeVerify('sha256', message, leaf.publicKey, signature);
        check(valid, 'node:crypto');
      },
    },
    [
      ...[nodeCryptoBackend, undefined].map((backend: SignatureBackend | undefined) => ({
        name: `openmyna parse + validatePath + verify (${backend?.name ?? 'web-crypto'} backend)`,
        unit: 'verification',
        run: async () => {
          const leaf = parseCertificate(leafDer);
          const options = backend ? { backend } : {};
          const path = await validatePath({
            certificate: leaf,
            trustAnchors: anchors,
            time,
            checkRevocation: false,
            ...options,
          });
          const subjectPublicKeyInfo = leaf.subjectPublicKeyInfo;
          const valid = await verifyPkcs1Signature({
            subjectPublicKeyInfo,
            data: message,
            signature,
            hash: 'SHA-256',
            ...options,
          });
          check(path.status === 'valid' && valid, 'openmyna');
        },
      })),
      {
        name: '@peculiar/x509 X509ChainBuilder + verify',
        unit: 'verification',
        run: async () => {
          const leaf = new x509.X509Certificate(leafDer);
          const chain = await new x509.X509ChainBuilder({ certificates: [x509Root] }).build(leaf);
          const chained = chain.length === 2 && (await leaf.verify({ publicKey: x509Root, date: time }));
          const key = await leaf.publicKey.export({ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, ['verify']);
          check(
            chained && (await crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, signature, message)),
            '@peculiar/x509',
          );
        },
      },
      {
        name: 'pkijs CertificateChainValidationEngine + verify',
        unit: 'verification',
        run: async () => {
          const leaf = pkijs.Certificate.fromBER(leafDer);
          const engine = new pkijs.CertificateChainValidationEngine({
            trustedCerts: [pkijsRoot],
            certs: [leaf],
            checkDate: time,
          });
          const result = await engine.verify();
          const key = await leaf.getPublicKey({
            algorithm: { algorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, usages: ['verify'] },
          });
          check(result.result && (await crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, signature, message)), 'pkijs');
        },
      },
    ],
  );
}

/** OCSP over HTTP on loopback: pre-produced responses vs a static route returning the same bytes. */
export async function benchOcspHttp(): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, 'bench/ocsp-server.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const { port, request } = await new Promise<{ port: number; request: string }>((ready) => {
    child.stdout.once('data', (chunk: Buffer) =>
      ready(JSON.parse(chunk.toString()) as { port: number; request: string }),
    );
  });
  const seconds = Number(process.env['OPENMYNA_BENCH_HTTP_SECONDS'] ?? 10);
  const body = Buffer.from(request, 'base64');
  const load = async (path: string) => {
    const result = await autocannon({
      url: `http://127.0.0.1:${port}${path}`,
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request' },
      body,
      connections: 32,
      duration: seconds,
    });
    return {
      rate: result.requests.average,
      errors: result.errors + result.non2xx,
      p50: result.latency.p50,
      p99: result.latency.p99,
    };
  };
  try {
    const baseline = await load('/static');
    const ocsp = await load('/ocsp');
    console.log(
      `\nOCSP over HTTP on loopback (server: one process; load: autocannon, 32 connections, ${seconds} s each)`,
    );
    console.log(
      `  static route, same bytes (baseline)   ${baseline.rate.toFixed(0).padStart(7)} req/s  p50 ${baseline.p50} ms  p99 ${baseline.p99} ms  errors ${baseline.errors}`,
    );
    console.log(
      `  pre-produced OCSP responses           ${ocsp.rate.toFixed(0).padStart(7)} req/s  p50 ${ocsp.p50} ms  p99 ${ocsp.p99} ms  errors ${ocsp.errors}  ${(ocsp.rate / baseline.rate).toFixed(2)}× baseline`,
    );
  } finally {
    child.kill('SIGTERM');
  }
}

/** OCSP responses signed on demand (a nonce forces a fresh signature) against bare RSA-2048 signing. */
export async function benchOcspSigning(): Promise<void> {
  const { ca, responderKey, responderCertificate } = await benchAuthority('authentication');
  const responder = new OcspResponder({
    issuerCertificate: ca.certificate,
    responderCertificate,
    responderSigner: responderKey,
    statusSource: () => Promise.resolve({ status: 'good' }),
    clock: () => new Date(),
  });
  const issuer = parseCertificate(ca.certificate);
  const request = encodeOcspRequest([certIdFor(issuer, issuer)], new Uint8Array(32).fill(7));
  const data = new Uint8Array(180).fill(1);
  await compare(
    'OCSP responses signed on demand (nonce), one core',
    {
      name: 'SoftwareSigner.sign of 180 bytes (raw RSA-2048 signing)',
      unit: 'signature',
      run: () => responderKey.sign(data),
    },
    [{ name: 'OcspResponder.respond with a nonce', unit: 'response', run: () => responder.respond(request) }],
  );
}

/** A CRL partition with 1,000,000 revoked serials: build and sign, size, parse, lookup. */
export async function benchLargeCrl(): Promise<void> {
  const COUNT = Number(process.env['OPENMYNA_BENCH_CRL_ENTRIES'] ?? 1_000_000);
  const { crl, serials, buildSeconds: encodeSeconds, signSeconds: lintAndSignSeconds } = await buildCrlPartition(COUNT);
  let started = performance.now();
  const parsed = parseCrl(crl);
  const parseSeconds = (performance.now() - started) / 1000;

  const dir = mkdtempSync(join(tmpdir(), 'openmyna-crl-bench-'));
  writeFileSync(join(dir, 'big.crl'), crl);
  started = performance.now();
  execFileSync('openssl', ['crl', '-inform', 'DER', '-in', join(dir, 'big.crl'), '-noout']);
  const opensslSeconds = (performance.now() - started) / 1000;

  const probes = Array.from({ length: 100_000 }, (_, i) => serials[(i * 7) % COUNT]!);
  const plain = new Set(serials);
  let hits = 0;
  started = performance.now();
  for (const probe of probes) if (plain.has(probe)) hits++;
  const setNs = ((performance.now() - started) * 1e6) / probes.length;
  started = performance.now();
  for (const probe of probes) if (parsed.revoked.get(probe)) hits++;
  const crlNs = ((performance.now() - started) * 1e6) / probes.length;

  console.log(`\nCRL partition with ${COUNT.toLocaleString('en')} revoked serials`);
  console.log(
    `  size                                   ${(crl.length / 1024 / 1024).toFixed(1)} MB (${(crl.length / COUNT).toFixed(1)} bytes per entry)`,
  );
  console.log(`  build (encode TBSCertList)             ${encodeSeconds.toFixed(2)} s`);
  console.log(`  lint (re-reads every entry) + sign     ${lintAndSignSeconds.toFixed(2)} s`);
  console.log(`  openssl crl -noout parse (baseline)    ${opensslSeconds.toFixed(2)} s (process start included)`);
  console.log(
    `  openmyna parseCrl                      ${parseSeconds.toFixed(2)} s  ${(parseSeconds / opensslSeconds).toFixed(2)}× baseline time`,
  );
  console.log(
    `  lookup per serial: Set.has (baseline)  ${setNs.toFixed(0)} ns; parsed CRL ${crlNs.toFixed(0)} ns (${(crlNs / setNs).toFixed(2)}×), ${hits} hits`,
  );
}
