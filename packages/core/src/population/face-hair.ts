import type { Appearance, Layout } from './face-appearance.js';
import { clamp01, ellipse, hashNoise, intersect, subtract, union, type Paint, type Shape } from './raster.js';

/** The hair behind the head and over it. */
export interface HairShapes {
  readonly back?: Shape;
  readonly front?: Shape;
}

/** The parts every hair style is cut from. */
interface HairKit {
  readonly look: Appearance;
  readonly layout: Layout;
  /** The whole head of hair, standing `hairVolume` off the head. */
  readonly cap: Shape;
  /** Above the line `y = limit`, dipping `dip` at the sides. */
  readonly above: (limit: number, dip?: number) => Shape;
  /** The face below the hairline, shifted sideways by `shift`, its top at `height` × ry from the centre. */
  readonly hairline: (shift: number, height: number) => Shape;
  /** Locks beside the face down to `bottom`. */
  readonly sides: (bottom: number) => Shape;
}

/** The hair of `look`: its style cut from one head of hair, with its hairline. */
export function hairShapes(look: Appearance, layout: Layout): HairShapes {
  const { cx, cy, eyeY } = layout;
  const { rx, ry } = look.head;
  const volume = look.hairVolume;
  const above = (limit: number, dip = 0): Shape => ({
    box: { x0: -Infinity, y0: -Infinity, x1: Infinity, y1: limit + dip },
    distance: (x, y) => y - (limit + dip * ((x - cx) / rx) * ((x - cx) / rx)),
  });
  const kit: HairKit = {
    look,
    layout,
    cap: ellipse(cx, cy - ry * 0.18, rx + volume * 0.9, ry * 0.86 + volume),
    above,
    hairline: (shift, height) => ellipse(cx + shift, cy + ry * height, rx * 0.9, ry * 0.82),
    sides: (bottom) =>
      subtract(
        intersect(ellipse(cx, cy + 2, rx + volume + 2.2, ry * 1.12), above(bottom)),
        ellipse(cx, cy + ry * 0.2, rx - 0.8, ry * 1.1),
      ),
  };
  const browY = eyeY - look.brows.lift;
  const trimmed = (outline: Shape, hairline: Shape, limit: number) =>
    intersect(subtract(outline, hairline), above(limit));
  switch (look.hairStyle) {
    case 'short': {
      // Close at the sides, down to the top of the ears, so that it does not read as a bowl.
      const close = ellipse(cx, cy - ry * 0.22, rx + volume * 0.45, ry * 0.84 + volume * 0.8);
      return { front: trimmed(close, ellipse(cx, cy + ry * 0.22, rx * 0.93, ry * 0.8), browY - 1) };
    }
    case 'crop':
      return { front: trimmed(ellipse(cx, cy - ry * 0.2, rx + 1.2, ry * 0.84), kit.hairline(0, 0.22), eyeY - 4) };
    case 'tied':
      return { front: trimmed(ellipse(cx, cy - ry * 0.18, rx + 1.2, ry * 0.86 + 1), kit.hairline(0, 0.2), eyeY - 4) };
    case 'receding': {
      const forehead = ellipse(cx, cy + ry * 0.05, rx * 0.86, ry * 0.8);
      return { front: trimmed(ellipse(cx, cy - ry * 0.2, rx + 1, ry * 0.84), forehead, eyeY - 3) };
    }
    case 'bald': {
      const ring = subtract(
        ellipse(cx, cy - ry * 0.1, rx + 1.4, ry * 0.8),
        ellipse(cx, cy - ry * 0.1, rx - 2.5, ry * 0.95),
      );
      return { front: subtract(intersect(ring, above(eyeY - 1)), above(cy - ry * 0.45)) };
    }
    case 'side-part': {
      const side = volume > 2.7 ? 1 : -1;
      const sweep = intersect(ellipse(cx - side * rx * 0.25, cy - ry * 0.55, rx * 0.85, ry * 0.45), above(browY - 4));
      return {
        front: union(trimmed(kit.cap, kit.hairline(side * rx * 0.18, 0.25), eyeY - 3), intersect(sweep, kit.cap)),
      };
    }
    case 'fringe':
      return { front: intersect(kit.cap, above(browY - 1.8, 1.5)) };
    case 'fringe-long':
    case 'bob':
    case 'long':
      return longHair(kit, browY);
  }
}

/** Hair to the chin or the shoulders, with a fringe or a hairline. */
function longHair({ look, layout, cap, above, hairline, sides }: HairKit, browY: number): HairShapes {
  const { cx, cy } = layout;
  const { rx, ry } = look.head;
  const bottom = look.hairStyle === 'bob' ? cy + ry * 0.95 : cy + ry * 1.55;
  const top =
    look.hairStyle === 'fringe-long'
      ? intersect(cap, above(browY - 1.8, 1.5))
      : subtract(cap, hairline(rx * (look.hairStyle === 'bob' ? 0.1 : 0.12), look.hairStyle === 'bob' ? 0.25 : 0.2));
  return {
    back: intersect(ellipse(cx, cy + ry * 0.3, rx + look.hairVolume + 4, ry * 1.3), above(bottom)),
    front: union(top, sides(bottom - (look.hairStyle === 'long' ? 6 : 4))),
  };
}

/** The hair's colour with a sheen on the lit side and a texture of strands. */
export function hairPaint(look: Appearance, { cx, cy }: Layout): Paint {
  const { rx, ry } = look.head;
  const shineX = cx - rx * 0.35;
  const shineY = cy - ry * 0.8;
  const out: [number, number, number] = [0, 0, 0];
  return (x, y) => {
    const dx = (x - shineX) / (rx * 0.55);
    const dy = (y - shineY) / 4.5;
    const shine = Math.max(0, 1 - dx * dx - dy * dy);
    const strand = hashNoise(Math.floor(x * 1.5), Math.floor(y / 5), 7) * 0.16 - 0.08;
    const light = 0.86 + 0.34 * shine + strand - 0.12 * clamp01((y - cy) / ry);
    // A touch of white in the sheen; `out` is reused, as `shaded` does.
    const white = 0.04 * shine;
    for (let channel = 0; channel < 3; channel++)
      out[channel] = look.hair[channel]! * light * (1 - white) + 255 * white;
    return out;
  };
}
