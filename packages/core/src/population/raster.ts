/**
 * A small anti-aliased rasteriser for the synthetic face photos: shapes are signed distance functions
 * (negative inside, in pixels), painted over an RGB buffer with coverage `0.5 − distance` at each pixel's
 * centre. Core stays portable (no canvas, no native code), and only `+ − × ÷`, `Math.sqrt` (correctly
 * rounded by IEEE 754) and integer operations are used, so the pixels are the same on every platform.
 */

export type Rgb = readonly [number, number, number];

/** A colour for each point, for gradients and shading. */
export type Paint = Rgb | ((x: number, y: number) => Rgb);

/** A region: the signed distance to its edge and a box that holds it. */
export interface Shape {
  readonly distance: (x: number, y: number) => number;
  readonly box: Box;
}

interface Box {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

/** An axis-aligned ellipse; the distance is the first-order estimate `(f − 1) / |∇f|`. */
export function ellipse(cx: number, cy: number, rx: number, ry: number): Shape {
  return {
    box: { x0: cx - rx, y0: cy - ry, x1: cx + rx, y1: cy + ry },
    distance: (x, y) => {
      const u = (x - cx) / rx;
      const v = (y - cy) / ry;
      const f = Math.sqrt(u * u + v * v);
      if (f < 1e-6) return -Math.min(rx, ry);
      const gradient = Math.sqrt((u / rx) * (u / rx) + (v / ry) * (v / ry)) / f;
      return (f - 1) / gradient;
    },
  };
}

/** A convex polygon, its corners in either winding order. */
export function polygon(points: readonly (readonly [number, number])[]): Shape {
  const xs = points.map((point) => point[0]);
  const ys = points.map((point) => point[1]);
  let area = 0;
  points.forEach(([x, y], index) => {
    const [nx, ny] = points[(index + 1) % points.length]!;
    area += x * ny - nx * y;
  });
  const sign = area > 0 ? 1 : -1;
  const edges = points.map(([x, y], index) => {
    const [nx, ny] = points[(index + 1) % points.length]!;
    const length = Math.sqrt((nx - x) * (nx - x) + (ny - y) * (ny - y));
    return { x, y, ex: (sign * (nx - x)) / length, ey: (sign * (ny - y)) / length };
  });
  return {
    box: { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) },
    distance: (px, py) => {
      let distance = -Infinity;
      for (const edge of edges) distance = Math.max(distance, (px - edge.x) * edge.ey - (py - edge.y) * edge.ex);
      return distance;
    },
  };
}

/**
 * A stroke along the curve `y = yAt(x)` for `x0 ≤ x ≤ x1`, `halfWidthAt(x)` thick on each side. Exact for
 * flat curves, which is what brows, lids and lips are.
 */
export function curve(
  x0: number,
  x1: number,
  yAt: (x: number) => number,
  halfWidthAt: (x: number) => number,
  reach: number,
): Shape {
  const ends = [yAt(x0), yAt(x1), yAt((x0 + x1) / 2)];
  return {
    box: { x0, y0: Math.min(...ends) - reach, x1, y1: Math.max(...ends) + reach },
    distance: (x, y) => Math.max(Math.abs(y - yAt(x)) - halfWidthAt(x), x0 - x, x - x1),
  };
}

/** Where both shapes are. */
export function intersect(a: Shape, b: Shape): Shape {
  return {
    box: {
      x0: Math.max(a.box.x0, b.box.x0),
      y0: Math.max(a.box.y0, b.box.y0),
      x1: Math.min(a.box.x1, b.box.x1),
      y1: Math.min(a.box.y1, b.box.y1),
    },
    distance: (x, y) => Math.max(a.distance(x, y), b.distance(x, y)),
  };
}

/** Where `a` is and `b` is not. */
export function subtract(a: Shape, b: Shape): Shape {
  return { box: a.box, distance: (x, y) => Math.max(a.distance(x, y), -b.distance(x, y)) };
}

/** Where either shape is. */
export function union(a: Shape, b: Shape): Shape {
  return {
    box: {
      x0: Math.min(a.box.x0, b.box.x0),
      y0: Math.min(a.box.y0, b.box.y0),
      x1: Math.max(a.box.x1, b.box.x1),
      y1: Math.max(a.box.y1, b.box.y1),
    },
    distance: (x, y) => Math.min(a.distance(x, y), b.distance(x, y)),
  };
}

/** The same shape with edges `softness` pixels wide instead of one: for shadows and blush. */
export function soften(shape: Shape, softness: number): Shape {
  return {
    box: {
      x0: shape.box.x0 - softness,
      y0: shape.box.y0 - softness,
      x1: shape.box.x1 + softness,
      y1: shape.box.y1 + softness,
    },
    distance: (x, y) => shape.distance(x, y) / softness,
  };
}

/** Drawing coordinates are pixels scaled `zoom` times about the point (`x`, `y`). */
export interface Zoom {
  readonly zoom: number;
  readonly x: number;
  readonly y: number;
}

/** An RGB picture being painted, shape by shape, back to front. */
export class Raster {
  readonly #rgb: Float64Array;
  readonly #zoom: Zoom;

  constructor(
    readonly width: number,
    readonly height: number,
    zoom: Zoom = { zoom: 1, x: 0, y: 0 },
  ) {
    this.#rgb = new Float64Array(width * height * 3);
    this.#zoom = zoom;
  }

  /** Paints the whole picture. */
  fillAll(paint: Paint): void {
    this.fill({ box: { x0: -Infinity, y0: -Infinity, x1: Infinity, y1: Infinity }, distance: () => -1 }, paint);
  }

  /** Paints `shape` with `paint`, `opacity` of the way over what is there. */
  fill(shape: Shape, paint: Paint, opacity = 1): void {
    const { zoom, x: zx, y: zy } = this.#zoom;
    const x0 = Math.max(0, Math.floor(zx + (shape.box.x0 - zx) * zoom - 1));
    const y0 = Math.max(0, Math.floor(zy + (shape.box.y0 - zy) * zoom - 1));
    const x1 = Math.min(this.width, Math.ceil(zx + (shape.box.x1 - zx) * zoom + 1));
    const y1 = Math.min(this.height, Math.ceil(zy + (shape.box.y1 - zy) * zoom + 1));
    const rgb = this.#rgb;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const px = zx + (x + 0.5 - zx) / zoom;
        const py = zy + (y + 0.5 - zy) / zoom;
        const coverage = Math.min(1, Math.max(0, 0.5 - shape.distance(px, py) * zoom)) * opacity;
        // Fail closed: a degenerate shape (NaN distance) paints nothing rather than black.
        if (!(coverage > 0)) continue;
        const colour = typeof paint === 'function' ? paint(px, py) : paint;
        const offset = (y * this.width + x) * 3;
        rgb[offset] = rgb[offset]! + (colour[0] - rgb[offset]!) * coverage;
        rgb[offset + 1] = rgb[offset + 1]! + (colour[1] - rgb[offset + 1]!) * coverage;
        rgb[offset + 2] = rgb[offset + 2]! + (colour[2] - rgb[offset + 2]!) * coverage;
      }
    }
  }

  /** The picture as opaque 8-bit RGBA, rows top to bottom. */
  toRgba(): Uint8Array {
    const pixels = new Uint8Array(this.width * this.height * 4);
    for (let pixel = 0; pixel < this.width * this.height; pixel++) {
      for (let channel = 0; channel < 3; channel++)
        pixels[pixel * 4 + channel] = Math.min(255, Math.max(0, Math.round(this.#rgb[pixel * 3 + channel]!)));
      pixels[pixel * 4 + 3] = 255;
    }
    return pixels;
  }
}

/**
 * `colour` times `factorAt(x, y)`: a shading paint. It reuses one array for its answers, which `fill` reads
 * at once, so that painting allocates nothing per pixel.
 */
export function shaded(colour: Rgb, factorAt: (x: number, y: number) => number): Paint {
  const out: [number, number, number] = [0, 0, 0];
  return (x, y) => {
    const factor = factorAt(x, y);
    out[0] = colour[0] * factor;
    out[1] = colour[1] * factor;
    out[2] = colour[2] * factor;
    return out;
  };
}

/** `colour` times `factor`, channel by channel. */
export function scale(colour: Rgb, factor: number): Rgb {
  return [colour[0] * factor, colour[1] * factor, colour[2] * factor];
}

/** The colour `t` of the way from `a` to `b`. */
export function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

/** A deterministic value in `[0, 1)` for integer point `(x, y)` and `seed`: texture for hair. */
export function hashNoise(x: number, y: number, seed: number): number {
  let h = Math.imul(x | 0, 374761393) ^ Math.imul(y | 0, 668265263) ^ Math.imul(seed | 0, 0x27d4eb2d);
  h = Math.imul(h ^ (h >>> 13), 1274126177);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** The same shape moved by (`dx`, `dy`). */
export function offset(shape: Shape, dx: number, dy: number): Shape {
  const { box } = shape;
  return {
    box: { x0: box.x0 + dx, y0: box.y0 + dy, x1: box.x1 + dx, y1: box.y1 + dy },
    distance: (x, y) => shape.distance(x - dx, y - dy),
  };
}

/** `value` limited to `[0, 1]`. */
export function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}
