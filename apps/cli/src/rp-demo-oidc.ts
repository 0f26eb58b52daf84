import { generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto';
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { readJson, writeAtomically } from './pki-store.js';

/** A JWK as the demo keeps it: the key's members and the registry's `use`, `alg` and `kid`. */
export type DemoJwk = JsonWebKey & { readonly kid: string; readonly use: 'sig' | 'enc'; readonly alg: string };

/** The securities firm's OpenID Connect keys: private (kept), and the public JWK Set it registers. */
export interface RpDemoOidcKeys {
  /** ES256: signs the firm's `private_key_jwt` client assertions. */
  readonly signingKey: DemoJwk;
  /** RSA-OAEP-256: the provider encrypts the sign results to it. */
  readonly encryptionKey: DemoJwk;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const;

/**
 * The firm's keys, made once and kept in `<data>/rp-demo/oidc-keys.json` (mode 0600) beside its sealing
 * key: the private halves never leave that file and the demo's memory.
 */
export async function rpDemoOidcKeys(dataDir: string): Promise<RpDemoOidcKeys> {
  const path = join(dataDir, 'rp-demo', 'oidc-keys.json');
  const stored = await readJson<RpDemoOidcKeys>(path);
  if (stored) return stored;
  const id = randomBytes(6).toString('hex');
  const signing = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const encryption = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const keys: RpDemoOidcKeys = {
    signingKey: { ...signing, kid: `sig-${id}`, use: 'sig', alg: 'ES256' },
    encryptionKey: { ...encryption, kid: `enc-${id}`, use: 'enc', alg: 'RSA-OAEP-256' },
  };
  await mkdir(join(dataDir, 'rp-demo'), { recursive: true, mode: 0o700 });
  await writeAtomically(path, JSON.stringify(keys) + '\n');
  await chmod(path, 0o600);
  return keys;
}

/** The public JWK Set of the firm's keys: what the provider registers. */
export function publicJwks(keys: RpDemoOidcKeys): { keys: Record<string, unknown>[] } {
  const publicOf = (key: DemoJwk) =>
    Object.fromEntries(Object.entries(key).filter(([name]) => !(PRIVATE_MEMBERS as readonly string[]).includes(name)));
  return { keys: [publicOf(keys.signingKey), publicOf(keys.encryptionKey)] };
}
