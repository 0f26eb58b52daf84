import type { ItemsRequest } from './device-request.js';
import { MdocError } from './errors.js';

/** One claim of an `mso_mdoc` credential query (OpenID4VP 1.0 §6.3, §7.1 with Appendix B.2.4). */
export interface DcqlClaimQuery {
  readonly id?: string;
  /** `[namespace, element identifier]`. */
  readonly path: readonly [string, string];
  readonly intent_to_retain?: boolean;
  readonly values?: readonly (string | number | boolean)[];
}

/** An `mso_mdoc` credential query (§6.1, Appendix B.2) with a `doctype_value`. */
export interface DcqlMdocQuery {
  readonly id: string;
  readonly format: 'mso_mdoc';
  readonly multiple?: boolean;
  readonly meta: { readonly doctype_value: string };
  readonly claims?: readonly DcqlClaimQuery[];
  readonly claim_sets?: readonly (readonly string[])[];
}

/** The 入力補助 records a `jp_kenhojo` query may ask for. */
export const KENHOJO_RECORD_NAMES = ['my_number', 'basic_four_info'] as const;
export type KenhojoRecordName = (typeof KENHOJO_RECORD_NAMES)[number];

/**
 * A query for one of the card applications, in formats of our own (docs/openid4vp-formats.md):
 * `jpki_sign` (a CMS signature by the JPKI signing key over the document a `transaction_data` entry
 * carries), `jpki_auth` (a signature by the JPKI authentication key over the request's nonce and client
 * id), `jp_kenhojo` (入力補助 records as read, with their integrity record and CV certificate).
 */
export interface DcqlCardApplicationQuery {
  readonly id: string;
  readonly format: 'jpki_sign' | 'jpki_auth' | 'jp_kenhojo';
  readonly meta?: { readonly records?: readonly KenhojoRecordName[] };
}

/** One credential query (§6.1) restricted to what we answer. */
export type DcqlCredentialQuery = DcqlMdocQuery | DcqlCardApplicationQuery;

/** The formats of our own for the card applications (docs/openid4vp-formats.md). */
export const CARD_APPLICATION_FORMATS = ['jpki_sign', 'jpki_auth', 'jp_kenhojo'] as const;

/** A DCQL query (§6): `{ credentials: [...], credential_sets?: [...] }`. */
export interface DcqlQuery {
  readonly credentials: readonly DcqlCredentialQuery[];
  readonly credential_sets?: readonly {
    readonly options: readonly (readonly string[])[];
    readonly required?: boolean;
  }[];
}

const ID = /^[A-Za-z0-9_-]+$/;

function invalid(message: string): MdocError {
  return new MdocError('ERR_OPENID4VP', `invalid dcql_query: ${message}`);
}

/**
 * Validates a DCQL query as received (JSON), refusing formats we do not hold and malformed fields
 * rather than ignoring them. Throws `ERR_OPENID4VP`.
 *
 * @example
 * ```ts
 * const query = parseDcqlQuery(request.dcql_query);
 * const itemsRequest = dcqlItemsRequest(query.credentials[0]);
 * ```
 */
export function parseDcqlQuery(value: unknown): DcqlQuery {
  if (typeof value !== 'object' || value === null) throw invalid('not an object');
  const { credentials, credential_sets } = value as Record<string, unknown>;
  if (!Array.isArray(credentials) || credentials.length === 0) throw invalid('"credentials" must be a non-empty array');
  const ids = new Set<string>();
  const parsed = credentials.map((entry: unknown): DcqlCredentialQuery => {
    if (typeof entry !== 'object' || entry === null) throw invalid('a credential query is not an object');
    const query = entry as Record<string, unknown>;
    if (typeof query['id'] !== 'string' || !ID.test(query['id']))
      throw invalid('credential "id" must be alphanumeric, "_" or "-"');
    if (ids.has(query['id'])) throw invalid(`credential id "${query['id']}" is repeated`);
    ids.add(query['id']);
    if ((CARD_APPLICATION_FORMATS as readonly unknown[]).includes(query['format']))
      return parseCardApplicationQuery(
        query['id'],
        query['format'] as DcqlCardApplicationQuery['format'],
        query['meta'],
      );
    if (query['format'] !== 'mso_mdoc') throw invalid(`format "${String(query['format'])}" is not supported`);
    const meta = query['meta'] as Record<string, unknown> | undefined;
    if (typeof meta?.['doctype_value'] !== 'string') throw invalid('"meta.doctype_value" is required for mso_mdoc');
    const claims = query['claims'] === undefined ? undefined : parseClaims(query['claims']);
    const claimSets = query['claim_sets'];
    if (claimSets !== undefined) {
      const claimIds = new Set(claims?.map((claim) => claim.id));
      if (
        !Array.isArray(claimSets) ||
        claimSets.some((set) => !Array.isArray(set) || set.some((id) => typeof id !== 'string' || !claimIds.has(id)))
      ) {
        throw invalid('"claim_sets" must list claim ids');
      }
    }
    return {
      id: query['id'],
      format: 'mso_mdoc',
      meta: { doctype_value: meta['doctype_value'] },
      ...(typeof query['multiple'] === 'boolean' ? { multiple: query['multiple'] } : {}),
      ...(claims ? { claims } : {}),
      ...(claimSets ? { claim_sets: claimSets as string[][] } : {}),
    };
  });
  if (credential_sets !== undefined) {
    if (
      !Array.isArray(credential_sets) ||
      credential_sets.some((set: unknown) => !Array.isArray((set as Record<string, unknown>)?.['options']))
    ) {
      throw invalid('"credential_sets" must be objects with "options"');
    }
  }
  return {
    credentials: parsed,
    ...(credential_sets ? { credential_sets: credential_sets as DcqlQuery['credential_sets'] & object } : {}),
  };
}

function parseCardApplicationQuery(
  id: string,
  format: DcqlCardApplicationQuery['format'],
  meta: unknown,
): DcqlCardApplicationQuery {
  if (meta === undefined) {
    if (format === 'jp_kenhojo') throw invalid('"meta.records" is required for jp_kenhojo');
    return { id, format };
  }
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw invalid('"meta" must be an object');
  const records = (meta as Record<string, unknown>)['records'];
  if (format !== 'jp_kenhojo') {
    if (Object.keys(meta).length > 0) throw invalid(`${format} takes no "meta"`);
    return { id, format };
  }
  if (
    !Array.isArray(records) ||
    records.length === 0 ||
    new Set(records).size !== records.length ||
    records.some((record) => !(KENHOJO_RECORD_NAMES as readonly unknown[]).includes(record))
  )
    throw invalid('"meta.records" names "my_number" and/or "basic_four_info", each once');
  return { id, format, meta: { records: records as KenhojoRecordName[] } };
}

function parseClaims(value: unknown): DcqlClaimQuery[] {
  if (!Array.isArray(value) || value.length === 0) throw invalid('"claims" must be a non-empty array');
  return value.map((entry: unknown) => {
    const claim = entry as Record<string, unknown>;
    const path = claim?.['path'];
    // Appendix B.2.4: for mso_mdoc, a claims path is exactly [namespace, element identifier].
    if (!Array.isArray(path) || path.length !== 2 || path.some((part) => typeof part !== 'string')) {
      throw invalid('an mso_mdoc claim "path" is [namespace, element identifier]');
    }
    if (claim['intent_to_retain'] !== undefined && typeof claim['intent_to_retain'] !== 'boolean')
      throw invalid('"intent_to_retain" must be a boolean');
    if (claim['id'] !== undefined && (typeof claim['id'] !== 'string' || !ID.test(claim['id'])))
      throw invalid('claim "id" must be alphanumeric');
    const values = claim['values'];
    if (
      values !== undefined &&
      (!Array.isArray(values) || values.some((v) => !['string', 'number', 'boolean'].includes(typeof v)))
    ) {
      throw invalid('"values" must be strings, numbers or booleans');
    }
    return {
      path: [path[0] as string, path[1] as string] as const,
      ...(claim['id'] === undefined ? {} : { id: claim['id'] }),
      ...(claim['intent_to_retain'] === undefined ? {} : { intent_to_retain: claim['intent_to_retain'] }),
      ...(values === undefined ? {} : { values: values as (string | number | boolean)[] }),
    };
  });
}

/**
 * The ItemsRequest a credential query amounts to: every claim it names (with `claim_sets`, the first
 * set, the verifier's preferred option), with its intent to retain.
 */
export function dcqlItemsRequest(query: DcqlCredentialQuery): ItemsRequest {
  if (query.format !== 'mso_mdoc') throw invalid(`"${query.id}" is a ${query.format} query, not an mso_mdoc one`);
  const chosen = query.claim_sets?.[0];
  const claims = (query.claims ?? []).filter(
    (claim) => !chosen || (claim.id !== undefined && chosen.includes(claim.id)),
  );
  const nameSpaces = new Map<string, Map<string, boolean>>();
  for (const claim of claims) {
    const [nameSpace, element] = claim.path;
    const elements = nameSpaces.get(nameSpace) ?? new Map<string, boolean>();
    elements.set(element, claim.intent_to_retain ?? false);
    nameSpaces.set(nameSpace, elements);
  }
  return { docType: query.meta.doctype_value, nameSpaces };
}

/** A DCQL query asking for `elements` of `docType` under credential id `id`. */
export function dcqlQueryFor(
  id: string,
  docType: string,
  elements: readonly { nameSpace: string; elementIdentifier: string; intentToRetain?: boolean }[],
): DcqlQuery {
  return {
    credentials: [
      {
        id,
        format: 'mso_mdoc',
        meta: { doctype_value: docType },
        claims: elements.map((element) => ({
          path: [element.nameSpace, element.elementIdentifier] as const,
          intent_to_retain: element.intentToRetain ?? false,
        })),
      },
    ],
  };
}
