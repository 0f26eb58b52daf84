import jpeg from 'jpeg-js';

import { SeededRandom } from '../random.js';
import type { Appearance, Clothes, HairStyle } from './face-appearance.js';
import { drawFace } from './face-drawing.js';
import type { Rgb } from './raster.js';

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

const SKIN_TONES: readonly Rgb[] = [
  [246, 214, 190],
  [238, 200, 172],
  [230, 188, 156],
  [218, 172, 138],
  [204, 156, 120],
  [186, 136, 100],
];
const HAIR_COLOURS: readonly Rgb[] = [
  [22, 19, 18],
  [34, 27, 23],
  [48, 36, 28],
  [70, 50, 36],
  [98, 70, 46],
];
const GREY_HAIR: readonly Rgb[] = [
  [120, 116, 112],
  [160, 157, 153],
  [200, 198, 194],
];
// ID photos are taken against a plain light background (white, light blue or light grey).
const BACKGROUNDS: readonly Rgb[] = [
  [236, 240, 244],
  [214, 228, 242],
  [224, 228, 232],
  [204, 220, 236],
];
const DARK_CLOTHES: readonly Rgb[] = [
  [34, 38, 52],
  [58, 60, 68],
  [30, 44, 78],
  [70, 58, 50],
];
const LIGHT_CLOTHES: readonly Rgb[] = [
  [236, 236, 232],
  [200, 214, 230],
  [226, 206, 200],
  [150, 160, 140],
];
const TIES: readonly Rgb[] = [
  [120, 30, 40],
  [30, 60, 120],
  [70, 70, 80],
  [40, 90, 70],
];
const IRISES: readonly Rgb[] = [
  [52, 34, 26],
  [66, 44, 30],
  [40, 30, 26],
];
const FRAMES: readonly Rgb[] = [
  [30, 30, 34],
  [90, 70, 50],
  [140, 140, 150],
];
const MEN_HAIR: readonly HairStyle[] = ['short', 'short', 'side-part', 'side-part', 'crop', 'fringe'];
const WOMEN_HAIR: readonly HairStyle[] = ['long', 'long', 'bob', 'bob', 'fringe-long', 'tied'];
const MEN_CLOTHES: readonly Clothes[] = ['suit', 'suit', 'suit', 'shirt', 'sweater'];
const WOMEN_CLOTHES: readonly Clothes[] = ['jacket', 'blouse', 'blouse', 'sweater'];

/**
 * Draws a deterministic head-and-shoulders ID-style photo for a synthetic person — shaded face, varied face
 * shape, skin, hair, eyes, brows, nose, mouth, ears and clothes on a plain light background — and encodes
 * it as a baseline JPEG (`jpeg-js`). Equal features always give byte-identical output on every platform.
 *
 * @example
 * ```ts
 * const jpeg = renderFacePhoto({ faceSeed: person.faceSeed, sex: person.sex, age: 40 });
 * ```
 */
export function renderFacePhoto(features: FaceFeatures, quality = 80): Uint8Array {
  const pixels = drawFace(appearanceOf(features), FACE_PHOTO_WIDTH, FACE_PHOTO_HEIGHT);
  const { data } = withBufferFrom(() =>
    jpeg.encode({ data: pixels, width: FACE_PHOTO_WIDTH, height: FACE_PHOTO_HEIGHT }, quality),
  ) as { data: Uint8Array };
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function appearanceOf(features: FaceFeatures): Appearance {
  const random = SeededRandom.fromSeed(features.faceSeed);
  const between = (min: number, max: number) => min + (max - min) * random.float();
  const female = features.sex === '2';
  const { age } = features;
  const greying = age >= 50 && random.chance(Math.min(0.9, (age - 42) / 40));
  const hairStyle = random.pick(female ? WOMEN_HAIR : MEN_HAIR);
  const clothes = random.pick(female ? WOMEN_CLOTHES : MEN_CLOTHES);
  return {
    skin: random.pick(SKIN_TONES),
    hair: greying ? random.pick(GREY_HAIR) : random.pick(HAIR_COLOURS),
    hairStyle: !female && age >= 45 && random.chance(0.3) ? (random.chance(0.3) ? 'bald' : 'receding') : hairStyle,
    hairVolume: between(1.5, 4),
    background: random.pick(BACKGROUNDS),
    clothes,
    clothesColour: clothes === 'blouse' || clothes === 'shirt' ? random.pick(LIGHT_CLOTHES) : random.pick(DARK_CLOTHES),
    tie: random.pick(TIES),
    head: {
      rx: between(female ? 18.5 : 19.5, female ? 21.5 : 23),
      ry: between(25, 28.5),
      jaw: between(female ? 0 : 0.2, female ? 0.35 : 0.7),
      taper: between(0, 0.22),
    },
    eyes: {
      gap: between(8.2, 10),
      y: between(-0.5, 1.5),
      rx: between(3, 3.8),
      ry: between(1.4, female ? 2.1 : 1.9),
      iris: random.pick(IRISES),
    },
    brows: {
      thickness: between(female ? 0.45 : 0.6, female ? 0.75 : 1.1),
      arch: between(0.5, 2),
      lift: between(4.8, 6.2),
    },
    nose: { length: between(8, 11), width: between(2.6, 3.6) },
    mouth: { width: between(5.5, 7.5), fullness: between(0.9, female ? 1.8 : 1.4), smile: between(-0.2, 1) },
    ears: between(5.5, 7.5),
    lipTint: female ? between(0.15, 0.45) : 0.05,
    blush: female ? between(0, 0.25) : between(0, 0.1),
    glasses: random.chance(age >= 45 ? 0.4 : 0.15) ? random.pick(FRAMES) : undefined,
    moustache: !female && age >= 30 && random.chance(0.12),
    lines: age >= 50 ? Math.min(0.35, (age - 45) / 100) : 0,
  };
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
