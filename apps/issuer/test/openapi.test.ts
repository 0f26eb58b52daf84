import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { TestDatabase } from '../../../test-support/databases.js';
import { issuerTestContext, makeProvisioningAuthorities } from '../../../test-support/issuer-fixtures.js';
import { createIssuerApp } from '../src/http/app.js';
import type { IssuerSchema } from '../src/storage/schema.js';

interface OpenApiDocument {
  readonly paths: Record<string, Record<string, unknown>>;
  readonly components: { readonly schemas: Record<string, { properties?: Record<string, unknown> }> };
}

/** Every schema object in `value` with `additionalProperties` and no declared properties: an untyped body. */
function untypedObjects(value: unknown, path = ''): string[] {
  if (typeof value !== 'object' || value === null) return [];
  const here =
    'additionalProperties' in value && !('properties' in value) && (value as { type?: unknown }).type === 'object'
      ? [path]
      : [];
  return [...here, ...Object.entries(value).flatMap(([key, inner]) => untypedObjects(inner, `${path}/${key}`))];
}

describe("the issuer's OpenAPI document", () => {
  let database: TestDatabase<IssuerSchema>;
  let document: OpenApiDocument;

  beforeAll(async () => {
    const made = await issuerTestContext('sqlite', () => new Date());
    database = made.database;
    const authorities = await makeProvisioningAuthorities(new Date());
    const app = createIssuerApp({
      context: made.context,
      authorities: authorities.jpki,
      cardFace: authorities.authorities.cardFace,
      mdoc: authorities.authorities.mdoc,
      pinResetAuthority: authorities.authorities.pinResetAuthority,
      adminToken: 'unused-admin-token',
      logger: pino({ level: 'silent' }),
    });
    document = (await (await app.request('/openapi.json')).json()) as OpenApiDocument;
  }, 120_000);
  afterAll(() => database.dispose());

  it('documents every resource the routes serve, each body with its schema', () => {
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/admin/persons',
        '/admin/persons/{id}/cards',
        '/admin/cards/{id}/lost',
        '/provisioning/sessions/{id}/complete',
        '/admin/phones/{id}/revoke',
        '/phones/{id}/lifecycle',
        '/phones/{id}/mdoc-refills',
        '/secure-area/devices/{id}/sessions/{session}',
        '/crl/{hierarchy}/{partition}',
      ]),
    );
    // No body is a bare record of unknown values (the bundle, the card file and the secure area's result were).
    expect(untypedObjects(document.paths)).toEqual([]);
    expect(untypedObjects(document.components.schemas)).toEqual([]);
  });

  it('describes the provisioning bundle with the schema the wallet parses it with', () => {
    const bundle = document.components.schemas['ProvisioningBundle'];
    expect(Object.keys(bundle?.properties ?? {})).toEqual(
      expect.arrayContaining([
        'phoneId',
        'jpki',
        'kenhojo',
        'kenkaku',
        'juki',
        'mdoc',
        'batchMdocs',
        'pinResetAuthority',
      ]),
    );
    expect(document.components.schemas['VirtualCardDocument']?.properties).toHaveProperty('secrets');
  });
});
