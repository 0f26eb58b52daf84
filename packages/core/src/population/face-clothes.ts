import type { Appearance, Layout } from './face-appearance.js';
import {
  clamp01,
  curve,
  ellipse,
  intersect,
  polygon,
  scale,
  shaded,
  subtract,
  type Paint,
  type Raster,
  type Rgb,
  type Shape,
} from './raster.js';

/** What the clothes are drawn with: the body's outline, its shaded cloth, and points relative to the collar. */
interface Torso {
  readonly body: Shape;
  readonly cloth: (colour: Rgb) => Paint;
  /** A polygon given as x, y, x, y… relative to the middle of the collar. */
  readonly at: (...coordinates: number[]) => Shape;
  /** The skin that shows at an open collar. */
  readonly skin: Paint;
}

/** The neck, the shoulders and what the person wears. */
export function drawBody(raster: Raster, look: Appearance, { cx, cy, chin, bodyTop }: Layout): void {
  const neckWidth = look.head.rx * 0.5;
  const at = (...coordinates: number[]) =>
    polygon(
      coordinates.flatMap((x, index) =>
        index % 2 === 0 ? [[cx + x, bodyTop + coordinates[index + 1]!] as const] : [],
      ),
    );
  raster.fill(
    polygon([
      [cx - neckWidth, cy],
      [cx + neckWidth, cy],
      [cx + neckWidth + 2, bodyTop + 8],
      [cx - neckWidth - 2, bodyTop + 8],
    ]),
    shaded(look.skin, (x, y) => 0.7 + 0.18 * clamp01((y - chin + 2) / 14) - (0.04 * (x - cx)) / neckWidth),
  );
  const torso: Torso = {
    body: ellipse(cx, bodyTop + 36, 58, 37),
    cloth: (colour) =>
      shaded(colour, (x, y) => 0.8 + 0.22 * (1 - ((x - cx) / 50) * ((x - cx) / 50)) - 0.06 * ((y - bodyTop) / 30)),
    at,
    skin: shaded(look.skin, (x, y) => 0.86 + 0.06 * clamp01((y - chin) / 20) - 0.03 * ((x - cx) / 8)),
  };
  raster.fill(torso.body, torso.cloth(look.clothesColour));
  const neckline = (rx: number, ry: number, dy: number, band: number, shade: number) => {
    const opening = ellipse(cx, bodyTop + dy, rx, ry);
    raster.fill(intersect(opening, torso.body), torso.skin);
    const hem = subtract(ellipse(cx, bodyTop + dy + band * 0.5, rx + band, ry + band), opening);
    raster.fill(intersect(hem, torso.body), torso.cloth(scale(look.clothesColour, shade)));
  };
  switch (look.clothes) {
    case 'suit':
    case 'jacket':
      drawJacket(raster, look, torso);
      return;
    case 'shirt':
      for (const side of [-1, 1])
        raster.fill(at(side * 8.5, -3, side * 0.5, 4, side * 7, 7), torso.cloth(scale(look.clothesColour, 1.04)));
      raster.fill(
        curve(
          cx - 0.4,
          cx + 0.4,
          () => bodyTop + 16,
          () => 13,
          14,
        ),
        scale(look.clothesColour, 0.85),
        0.6,
      );
      return;
    case 'blouse':
      neckline(9, 7, -1, 1.2, 0.9);
      return;
    case 'sweater':
      neckline(8.6, 5.2, -2.5, 1.6, 0.86);
      return;
  }
}

/** A jacket over a white shirt, with a tie for a suit and an open collar otherwise. */
function drawJacket(raster: Raster, look: Appearance, { body, cloth, at, skin }: Torso): void {
  const shirt: Rgb = look.clothes === 'jacket' ? [236, 232, 226] : [244, 244, 242];
  raster.fill(intersect(at(-9, -2, 9, -2, 0, 24), body), cloth(shirt));
  if (look.clothes === 'suit') {
    raster.fill(at(-2.4, 0.5, 2.4, 0.5, 1.5, 4.5, -1.5, 4.5), scale(look.tie, 0.9));
    raster.fill(at(-1.5, 4.5, 1.5, 4.5, 3.2, 22, 0, 26, -3.2, 22), cloth(look.tie));
  } else {
    raster.fill(intersect(at(-7, -6, 7, -6, 0, 6), body), skin);
  }
  for (const side of [-1, 1]) {
    raster.fill(at(side * 9, -2, side * 2.5, 5, side * 6.5, 7.5), cloth(shirt));
    raster.fill(at(side * 9.5, -1.5, side * 15, 8, side * 2.5, 26), cloth(scale(look.clothesColour, 0.82)));
  }
}
