const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/** `true` when every character of `text` is an ASCII digit (and there is at least one). */
export function isAsciiDigits(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < DIGIT_0 || c > DIGIT_9) return false;
  }
  return true;
}

/** The value of the ASCII digit at `index` of `text`. */
export function digitAt(text: string, index: number): number {
  return text.charCodeAt(index) - DIGIT_0;
}

/** `value` as decimal digits, left-padded with zeros to `width`. */
export function padDigits(value: number, width: number): string {
  return String(value).padStart(width, '0');
}
