import type { Rgb } from './raster.js';

export type HairStyle =
  'short' | 'side-part' | 'crop' | 'fringe' | 'long' | 'bob' | 'fringe-long' | 'tied' | 'receding' | 'bald';
export type Clothes = 'suit' | 'jacket' | 'shirt' | 'blouse' | 'sweater';

/** Everything a face photo shows, drawn from the person's seed (see `renderFacePhoto`). */
export interface Appearance {
  readonly skin: Rgb;
  readonly hair: Rgb;
  readonly hairStyle: HairStyle;
  /** How far the hair stands off the head, in pixels. */
  readonly hairVolume: number;
  readonly background: Rgb;
  readonly clothes: Clothes;
  readonly clothesColour: Rgb;
  readonly tie: Rgb;
  /** Half-width and half-height; `jaw` 0 (oval) to 1 (square), `taper` narrows the chin. */
  readonly head: { readonly rx: number; readonly ry: number; readonly jaw: number; readonly taper: number };
  readonly eyes: {
    readonly gap: number;
    readonly y: number;
    readonly rx: number;
    readonly ry: number;
    readonly iris: Rgb;
  };
  readonly brows: { readonly thickness: number; readonly arch: number; readonly lift: number };
  readonly nose: { readonly length: number; readonly width: number };
  readonly mouth: { readonly width: number; readonly fullness: number; readonly smile: number };
  readonly ears: number;
  readonly lipTint: number;
  readonly blush: number;
  readonly glasses: Rgb | undefined;
  readonly moustache: boolean;
  /** Depth of the lines age draws beside the mouth, 0 to about 0.35. */
  readonly lines: number;
}

/** The face's landmarks, in pixels, derived once from the appearance. */
export interface Layout {
  readonly cx: number;
  readonly cy: number;
  readonly chin: number;
  readonly eyeY: number;
  readonly noseTip: number;
  readonly mouthY: number;
  readonly bodyTop: number;
}
