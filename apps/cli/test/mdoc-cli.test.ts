import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { decodeIssuedMdoc, encodeCbor, encodedCbor, MNC_DOCTYPE } from '@openmyna/mdoc';
import { beforeAll, describe, expect, it } from 'vitest';

import { run } from './cli-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'openmyna-mdoc-cli-'));
const transcript = encodeCbor([null, null, ['OpenID4VPHandover', new Uint8Array(32).fill(7)]]);

beforeAll(() => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  writeFileSync(join(dir, 'device.jwk'), JSON.stringify(jwk));
  writeFileSync(join(dir, 'device.pub.jwk'), JSON.stringify({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }));
  writeFileSync(join(dir, 'transcript.cbor'), transcript);
  // Annex D's form of the same transcript: #6.24(bstr).
  writeFileSync(join(dir, 'transcript-tagged.cbor'), encodeCbor(encodedCbor(transcript)));
});

describe('openmyna mdoc', () => {
  it('issues the card-face mdoc, presents two elements, and verifies them with every check named', async () => {
    const issued = await run(
      [
        'mdoc',
        'issue',
        '--data',
        'data',
        '--person',
        'P0000004',
        '--device-key',
        'device.pub.jwk',
        '--out',
        'mdoc.cbor',
      ],
      { cwd: dir },
    );
    expect(issued.code, issued.stderr).toBe(0);
    expect(issued.stdout).toMatch(/My Number \*{8}\d{4}/);
    const stored = decodeIssuedMdoc(new Uint8Array(readFileSync(join(dir, 'mdoc.cbor'))));
    expect(stored.docType).toBe(MNC_DOCTYPE);

    const presented = await run(
      [
        'mdoc',
        'present',
        '--mdoc',
        'mdoc.cbor',
        '--device-key',
        'device.jwk',
        '--transcript',
        'transcript.cbor',
        '--elements',
        'org.iso.23220.1.jp/individual_number_unicode,org.iso.23220.1/age_over_20',
        '--out',
        'response.cbor',
      ],
      { cwd: dir },
    );
    expect(presented.code, presented.stderr).toBe(0);

    for (const transcriptFile of ['transcript.cbor', 'transcript-tagged.cbor']) {
      const verified = await run(
        ['mdoc', 'verify', '--data', 'data', '--response', 'response.cbor', '--transcript', transcriptFile],
        { cwd: dir },
      );
      expect(verified.code, verified.stdout + verified.stderr).toBe(0);
      expect(verified.stdout).toMatch(/^valid/);
      expect(verified.stdout).toMatch(/pass +device\.authentication/);
      expect(verified.stdout).toMatch(/skip +status\.revocation/);
      // The My Number is masked on screen.
      expect(verified.stdout).toMatch(/individual_number_unicode = "?\*{8}\d{4}/);
    }
    const json = await run(
      ['mdoc', 'verify', '--data', 'data', '--response', 'response.cbor', '--transcript', 'transcript.cbor', '--json'],
      { cwd: dir },
    );
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'valid' });
  });

  it('names the failing check and exits 1 for another session, and 4 when revocation cannot be checked', async () => {
    writeFileSync(join(dir, 'other.cbor'), encodeCbor([null, null, ['OpenID4VPHandover', new Uint8Array(32).fill(8)]]));
    const other = await run(
      ['mdoc', 'verify', '--data', 'data', '--response', 'response.cbor', '--transcript', 'other.cbor'],
      { cwd: dir },
    );
    expect(other.code).toBe(1);
    expect(other.stdout).toMatch(/^invalid — decided by device\.authentication/);

    const listed = await run(
      [
        'mdoc',
        'issue',
        '--data',
        'data',
        '--person',
        'P0000004',
        '--device-key',
        'device.pub.jwk',
        '--out',
        'listed.cbor',
        '--status-uri',
        'http://127.0.0.1:9/status/1',
        '--status-index',
        '3',
      ],
      { cwd: dir },
    );
    expect(listed.code, listed.stderr).toBe(0);
    await run(
      [
        'mdoc',
        'present',
        '--mdoc',
        'listed.cbor',
        '--device-key',
        'device.jwk',
        '--transcript',
        'transcript.cbor',
        '--elements',
        'org.iso.23220.1/age_over_20',
        '--out',
        'listed-response.cbor',
      ],
      { cwd: dir },
    );
    const unknown = await run(
      ['mdoc', 'verify', '--data', 'data', '--response', 'listed-response.cbor', '--transcript', 'transcript.cbor'],
      { cwd: dir },
    );
    expect(unknown.code).toBe(4);
    expect(unknown.stdout).toMatch(/^status-unknown — decided by status\.revocation/);
  });

  it('refuses usage errors without echoing secrets', async () => {
    const bad = await run(
      [
        'mdoc',
        'present',
        '--mdoc',
        'mdoc.cbor',
        '--device-key',
        'device.jwk',
        '--transcript',
        'transcript.cbor',
        '--elements',
        'nonamespace',
        '--out',
        'x.cbor',
      ],
      { cwd: dir },
    );
    expect(bad.code).toBe(2);
    const half = await run(
      [
        'mdoc',
        'issue',
        '--data',
        'data',
        '--person',
        'P0000004',
        '--device-key',
        'device.pub.jwk',
        '--out',
        'y.cbor',
        '--status-index',
        '1',
      ],
      { cwd: dir },
    );
    expect(half.code).toBe(2);
    const help = await run(['mdoc', 'verify', '--help'], { cwd: dir });
    expect(help.stdout).toMatch(/Exit codes: 0 valid, 1 invalid/);
  });
});
