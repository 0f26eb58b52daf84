import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { encodeDigestInfo, SoftwareSigner, verifyPkcs1DigestInfo, verifyPkcs1Signature } from '@openmyna/pki';
import { nodeCryptoBackend } from '@openmyna/pki/node';
import { describe, expect, it } from 'vitest';

import { readVectorJson } from '../../../test-support/test-vectors.js';

interface VerifyFile {
  testGroups: {
    publicKeyDer: string;
    sha: string;
    tests: { tcId: number; msg: string; sig: string; result: string }[];
  }[];
}
interface GenerateFile {
  testGroups: {
    keySize: number | string;
    sha: string;
    privateKeyPkcs8: string;
    tests: { tcId: number; msg: string; sig: string; result: string }[];
  }[];
}

describe('Wycheproof RSASSA-PKCS1-v1_5 2048/SHA-256 verification (vectors/wycheproof)', () => {
  const file = readVectorJson<VerifyFile>('wycheproof/rsa_signature_2048_sha256_test.json');
  const cases = file.testGroups.flatMap((group) => group.tests.map((test) => ({ group, test })));

  it(`agrees on all ${cases.length} cases through all three verification paths`, async () => {
    const mismatches: string[] = [];
    for (const { group, test } of cases) {
      const subjectPublicKeyInfo = hexToBytes(group.publicKeyDer);
      const data = hexToBytes(test.msg);
      const signature = hexToBytes(test.sig);
      const viaWebCrypto = await verifyPkcs1Signature({ subjectPublicKeyInfo, data, signature, hash: 'SHA-256' });
      const viaNode = await verifyPkcs1Signature({
        subjectPublicKeyInfo,
        data,
        signature,
        hash: 'SHA-256',
        backend: nodeCryptoBackend,
      });
      const viaDigestInfo = verifyPkcs1DigestInfo({
        subjectPublicKeyInfo,
        digestInfo: encodeDigestInfo('SHA-256', sha256(data)),
        signature,
      });
      for (const [path, verdict] of [
        ['webcrypto', viaWebCrypto],
        ['node', viaNode],
        ['digestinfo', viaDigestInfo],
      ] as const) {
        if (test.result === 'valid' && !verdict) mismatches.push(`${test.tcId} ${path}: valid rejected`);
        if (test.result === 'invalid' && verdict) mismatches.push(`${test.tcId} ${path}: invalid accepted`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});

describe('Wycheproof RSASSA-PKCS1-v1_5 2048 signature generation', () => {
  const file = readVectorJson<GenerateFile>('wycheproof/rsa_pkcs1_2048_sig_gen_test.json');
  const groups = file.testGroups.filter((group) => group.sha === 'SHA-256' && Number(group.keySize) === 2048);

  it('has SHA-256 groups to check', () => {
    expect(groups.length).toBeGreaterThan(0);
  });

  it('produces the expected deterministic signatures through SoftwareSigner', async () => {
    const mismatches: number[] = [];
    let checked = 0;
    for (const group of groups) {
      const signer = await SoftwareSigner.fromPkcs8(hexToBytes(group.privateKeyPkcs8));
      for (const test of group.tests) {
        if (test.result !== 'valid') continue;
        checked++;
        if (bytesToHex(await signer.sign(hexToBytes(test.msg))) !== test.sig) mismatches.push(test.tcId);
      }
    }
    expect(checked).toBeGreaterThan(0);
    expect(mismatches).toEqual([]);
  });

  it('keeps SHA-1 DigestInfo encoding right for legacy signatures', () => {
    expect(bytesToHex(encodeDigestInfo('SHA-1', sha1(new Uint8Array())))).toBe(
      '3021300906052b0e03021a05000414da39a3ee5e6b4b0d3255bfef95601890afd80709',
    );
  });
});
