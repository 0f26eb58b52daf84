import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { encodeDigestInfo } from '@openmyna/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { registryPerson } from '../../../test-support/issuer-fixtures.js';
import { PHONE_PINS, provisionedNodeWallet, walletWorld } from '../../../test-support/wallet-fixtures.js';
import { createPresentation, relyingParty, type PresentationInput, type PresentationServices } from '../src/index.js';

const SEED = 'verifier';
const PERSON = 1;

/**
 * The sign transactions of the OpenID Connect layer, below it: `createPresentation` with `signDigest`
 * and a login, answered by the wallet library, and the signature in the claims checked by OpenSSL
 * as a relying party would check it.
 */
describe('a jpki_sign_digest presentation, answered by the wallet and checked with OpenSSL', () => {
  let world: Awaited<ReturnType<typeof walletWorld>>;
  let phone: Awaited<ReturnType<typeof provisionedNodeWallet>>;
  let directory: string;
  beforeAll(async () => {
    world = await walletWorld(SEED, [PERSON]);
    phone = await provisionedNodeWallet(world);
    directory = mkdtempSync(join(tmpdir(), 'openmyna-sign-digest-'));
  }, 120_000);
  afterAll(async () => {
    rmSync(directory, { recursive: true, force: true });
    await world.dispose();
  });

  const create = async (input: Omit<PresentationInput, 'purpose'>) => {
    const { context, keys, base } = world.verifier;
    // Creating a request reads only these of the services (startVerifierService seals with this key).
    const services = { sealingKey: new Uint8Array(32).fill(7), publicUrl: base } as PresentationServices;
    return createPresentation(context, services, await relyingParty(context, keys.securities.id), {
      purpose: '証券口座の開設（電子署名）',
      ...input,
    });
  };
  /** OpenSSL's output for `verify(keyFile, signatureFile)`, the key taken from `certificate` (DER). */
  const openssl = (certificate: Buffer, signature: Buffer, verify: (key: string, sig: string) => string[]) => {
    const [der, key, sig] = ['cert.der', 'key.pem', 'sig.bin'].map((name) => join(directory, name)) as [
      string,
      string,
      string,
    ];
    writeFileSync(der, certificate);
    writeFileSync(sig, signature);
    execFileSync('openssl', ['x509', '-inform', 'DER', '-in', der, '-pubkey', '-noout', '-out', key]);
    return execFileSync('openssl', verify(key, sig), { encoding: 'utf8' });
  };

  it.each([false, true])('digest_info %s: the claims carry a signature OpenSSL verifies', async (digestInfo) => {
    const data = Buffer.from(`証券総合口座 開設申込書 ${digestInfo}`);
    const hash = createHash('sha256').update(data).digest();
    const digest = digestInfo ? encodeDigestInfo('SHA-256', hash) : new Uint8Array(hash);
    const created = await create({ signDigest: { digest, digestInfo, title: '証券総合口座 開設申込書' }, login: true });
    const pending = await phone.wallet.openRequest(created.link);
    expect(pending.view.document).toBeUndefined();
    expect(pending.view.digest).toEqual({ title: '証券総合口座 開設申込書', bytes: digest, digestInfo });
    expect([...pending.view.secrets].sort()).toEqual(['authenticationPin', 'signingPassword']);
    await phone.wallet.approve(pending, {
      signingPassword: PHONE_PINS.signing,
      authenticationPin: PHONE_PINS.authentication,
    });
    const result = (await (await world.verifier.rp('securities', `/v1/presentations/${created.id}`)).json()) as {
      result: { status: string; checks: { check: string }[] };
      claims: Record<string, Record<string, string>>;
    };
    expect(result.result.status).toBe('valid');
    const checks = result.result.checks.map((check) => check.check);
    expect(checks).toEqual(expect.arrayContaining(['pkcs1.signature', 'certificate[0].key-usage', 'auth.signature']));
    // A digest signature may be made again (PKCS#1 v1.5 is deterministic): recorded, not refused.
    expect(checks).not.toContain('jpki.replay');
    const sign = result.claims['sign']!;
    expect(Object.keys(sign).sort()).toEqual(['address', 'birth_date', 'certificate', 'name', 'sex', 'signature']);
    expect(sign['name']).toBe(registryPerson(SEED, PERSON).input.basicFourInfo.name);
    expect(result.claims['login']!['subject']).toMatch(/^[\w-]{43}$/);
    const certificate = Buffer.from(sign['certificate']!, 'base64url');
    const signature = Buffer.from(sign['signature']!, 'base64url');
    const [dataFile, digestFile] = [join(directory, 'data.bin'), join(directory, 'digest.bin')];
    writeFileSync(dataFile, data);
    writeFileSync(digestFile, hash);
    // With DigestInfo, OpenSSL hashes the data itself; without, the recovered block must equal the 32 bytes.
    const verdict = digestInfo
      ? openssl(certificate, signature, (key, sig) => ['dgst', '-sha256', '-verify', key, '-signature', sig, dataFile])
      : openssl(certificate, signature, (key, sig) => [
          ...['pkeyutl', '-verify', '-pubin', '-inkey', key, '-in', digestFile, '-sigfile', sig],
        ]);
    expect(verdict).toMatch(digestInfo ? /Verified OK/ : /Signature Verified Successfully/);
    const entry = (await phone.wallet.history()).at(-1)!;
    expect(entry).toMatchObject({ documentTitle: '証券総合口座 開設申込書', items: ['jpki_sign', 'jpki_auth'] });
    expect(JSON.stringify(entry)).not.toContain(sign['signature']!);
  });

  it('refuses to create one without a login, beside a document or records, or over a malformed digest', async () => {
    const digest = new Uint8Array(32).fill(1);
    const signDigest = { digest, digestInfo: false, title: '申込書' };
    const refusal = (input: Omit<PresentationInput, 'purpose'>) =>
      create(input).then(
        () => undefined,
        (error: { code?: string; message: string }) => [error.code, error.message],
      );
    expect(await refusal({ signDigest })).toEqual(['ERR_RP_INVALID', expect.stringMatching(/login: true/)]);
    const document = { document: digest, title: 'x', mediaType: 'text/plain' };
    expect((await refusal({ signDigest, login: true, sign: document }))?.[0]).toBe('ERR_RP_INVALID');
    expect((await refusal({ signDigest, login: true, kenhojo: ['basic_four_info'] }))?.[0]).toBe('ERR_RP_INVALID');
    expect(await refusal({ signDigest: { ...signDigest, digestInfo: true }, login: true })).toEqual([
      'ERR_RP_INVALID',
      expect.stringMatching(/DigestInfo/),
    ]);
  });
});
