import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import {
  DEFAULT_POLICY_OIDS,
  derFromPemOrDer,
  SoftwareSigner,
  toPem,
  type EncryptedKeyFile,
  type Hierarchy,
} from '@openmyna/pki';
import { CertificateAuthority, type HierarchyConfig } from '@openmyna/pki/ca';

/**
 * The CLI's file layout for a certificate authority under `<data>/pki`:
 *
 * ```
 * pki/passphrase                 sandbox only: the key passphrase (mode 0600) unless OPENMYNA_CA_PASSPHRASE is set
 * pki/<hierarchy>/config.json    HierarchyConfig
 * pki/<hierarchy>/ca.pem         root certificate
 * pki/<hierarchy>/ca-key.json    root key, encrypted (openmyna-key/1)
 * pki/<hierarchy>/ocsp.pem       delegated OCSP responder certificate
 * pki/<hierarchy>/ocsp-key.json  responder key, encrypted
 * pki/issuer/pin-reset-key.json  the issuer's PIN-reset authorization key (P-256), sealed
 * ```
 *
 * Issued certificates, revocations and CRL numbers live in the issuer's registry (`issuer.db`, or `--db`).
 */
export const HIERARCHIES: readonly Hierarchy[] = ['signing', 'authentication'];

export function pkiDir(dataDir: string): string {
  return join(dataDir, 'pki');
}

/** The key passphrase: OPENMYNA_CA_PASSPHRASE, else the sandbox passphrase file (created on init). */
export async function passphrase(dataDir: string, create: boolean): Promise<string> {
  const fromEnvironment = process.env['OPENMYNA_CA_PASSPHRASE'];
  if (fromEnvironment) return fromEnvironment;
  const path = join(pkiDir(dataDir), 'passphrase');
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    // Only a missing file may be replaced: a new passphrase would lock away every existing key.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    if (!create)
      throw new Error(`no CA passphrase: set OPENMYNA_CA_PASSPHRASE or run \`openmyna pki init\` (looked for ${path})`);
    const generated = randomBytes(24).toString('base64url');
    await mkdir(pkiDir(dataDir), { recursive: true });
    await writeAtomically(path, generated + '\n');
    await chmod(path, 0o600);
    return generated;
  }
}

export function defaultConfig(hierarchy: Hierarchy, baseUrl: string): HierarchyConfig {
  return {
    hierarchy,
    policyOid: DEFAULT_POLICY_OIDS[hierarchy],
    cpsUri: `${baseUrl}/cps`,
    ocspUrl: `${baseUrl}/ocsp/${hierarchy}`,
    crlBaseUrl: `${baseUrl}/crl/${hierarchy}`,
  };
}

/**
 * The policy OIDs the data directory's CAs issue under (each hierarchy's `config.json`): a data
 * directory made before the default changed keeps its own, and its certificates keep verifying.
 */
export async function hierarchyPolicies(dataDir: string): Promise<Record<Hierarchy, string>> {
  return {
    signing: (await hierarchyConfig(dataDir, 'signing')).policyOid,
    authentication: (await hierarchyConfig(dataDir, 'authentication')).policyOid,
  };
}

/** A hierarchy's `config.json`. */
async function hierarchyConfig(dataDir: string, hierarchy: Hierarchy): Promise<HierarchyConfig> {
  return JSON.parse(await readFile(join(pkiDir(dataDir), hierarchy, 'config.json'), 'utf8')) as HierarchyConfig;
}

/** Loads a hierarchy's CA with its decrypted key. */
export async function loadAuthority(dataDir: string, hierarchy: Hierarchy): Promise<CertificateAuthority> {
  const dir = join(pkiDir(dataDir), hierarchy);
  const config = await hierarchyConfig(dataDir, hierarchy);
  const certificate = derFromPemOrDer(new Uint8Array(await readFile(join(dir, 'ca.pem'))), 'CERTIFICATE');
  const signer = await loadKey(join(dir, 'ca-key.json'), await passphrase(dataDir, false));
  return new CertificateAuthority({ config, certificate, signer });
}

/** Loads a hierarchy's OCSP responder certificate and key. */
export async function loadResponder(
  dataDir: string,
  hierarchy: Hierarchy,
): Promise<{ certificate: Uint8Array; signer: SoftwareSigner }> {
  const dir = join(pkiDir(dataDir), hierarchy);
  return {
    certificate: derFromPemOrDer(new Uint8Array(await readFile(join(dir, 'ocsp.pem'))), 'CERTIFICATE'),
    signer: await loadKey(join(dir, 'ocsp-key.json'), await passphrase(dataDir, false)),
  };
}

async function loadKey(path: string, secret: string): Promise<SoftwareSigner> {
  return SoftwareSigner.importEncrypted(JSON.parse(await readFile(path, 'utf8')) as EncryptedKeyFile, secret);
}

/** Writes a hierarchy's files. */
export async function saveHierarchy(
  dataDir: string,
  files: {
    config: HierarchyConfig;
    ca: Uint8Array;
    caKey: EncryptedKeyFile;
    ocsp: Uint8Array;
    ocspKey: EncryptedKeyFile;
  },
): Promise<void> {
  const dir = join(pkiDir(dataDir), files.config.hierarchy);
  await mkdir(dir, { recursive: true });
  await writeAtomically(join(dir, 'config.json'), JSON.stringify(files.config, null, 2) + '\n');
  await writeAtomically(join(dir, 'ca-key.json'), JSON.stringify(files.caKey, null, 2) + '\n');
  await writeAtomically(join(dir, 'ocsp-key.json'), JSON.stringify(files.ocspKey, null, 2) + '\n');
  await writeAtomically(join(dir, 'ocsp.pem'), toPem(files.ocsp, 'CERTIFICATE'));
  await writeAtomically(join(dir, 'ca.pem'), toPem(files.ca, 'CERTIFICATE'));
}

/** Write-new, then rename: readers see the old file or the new one, never half of one. */
export async function writeAtomically(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  // Owner-only whatever the umask: what we write holds keys or personal data.
  await writeFile(temporary, data, { flush: true, mode: 0o600 });
  await rename(temporary, path);
}

/** A JSON file, or undefined when it does not exist (any other error, or bad JSON, throws). */
export async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Creates both JPKI hierarchies (root CA and delegated OCSP responder each) under `<data>/pki`. */
export async function initHierarchies(
  dataDir: string,
  baseUrl: string,
  progress: (hierarchy: Hierarchy) => void = () => undefined,
): Promise<void> {
  const secret = await passphrase(dataDir, true);
  const now = new Date();
  for (const hierarchy of HIERARCHIES) {
    progress(hierarchy);
    const config = defaultConfig(hierarchy, baseUrl);
    const caKey = await SoftwareSigner.generate();
    const ca = await CertificateAuthority.createRoot({
      config,
      signer: caKey,
      name: [
        ['C', 'JP'],
        ['O', 'openmyna'],
        [
          'OU',
          hierarchy === 'signing' ? 'openmyna JPKI for digital signature' : 'openmyna JPKI for user authentication',
        ],
        ['OU', 'openmyna sandbox'],
      ],
      notBefore: now,
      notAfter: new Date(now.getTime() + 20 * 365.25 * 86_400_000),
    });
    const responderKey = await SoftwareSigner.generate();
    const ocsp = await ca.issueOcspResponder({
      subjectPublicKeyInfo: responderKey.publicKeyInfo,
      commonName: `openmyna ${hierarchy} OCSP responder`,
      notBefore: now,
      notAfter: new Date(now.getTime() + 2 * 365.25 * 86_400_000),
    });
    await saveHierarchy(dataDir, {
      config,
      ca: ca.certificate,
      caKey: await caKey.exportEncrypted(secret),
      ocsp,
      ocspKey: await responderKey.exportEncrypted(secret),
    });
  }
}
