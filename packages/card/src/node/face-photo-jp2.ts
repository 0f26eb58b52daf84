import openJpeg from '@cornerstonejs/codec-openjpeg/wasmjs';
import jpeg from 'jpeg-js';

import { CardError } from '../errors.js';

/** Options of {@link encodeFacePhotoJp2}. */
export interface FacePhotoJp2Options {
  /** Size of the raw greyscale image over the size of the codestream (default 10). */
  readonly compressionRatio?: number;
}

let codec: ReturnType<typeof openJpeg> | undefined;

/**
 * Re-encodes a face photo (baseline JPEG, as the population draws them) as the card stores it:
 * greyscale JPEG 2000 in a JP2 file (card-spec §3.5, DF27), by OpenJPEG compiled to WebAssembly.
 */
export async function encodeFacePhotoJp2(photo: Uint8Array, options: FacePhotoJp2Options = {}): Promise<Uint8Array> {
  let image: { width: number; height: number; data: Uint8Array };
  try {
    image = jpeg.decode(photo, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 64 });
  } catch {
    throw new CardError('ERR_CARD_RECORD', 'the face photo is not a JPEG image');
  }
  // Loaded once; a failed load is forgotten so that the next call tries again.
  codec ??= openJpeg({ print: () => undefined, printErr: () => undefined }).catch((error: unknown) => {
    codec = undefined;
    throw new CardError('ERR_CARD_RECORD', 'the JPEG 2000 encoder (OpenJPEG WebAssembly) did not load', {
      cause: error,
    });
  });
  const encoder = new (await codec).J2KEncoder();
  try {
    const grey = encoder.getDecodedBuffer({
      width: image.width,
      height: image.height,
      bitsPerSample: 8,
      componentCount: 1,
      isSigned: false,
      isUsingColorSpace: false,
    });
    for (let pixel = 0; pixel < image.width * image.height; pixel++) {
      const [r, g, b] = [image.data[pixel * 4]!, image.data[pixel * 4 + 1]!, image.data[pixel * 4 + 2]!];
      grey[pixel] = Math.round(0.299 * r + 0.587 * g + 0.114 * b); // ITU-R BT.601 luma
    }
    encoder.setQuality(false, 0);
    encoder.setCompressionRatio(0, options.compressionRatio ?? 10);
    encoder.encode();
    return wrapJp2(encoder.getEncodedBuffer().slice(), image.width, image.height);
  } finally {
    encoder.delete();
  }
}

/**
 * The JP2 file around a one-component, 8-bit codestream (ISO/IEC 15444-1 Annex I): signature, file
 * type, header (image header and greyscale colour specification) and the contiguous codestream.
 */
export function wrapJp2(codestream: Uint8Array, width: number, height: number): Uint8Array {
  const imageHeader = new Uint8Array(14);
  const view = new DataView(imageHeader.buffer);
  view.setUint32(0, height);
  view.setUint32(4, width);
  view.setUint16(8, 1); // one component
  imageHeader[10] = 7; // 8 bits, unsigned
  imageHeader[11] = 7; // compressed with JPEG 2000
  const colour = Uint8Array.of(1, 0, 0, 0, 0, 0, 17); // enumerated colour space 17: greyscale
  return new Uint8Array([
    ...box('jP  ', Uint8Array.of(0x0d, 0x0a, 0x87, 0x0a)),
    ...box('ftyp', new Uint8Array([...ascii('jp2 '), 0, 0, 0, 0, ...ascii('jp2 ')])),
    ...box('jp2h', new Uint8Array([...box('ihdr', imageHeader), ...box('colr', colour)])),
    ...box('jp2c', codestream),
  ]);
}

function box(type: string, contents: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + contents.length);
  new DataView(out.buffer).setUint32(0, out.length);
  out.set(ascii(type), 4);
  out.set(contents, 8);
  return out;
}

const ascii = (text: string) => new TextEncoder().encode(text);
