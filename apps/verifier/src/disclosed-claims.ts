import { base64Encode } from '@openmyna/core';
import type { CborValue, VerifiedDocument } from '@openmyna/mdoc';

import { isoTime, type VerifierContext } from './context.js';
import { unsealJson } from './sealing.js';

/** Disclosed values as relying parties read them: `{ credential or nameSpace: { element: JSON value } }`. */
export type DisclosedClaims = Record<string, Record<string, unknown>>;

/** The disclosed mdoc elements as relying parties read them: `{ nameSpace: { element: JSON value } }`. */
export function mdocClaimsOf(documents: readonly VerifiedDocument[]): DisclosedClaims {
  const claims: DisclosedClaims = {};
  for (const document of documents)
    for (const [nameSpace, elements] of document.elements)
      claims[nameSpace] = Object.fromEntries([...elements].map(([name, value]) => [name, jsonOf(value)]));
  return claims;
}

/** CBOR element values as JSON: byte strings base64, full-dates and tdates as their text. */
function jsonOf(value: CborValue): unknown {
  if (value instanceof Uint8Array) return base64Encode(value);
  if (Array.isArray(value)) return (value as CborValue[]).map(jsonOf);
  if (value instanceof Map)
    return Object.fromEntries(
      [...(value as Map<CborValue, CborValue>)].map(([k, v]) => [
        typeof k === 'string' ? k : JSON.stringify(jsonOf(k)),
        jsonOf(v),
      ]),
    );
  if (typeof value === 'object' && value !== null && 'value' in value)
    return jsonOf((value as { value: CborValue }).value);
  return value;
}

/**
 * The disclosed values of a row, once: the first reader atomically clears them (and stamps the time);
 * every later read gets only that time.
 */
export async function takeClaimsOnce(
  context: VerifierContext,
  sealingKey: Uint8Array,
  table: 'presentations' | 'proximity_sessions',
  label: string,
  row: { readonly id: string; readonly claims_sealed: Uint8Array | null; readonly claims_fetched_at: string | null },
): Promise<{ claims?: DisclosedClaims; claimsFetchedAt?: string }> {
  if (row.claims_sealed) {
    const now = isoTime(context.clock());
    const taken = await context.db
      .updateTable(table)
      .set({ claims_sealed: null, claims_fetched_at: now })
      .where('id', '=', row.id)
      .where('claims_fetched_at', 'is', null)
      .executeTakeFirst();
    if (taken.numUpdatedRows === 1n)
      return { claims: unsealJson(sealingKey, label, new Uint8Array(row.claims_sealed)), claimsFetchedAt: now };
  }
  return row.claims_fetched_at ? { claimsFetchedAt: row.claims_fetched_at } : {};
}
