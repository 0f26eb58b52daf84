import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { openSealedFileCustody } from '@openmyna/issuer';
import { describe, expect, it } from 'vitest';

import { kenhojoIssuer } from '../src/card-face-store.js';

describe('card-face issuer keys made on first use', () => {
  it('makes one key per municipality when two issuances ask for a new one at once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'openmyna-card-face-race-'));
    const custody = openSealedFileCustody({ dataDir, passphrase: 'race' });
    await kenhojoIssuer(dataDir, '13101', custody);
    const [first, second] = await Promise.all([
      kenhojoIssuer(dataDir, '13102', custody),
      kenhojoIssuer(dataDir, '13102', custody),
    ]);
    const again = await kenhojoIssuer(dataDir, '13102', custody);
    expect(second.signer.publicKeyInfo).toEqual(first.signer.publicKeyInfo);
    expect(again.signer.publicKeyInfo).toEqual(first.signer.publicKeyInfo);
    expect(again.cvCertificate).toEqual(first.cvCertificate);
  }, 60_000);
});
