import { MdocError } from '../errors.js';

/**
 * One entry of a relay stream (`relay:{<id>}:from:<1|2>`) as XRANGE returns it: a frame the peer sent,
 * or the marker that it left (written after its last frame, so the other side gets both in order).
 */
export type RelayStreamEntry =
  | { readonly id: string; readonly kind: 'frame'; readonly bytes: Uint8Array }
  | { readonly id: string; readonly kind: 'end' };

const STREAM_ID = /^\d{1,20}-\d{1,20}$/;

function malformed(what: string): MdocError {
  return new MdocError('ERR_TRANSPORT', `the relay store returned ${what}`);
}

function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return new TextDecoder('utf-8', { fatal: false }).decode(value);
  return undefined;
}

/**
 * Reads an XRANGE reply (ioredis' Buffer variant): `[[id, [field, value, …]], …]` whose entries carry
 * exactly one field, `frame` (the bytes) or `end`. Anything else is refused with `ERR_TRANSPORT`,
 * never passed on.
 *
 * @example
 * ```ts
 * const entries = parseRelayStreamEntries(await redis.xrangeBuffer(key, '-', '+'));
 * ```
 */
export function parseRelayStreamEntries(reply: unknown): RelayStreamEntry[] {
  if (!Array.isArray(reply)) throw malformed('a reply that is not a list of entries');
  return reply.map((entry: unknown): RelayStreamEntry => {
    if (!Array.isArray(entry) || entry.length !== 2) throw malformed('an entry that is not [id, fields]');
    const [rawId, fields] = entry as [unknown, unknown];
    const id = textOf(rawId);
    if (id === undefined || !STREAM_ID.test(id)) throw malformed('an entry with a malformed id');
    if (!Array.isArray(fields) || fields.length !== 2) throw malformed('an entry without exactly one field');
    const [name, value] = fields as [unknown, unknown];
    const field = textOf(name);
    if (field === 'frame' && value instanceof Uint8Array)
      return { id, kind: 'frame', bytes: new Uint8Array(value.buffer, value.byteOffset, value.byteLength) };
    if (field === 'end') return { id, kind: 'end' };
    throw malformed('an entry of an unknown kind');
  });
}
