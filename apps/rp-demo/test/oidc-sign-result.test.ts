import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CompactEncrypt, importJWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';

import { checkSignResult, decryptSignResult, digestInfoOf } from '../src/oidc/sign-result.js';

const DOCUMENT = 'openmyna証券 証券総合口座 申込内容確認書\n上記の内容を確認し、電子署名により申し込みます。';

/**
 * The firm's reading of a sign result (the デジタル認証アプリ API's `result`): decrypted with its RSA-OAEP-256
 * key, then its checks — the transaction, the certificate's validity, the RSA-SHA256 signature of the
 * document (a DigestInfo signature) under the certificate's key. The certificate is OpenSSL's.
 */
describe('the sign result, as the securities firm checks it', () => {
  let signer: KeyObject;
  let certificate: string;
  let firm: { publicKey: CryptoKey; privateKey: CryptoKey };

  beforeAll(async () => {
    const work = mkdtempSync(join(tmpdir(), 'openmyna-rp-sign-'));
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    signer = pair.privateKey;
    writeFileSync(join(work, 'key.pem'), signer.export({ format: 'pem', type: 'pkcs8' }));
    execFileSync('openssl', [
      'req',
      '-x509',
      '-new',
      '-utf8',
      '-key',
      join(work, 'key.pem'),
      '-subj',
      '/CN=署名 花子',
      '-days',
      '1',
      '-outform',
      'DER',
      '-out',
      join(work, 'cert.der'),
    ]);
    certificate = readFileSync(join(work, 'cert.der')).toString('base64');
    firm = await crypto.subtle.generateKey(
      { name: 'RSA-OAEP', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      true,
      ['encrypt', 'decrypt'],
    );
  });

  const signature = (document: string) => sign('sha256', Buffer.from(document, 'utf8'), signer).toString('base64');
  /** A JWE of `plaintext` to the firm's key; `RSA-OAEP` (SHA-1) is not the algorithm the firm accepts. */
  const encrypt = async (plaintext: unknown, alg: 'RSA-OAEP-256' | 'RSA-OAEP' = 'RSA-OAEP-256') => {
    const { alg: _alg, key_ops: _ops, ...jwk } = await crypto.subtle.exportKey('jwk', firm.publicKey);
    return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(plaintext)))
      .setProtectedHeader({ alg, enc: 'A256GCM' })
      .encrypt(await importJWK(jwk, alg));
  };

  it('starts the transaction with DigestInfo(SHA-256(document)): 51 bytes, the SHA-256 DigestInfo prefix', () => {
    const digest = digestInfoOf(DOCUMENT);
    expect(digest).toHaveLength(51);
    expect(digest.subarray(0, 19).toString('hex')).toBe('3031300d060960864801650304020105000420');
  });

  it('decrypts the result and passes every check: transaction, certificate, signature; the signer named', async () => {
    const result = await decryptSignResult(
      await encrypt({ sign_transaction_id: 'tx-1', signature: signature(DOCUMENT), certificate }),
      firm.privateKey,
    );
    const { checks, signer: name } = checkSignResult(result, {
      signTransactionId: 'tx-1',
      document: DOCUMENT,
      now: new Date(),
    });
    expect(checks.map((check) => [check.check, check.status])).toEqual([
      ['sign_transaction_id', 'passed'],
      ['certificate.validity', 'passed'],
      ['signature', 'passed'],
    ]);
    expect(name).toBe('署名 花子');
  });

  it('fails closed: another transaction, another document, a certificate past its validity, an unreadable one', () => {
    const base = { sign_transaction_id: 'tx-1', signature: signature(DOCUMENT), certificate };
    const failed = (result: typeof base, expected: { signTransactionId?: string; document?: string; now?: Date }) =>
      checkSignResult(result, { signTransactionId: 'tx-1', document: DOCUMENT, now: new Date(), ...expected })
        .checks.filter((check) => check.status === 'failed')
        .map((check) => check.check);
    expect(failed(base, { signTransactionId: 'tx-2' })).toEqual(['sign_transaction_id']);
    expect(failed(base, { document: `${DOCUMENT}（改ざん）` })).toEqual(['signature']);
    expect(failed(base, { now: new Date(Date.now() + 3 * 86_400_000) })).toEqual(['certificate.validity']);
    expect(failed({ ...base, certificate: 'AAAA' }, {})).toEqual(['certificate.validity', 'signature']);
  });

  it('refuses a result it cannot open or read as the sign result', async () => {
    await expect(decryptSignResult('not-a-jwe', firm.privateKey)).rejects.toMatchObject({
      code: 'ERR_OIDC_SIGN_RESULT',
    });
    await expect(decryptSignResult(await encrypt({ signature: 'x' }), firm.privateKey)).rejects.toMatchObject({
      code: 'ERR_OIDC_SIGN_RESULT',
    });
    await expect(
      decryptSignResult(
        await encrypt({ sign_transaction_id: 'tx-1', signature: 'x', certificate }, 'RSA-OAEP'),
        firm.privateKey,
      ),
    ).rejects.toMatchObject({ code: 'ERR_OIDC_SIGN_RESULT' });
  });
});
