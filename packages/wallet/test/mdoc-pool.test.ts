import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { MdocPool, type MdocUsePolicy } from '@openmyna/wallet';
import { openEncryptedFileWalletStorage } from '@openmyna/wallet/node';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

import { issueCardFaceMdoc, makeMdocHierarchy, NOW } from '../../../test-support/mdoc-fixtures.js';

const BATCH = 5;
const PARTIES = ['x509_hash:shop', 'x509_hash:securities', 'reader-certificate-C'] as const;

describe('the MSO pool: which MSO a presentation gets (property)', () => {
  let mdocs: string[];

  beforeAll(async () => {
    const hierarchy = await makeMdocHierarchy(nodeMdocCrypto, { now: NOW });
    mdocs = await Promise.all(
      Array.from({ length: BATCH }, async () =>
        Buffer.from((await issueCardFaceMdoc(hierarchy)).issued.bytes).toString('base64'),
      ),
    );
  });

  const openPool = async (path: string) => {
    const storage = await openEncryptedFileWalletStorage({
      path,
      passphrase: 'pool test',
      iterations: 10_000,
      crypto: nodeMdocCrypto,
    });
    return { storage, pool: new MdocPool(storage) };
  };

  it('never shows an MSO twice (single-use), or to two relying parties (per relying party); refuses when none is left', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<MdocUsePolicy>('single-use', 'per-relying-party'),
        fc.array(fc.option(fc.constantFrom(...PARTIES), { nil: undefined }), { maxLength: 9 }),
        async (policy, parties) => {
          const path = join(mkdtempSync(join(tmpdir(), 'openmyna-pool-')), 'phone.json');
          const { storage, pool } = await openPool(path);
          const keyIds = Array.from({ length: BATCH }, (_, i) => `device-${i}`);
          for (const id of keyIds) await storage.generateDeviceKey(id);
          await pool.install(mdocs.map((mdoc, i) => ({ mdoc, deviceKeyId: keyIds[i]! })));
          const shownTo = new Map<string, Set<string>>();
          let refused = 0;
          for (const [step, party] of parties.entries()) {
            try {
              const taken = await pool.take({ relyingParty: party, policy, now: NOW });
              const mso = Buffer.from(taken.issued.issuerSigned.issuerAuth.proof).toString('hex');
              const to = party === undefined ? `anonymous-${step}` : party;
              shownTo.set(mso, new Set([...(shownTo.get(mso) ?? []), to]));
            } catch (error) {
              expect(error).toMatchObject({ code: 'ERR_MDOC_EXHAUSTED' });
              refused++;
            }
          }
          // An MSO is only ever shown to one party; in single-use mode, only once.
          for (const parties of shownTo.values()) expect(parties.size).toBe(1);
          const shown = [...shownTo.keys()].length;
          const wanted =
            policy === 'single-use'
              ? parties.length
              : new Set(parties.map((party, step) => party ?? `anonymous-${step}`)).size;
          expect(shown).toBe(Math.min(wanted, BATCH));
          if (policy === 'single-use') expect(refused).toBe(Math.max(0, parties.length - BATCH));
          // What was marked is on disk: a crash after a take cannot show that MSO again.
          const reopened = await openPool(path);
          expect(await reopened.pool.summary(NOW)).toMatchObject({ used: shown, unused: BATCH - shown, expired: 0 });
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);

  it('shows no expired MSO, and says so', async () => {
    const { storage, pool } = await openPool(join(mkdtempSync(join(tmpdir(), 'openmyna-pool-')), 'phone.json'));
    await storage.generateDeviceKey('only');
    await pool.install([{ mdoc: mdocs[0]!, deviceKeyId: 'only' }]);
    const later = new Date(NOW.getTime() + 40 * 86_400_000);
    await expect(pool.take({ relyingParty: undefined, policy: 'single-use', now: later })).rejects.toMatchObject({
      code: 'ERR_MDOC_EXHAUSTED',
    });
    expect(await pool.summary(later)).toMatchObject({ unused: 0, used: 0, expired: 1 });
    expect(await pool.prover(later)).toBeUndefined();
  });

  it('gives concurrent presentations different MSOs, and a refill racing a presentation leaves a usable batch', async () => {
    const { storage, pool } = await openPool(join(mkdtempSync(join(tmpdir(), 'openmyna-pool-')), 'phone.json'));
    for (let i = 0; i < BATCH; i++) await storage.generateDeviceKey(`k${i}`);
    await pool.install(mdocs.map((mdoc, i) => ({ mdoc, deviceKeyId: `k${i}` })));
    const signature = (taken: Awaited<ReturnType<MdocPool['take']>>) =>
      Buffer.from(taken.issued.issuerSigned.issuerAuth.proof).toString('hex');
    const [shop, bank] = await Promise.all([
      pool.take({ relyingParty: 'x509_hash:shop', policy: 'single-use', now: NOW }),
      pool.take({ relyingParty: 'x509_hash:bank', policy: 'single-use', now: NOW }),
    ]);
    expect(signature(shop)).not.toBe(signature(bank));
    const [p1, p2] = await Promise.all([
      pool.take({ relyingParty: 'x509_hash:p1', policy: 'per-relying-party', now: NOW }),
      pool.take({ relyingParty: 'x509_hash:p2', policy: 'per-relying-party', now: NOW }),
    ]);
    expect(signature(p1)).not.toBe(signature(p2));
    expect(await pool.summary(NOW)).toMatchObject({ used: 4, unused: 1 });
    // A new batch installed while a presentation takes from the old one: one of them wins whole.
    for (let i = 0; i < BATCH; i++) await storage.generateDeviceKey(`n${i}`);
    await Promise.all([
      pool.take({ relyingParty: 'x509_hash:shop', policy: 'single-use', now: NOW }).catch(() => undefined),
      pool.install(mdocs.map((mdoc, i) => ({ mdoc, deviceKeyId: `n${i}` }))),
    ]);
    await expect(pool.take({ relyingParty: 'x509_hash:x', policy: 'single-use', now: NOW })).resolves.toBeDefined();
  });
});
