import { chmod } from 'node:fs/promises';
import { join } from 'node:path';

import { readJson, writeAtomically } from '../../pki-store.js';

/** The sandbox's two demo relying parties: a securities firm that may receive My Numbers, and a shop that may not. */
const DEMO_RELYING_PARTIES = [
  { name: 'openmyna証券', myNumberPurpose: 'kojin-bango-kankei-jimu' },
  { name: 'openmynaショップ', myNumberPurpose: 'none' },
] as const;

/** What registering needs of the verifier: its URL, its admin token, the relying parties it knows. */
export interface VerifierAdmin {
  readonly url: string;
  readonly adminToken: string;
  knownRelyingParties(): Promise<string[]>;
}

/** A relying party `sandbox up` registered, with its API key. */
export interface DemoRelyingParty {
  readonly name: string;
  readonly id: string;
  readonly apiKey: string;
  readonly clientId: string;
  readonly myNumber: boolean;
}

/**
 * Registers the demo relying parties with the running verifier (once: their API keys are kept in
 * `<data>/verifier/demo-relying-parties.json`, mode 0600, and reused while the verifier knows them).
 */
export async function registerDemoRelyingParties(dataDir: string, running: VerifierAdmin): Promise<DemoRelyingParty[]> {
  const path = join(dataDir, 'verifier', 'demo-relying-parties.json');
  const stored = await readJson<DemoRelyingParty[]>(path);
  if (stored) {
    const known = new Set(await running.knownRelyingParties());
    if (stored.every((party) => known.has(party.id))) return stored;
  }
  const parties: DemoRelyingParty[] = [];
  for (const party of DEMO_RELYING_PARTIES) {
    const response = await fetch(`${running.url}/admin/relying-parties`, {
      method: 'POST',
      headers: { authorization: `Bearer ${running.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(party),
    });
    if (response.status !== 201) throw new Error(`registering ${party.name} failed: HTTP ${response.status}`);
    const registered = (await response.json()) as { id: string; apiKey: string; clientId: string };
    parties.push({ name: party.name, ...registered, myNumber: party.myNumberPurpose !== 'none' });
  }
  await writeAtomically(path, JSON.stringify(parties, null, 2) + '\n');
  await chmod(path, 0o600);
  return parties;
}

/** The scopes of the securities firm's OpenID Connect client: the 4 info and the sign transactions. */
const DEMO_OIDC_SCOPES = ['name', 'address', 'birthdate', 'gender', 'sign'];

/**
 * Registers `party`'s OpenID Connect client through the verifier's admin API (`PUT …/oidc-client`): at
 * every `sandbox up`, which replaces the registration and keeps its client id.
 */
export function registerDemoOidcClient(running: VerifierAdmin, party: DemoRelyingParty) {
  return async (redirectUris: string[], jwks: { keys: Record<string, unknown>[] }) => {
    const response = await fetch(`${running.url}/admin/relying-parties/${encodeURIComponent(party.id)}/oidc-client`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${running.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ redirectUris, jwks, scopes: DEMO_OIDC_SCOPES }),
    });
    if (response.status !== 200)
      throw new Error(`registering the OpenID Connect client of ${party.name} failed: HTTP ${response.status}`);
    return (await response.json()) as { clientId: string; issuer: string };
  };
}
