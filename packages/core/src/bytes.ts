/**
 * Compares two byte strings in time that depends only on their lengths, for secrets and
 * authentication tags (PIN digests, MACs).
 *
 * @example
 * ```ts
 * if (!constantTimeEqual(expectedTag, receivedTag)) throw ...;
 * ```
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

/**
 * The bytes as a string of one UTF-16 code unit per byte (U+0000–U+00FF): equal strings mean equal
 * bytes, so it is an exact key for a `Map` of things derived from bytes (keys, parsed structures),
 * and several times cheaper to build than hex.
 *
 * @example
 * ```ts
 * keys.get(bytesToBinaryString(subjectPublicKeyInfo));
 * ```
 */
export function bytesToBinaryString(bytes: Uint8Array): string {
  let text = '';
  // In slices: one call per slice is fast, and its arguments stay far below engines' limits.
  for (let start = 0; start < bytes.length; start += BINARY_STRING_SLICE)
    text += String.fromCharCode.apply(null, bytes.subarray(start, start + BINARY_STRING_SLICE) as unknown as number[]);
  return text;
}

const BINARY_STRING_SLICE = 4096;
