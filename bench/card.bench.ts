import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createPrivateKey, sign, type JsonWebKey as NodeJsonWebKey } from 'node:crypto';

import { sha256 } from '@noble/hashes/sha2.js';
import { hexToBytes } from '@noble/hashes/utils.js';

import {
  encodeCommandApdu,
  inProcessTransport,
  JpkiReader,
  KenhojoReader,
  KenkakuReader,
  SoftwareCardKey,
  verifyKenhojoRecords,
  verifyKenkakuRecords,
  type SmartCard,
} from '@openmyna/card';
import { nodeCardKey, VpcdBridge } from '@openmyna/card/node';
import { encodeDigestInfo, parseCertificate, trustAnchor, validatePath } from '@openmyna/pki';
import { nodeCryptoBackend } from '@openmyna/pki/node';

import { benchCard } from './card-fixture.js';
import { compare, formatRate } from './harness.js';

/**
 * A full read of a card as a verifier does it (JPKI: label, certificates, PIN; 入力補助: PIN, records;
 * 券面: 照合番号A, card face, 個人番号 image, a signed challenge; then the chain and record checks),
 * against the same verification work on bytes already in hand.
 */
export async function benchCardRead(): Promise<void> {
  const { card, caKeys } = await benchCard();
  const transport = inProcessTransport(card);
  const time = new Date();
  const read = async () => {
    const jpki = new JpkiReader(transport);
    await jpki.select();
    await jpki.tokenLabel();
    await jpki.verifyPin('authentication', '1234');
    const authentication = await jpki.readCertificate('authentication');
    const authenticationCa = await jpki.readCertificate('authentication-ca');
    await jpki.readCertificate('signing-ca');
    const kenhojo = new KenhojoReader(transport);
    await kenhojo.select();
    await kenhojo.verify('pin', '1234');
    const records = {
      myNumberFile: await kenhojo.readMyNumberFile(),
      basicFourInfoFile: await kenhojo.readBasicFourInfoFile(),
      integrityRecord: await kenhojo.readIntegrityRecord(),
      cvCertificate: await kenhojo.readCvCertificate(),
    };
    const kenkaku = new KenkakuReader(transport);
    await kenkaku.select();
    await kenkaku.verify('codeA', '123456789018');
    const face = {
      cardFaceFile: await kenkaku.readCardFace(),
      myNumberImageRecord: await kenkaku.readMyNumberImage(),
      cvCertificate: await kenkaku.readCvCertificate(),
      presence: await kenkaku.proveCardPresence(crypto.getRandomValues(new Uint8Array(32))),
    };
    return { authentication, authenticationCa, records, face };
  };
  const bytes = await read();
  const verify = async (input: typeof bytes) => {
    const path = await validatePath({
      certificate: parseCertificate(input.authentication),
      trustAnchors: [trustAnchor(input.authenticationCa)],
      time,
      checkRevocation: false,
      backend: nodeCryptoBackend,
    });
    const records = verifyKenhojoRecords(input.records, caKeys);
    const face = verifyKenkakuRecords(input.face, caKeys);
    if (path.status !== 'valid' || records.status !== 'valid' || face.status !== 'valid')
      throw new Error('the bench card does not verify');
  };
  await compare(
    'Full card read (JPKI-AP + 入力補助AP + 券面AP) with verification, in-process transport, one core',
    {
      name: 'verification of bytes already read (chain + 入力補助 and 券面 records)',
      unit: 'read',
      run: () => verify(bytes),
    },
    [
      {
        name: 'select, PINs, every record over APDUs, then the same verification',
        unit: 'read',
        run: async () => verify(await read()),
      },
    ],
  );
}

/** APDU round trips through pcscd + vpcd, timed with opensc-tool sending many APDUs in one run. */
export async function benchVpcdRoundTrips(): Promise<void> {
  if (spawnSync('which', ['pcscd', 'opensc-tool']).status !== 0) {
    console.log('\nvpcd round trips: skipped (pcscd and opensc-tool are not installed; .ci/run installs them)');
    return;
  }
  const { card } = await benchCard();
  let pcscd: ChildProcess | undefined;
  if (spawnSync('pgrep', ['-x', 'pcscd']).status !== 0) pcscd = spawn('pcscd', ['--foreground'], { stdio: 'ignore' });
  const bridge = await VpcdBridge.connect({ card, connectTimeoutMs: 15_000 });
  try {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const apdu = Buffer.from(
      encodeCommandApdu({ cla: 0, ins: 0xa4, p1: 0x04, p2: 0x0c, data: hexToBytes('d392f000260100000001') }),
    ).toString('hex');
    const timed = async (count: number) => {
      const args = Array.from({ length: count }, () => ['-s', apdu]).flat();
      const started = performance.now();
      await new Promise<void>((done) => spawn('opensc-tool', args, { stdio: 'ignore' }).on('close', () => done()));
      return performance.now() - started;
    };
    await timed(1);
    const one = await timed(1);
    const many = await timed(1001);
    const perApdu = (many - one) / 1000;
    const inProcess = await inProcessRate(card);
    console.log('\nAPDU round trips (SELECT JPKI-AP)');
    console.log(`  in-process transport (baseline)        ${formatRate(inProcess).padStart(8)} APDU/s`);
    console.log(
      `  opensc-tool → pcscd → vpcd → bridge    ${formatRate(1000 / perApdu).padStart(8)} APDU/s  ${(1000 / perApdu / inProcess).toPrecision(2)}× baseline (${perApdu.toFixed(1)} ms each: Debian's vpcd 3.3 sends length and APDU in two writes under Nagle, meeting our delayed ACK — docs/card.md)`,
    );
  } finally {
    await bridge.close();
    pcscd?.kill('SIGTERM');
  }
}

async function inProcessRate(card: SmartCard): Promise<number> {
  const command = encodeCommandApdu({
    cla: 0,
    ins: 0xa4,
    p1: 0x04,
    p2: 0x0c,
    data: hexToBytes('d392f000260100000001'),
  });
  const count = 20_000;
  const started = performance.now();
  for (let i = 0; i < count; i++) await card.transmit(command);
  return (count * 1000) / (performance.now() - started);
}

/** The card's own signature (`80 2A`, PKCS#1 v1.5 over a DigestInfo) by each card-key implementation. */
export async function benchCardKeySignature(): Promise<void> {
  const generated = await SoftwareCardKey.generate();
  const node = nodeCardKey(generated.jwk);
  const privateKey = createPrivateKey({ key: { ...generated.jwk } as NodeJsonWebKey, format: 'jwk' });
  const message = new TextEncoder().encode('openmyna card-key benchmark');
  const digestInfo = encodeDigestInfo('SHA-256', sha256(message));
  await compare(
    'Card-key signature, RSA-2048 PKCS#1 v1.5 over a host-built DigestInfo, one core',
    {
      name: 'node:crypto sign (OpenSSL, hashes itself)',
      unit: 'sig',
      run: () => void sign('sha256', message, privateKey),
    },
    [
      { name: 'nodeCardKey (card padding + OpenSSL RSASP1)', unit: 'sig', run: () => node.signPkcs1(digestInfo) },
      {
        name: 'SoftwareCardKey (portable BigInt CRT + blinding)',
        unit: 'sig',
        run: () => generated.key.signPkcs1(digestInfo),
      },
    ],
  );
}
