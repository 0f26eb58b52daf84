import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { chmod, mkdir } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';

import { bytesToHex } from '@noble/hashes/utils.js';
import { fromPem, toPem } from '@openmyna/pki';
import * as x509 from '@peculiar/x509';

import { readJson, writeAtomically } from './pki-store.js';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

interface StoredTls {
  readonly caCertificate: string;
  readonly caKey: string;
  readonly certificate: string;
  readonly key: string;
  readonly hosts: readonly string[];
  readonly notAfter: string;
}

/** What an HTTPS server of the sandbox needs, and the CA a phone may install to trust it. */
export interface SandboxTls {
  readonly key: string;
  readonly cert: string;
  /** PEM of the sandbox's own TLS CA. */
  readonly ca: string;
}

const pem = (label: string, der: ArrayBuffer) => toPem(new Uint8Array(der), label);

async function importKey(pkcs8Pem: string): Promise<CryptoKey> {
  const [der] = fromPem(pkcs8Pem, 'PRIVATE KEY');
  if (!der) throw new Error('the sandbox TLS CA key is not a PKCS #8 PEM block');
  return webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, false, ['sign']);
}

/** A positive 128-bit serial in hex (the top bit cleared, RFC 5280 §4.1.2.2). */
function randomSerial(): string {
  return bytesToHex(webcrypto.getRandomValues(new Uint8Array(16))).replace(/^[89a-f]/, '1');
}

/**
 * The sandbox's TLS for a phone on the same network (`sandbox up --lan`): its own CA (ECDSA P-256, ten
 * years) and a server certificate for `hosts` (IP addresses and names; 397 days, serverAuth), kept in
 * `<data>/tls/` (mode 0600) and renewed when the hosts change or it nears its end. The CA certificate
 * is what a phone installs (or accepts once) to trust the sandbox; it certifies nothing else.
 */
export async function loadSandboxTls(dataDir: string, hosts: readonly string[], now = new Date()): Promise<SandboxTls> {
  x509.cryptoProvider.set(globalThis.crypto);
  const dir = join(dataDir, 'tls');
  const path = join(dir, 'sandbox-tls.json');
  const stored = await readJson<StoredTls>(path);
  const wanted = [...new Set(hosts)].sort();
  if (
    stored &&
    JSON.stringify(stored.hosts) === JSON.stringify(wanted) &&
    new Date(stored.notAfter).getTime() - now.getTime() > 30 * DAY
  )
    return { key: stored.key, cert: stored.certificate, ca: stored.caCertificate };
  const authority =
    stored?.caCertificate && stored.caKey
      ? { caCertificate: stored.caCertificate, caKey: stored.caKey }
      : await createTlsAuthority(now);
  const next = await issueServerCertificate(authority, wanted, now);
  await mkdir(dir, { recursive: true });
  await writeAtomically(path, JSON.stringify(next, null, 2) + '\n');
  await chmod(path, 0o600);
  await writeAtomically(join(dir, 'ca.pem'), authority.caCertificate);
  return { key: next.key, cert: next.certificate, ca: authority.caCertificate };
}

type TlsAuthority = Pick<StoredTls, 'caCertificate' | 'caKey'>;

/** The sandbox's own TLS CA: ECDSA P-256, ten years, certificate signing only. */
async function createTlsAuthority(now: Date): Promise<TlsAuthority> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: 'C=JP, O=openmyna sandbox, CN=openmyna sandbox TLS CA',
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(now.getTime() + 3650 * DAY),
    keys: keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    caCertificate: ca.toString('pem') + '\n',
    caKey: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)),
  };
}

/** A server certificate (397 days, serverAuth) for `hosts`, with a fresh key, under the sandbox CA. */
async function issueServerCertificate(
  authority: TlsAuthority,
  hosts: readonly string[],
  now: Date,
): Promise<StoredTls> {
  const ca = new x509.X509Certificate(authority.caCertificate);
  const serverKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const notAfter = new Date(now.getTime() + 397 * DAY);
  const server = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `C=JP, O=openmyna sandbox, CN=${hosts[0] ?? 'localhost'}`,
    issuer: ca.subject,
    notBefore: new Date(now.getTime() - DAY),
    notAfter,
    publicKey: serverKeys.publicKey,
    signingKey: await importKey(authority.caKey),
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        hosts.map((host) =>
          isIP(host) ? { type: 'ip' as const, value: host } : { type: 'dns' as const, value: host },
        ),
      ),
      await x509.AuthorityKeyIdentifierExtension.create(ca, false),
    ],
  });
  return {
    ...authority,
    certificate: server.toString('pem') + '\n' + authority.caCertificate,
    key: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', serverKeys.privateKey)),
    hosts,
    notAfter: notAfter.toISOString(),
  };
}
