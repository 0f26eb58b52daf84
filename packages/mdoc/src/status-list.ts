import { fail, pass, type CheckResult } from '@openmyna/pki';

import { concatBytes } from './bytes.js';
import { decodeCbor, encodeCbor } from './cbor.js';
import { asBytes, asInteger, asMap, asText, required, type CborMap } from './cbor-structure.js';
import {
  validateMdocChain,
  type MdocChainCache,
  type MdocTrustAnchor,
  type ValidatedLeaf,
} from './certificate-chain.js';
import { COSE_HEADER, decodeCoseMessage, signCoseSign1, verifyCoseSign1, x5chainOf, type CoseMessage } from './cose.js';
import type { EcPrivateKey, MdocCrypto } from './crypto.js';
import { MdocError } from './errors.js';
import type { StatusListReference } from './mobile-security-object.js';
import type { CredentialStatus, StatusChecker } from './verify-device-response.js';

/** Status values of draft-ietf-oauth-status-list §7.1. */
export const TOKEN_STATUS = { valid: 0, invalid: 1, suspended: 2 } as const;

/** CWT claim keys (RFC 8392 §3; draft-ietf-oauth-status-list §5.2 and §12.2). */
const CLAIM = { sub: 2, exp: 4, iat: 6, ttl: 65534, statusList: 65533 } as const;
/** COSE `typ` header (RFC 9596) value of a Status List Token. */
const STATUS_LIST_TYP = 'application/statuslist+cwt';
const TYP_HEADER = 16;
/** Decompressed lists larger than this are refused (a compressed list is tiny; this bounds a zip bomb). */
const MAX_LIST_BYTES = 16 << 20;

/**
 * A Status List (draft-ietf-oauth-status-list §4): `bits` bits per credential, index `i` at bit
 * `(i × bits) mod 8` of byte `⌊i × bits / 8⌋`, least significant bit first.
 *
 * @example
 * ```ts
 * const list = new StatusList(1, 100_000);
 * list.set(42, TOKEN_STATUS.invalid);
 * ```
 */
export class StatusList {
  readonly bytes: Uint8Array;

  constructor(
    readonly bits: 1 | 2 | 4 | 8,
    sizeOrBytes: number | Uint8Array,
  ) {
    this.bytes = typeof sizeOrBytes === 'number' ? new Uint8Array(Math.ceil((sizeOrBytes * bits) / 8)) : sizeOrBytes;
  }

  get size(): number {
    return (this.bytes.length * 8) / this.bits;
  }

  get(index: number): number {
    this.#check(index);
    const bit = index * this.bits;
    return (this.bytes[bit >> 3]! >> (bit & 7)) & ((1 << this.bits) - 1);
  }

  set(index: number, status: number): void {
    this.#check(index);
    const mask = (1 << this.bits) - 1;
    if (!Number.isInteger(status) || status < 0 || status > mask)
      throw new MdocError('ERR_MDOC_ELEMENT', `status ${status} does not fit in ${this.bits} bits`);
    const bit = index * this.bits;
    const byte = bit >> 3;
    this.bytes[byte] = (this.bytes[byte]! & ~(mask << (bit & 7))) | (status << (bit & 7));
  }

  #check(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.size)
      throw new MdocError('ERR_MDOC_ELEMENT', `index ${index} is outside the status list`);
  }
}

async function transform(
  bytes: Uint8Array,
  stream: CompressionStream | DecompressionStream,
  limit: number,
): Promise<Uint8Array> {
  const writer = stream.writable.getWriter();
  void writer.write(bytes as Uint8Array<ArrayBuffer>).catch(() => undefined);
  void writer.close().catch(() => undefined);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.readable.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel();
      throw new MdocError('ERR_CBOR_STRUCTURE', 'the status list is larger than allowed');
    }
    chunks.push(value);
  }
  return concatBytes(...chunks);
}

/**
 * A signed Status List Token in CWT form (draft-ietf-oauth-status-list §5.2): COSE_Sign1 with
 * `typ` "application/statuslist+cwt", claims `sub` (the list's URI), `iat`, `exp`, `ttl` and
 * `status_list` = `{ "bits", "lst": zlib-compressed list }`, signed by a key certified under the IACA.
 */
export async function signStatusListToken(options: {
  readonly list: StatusList;
  readonly uri: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  /** Seconds a verifier may cache the token. */
  readonly ttl: number;
  readonly signer: { readonly key: EcPrivateKey; readonly certificate: Uint8Array };
}): Promise<Uint8Array> {
  const lst = await transform(options.list.bytes, new CompressionStream('deflate'), Number.MAX_SAFE_INTEGER);
  const claims = new Map<number, unknown>([
    [CLAIM.sub, options.uri],
    [CLAIM.iat, Math.floor(options.issuedAt.getTime() / 1000)],
    [CLAIM.exp, Math.floor(options.expiresAt.getTime() / 1000)],
    [CLAIM.ttl, options.ttl],
    [
      CLAIM.statusList,
      new Map<string, unknown>([
        ['bits', options.list.bits],
        ['lst', lst],
      ]),
    ],
  ]);
  const message = await signCoseSign1({
    payload: encodeCbor(claims),
    key: options.signer.key,
    unprotected: new Map([[COSE_HEADER.x5chain, options.signer.certificate]]),
    protectedExtra: new Map([[TYP_HEADER, STATUS_LIST_TYP]]),
  });
  return encodeCbor(message);
}

/** A verified Status List Token. */
export interface VerifiedStatusList {
  readonly list: StatusList;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  readonly ttl?: number;
}

/**
 * Verifies a Status List Token for `uri` (§8.3): type, signature by a document-signer certificate
 * under the trusted IACAs, `sub` equal to the URI it was fetched from, and not expired.
 * Checks: `status-list.decode`, `status-list.type`, the chain checks (`status-list.certificate.*`,
 * `status-list.chain.*`), `status-list.signature`, `status-list.subject`, `status-list.validity`.
 */
export async function verifyStatusListToken(options: {
  readonly token: Uint8Array;
  readonly uri: string;
  readonly anchors: readonly MdocTrustAnchor[];
  readonly time: Date;
  readonly crypto: MdocCrypto;
  readonly chainCache?: MdocChainCache;
}): Promise<{ checks: CheckResult[]; statusList?: VerifiedStatusList }> {
  const checks: CheckResult[] = [];
  const decoded = decodeStatusListToken(options.token, checks);
  if (!decoded) return { checks };
  const { message, claims } = decoded;
  const signer = await validateStatusListSigner(message, options, checks);
  if (!signer) return { checks };
  if (
    !(await verifyCoseSign1({
      message,
      key: signer.publicKey,
      crypto: options.crypto,
      field: 'StatusListToken',
    }))
  ) {
    checks.push(fail('status-list.signature', 'the token signature does not verify'));
    return { checks };
  }
  checks.push(pass('status-list.signature'));
  try {
    // §8.3 step 3: the token's subject is the URI the reference pointed to.
    if (asText(required(claims, CLAIM.sub, 'sub'), 'sub') !== options.uri)
      throw new Error('sub does not match the referenced URI');
    checks.push(pass('status-list.subject'));
    const issuedAt = new Date(asInteger(required(claims, CLAIM.iat, 'iat'), 'iat') * 1000);
    const expiresAt = new Date(asInteger(required(claims, CLAIM.exp, 'exp'), 'exp') * 1000);
    if (options.time.getTime() > expiresAt.getTime()) {
      checks.push(fail('status-list.validity', `the status list expired at ${expiresAt.toISOString()}`));
      return { checks };
    }
    checks.push(pass('status-list.validity'));
    const ttlValue = claims.get(CLAIM.ttl);
    return {
      checks,
      statusList: {
        list: await readStatusList(claims),
        issuedAt,
        expiresAt,
        ...(ttlValue === undefined ? {} : { ttl: asInteger(ttlValue, 'ttl') }),
      },
    };
  } catch (error) {
    checks.push(fail('status-list.subject', (error as Error).message));
    return { checks };
  }
}

/** The token's COSE_Sign1 and CWT claims, and its `typ` (§5.2); undefined after a failed check. */
function decodeStatusListToken(
  token: Uint8Array,
  checks: CheckResult[],
): { message: CoseMessage; claims: CborMap } | undefined {
  let message: CoseMessage;
  let claims: CborMap;
  try {
    message = decodeCoseMessage(decodeCbor(token, 'StatusListToken'), 'StatusListToken');
    claims = asMap(decodeCbor(message.payload ?? new Uint8Array(0), 'CWT claims'), 'CWT claims');
  } catch (error) {
    checks.push(fail('status-list.decode', (error as Error).message));
    return undefined;
  }
  checks.push(pass('status-list.decode'));
  if (message.protectedHeader.get(TYP_HEADER) !== STATUS_LIST_TYP) {
    checks.push(fail('status-list.type', `typ must be ${STATUS_LIST_TYP}`));
    return undefined;
  }
  checks.push(pass('status-list.type'));
  return { message, claims };
}

/** The token's x5chain up to a trusted IACA, as a document signer's (§8.3); undefined if it fails. */
async function validateStatusListSigner(
  message: CoseMessage,
  options: {
    readonly anchors: readonly MdocTrustAnchor[];
    readonly time: Date;
    readonly crypto: MdocCrypto;
    readonly chainCache?: MdocChainCache;
  },
  checks: CheckResult[],
): Promise<ValidatedLeaf | undefined> {
  let chain: Uint8Array[];
  try {
    chain = x5chainOf(message, 'StatusListToken');
  } catch (error) {
    checks.push(fail('status-list.certificate.parse', (error as Error).message));
    return undefined;
  }
  const validated = await validateMdocChain({
    chain,
    anchors: options.anchors,
    role: 'document-signer',
    time: options.time,
    crypto: options.crypto,
    prefix: 'status-list',
    cache: options.chainCache,
  });
  checks.push(...validated.checks);
  return validated.leaf;
}

/** The `status_list` claim (§4.2): `bits` per entry and the DEFLATE-compressed `lst`. */
async function readStatusList(claims: CborMap): Promise<StatusList> {
  const body = asMap(required(claims, CLAIM.statusList, 'status_list'), 'status_list');
  const bits = asInteger(required(body, 'bits', 'bits'), 'bits');
  if (bits !== 1 && bits !== 2 && bits !== 4 && bits !== 8) throw new Error('bits must be 1, 2, 4 or 8');
  const bytes = await transform(
    asBytes(required(body, 'lst', 'lst'), 'lst'),
    new DecompressionStream('deflate'),
    MAX_LIST_BYTES,
  );
  return new StatusList(bits, bytes);
}

/**
 * A {@link StatusChecker} that fetches Status List Tokens over HTTP(S), verifies them, and caches each
 * until its `ttl` or `exp`, whichever is first. Network errors and unverifiable tokens answer
 * `unknown`, never `valid`.
 *
 * @example
 * ```ts
 * const status = statusListChecker({ fetch, anchors: [iaca], crypto, clock: () => new Date() });
 * await verifyDeviceResponse({ ..., status });
 * ```
 */
export function statusListChecker(options: {
  readonly fetch: (
    url: string,
    init: { headers: Record<string, string> },
  ) => Promise<{ ok: boolean; status: number; arrayBuffer(): Promise<ArrayBuffer> }>;
  readonly anchors: readonly MdocTrustAnchor[];
  readonly crypto: MdocCrypto;
  readonly clock: () => Date;
}): StatusChecker {
  const cache = new Map<string, { list: StatusList; until: number }>();
  const chainCache: MdocChainCache = new Map();
  return async (reference: StatusListReference): Promise<CredentialStatus> => {
    const now = options.clock();
    let entry = cache.get(reference.uri);
    if (!entry || entry.until <= now.getTime()) {
      const response = await options.fetch(reference.uri, { headers: { accept: STATUS_LIST_TYP } });
      if (!response.ok)
        throw new MdocError('ERR_MDOC_VERIFICATION', `the status list answered HTTP ${response.status}`);
      const verified = await verifyStatusListToken({
        token: new Uint8Array(await response.arrayBuffer()),
        uri: reference.uri,
        anchors: options.anchors,
        time: now,
        crypto: options.crypto,
        chainCache,
      });
      if (!verified.statusList) {
        const failed = verified.checks.find((check) => check.status === 'fail');
        throw new MdocError('ERR_MDOC_VERIFICATION', `the status list did not verify: ${failed?.check ?? 'unknown'}`);
      }
      const ttlUntil =
        verified.statusList.ttl === undefined ? Infinity : now.getTime() + verified.statusList.ttl * 1000;
      entry = { list: verified.statusList.list, until: Math.min(ttlUntil, verified.statusList.expiresAt.getTime()) };
      cache.set(reference.uri, entry);
    }
    if (reference.idx >= entry.list.size) return 'unknown';
    const value = entry.list.get(reference.idx);
    if (value === TOKEN_STATUS.valid) return 'valid';
    if (value === TOKEN_STATUS.invalid) return 'invalid';
    if (value === TOKEN_STATUS.suspended) return 'suspended';
    return 'unknown';
  };
}
