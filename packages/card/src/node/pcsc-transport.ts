import { CardError } from '../errors.js';
import type { CardTransport } from '../transport.js';

/** A connected PC/SC card: a transport plus what the reader reported. */
export interface PcscCard extends CardTransport {
  readonly readerName: string;
  readonly atr: Uint8Array;
  close(): Promise<void>;
}

interface PcscReader {
  name: string;
  SCARD_STATE_PRESENT: number;
  SCARD_SHARE_SHARED: number;
  SCARD_LEAVE_CARD: number;
  on(type: 'status', listener: (status: { state: number; atr?: Buffer }) => void): void;
  on(type: 'error', listener: (error: unknown) => void): void;
  connect(options: { share_mode: number }, callback: (error: unknown, protocol: number) => void): void;
  transmit(input: Buffer, length: number, protocol: number, callback: (error: unknown, data: Buffer) => void): void;
  disconnect(disposition: number, callback: (error: unknown) => void): void;
  close(): void;
}

interface PcscLite {
  on(type: 'reader', listener: (reader: PcscReader) => void): void;
  on(type: 'error', listener: (error: unknown) => void): void;
  close(): void;
}

/**
 * The optional native bindings, typed by the interfaces above. The module name is not a literal so the
 * build never needs the package: npm skips it where libpcsclite-dev is missing.
 */
async function loadPcscLite(): Promise<() => PcscLite> {
  const moduleName: string = '@pokusew/pcsclite';
  try {
    return ((await import(moduleName)) as { default: () => PcscLite }).default;
  } catch (error) {
    throw new CardError(
      'ERR_CARD_STATUS',
      'the PC/SC bindings (@pokusew/pcsclite) are not installed: install libpcsclite-dev (apt-get install libpcsclite-dev), then run npm ci',
      { cause: error },
    );
  }
}

/**
 * Connects to the first card present in a PC/SC reader (pcscd on Linux) whose name contains
 * `readerName`, through the `@pokusew/pcsclite` bindings — so the reader clients read a physical
 * My Number Card, or the virtual one behind vpcd, alike.
 *
 * @example
 * ```ts
 * const card = await openPcscCard({ readerName: 'Virtual PCD 00 00' });
 * const jpki = new JpkiReader(card);
 * ```
 */
export async function openPcscCard(options: { readerName?: string; timeoutMs?: number } = {}): Promise<PcscCard> {
  const pcsc = (await loadPcscLite())();
  return new Promise<PcscCard>((resolve, reject) => {
    const timer: ReturnType<typeof setTimeout> = setTimeout(() => {
      closeAll();
      reject(new CardError('ERR_CARD_STATUS', `no card appeared in a reader matching "${options.readerName ?? ''}"`));
    }, options.timeoutMs ?? 10_000);
    const readers: PcscReader[] = [];
    const closeAll = () => {
      for (const reader of readers) reader.close();
      pcsc.close();
    };
    // Errors surface in the result of the calls below; the monitoring threads' own are not ours to raise.
    pcsc.on('error', () => undefined);
    pcsc.on('reader', (reader) => {
      readers.push(reader);
      reader.on('error', () => undefined);
      if (options.readerName && !reader.name.includes(options.readerName)) return;
      reader.on('status', (status) => {
        if (!(status.state & reader.SCARD_STATE_PRESENT) || !status.atr) return;
        reader.connect({ share_mode: reader.SCARD_SHARE_SHARED }, (error, protocol) => {
          if (error) return;
          clearTimeout(timer);
          resolve({
            readerName: reader.name,
            atr: new Uint8Array(status.atr!),
            transmit: (command) =>
              new Promise<Uint8Array>((done, fail) =>
                reader.transmit(Buffer.from(command), 65538, protocol, (transmitError, data) =>
                  transmitError
                    ? fail(new CardError('ERR_CARD_STATUS', 'the PC/SC transmit failed', { cause: transmitError }))
                    : done(new Uint8Array(data)),
                ),
              ),
            close: () =>
              new Promise<void>((done) =>
                reader.disconnect(reader.SCARD_LEAVE_CARD, () => {
                  closeAll();
                  done();
                }),
              ),
          });
        });
      });
    });
  });
}
