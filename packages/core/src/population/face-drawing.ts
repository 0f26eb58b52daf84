import type { Appearance, Layout } from './face-appearance.js';
import { drawBody } from './face-clothes.js';
import { hairPaint, hairShapes } from './face-hair.js';
import {
  clamp01,
  curve,
  ellipse,
  intersect,
  mix,
  offset,
  polygon,
  Raster,
  scale,
  shaded,
  soften,
  subtract,
  type Rgb,
  type Shape,
} from './raster.js';

/** Draws `look` as a head-and-shoulders photo and returns its RGBA pixels. */
export function drawFace(look: Appearance, width: number, height: number): Uint8Array {
  // As in an ID photo, the head fills most of the height: the face is drawn 1.25× about a point below it.
  const raster = new Raster(width, height, { zoom: 1.25, x: width / 2, y: 62 });
  const cx = width / 2;
  const cy = 55;
  const chin = cy + look.head.ry;
  const eyeY = cy + look.eyes.y;
  const noseTip = eyeY + look.nose.length;
  const layout: Layout = { cx, cy, chin, eyeY, noseTip, mouthY: noseTip + (chin - noseTip) * 0.36, bodyTop: chin + 10 };
  const { background } = look;
  raster.fillAll(shaded(background, (x, y) => 1.03 - 0.08 * (y / height) - 0.05 * ((x - cx) / cx) * ((x - cx) / cx)));
  const hair = hairShapes(look, layout);
  if (hair.back) raster.fill(hair.back, hairPaint(look, layout));
  drawBody(raster, look, layout);
  drawHead(raster, look, layout);
  if (hair.front) {
    raster.fill(soften(offset(hair.front, 0, 1.5), 1.6), scale(look.skin, 0.62), 0.35);
    raster.fill(hair.front, hairPaint(look, layout));
  }
  if (look.glasses) drawGlasses(raster, look, layout, look.glasses);
  return raster.toRgba();
}

function drawHead(raster: Raster, look: Appearance, layout: Layout): void {
  const { cx, cy, eyeY, noseTip, mouthY } = layout;
  const { rx, ry } = look.head;
  const { skin } = look;
  for (const side of [-1, 1]) {
    const ear = ellipse(cx + side * (rx + 0.6), (eyeY + noseTip) / 2, 3.2, look.ears);
    raster.fill(ear, scale(skin, side < 0 ? 0.92 : 0.86));
    raster.fill(
      soften(ellipse(cx + side * (rx + 1), (eyeY + noseTip) / 2, 1.4, look.ears * 0.55), 1.2),
      scale(skin, 0.7),
      0.6,
    );
  }
  raster.fill(
    headShape(cx, cy, look.head),
    shaded(skin, (x, y) => {
      const u = (x - cx) / rx;
      const v = (y - cy + ry * 0.1) / ry;
      return 0.8 + 0.22 * Math.sqrt(Math.max(0, 1 - 0.55 * u * u - 0.4 * v * v)) - 0.05 * u;
    }),
  );
  const { gap } = look.eyes;
  for (const side of [-1, 1]) {
    raster.fill(soften(ellipse(cx + side * (gap + 1.5), eyeY + 7, 4, 2.6), 3), [226, 128, 124], look.blush);
    drawEye(raster, look, cx + side * gap, eyeY, side);
  }
  drawNose(raster, look, layout);
  drawMouth(raster, look, cx, mouthY);
  drawBrows(raster, look, layout);
}

function drawNose(raster: Raster, look: Appearance, { cx, eyeY, noseTip, mouthY }: Layout): void {
  const { skin } = look;
  const { length, width } = look.nose;
  raster.fill(soften(ellipse(cx + 2.3, eyeY + length * 0.55, 1.1, length * 0.42), 1.6), scale(skin, 0.76), 0.35);
  raster.fill(soften(ellipse(cx, noseTip + 0.8, width, 1.3), 1.3), scale(skin, 0.72), 0.5);
  raster.fill(soften(ellipse(cx - 0.5, noseTip - 1.4, 1.3, 1.1), 1.3), scale(skin, 1.08), 0.5);
  for (const side of [-1, 1])
    raster.fill(ellipse(cx + side * width * 0.5, noseTip + 0.7, 0.9, 0.55), [96, 58, 52], 0.55);
  if (look.lines > 0)
    for (const side of [-1, 1]) {
      const top = cx + side * (width + 1.8);
      const bottom = cx + side * (look.mouth.width + 1.6);
      raster.fill(
        soften(
          polygon([
            [top - 0.3, noseTip],
            [top + 0.3, noseTip],
            [bottom + 0.3, mouthY + 2],
            [bottom - 0.3, mouthY + 2],
          ]),
          1.1,
        ),
        scale(skin, 0.7),
        look.lines,
      );
    }
}

function drawBrows(raster: Raster, look: Appearance, { cx, eyeY }: Layout): void {
  const { gap } = look.eyes;
  const browColour = mix(look.hair, [46, 34, 28], look.hair[0] > 110 ? 0.5 : 0.1);
  for (const side of [-1, 1]) {
    const bx = cx + side * (gap + 0.3);
    const by = eyeY - look.brows.lift;
    const { arch, thickness } = look.brows;
    raster.fill(
      curve(
        bx - 4.8,
        bx + 4.8,
        (x) => by - arch * (1 - ((x - bx - side * 0.8) / 5) * ((x - bx - side * 0.8) / 5)),
        (x) => thickness * (1 - 0.5 * clamp01((side * (x - bx)) / 4.8)),
        arch + thickness + 1,
      ),
      browColour,
      0.9,
    );
  }
}

/** An egg-shaped head: `jaw` squares the lower half (blending the L2 and L4 norms), `taper` narrows it. */
function headShape(cx: number, cy: number, head: Appearance['head']): Shape {
  const { rx, ry, jaw, taper } = head;
  return {
    box: { x0: cx - rx, y0: cy - ry, x1: cx + rx, y1: cy + ry },
    distance: (x, y) => {
      const v = (y - cy) / ry;
      const below = Math.max(0, v);
      const u = (x - cx) / (rx * (1 - taper * below * below));
      const round = Math.sqrt(u * u + v * v);
      const square = Math.sqrt(Math.sqrt(u * u * u * u + v * v * v * v));
      return ((v > 0 ? round + (square - round) * jaw : round) - 1) * rx * 0.95;
    },
  };
}

function drawEye(raster: Raster, look: Appearance, ex: number, ey: number, side: number): void {
  const { rx, ry, iris } = look.eyes;
  raster.fill(soften(ellipse(ex, ey - 0.6, rx + 1.6, ry + 1.6), 2), scale(look.skin, 0.8), 0.35);
  const eye = ellipse(ex, ey, rx, ry);
  raster.fill(eye, [240, 236, 232]);
  const irisRadius = rx * 0.5;
  raster.fill(intersect(ellipse(ex, ey + 0.2, irisRadius, irisRadius), eye), iris);
  raster.fill(intersect(ellipse(ex, ey + 0.2, irisRadius * 0.45, irisRadius * 0.45), eye), [14, 12, 12]);
  raster.fill(ellipse(ex - 0.6, ey - 0.5, 0.45, 0.45), [255, 255, 255], 0.85);
  const lid = (x: number) =>
    ey - (ry + 0.1) * Math.sqrt(Math.max(0, 1 - ((x - ex) / (rx + 0.4)) * ((x - ex) / (rx + 0.4))));
  raster.fill(
    curve(ex - rx - 0.5, ex + rx + 0.4, lid, (x) => 0.42 + 0.25 * clamp01((side * (x - ex)) / rx), ry + 1),
    [34, 26, 24],
  );
  raster.fill(
    curve(
      ex - rx + 0.4,
      ex + rx - 0.4,
      (x) => lid(x) - 1.4,
      () => 0.3,
      ry + 2,
    ),
    scale(look.skin, 0.7),
    0.35,
  );
  raster.fill(
    curve(
      ex - rx + 0.5,
      ex + rx,
      (x) => 2 * ey - lid(x) + 0.2,
      () => 0.3,
      ry + 1,
    ),
    scale(look.skin, 0.66),
    0.4,
  );
}

function drawMouth(raster: Raster, look: Appearance, cx: number, my: number): void {
  const { width, fullness, smile } = look.mouth;
  const lip = mix(scale(look.skin, 0.82), [188, 78, 88], 0.25 + look.lipTint);
  const cut = (below: boolean): Shape =>
    polygon(
      below
        ? [
            [cx - 12, my],
            [cx + 12, my],
            [cx + 12, my + 6],
            [cx - 12, my + 6],
          ]
        : [
            [cx - 12, my - 6],
            [cx + 12, my - 6],
            [cx + 12, my],
            [cx - 12, my],
          ],
    );
  raster.fill(soften(ellipse(cx, my + fullness * 1.5 + 1.4, width * 0.6, 0.9), 1.3), scale(look.skin, 0.72), 0.35);
  raster.fill(intersect(ellipse(cx, my, width, fullness * 1.1), cut(false)), scale(lip, 0.9));
  raster.fill(intersect(ellipse(cx, my, width * 0.88, fullness * 1.5), cut(true)), lip);
  raster.fill(ellipse(cx - 0.8, my + fullness * 0.8, width * 0.3, 0.45), scale(lip, 1.12), 0.5);
  raster.fill(
    curve(
      cx - width - 0.3,
      cx + width + 0.3,
      (x) => my - smile * ((x - cx) / width) * ((x - cx) / width) + 0.1,
      () => 0.38,
      smile + 1,
    ),
    [104, 56, 54],
  );
  if (look.moustache) raster.fill(soften(ellipse(cx, my - 2.2, width * 0.85, 1.15), 1.2), scale(look.hair, 0.9), 0.7);
}

function drawGlasses(raster: Raster, look: Appearance, { cx, eyeY }: Layout, frame: Rgb): void {
  const { gap } = look.eyes;
  for (const side of [-1, 1]) {
    const ex = cx + side * gap;
    raster.fill(ellipse(ex, eyeY + 0.3, 5.5, 3.8), [255, 255, 255], 0.1);
    raster.fill(subtract(ellipse(ex, eyeY + 0.3, 6.3, 4.6), ellipse(ex, eyeY + 0.3, 5.5, 3.8)), frame);
    const outer = ex + side * 6.2;
    const edge = cx + side * (look.head.rx + 0.5);
    raster.fill(
      curve(
        Math.min(outer, edge),
        Math.max(outer, edge),
        () => eyeY - 0.6,
        () => 0.4,
        1,
      ),
      frame,
    );
  }
  raster.fill(
    curve(
      cx - gap + 6,
      cx + gap - 6,
      (x) => eyeY - 1 - 0.3 * (1 - ((x - cx) / (gap - 6)) * ((x - cx) / (gap - 6))),
      () => 0.45,
      2,
    ),
    frame,
  );
}
