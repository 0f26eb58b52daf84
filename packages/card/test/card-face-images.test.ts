import { crc32, inflateSync } from 'node:zlib';

import { encodeBilevelPng, renderCardFaceText, renderTextImage } from '@openmyna/card/node';
import { describe, expect, it } from 'vitest';

/** Reads a PNG's chunks, checking each CRC. */
function chunks(png: Uint8Array): { type: string; data: Buffer }[] {
  const bytes = Buffer.from(png);
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const found: { type: string; data: Buffer }[] = [];
  for (let offset = 8; offset < bytes.length;) {
    const length = bytes.readUInt32BE(offset);
    const typeAndData = bytes.subarray(offset + 4, offset + 8 + length);
    expect(bytes.readUInt32BE(offset + 8 + length)).toBe(crc32(typeAndData));
    found.push({ type: typeAndData.subarray(0, 4).toString('latin1'), data: typeAndData.subarray(4) });
    offset += 12 + length;
  }
  return found;
}

describe('card-face images', () => {
  it('writes a 1-bit greyscale PNG whose rows hold the packed pixels', () => {
    const rows = Uint8Array.of(0b1010_0000, 0b0101_0000);
    const [ihdr, idat, iend] = chunks(encodeBilevelPng(rows, 4, 2));
    expect(ihdr?.type).toBe('IHDR');
    expect([...ihdr!.data]).toEqual([0, 0, 0, 4, 0, 0, 0, 2, 1, 0, 0, 0, 0]);
    expect([...inflateSync(idat!.data)]).toEqual([0, 0b1010_0000, 0, 0b0101_0000]);
    expect(iend).toEqual({ type: 'IEND', data: Buffer.alloc(0) });
  });

  it('renders text black on white at the requested size', () => {
    const [ihdr, idat] = chunks(renderTextImage('番号　花子', { width: 200, lineHeight: 24 }));
    expect(ihdr!.data.readUInt32BE(0)).toBe(200);
    expect(ihdr!.data.readUInt32BE(4)).toBe(24);
    const pixels = inflateSync(idat!.data);
    const stride = 25;
    let black = 0;
    for (let y = 0; y < 24; y++)
      for (const byte of pixels.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)))
        black += 8 - byte.toString(2).replace(/0/g, '').length;
    expect(black).toBeGreaterThan(50);
    expect(black).toBeLessThan(200 * 24 - 50);
  });

  it('renders empty text as one blank line (regression: a phone has no security code to print)', () => {
    const [ihdr, idat] = chunks(renderTextImage('', { width: 24, lineHeight: 12 }));
    expect(ihdr!.data.readUInt32BE(4)).toBe(12);
    const pixels = inflateSync(idat!.data);
    // Every row: filter byte 0, then all-white (1-bits) packed pixels.
    for (let y = 0; y < 12; y++) expect([...pixels.subarray(y * 4 + 1, (y + 1) * 4)]).toEqual([0xff, 0xff, 0xff]);
  });

  it('shrinks the font before giving up on a line', () => {
    const [ihdr] = chunks(renderTextImage('東京都千代田区永田町', { width: 150, lineHeight: 20 }));
    expect(ihdr!.data.readUInt32BE(4)).toBe(20);
  });

  it('wraps long text onto more lines and refuses text that does not fit', () => {
    const [ihdr] = chunks(
      renderTextImage('東京都千代田区永田町一丁目七番一号', { width: 120, lineHeight: 16, maxLines: 3 }),
    );
    expect(ihdr!.data.readUInt32BE(4)).toBeGreaterThan(16);
    expect(() => renderTextImage('東京都千代田区永田町一丁目七番一号', { width: 60, lineHeight: 16 })).toThrow(
      expect.objectContaining({ code: 'ERR_CARD_RECORD' }),
    );
  });

  it('names a missing font in a typed error', () => {
    const render = () => renderTextImage('x', { width: 10, lineHeight: 10, font: '/nonexistent/font.ttf' });
    expect(render).toThrow(expect.objectContaining({ code: 'ERR_CARD_RECORD' }));
    expect(render).toThrow(/fonts-ipafont-gothic/);
  });

  it('renders the 個人番号 and security code at the surveyed card sizes (72×12, 24×12)', () => {
    const images = renderCardFaceText({
      name: '番号　花子',
      address: '東京都',
      myNumber: '123456789018',
      securityCode: '4821',
    });
    const size = (png: Uint8Array) => {
      const [ihdr] = chunks(png);
      return [ihdr!.data.readUInt32BE(0), ihdr!.data.readUInt32BE(4)];
    };
    expect(size(images.myNumber)).toEqual([72, 12]);
    expect(size(images.securityCode)).toEqual([24, 12]);
  });

  it('sets Latin letters in a proportional face (regression: names in Latin script were fixed-width)', () => {
    const inkWidth = (text: string) => {
      const [ihdr, idat] = chunks(renderTextImage(text, { width: 400, lineHeight: 32 }));
      const width = ihdr!.data.readUInt32BE(0);
      const stride = Math.ceil(width / 8);
      const pixels = inflateSync(idat!.data);
      let right = 0;
      for (let y = 0; y < 32; y++)
        for (let x = 0; x < width; x++)
          if ((pixels[y * (stride + 1) + 1 + (x >> 3)]! & (0x80 >> (x & 7))) === 0) right = Math.max(right, x);
      return right;
    };
    expect(inkWidth('iiiiiiii')).toBeLessThan(inkWidth('MMMMMMMM') * 0.6);
  });
});
