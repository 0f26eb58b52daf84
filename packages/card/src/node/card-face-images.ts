import { existsSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';

import { createCanvas, GlobalFonts, type SKRSContext2D } from '@napi-rs/canvas';

import { CardError } from '../errors.js';

/**
 * Debian's IPA P Gothic (`fonts-ipafont-gothic`), which covers JIS X 0208 and 0213 kanji; the proportional
 * face of the two, so that names and addresses in Latin script are not set in fixed-width letters.
 */
export const DEFAULT_CARD_FONT = '/usr/share/fonts/opentype/ipafont-gothic/ipagp.ttf';
/** The family name each font file was registered under: one per file, so fonts never shadow each other. */
const families = new Map<string, string>();

function fontFamily(path: string): string {
  const known = families.get(path);
  if (known) return known;
  if (!existsSync(path))
    throw new CardError('ERR_CARD_RECORD', `the card-face font ${path} is missing (install fonts-ipafont-gothic)`);
  const family = `openmyna-card-face-${families.size}`;
  GlobalFonts.registerFromPath(path, family);
  families.set(path, family);
  return family;
}

/** Options of {@link renderTextImage}. */
export interface TextImageOptions {
  readonly width: number;
  /** Height of one line. */
  readonly lineHeight: number;
  /** At most this many lines; text wraps by characters, and the font shrinks (to half) before it fails. */
  readonly maxLines?: number;
  readonly font?: string;
}

/**
 * Renders text as the card prints it in its records: black on white, one bit per pixel, as a
 * greyscale PNG (card-spec §3.5: name, address and 個人番号 images are 1-bit PNGs).
 */
export function renderTextImage(text: string, options: TextImageOptions): Uint8Array {
  const family = fontFamily(options.font ?? DEFAULT_CARD_FONT);
  const measure = createCanvas(1, 1).getContext('2d');
  let fontSize = Math.round(options.lineHeight * 0.8);
  let lines = wrap(text, measure, `${fontSize}px ${family}`, options.width - 4);
  while (lines.length > (options.maxLines ?? 1)) {
    fontSize--;
    if (fontSize < options.lineHeight * 0.4) throw new CardError('ERR_CARD_RECORD', 'the text does not fit the image');
    lines = wrap(text, measure, `${fontSize}px ${family}`, options.width - 4);
  }
  const height = options.lineHeight * lines.length;
  const canvas = createCanvas(options.width, height);
  const context = canvas.getContext('2d');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, options.width, height);
  context.fillStyle = '#000000';
  context.font = `${fontSize}px ${family}`;
  context.textBaseline = 'middle';
  lines.forEach((text, index) => context.fillText(text, 2, options.lineHeight * index + options.lineHeight / 2));
  const pixels = context.getImageData(0, 0, options.width, height).data;
  const stride = Math.ceil(options.width / 8);
  const bits = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < options.width; x++) {
      if (pixels[(y * options.width + x) * 4]! >= 128) bits[y * stride + (x >> 3)]! |= 0x80 >> (x & 7);
    }
  }
  return encodeBilevelPng(bits, options.width, height);
}

/** Breaks text into lines no wider than `width` in `font`, by characters. */
function wrap(text: string, measure: SKRSContext2D, font: string, width: number): string[] {
  measure.font = font;
  const lines: string[] = [];
  let line = '';
  for (const character of text) {
    if (measure.measureText(line + character).width > width && line) {
      lines.push(line);
      line = '';
    }
    line += character;
  }
  // An empty text is one blank line (a phone has no security code to print).
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

/**
 * A 1-bit greyscale PNG (PNG §11.2.2: colour type 0, bit depth 1), rows filtered with filter 0.
 * Written here because the maintained npm PNG encoders (pngjs, fast-png, UPNG 2) write 8 or 16 bits only.
 */
export function encodeBilevelPng(packedRows: Uint8Array, width: number, height: number): Uint8Array {
  const stride = Math.ceil(width / 8);
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) raw.set(packedRows.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header[8] = 1; // bit depth
  header[9] = 0; // greyscale
  return new Uint8Array([
    0x89,
    0x50,
    0x4e,
    0x47,
    0x0d,
    0x0a,
    0x1a,
    0x0a,
    ...chunk('IHDR', header),
    ...chunk('IDAT', new Uint8Array(deflateSync(raw))),
    ...chunk('IEND', new Uint8Array()),
  ]);
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const typeBytes = new TextEncoder().encode(type);
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(typeBytes, 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(new Uint8Array([...typeBytes, ...data])));
  return out;
}

/** What the card face prints, as text. */
export interface CardFaceText {
  readonly name: string;
  readonly address: string;
  readonly myNumber: string;
  readonly securityCode: string;
}

/**
 * The four text images of the 券面AP records: name and address (up to 2 and 3 lines, 512 px wide),
 * and the 個人番号 and security code at the sizes of the surveyed card (72×12 and 24×12, card-spec §3.5).
 */
export function renderCardFaceText(
  text: CardFaceText,
  font?: string,
): { name: Uint8Array; address: Uint8Array; myNumber: Uint8Array; securityCode: Uint8Array } {
  const fontOption = font === undefined ? {} : { font };
  return {
    name: renderTextImage(text.name, { width: 512, lineHeight: 32, maxLines: 2, ...fontOption }),
    address: renderTextImage(text.address, { width: 512, lineHeight: 32, maxLines: 3, ...fontOption }),
    myNumber: renderTextImage(text.myNumber, { width: 72, lineHeight: 12, ...fontOption }),
    securityCode: renderSecurityCodeImage(text.securityCode, font),
  };
}

/** The security code image alone (24×12): it differs per card while the rest of the face is the person's. */
export function renderSecurityCodeImage(securityCode: string, font?: string): Uint8Array {
  return renderTextImage(securityCode, { width: 24, lineHeight: 12, ...(font === undefined ? {} : { font }) });
}
