import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { generatePerson } from '@openmyna/core';
import { beforeAll, describe, expect, it } from 'vitest';

import { REPO_ROOT } from '../../../test-support/test-vectors.js';
import { run } from './cli-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'openmyna-card-cli-'));

beforeAll(async () => {
  expect((await run(['pki', 'init', '--data', 'data'], { cwd: dir })).code).toBe(0);
  const issued = await run(['card', 'issue', '--data', 'data', '--person', 'P0000003', '--out', 'card.json'], {
    cwd: dir,
  });
  expect(issued.code, issued.stderr).toBe(0);
}, 120_000);

describe('openmyna card', () => {
  it('writes a card file whose keys and PINs are sealed', () => {
    const text = readFileSync(join(dir, 'card.json'), 'utf8');
    expect(JSON.parse(text)).toMatchObject({ format: 'openmyna-card/2', variant: 'card', personId: 'P0000003' });
    expect(text).not.toContain('OPENMYNA1');
    expect(text).not.toMatch(/"(d|p|q)":/);
    // Nothing personal in the clear either: the records are sealed with the keys.
    const person = generatePerson({ seed: 'openmyna-sandbox' }, 3);
    expect(text).not.toContain(person.myNumber);
    expect(text).not.toMatch(/"(myNumberFile|basicFourInfoFile|cardFaceFile|residentCode)"/);
    expect(statSync(join(dir, 'card.json')).mode & 0o077).toBe(0);
  });

  it('dumps every application, verifying certificates and records, with the 個人番号 masked', async () => {
    const dump = await run(
      [
        'card',
        'dump',
        '--data',
        'data',
        '--card',
        'card.json',
        '--auth-pin',
        '1234',
        '--signing-password',
        'OPENMYNA1',
        '--pin',
        '1234',
      ],
      { cwd: dir },
    );
    expect(dump.code, dump.stdout).toBe(0);
    expect(dump.stdout).toContain('JPKIAPICCTOKEN2');
    expect(dump.stdout).toMatch(/pass\s+kenhojo\.integrity-signature/);
    expect(dump.stdout).toMatch(/pass\s+jpki\.signing-certificate-chain/);
    expect(dump.stdout).toMatch(/個人番号\s+\*{8}\d{4}/);
    expect(dump.stdout).not.toMatch(/\d{12}/);
  });

  it('reads the 券面AP card face with 照合番号A, verifies it and writes its images', async () => {
    // 照合番号A is the holder's My Number, as printed on the card's back (the registry's, for this demo person).
    const { myNumber } = generatePerson({ seed: 'openmyna-sandbox' }, 3);
    const dump = await run(
      ['card', 'dump', '--data', 'data', '--card', 'card.json', '--mynumber', myNumber, '--images', 'face'],
      { cwd: dir },
    );
    expect(dump.code, dump.stdout).toBe(0);
    expect(dump.stdout).toMatch(/pass\s+kenkaku\.card-face-signature/);
    expect(dump.stdout).toMatch(/pass\s+kenkaku\.my-number-image-signature/);
    expect(dump.stdout).toMatch(/pass\s+kenkaku\.card-presence/);
    expect(dump.stdout).not.toContain(myNumber);
    const name = readFileSync(join(dir, 'face', 'name.png'));
    // PNG, 1-bit greyscale (IHDR bit depth 1, colour type 0).
    expect([...name.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect([name[24], name[25]]).toEqual([1, 0]);
    expect(
      readFileSync(join(dir, 'face', 'photo.jp2'))
        .subarray(0, 12)
        .toString('hex'),
    ).toBe('0000000c6a5020200d0a870a');
  });

  it('spends a try for a wrong PIN, durably', async () => {
    const wrong = await run(['card', 'dump', '--data', 'data', '--card', 'card.json', '--auth-pin', '9999'], {
      cwd: dir,
    });
    expect(wrong.stdout).toContain('wrong (2 tries left)');
    const again = await run(['card', 'dump', '--data', 'data', '--card', 'card.json'], { cwd: dir });
    expect(again.stdout).toContain('authentication PIN 2');
    expect(
      (await run(['card', 'dump', '--data', 'data', '--card', 'card.json', '--auth-pin', '1234'], { cwd: dir })).stdout,
    ).toContain('verified');
  });

  it('refuses bad PIN options as usage errors', async () => {
    expect(
      (
        await run(
          ['card', 'issue', '--data', 'data', '--person', 'P0000004', '--out', 'x.json', '--auth-pin', '12345'],
          { cwd: dir },
        )
      ).code,
    ).toBe(2);
    expect(
      (
        await run(
          [
            'card',
            'issue',
            '--data',
            'data',
            '--person',
            'P0000004',
            '--out',
            'x.json',
            '--signing-password',
            'lower1',
          ],
          { cwd: dir },
        )
      ).code,
    ).toBe(2);
  });

  it('serves the card over the vpcd protocol (serve)', async () => {
    // A stand-in for the vpcd driver: it asks for the ATR, then sends SELECT JPKI-AP.
    const answers: Buffer[] = [];
    let socket: Socket | undefined;
    const server = createServer((connection) => {
      socket = connection;
      connection.on('data', (chunk: Buffer) => answers.push(chunk));
      connection.write(Buffer.from([0x00, 0x01, 0x04]));
      connection.write(Buffer.from('000f00a4040c0ad392f000260100000001', 'hex'));
    });
    await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
    const port = (server.address() as { port: number }).port;
    const child = spawn(
      process.execPath,
      [
        resolve(REPO_ROOT, 'apps/cli/dist/main.js'),
        'card',
        'serve',
        '--data',
        'data',
        '--card',
        'card.json',
        '--vpcd-port',
        String(port),
      ],
      { cwd: dir },
    );
    try {
      for (let i = 0; i < 100 && Buffer.concat(answers).length < 15; i++)
        await new Promise((wait) => setTimeout(wait, 100));
      const received = Buffer.concat(answers);
      expect(received.subarray(0, 11).toString('hex')).toBe('0009' + '3be000ff8131fe4514');
      expect(received.subarray(11, 15).toString('hex')).toBe('00029000');
    } finally {
      child.kill('SIGTERM');
      socket?.destroy();
      server.close();
    }
  });
});
