import { createHash, verify, X509Certificate } from 'node:crypto';

import { compactDecrypt } from 'jose';

import { OidcFlowError } from './errors.js';

/** The plaintext of a sign result (the デジタル認証アプリ API's `result`, decrypted). */
export interface SignResult {
  readonly sign_transaction_id: string;
  /** Base64: the RSA signature over the transaction's digest. */
  readonly signature: string;
  /** Base64 DER: the signing certificate. */
  readonly certificate: string;
}

/** One of the firm's checks of a sign result. */
export interface SignCheck {
  readonly check: 'sign_transaction_id' | 'certificate.validity' | 'signature';
  readonly status: 'passed' | 'failed';
  readonly reason?: string;
}

/** The DER prefix of a SHA-256 DigestInfo (RFC 8017 §9.2, note 1). */
const SHA256_DIGEST_INFO_PREFIX = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/** The digest a sign transaction is started with: DigestInfo(SHA-256(`document`)), as `digest_info: true` wants. */
export function digestInfoOf(document: string): Buffer {
  return Buffer.concat([SHA256_DIGEST_INFO_PREFIX, createHash('sha256').update(document, 'utf8').digest()]);
}

/** Opens the compact JWE `result` with the firm's encryption key (RSA-OAEP-256 only). */
export async function decryptSignResult(result: unknown, key: CryptoKey): Promise<SignResult> {
  try {
    if (typeof result !== 'string') throw new Error('"result" is not a string');
    const { plaintext } = await compactDecrypt(result, key, { keyManagementAlgorithms: ['RSA-OAEP-256'] });
    const parsed = JSON.parse(new TextDecoder().decode(plaintext)) as Record<string, unknown>;
    for (const name of ['sign_transaction_id', 'signature', 'certificate'] as const)
      if (typeof parsed[name] !== 'string') throw new Error(`"${name}" is missing`);
    return parsed as unknown as SignResult;
  } catch (cause) {
    throw new OidcFlowError('ERR_OIDC_SIGN_RESULT', 'the sign result cannot be read', undefined, { cause });
  }
}

/**
 * The firm's checks, in order, each reported (fail closed: a check that cannot run fails): the result is
 * that of the transaction this browser started; the certificate is valid now; the signature verifies as
 * RSA-SHA256 of `document` under the certificate's key (what a DigestInfo signature is). The certificate's
 * chain and revocation were checked by the provider, which the firm trusts for them.
 */
export function checkSignResult(
  result: SignResult,
  expected: { readonly signTransactionId: string; readonly document: string; readonly now: Date },
): { readonly checks: SignCheck[]; readonly signer: string } {
  const checks: SignCheck[] = [];
  const record = (check: SignCheck['check'], passed: boolean, reason: string) =>
    checks.push(passed ? { check, status: 'passed' } : { check, status: 'failed', reason });
  record(
    'sign_transaction_id',
    result.sign_transaction_id === expected.signTransactionId,
    'the result is another transaction’s',
  );
  let certificate: X509Certificate | undefined;
  try {
    certificate = new X509Certificate(Buffer.from(result.certificate, 'base64'));
  } catch {
    certificate = undefined;
  }
  const now = expected.now.getTime();
  record(
    'certificate.validity',
    !!certificate && Date.parse(certificate.validFrom) <= now && now <= Date.parse(certificate.validTo),
    certificate ? 'the certificate is not valid now' : 'the certificate cannot be read',
  );
  let verified = false;
  try {
    verified =
      !!certificate &&
      verify(
        'sha256',
        Buffer.from(expected.document, 'utf8'),
        certificate.publicKey,
        Buffer.from(result.signature, 'base64'),
      );
  } catch {
    verified = false;
  }
  record('signature', verified, 'the signature does not verify under the certificate');
  return { checks, signer: signerOf(certificate) };
}

/** The certificate's subject common name (the JPKI signing certificate names the holder), or its whole subject. */
function signerOf(certificate: X509Certificate | undefined): string {
  if (!certificate) return '—';
  const cn = /^CN=(.*)$/m.exec(certificate.subject);
  return cn?.[1] ?? certificate.subject.replace(/\n/g, ', ');
}
