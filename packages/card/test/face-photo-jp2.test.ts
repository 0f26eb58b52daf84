import openJpeg from '@cornerstonejs/codec-openjpeg/wasmjs';
import { FACE_PHOTO_HEIGHT, FACE_PHOTO_WIDTH, renderFacePhoto } from '@openmyna/core';
import { encodeFacePhotoJp2 } from '@openmyna/card/node';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';

/** The boxes of a JP2 file, top level. */
function boxes(file: Uint8Array): { type: string; contents: Uint8Array }[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const found: { type: string; contents: Uint8Array }[] = [];
  for (let offset = 0; offset < file.length;) {
    const length = view.getUint32(offset);
    expect(length).toBeGreaterThanOrEqual(8);
    found.push({
      type: new TextDecoder().decode(file.subarray(offset + 4, offset + 8)),
      contents: file.subarray(offset + 8, offset + length),
    });
    offset += length;
  }
  return found;
}

describe('face photos as JPEG 2000', () => {
  const photo = renderFacePhoto({ faceSeed: 7, sex: '2', age: 40 });

  it('writes a greyscale JP2 file that starts as the real card’s DF27 does', async () => {
    const file = await encodeFacePhotoJp2(photo);
    expect(Buffer.from(file.subarray(0, 12)).toString('hex')).toBe('0000000c6a5020200d0a870a');
    expect(boxes(file).map((box) => box.type)).toEqual(['jP  ', 'ftyp', 'jp2h', 'jp2c']);
    const header = boxes(boxes(file)[2]!.contents);
    expect(header.map((box) => box.type)).toEqual(['ihdr', 'colr']);
    expect([...header[1]!.contents]).toEqual([1, 0, 0, 0, 0, 0, 17]);
    expect(file.length).toBeLessThan(FACE_PHOTO_WIDTH * FACE_PHOTO_HEIGHT);
  });

  it('decodes, with OpenJPEG’s own decoder, to the photo in grey', async () => {
    const codec = await openJpeg({ print: () => undefined, printErr: () => undefined });
    const codestream = boxes(await encodeFacePhotoJp2(photo))[3]!.contents;
    const decoder = new codec.J2KDecoder();
    decoder.getEncodedBuffer(codestream.length).set(codestream);
    decoder.decode();
    expect(decoder.getFrameInfo()).toMatchObject({
      width: FACE_PHOTO_WIDTH,
      height: FACE_PHOTO_HEIGHT,
      componentCount: 1,
      bitsPerSample: 8,
    });
    const grey = decoder.getDecodedBuffer();
    const rgba = jpeg.decode(photo, { useTArray: true, formatAsRGBA: true }).data;
    let squaredError = 0;
    for (let pixel = 0; pixel < grey.length; pixel++) {
      const luma = 0.299 * rgba[pixel * 4]! + 0.587 * rgba[pixel * 4 + 1]! + 0.114 * rgba[pixel * 4 + 2]!;
      squaredError += (grey[pixel]! - luma) ** 2;
    }
    const psnr = 10 * Math.log10(255 ** 2 / (squaredError / grey.length));
    expect(psnr).toBeGreaterThan(30);
    decoder.delete();
  });

  it('refuses what is not a JPEG with a typed error', async () => {
    await expect(encodeFacePhotoJp2(Uint8Array.of(0xff, 0xd8, 0, 1, 2))).rejects.toMatchObject({
      code: 'ERR_CARD_RECORD',
    });
    await expect(encodeFacePhotoJp2(new Uint8Array())).rejects.toMatchObject({ code: 'ERR_CARD_RECORD' });
  });
});
