import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { openPkcs11Custody } from '@openmyna/issuer';
import { describe, expect, it } from 'vitest';

import { softHsmTokens } from '../../../test-support/softhsm.js';
import { run } from './cli-harness.js';

describe('openmyna issuer keys init on a token that already holds an authority', () => {
  it('refuses, with a new data directory, instead of destroying the keys in the token', async () => {
    const { main } = softHsmTokens();
    const dir = mkdtempSync(join(tmpdir(), 'openmyna-keys-existing-'));
    const pinFile = join(dir, 'pin');
    writeFileSync(pinFile, main.pin, { mode: 0o600 });
    const keys = `pkcs11:token=${main.label};module-path=${main.modulePath}?pin-source=${pinFile}`;
    expect((await run(['issuer', 'keys', 'init', '--data', 'first', '--keys', keys], { cwd: dir })).code).toBe(0);
    const publicKeyOf = async () => {
      const custody = await openPkcs11Custody({ uri: keys });
      try {
        return (await custody.rsaSigner('jpki-signing-ca')).publicKeyInfo;
      } finally {
        await custody.close();
      }
    };
    const before = await publicKeyOf();

    const again = await run(['issuer', 'keys', 'init', '--data', 'second', '--keys', keys], { cwd: dir });
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('already holds');
    expect(await publicKeyOf()).toEqual(before);
  }, 120_000);
});
