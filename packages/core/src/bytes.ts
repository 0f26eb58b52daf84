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
