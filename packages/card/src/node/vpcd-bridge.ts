import { connect, type Socket } from 'node:net';

import { CardError } from '../errors.js';

/** What the bridge offers to PC/SC: a card that answers APDUs and can be reset. */
export interface BridgedCard {
  readonly atr: Uint8Array;
  transmit(command: Uint8Array): Promise<Uint8Array>;
  reset(): void;
}

/** Options of {@link VpcdBridge.connect}. */
export interface VpcdBridgeOptions {
  readonly card: BridgedCard;
  /** Where vsmartcard's vpcd driver (loaded by pcscd) listens. Default 127.0.0.1:35963. */
  readonly host?: string;
  readonly port?: number;
  /** How long to keep retrying while pcscd starts. Default 10 s. */
  readonly connectTimeoutMs?: number;
}

/** vpcd control codes (vsmartcard `vpcd.h`): one-byte messages from the driver. */
const CONTROL = { powerOff: 0x00, powerOn: 0x01, reset: 0x02, getAtr: 0x04 } as const;

/**
 * Puts a card in vsmartcard's virtual reader: PC/SC software (OpenSC, JPKI clients) then sees it as
 * a card in "Virtual PCD 00 00". The protocol is TCP with each message prefixed by its 2-byte
 * big-endian length; a 1-byte message is a control code, anything longer a command APDU answered
 * with the response APDU.
 *
 * @example
 * ```ts
 * const bridge = await VpcdBridge.connect({ card });
 * // … opensc-tool -n prints "jpki" …
 * await bridge.close();
 * ```
 */
export class VpcdBridge {
  readonly #socket: Socket;
  readonly #card: BridgedCard;
  #buffer = Buffer.alloc(0);
  #queue: Promise<void> = Promise.resolve();
  readonly closed: Promise<void>;

  private constructor(socket: Socket, card: BridgedCard) {
    this.#socket = socket;
    this.#card = card;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('error', () => socket.destroy());
  }

  static async connect(options: VpcdBridgeOptions): Promise<VpcdBridge> {
    const host = options.host ?? '127.0.0.1';
    const port = options.port ?? 35963;
    const deadline = Date.now() + (options.connectTimeoutMs ?? 10_000);
    for (;;) {
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const attempt = connect({ host, port }, () => resolve(attempt));
          attempt.once('error', reject);
        });
        socket.setNoDelay(true);
        return new VpcdBridge(socket, options.card);
      } catch (error) {
        if (Date.now() > deadline) {
          throw new CardError(
            'ERR_CARD_STATUS',
            `vpcd is not listening on ${host}:${port} (is pcscd with vsmartcard-vpcd running?)`,
            { cause: error },
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  async close(): Promise<void> {
    this.#socket.end();
    await this.closed;
  }

  #receive(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    while (this.#buffer.length >= 2) {
      const length = this.#buffer.readUInt16BE(0);
      if (this.#buffer.length < 2 + length) return;
      const message = new Uint8Array(this.#buffer.subarray(2, 2 + length));
      this.#buffer = this.#buffer.subarray(2 + length);
      // Messages are answered strictly in order.
      this.#queue = this.#queue
        .then(() => this.#handle(message))
        .catch(() => {
          this.#socket.destroy();
        });
    }
  }

  async #handle(message: Uint8Array): Promise<void> {
    const [control] = message;
    if (message.length === 1 && control !== undefined) {
      switch (control) {
        case CONTROL.getAtr:
          this.#send(this.#card.atr);
          return;
        case CONTROL.powerOff:
        case CONTROL.powerOn:
        case CONTROL.reset:
          this.#card.reset();
          return;
        default:
          return;
      }
    }
    this.#send(await this.#card.transmit(message));
  }

  #send(payload: Uint8Array): void {
    const frame = Buffer.alloc(2 + payload.length);
    frame.writeUInt16BE(payload.length, 0);
    frame.set(payload, 2);
    this.#socket.write(frame);
  }
}
