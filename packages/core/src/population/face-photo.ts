import jpeg from 'jpeg-js';

import { SeededRandom } from '../random.js';

/** Size of the synthetic face photos, in pixels (3:4, as ID photos). */
export const FACE_PHOTO_WIDTH = 96;
export const FACE_PHOTO_HEIGHT = 128;

/** What the drawing of a face depends on. */
export interface FaceFeatures {
  /** A 32-bit seed for the person's appearance. */
  readonly faceSeed: number;
  readonly sex: string;
  readonly age: number;
}

type Rgb = readonly [number, number, number];

const SKIN_TONES: readonly Rgb[] = [
  [241, 204, 178],
  [233, 190, 160],
  [222, 176, 142],
  [205, 156, 120],
  [188, 140, 104],
];
const HAIR_COLOURS: readonly Rgb[] = [
  [24, 20, 18],
  [40, 30, 24],
  [62, 44, 30],
  [88, 62, 40],
];
const GREY_HAIR: readonly Rgb[] = [
  [150, 148, 146],
  [190, 188, 186],
  [215, 213, 210],
];
const BACKGROUNDS: readonly Rgb[] = [
  [200, 214, 228],
  [222, 226, 230],
  [190, 204, 190],
  [230, 224, 214],
];
const CLOTHES: readonly Rgb[] = [
  [30, 34, 48],
  [60, 62, 70],
  [240, 240, 240],
  [90, 40, 40],
  [40, 70, 100],
];

interface Ellipse {
  readonly cx: number;
  readonly cy: number;
  readonly rx: number;
  readonly ry: number;
}

function inside(e: Ellipse, x: number, y: number): boolean {
  const dx = (x - e.cx) / e.rx;
  const dy = (y - e.cy) / e.ry;
  return dx * dx + dy * dy <= 1;
}

/**
 * Draws a deterministic head-and-shoulders picture for a synthetic person and encodes it as a
 * baseline JPEG (`jpeg-js`). Equal features always give byte-identical output. Only integer and
 * basic floating-point arithmetic is used, so the pixels do not depend on the platform's maths
 * library.
 */
export function renderFacePhoto(features: FaceFeatures, quality = 80): Uint8Array {
  const random = SeededRandom.fromSeed(features.faceSeed);
  const skin = random.pick(SKIN_TONES);
  const greying = features.age >= 55 && random.chance(Math.min(0.9, (features.age - 45) / 40));
  const hair = greying ? random.pick(GREY_HAIR) : random.pick(HAIR_COLOURS);
  const background = random.pick(BACKGROUNDS);
  const clothes = random.pick(CLOTHES);
  const longHair = features.sex === '2' ? random.chance(0.8) : random.chance(0.08);
  const glasses = random.chance(features.age >= 45 ? 0.45 : 0.2);
  const bald = features.sex === '1' && features.age >= 50 && random.chance(0.25);

  const w = FACE_PHOTO_WIDTH;
  const h = FACE_PHOTO_HEIGHT;
  const headRx = 22 + random.integer(-2, 3);
  const headRy = 29 + random.integer(-2, 3);
  const head: Ellipse = { cx: w / 2, cy: 56, rx: headRx, ry: headRy };
  const hairCap: Ellipse = { cx: w / 2, cy: 48 - (bald ? 6 : 0), rx: headRx + 3, ry: headRy - 2 };
  const hairBack: Ellipse = { cx: w / 2, cy: 70, rx: headRx + 7, ry: headRy + 14 };
  const shoulders: Ellipse = { cx: w / 2, cy: h + 18, rx: 50, ry: 42 };
  const neck: Ellipse = { cx: w / 2, cy: 90, rx: 10, ry: 14 };
  const eyeY = 56 + random.integer(-1, 1);
  const eyeGap = 9 + random.integer(0, 2);
  const eyes = [-1, 1].map((side) => ({ cx: w / 2 + side * eyeGap, cy: eyeY, rx: 3.2, ry: 1.8 }));
  const brows = [-1, 1].map((side) => ({ cx: w / 2 + side * eyeGap, cy: eyeY - 6, rx: 5, ry: 1.2 }));
  const lenses = [-1, 1].map((side) => ({ cx: w / 2 + side * eyeGap, cy: eyeY, rx: 7, ry: 5.5 }));
  const mouth: Ellipse = { cx: w / 2, cy: 74 + random.integer(-1, 1), rx: 6 + random.integer(0, 2), ry: 1.6 };
  const nose: Ellipse = { cx: w / 2, cy: 65, rx: 2.5, ry: 4 };
  const ears = [-1, 1].map((side) => ({ cx: w / 2 + side * (headRx + 1), cy: 58, rx: 4, ry: 7 }));

  const pixels = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const shade = 1 - (y / h) * 0.12;
      let colour: Rgb = [background[0] * shade, background[1] * shade, background[2] * shade];
      if (longHair && !bald && inside(hairBack, x, y) && y > 40) colour = hair;
      if (inside(shoulders, x, y)) colour = clothes;
      else if (inside(neck, x, y)) colour = darken(skin, 0.9);
      if (ears.some((e) => inside(e, x, y))) colour = darken(skin, 0.95);
      if (inside(head, x, y)) {
        colour = skin;
        if (!bald || y < 36) {
          if (inside(hairCap, x, y) && y < 46 - (bald ? 12 : 0)) colour = hair;
        }
        if (inside(nose, x, y) && x > w / 2) colour = darken(skin, 0.9);
        if (brows.some((e) => inside(e, x, y))) colour = darken(hair, 0.8);
        if (eyes.some((e) => inside(e, x, y))) colour = [30, 24, 22];
        if (inside(mouth, x, y)) colour = [176, 92, 88];
        if (glasses && lenses.some((e) => inside(e, x, y) && !inside(shrink(e, 1.3), x, y))) colour = [40, 40, 44];
      }
      const offset = (y * w + x) * 4;
      pixels[offset] = Math.round(colour[0]);
      pixels[offset + 1] = Math.round(colour[1]);
      pixels[offset + 2] = Math.round(colour[2]);
      pixels[offset + 3] = 255;
    }
  }
  const { data } = withBufferFrom(() => jpeg.encode({ data: pixels, width: w, height: h }, quality)) as {
    data: Uint8Array;
  };
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * jpeg-js's encoder returns `Buffer.from(bytes)` whenever a CommonJS `module` is in scope — which
 * every bundler provides — and so throws in browsers, which have no Buffer. Where there is none, it
 * gets, for this one synchronous call only, a stand-in whose `from` makes a Uint8Array (a Buffer is
 * one too, so callers see the same type either way).
 */
function withBufferFrom<T>(encode: () => T): T {
  if (Reflect.has(globalThis, 'Buffer')) return encode();
  Reflect.set(globalThis, 'Buffer', { from: (bytes: ArrayLike<number>) => Uint8Array.from(bytes) });
  try {
    return encode();
  } finally {
    Reflect.deleteProperty(globalThis, 'Buffer');
  }
}

function darken(colour: Rgb, factor: number): Rgb {
  return [colour[0] * factor, colour[1] * factor, colour[2] * factor];
}

function shrink(e: Ellipse, by: number): Ellipse {
  return { cx: e.cx, cy: e.cy, rx: e.rx - by, ry: e.ry - by };
}
