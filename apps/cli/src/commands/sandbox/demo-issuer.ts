import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { generatePopulation } from '@openmyna/core';
import { issueCard, listPersonIds, type IssuerContext } from '@openmyna/issuer';

import type { CliIo } from '../../io.js';
import { ensureDemoPerson, withIssuerRegistry } from '../../issuer-registry.js';
import { kenhojoIssuer, kenkakuIssuer } from '../../card-face-store.js';
import { loadMdocIssuer } from '../../mdoc-store.js';
import { initHierarchies, loadAuthority, passphrase, pkiDir, readJson, writeAtomically } from '../../pki-store.js';
import { DEMO_PINS } from '../card.js';
import { demoPersons, type SandboxManifest } from './sandbox-directory.js';

/** A virtual card of a demo person, as `sandbox up` lists it. */
export interface DemoCard {
  readonly personId: string;
  readonly file: string;
  readonly securityCode: string;
}

/**
 * Prepares the issuing authority: the two JPKI hierarchies on first run, and the demo population in
 * its registry (persons already registered are left as they are).
 */
export async function prepareIssuer(
  dataDir: string,
  manifest: SandboxManifest,
  issuerUrl: string,
  io: CliIo,
  db?: string,
): Promise<{ added: number; cards: DemoCard[] }> {
  if (!(await readJson(join(pkiDir(dataDir), 'signing', 'config.json')))) {
    await initHierarchies(dataDir, issuerUrl, (hierarchy) => io.stderr.write(`creating the ${hierarchy} hierarchy…\n`));
  }
  // The mdoc IACA and document signer, so the verifier finds its anchors even before the issuer ran.
  await loadMdocIssuer(dataDir, issuerUrl);
  return withIssuerRegistry(dataDir, db, async (context) => {
    const existing = new Set(await listPersonIds(context));
    let added = 0;
    for (const person of generatePopulation({ seed: manifest.seed }, manifest.persons)) {
      if (existing.has(person.id)) continue;
      await ensureDemoPerson(
        context,
        person,
        'sandbox',
        new Uint8Array(await readFile(join(dataDir, 'photos', `${person.id}.jpg`))),
      );
      added++;
    }
    const cards = await issueDemoCards(dataDir, manifest, context, io);
    return { added, cards };
  });
}

/** Virtual cards for the demo persons shown, with the demo PINs, under `<data>/cards` (once). */
async function issueDemoCards(
  dataDir: string,
  manifest: SandboxManifest,
  context: IssuerContext,
  io: CliIo,
): Promise<DemoCard[]> {
  await mkdir(join(dataDir, 'cards'), { recursive: true });
  const issued: DemoCard[] = [];
  const authorities = {
    signing: await loadAuthority(dataDir, 'signing'),
    authentication: await loadAuthority(dataDir, 'authentication'),
  };
  const secret = await passphrase(dataDir, true);
  for (const person of demoPersons(manifest)) {
    const file = join(dataDir, 'cards', `${person.id}.json`);
    const existing = await readJson<{ securityCode?: string }>(`${file.slice(0, -5)}.code.json`);
    if (existing?.securityCode && (await readJson(file))) {
      issued.push({ personId: person.id, file, securityCode: existing.securityCode });
      continue;
    }
    io.stderr.write(`issuing a virtual card to ${person.id}…\n`);
    const card = await issueCard(context, {
      personId: person.id,
      authorities,
      cardFace: { kenhojo: (code) => kenhojoIssuer(dataDir, code), kenkaku: (code) => kenkakuIssuer(dataDir, code) },
      pins: DEMO_PINS,
      actor: 'sandbox',
      passphrase: secret,
    });
    await writeAtomically(file, JSON.stringify(card.document, null, 2) + '\n');
    await writeAtomically(`${file.slice(0, -5)}.code.json`, JSON.stringify({ securityCode: card.securityCode }) + '\n');
    issued.push({ personId: person.id, file, securityCode: card.securityCode });
  }
  return issued;
}
