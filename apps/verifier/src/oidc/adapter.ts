import { isUniqueViolation } from '@openmyna/storage';
import type { Insertable } from 'kysely';
import type { Adapter, AdapterPayload } from 'oidc-provider';

import type { VerifierContext } from '../context.js';
import type { OidcRecordTable } from '../storage/schema.js';
import { oidcClient } from './clients.js';
import { oidcLibrary } from './library.js';

/**
 * `oidc-provider`'s storage in the verifier's database (SQLite or PostgreSQL), so every instance behind
 * a load balancer sees the same codes, tokens, interactions and grants. Clients are read from the
 * relying-party registry (`oidc_clients`), never written by the provider (no dynamic registration).
 * Expiry uses the wall clock, as the provider's own token times do.
 */
export function databaseAdapter(context: VerifierContext) {
  return class DatabaseAdapter implements Adapter {
    constructor(readonly model: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      const row = {
        payload: JSON.stringify(payload),
        grant_id: payload.grantId ?? null,
        uid: payload.uid ?? null,
        expires_at: expiresIn ? new Date(Date.now() + expiresIn * 1000).toISOString() : null,
        consumed_at: null,
      };
      if (this.model === 'ReplayDetection') return insertOnce(context, { model: this.model, id, ...row });
      await context.db
        .insertInto('oidc_records')
        .values({ model: this.model, id, ...row })
        .onConflict((conflict) => conflict.columns(['model', 'id']).doUpdateSet(row))
        .execute();
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'Client') return clientMetadata(context, id);
      return findRecord(context, this.model, 'id', id);
    }

    findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return findRecord(context, this.model, 'uid', uid);
    }

    findByUserCode(): Promise<AdapterPayload | undefined> {
      return Promise.resolve(undefined);
    }

    /**
     * Consumes a code once: the provider reads it, checks it unused, then consumes it; two instances
     * redeeming one code at once both pass the check, and only one of them consumes it here.
     */
    async consume(id: string): Promise<void> {
      const consumed = await context.db
        .updateTable('oidc_records')
        .set({ consumed_at: new Date().toISOString() })
        .where('model', '=', this.model)
        .where('id', '=', id)
        .where('consumed_at', 'is', null)
        .executeTakeFirst();
      if (Number(consumed.numUpdatedRows) !== 1)
        throw new (await oidcLibrary()).errors.InvalidGrant('grant request is invalid');
    }

    async destroy(id: string): Promise<void> {
      await context.db.deleteFrom('oidc_records').where('model', '=', this.model).where('id', '=', id).execute();
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await context.db.deleteFrom('oidc_records').where('grant_id', '=', grantId).execute();
    }
  };
}

/**
 * A client assertion's `jti`, recorded once: the provider looks it up, then saves it; two instances given
 * one assertion at once both find nothing, and only one of them saves it here.
 */
async function insertOnce(context: VerifierContext, row: Insertable<OidcRecordTable>): Promise<void> {
  try {
    await context.db.insertInto('oidc_records').values(row).execute();
  } catch (error) {
    if (isUniqueViolation(error))
      throw new (await oidcLibrary()).errors.InvalidClientAuth('client assertion tokens must only be used once');
    throw error;
  }
}

async function findRecord(
  context: VerifierContext,
  model: string,
  column: 'id' | 'uid',
  value: string,
): Promise<AdapterPayload | undefined> {
  const row = await context.db
    .selectFrom('oidc_records')
    .select(['payload', 'expires_at', 'consumed_at'])
    .where('model', '=', model)
    .where(column, '=', value)
    .executeTakeFirst();
  if (!row || (row.expires_at !== null && row.expires_at <= new Date().toISOString())) return undefined;
  const payload = JSON.parse(row.payload) as AdapterPayload;
  return row.consumed_at ? { ...payload, consumed: Math.floor(Date.parse(row.consumed_at) / 1000) } : payload;
}

/** The client metadata of a registered relying party: code flow with PKCE, `private_key_jwt` only. */
async function clientMetadata(context: VerifierContext, clientId: string): Promise<AdapterPayload | undefined> {
  const client = await oidcClient(context, clientId);
  if (!client) return undefined;
  const party = await context.db
    .selectFrom('relying_parties')
    .select('name')
    .where('id', '=', client.rpId)
    .executeTakeFirst();
  return {
    client_id: client.clientId,
    client_name: party?.name ?? client.clientId,
    redirect_uris: [...client.redirectUris],
    response_types: ['code'],
    grant_types: client.scopes.includes('sign') ? ['authorization_code', 'client_credentials'] : ['authorization_code'],
    token_endpoint_auth_method: 'private_key_jwt',
    // The JWK Set's signature keys authenticate the client; its encryption key is for sign results.
    jwks: { keys: client.jwks.keys.filter((key) => key.use !== 'enc') },
    scope: client.scopes.join(' '),
    id_token_signed_response_alg: 'RS256',
    require_auth_time: true,
  };
}
