import { KeyCustodyError } from './errors.js';

/** The parts of a PKCS#11 URI (RFC 7512) the custody uses to find its token, module and PIN. */
export interface Pkcs11Uri {
  /** Token attributes to match (`token`, `manufacturer`, `serial`, `model`); all given must match. */
  readonly token: {
    readonly label?: string | undefined;
    readonly manufacturer?: string | undefined;
    readonly serial?: string | undefined;
    readonly model?: string | undefined;
  };
  /** `slot-id`, when the URI names one slot. */
  readonly slotId?: number | undefined;
  /** `module-path` query attribute (RFC 7512 §2.3): the PKCS#11 library to load. */
  readonly modulePath?: string | undefined;
  /** `pin-source` query attribute: a file (path or `file:` URI) holding the user PIN. */
  readonly pinSource?: string | undefined;
  /** `pin-value` query attribute (discouraged: it puts the PIN on the command line). */
  readonly pinValue?: string | undefined;
}

const PATH_ATTRIBUTES = new Set([
  'token',
  'manufacturer',
  'serial',
  'model',
  'slot-id',
  'library-manufacturer',
  'library-description',
  'library-version',
  'slot-description',
  'slot-manufacturer',
  'object',
  'id',
  'type',
]);
const QUERY_ATTRIBUTES = new Set(['module-path', 'module-name', 'pin-source', 'pin-value']);

function decode(text: string, attribute: string): string {
  try {
    return decodeURIComponent(text);
  } catch (error) {
    throw new KeyCustodyError(
      'ERR_KEY_CUSTODY_URI',
      `the PKCS#11 URI attribute "${attribute}" is not percent-encoded UTF-8`,
      {
        cause: error,
      },
    );
  }
}

function attributes(part: string, separator: string, known: Set<string>): Map<string, string> {
  const found = new Map<string, string>();
  for (const pair of part.split(separator)) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    // RFC 7512 §2.3: every attribute is name=value; unknown standard ones are errors here, vendor ones (x-) ignored.
    if (equals <= 0) throw new KeyCustodyError('ERR_KEY_CUSTODY_URI', 'a PKCS#11 URI attribute has no "="');
    const name = pair.slice(0, equals);
    if (!known.has(name) && !name.startsWith('x-'))
      throw new KeyCustodyError('ERR_KEY_CUSTODY_URI', `unknown PKCS#11 URI attribute "${name}"`);
    // RFC 7512 §2.3: an attribute may appear at most once.
    if (found.has(name)) throw new KeyCustodyError('ERR_KEY_CUSTODY_URI', `PKCS#11 URI attribute "${name}" repeats`);
    found.set(name, decode(pair.slice(equals + 1), name));
  }
  return found;
}

/**
 * Parses a PKCS#11 URI (RFC 7512). Path attributes are separated by `;`, query attributes by `&`;
 * `module-path` and `pin-source` are accepted in the path too, as `p11tool` users often write them.
 *
 * @example
 * ```ts
 * parsePkcs11Uri('pkcs11:token=openmyna;module-path=/usr/lib/softhsm/libsofthsm2.so?pin-source=/run/pin');
 * ```
 */
export function parsePkcs11Uri(uri: string): Pkcs11Uri {
  if (!uri.startsWith('pkcs11:'))
    throw new KeyCustodyError('ERR_KEY_CUSTODY_URI', 'a PKCS#11 URI starts with "pkcs11:"');
  const rest = uri.slice('pkcs11:'.length);
  const question = rest.indexOf('?');
  const path = attributes(
    question < 0 ? rest : rest.slice(0, question),
    ';',
    new Set([...PATH_ATTRIBUTES, ...QUERY_ATTRIBUTES]),
  );
  const query = attributes(question < 0 ? '' : rest.slice(question + 1), '&', QUERY_ATTRIBUTES);
  // Given twice (path and query), which would win is a guess: refuse it as a repeat within one part is.
  for (const name of query.keys())
    if (path.has(name)) throw new KeyCustodyError('ERR_KEY_CUSTODY_URI', `PKCS#11 URI attribute "${name}" repeats`);
  const get = (name: string) => query.get(name) ?? path.get(name);
  const slot = path.get('slot-id');
  if (slot !== undefined && (!/^\d+$/.test(slot) || !Number.isSafeInteger(Number(slot))))
    throw new KeyCustodyError('ERR_KEY_CUSTODY_URI', 'the PKCS#11 URI "slot-id" is not a number');
  return {
    token: {
      label: path.get('token'),
      manufacturer: path.get('manufacturer'),
      serial: path.get('serial'),
      model: path.get('model'),
    },
    slotId: slot === undefined ? undefined : Number(slot),
    modulePath: get('module-path'),
    pinSource: get('pin-source'),
    pinValue: get('pin-value'),
  };
}

/** The URI without its `pin-value`, safe to print in messages. */
export function redactPkcs11Uri(uri: string): string {
  // As the parser splits: a path value (after ":" or ";") ends at ";", a query value at "&".
  const question = uri.indexOf('?');
  const path = question < 0 ? uri : uri.slice(0, question);
  const query = question < 0 ? '' : uri.slice(question);
  return (
    path.replace(/([:;])pin-value=[^;]*/g, '$1pin-value=…') + query.replace(/([?&])pin-value=[^&]*/g, '$1pin-value=…')
  );
}
