/** `bytes` typed for Web Crypto, which takes only ArrayBuffer-backed views (we never use shared memory). */
export function bufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes as Uint8Array<ArrayBuffer>;
}

/** Compares two byte strings in time that depends only on their lengths. */
export { constantTimeEqual as equalBytes } from '@openmyna/core';

/** Lexicographic order of byte strings (X.690 §11.6 sorts SET OF components this way). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
