import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { jpkiCaKey, jpkiOcspKey, openSealedFileCustody, writeAtomically, type KeyCustody } from '@openmyna/issuer';
import { DEFAULT_POLICY_OIDS, derFromPemOrDer, toPem, type Hierarchy } from '@openmyna/pki';
import { CertificateAuthority, type HierarchyConfig } from '@openmyna/pki/ca';
import { base64UrlEncode } from '@openmyna/core';

export { mergeJson, readJson, writeAtomically } from '@openmyna/issuer';

/**
 * The CLI's file layout for a certificate authority under `<data>/pki`:
 *
 * ```
 * pki/passphrase                 sandbox only: the key passphrase (mode 0600) unless OPENMYNA_CA_PASSPHRASE is set
 * pki/<hierarchy>/config.json    HierarchyConfig
 * pki/<hierarchy>/ca.pem         root certificate
 * pki/<hierarchy>/ca-key.json    root key, encrypted (openmyna-key/1)       ┐ with the sealed-file custody
 * pki/<hierarchy>/ocsp.pem       delegated OCSP responder certificate      │ (the default); in a PKCS#11
 * pki/<hierarchy>/ocsp-key.json  responder key, encrypted                  │ token instead with
 * pki/issuer/pin-reset-key.json  the PIN-reset authorization key, sealed  ┘ `--keys pkcs11:…` (docs/keys.md)
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
    const generated = base64UrlEncode(randomBytes(24));
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

/**
 * The sealed-file custody of `dataDir` (the passphrase read once), for commands given no custody: every
 * function below that takes a custody falls back to it.
 */
export async function sealedFileCustody(dataDir: string, create = false): Promise<KeyCustody> {
  return openSealedFileCustody({ dataDir, passphrase: await passphrase(dataDir, create) });
}

/**
 * Loads a hierarchy's CA with its signer from the custody. Given the issuer's public URL (`issuer serve
 * --public-url`), the certificates it issues name that URL's OCSP responder, CRL partitions and CPS
 * instead of the base URL the hierarchy was made with (`pki init --base-url`).
 */
export async function loadAuthority(
  dataDir: string,
  hierarchy: Hierarchy,
  custody?: KeyCustody,
  publicUrl?: string,
): Promise<CertificateAuthority> {
  const dir = join(pkiDir(dataDir), hierarchy);
  const stored = await hierarchyConfig(dataDir, hierarchy);
  const config = publicUrl ? { ...stored, ...urlsOf(defaultConfig(hierarchy, publicUrl)) } : stored;
  const certificate = derFromPemOrDer(new Uint8Array(await readFile(join(dir, 'ca.pem'))), 'CERTIFICATE');
  const signer = await (custody ?? (await sealedFileCustody(dataDir))).rsaSigner(jpkiCaKey(hierarchy));
  return new CertificateAuthority({ config, certificate, signer });
}

/** The URLs a hierarchy's configuration writes into the certificates it issues. */
function urlsOf(config: HierarchyConfig): Pick<HierarchyConfig, 'cpsUri' | 'ocspUrl' | 'crlBaseUrl'> {
  return { cpsUri: config.cpsUri, ocspUrl: config.ocspUrl, crlBaseUrl: config.crlBaseUrl };
}

/** Loads a hierarchy's OCSP responder certificate, and its signer from the custody. */
export async function loadResponder(dataDir: string, hierarchy: Hierarchy, custody?: KeyCustody) {
  const dir = join(pkiDir(dataDir), hierarchy);
  return {
    certificate: derFromPemOrDer(new Uint8Array(await readFile(join(dir, 'ocsp.pem'))), 'CERTIFICATE'),
    signer: await (custody ?? (await sealedFileCustody(dataDir))).rsaSigner(jpkiOcspKey(hierarchy)),
  };
}

/** Writes a hierarchy's public files (its keys are the custody's). */
export async function saveHierarchy(
  dataDir: string,
  files: { config: HierarchyConfig; ca: Uint8Array; ocsp: Uint8Array },
): Promise<void> {
  const dir = join(pkiDir(dataDir), files.config.hierarchy);
  await mkdir(dir, { recursive: true });
  await writeAtomically(join(dir, 'config.json'), JSON.stringify(files.config, null, 2) + '\n');
  await writeAtomically(join(dir, 'ocsp.pem'), toPem(files.ocsp, 'CERTIFICATE'));
  await writeAtomically(join(dir, 'ca.pem'), toPem(files.ca, 'CERTIFICATE'));
}

/** Creates both JPKI hierarchies (root CA and delegated OCSP responder each) under `<data>/pki`. */
export async function initHierarchies(
  dataDir: string,
  baseUrl: string,
  progress: (hierarchy: Hierarchy) => void = () => undefined,
  keys?: KeyCustody,
): Promise<void> {
  const custody = keys ?? (await sealedFileCustody(dataDir, true));
  const now = new Date();
  for (const hierarchy of HIERARCHIES) {
    progress(hierarchy);
    const config = defaultConfig(hierarchy, baseUrl);
    const caKey = await custody.createRsaSigner(jpkiCaKey(hierarchy));
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
    const responderKey = await custody.createRsaSigner(jpkiOcspKey(hierarchy));
    const ocsp = await ca.issueOcspResponder({
      subjectPublicKeyInfo: responderKey.publicKeyInfo,
      commonName: `openmyna ${hierarchy} OCSP responder`,
      notBefore: now,
      notAfter: new Date(now.getTime() + 2 * 365.25 * 86_400_000),
    });
    await saveHierarchy(dataDir, { config, ca: ca.certificate, ocsp });
  }
}
