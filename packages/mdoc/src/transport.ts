import { MdocError } from './errors.js';

/**
 * A bidirectional channel of whole messages between holder and reader (ISO/IEC 18013-5 §8.3.3 leaves
 * the transport to BLE, NFC, Wi-Fi Aware; we add an in-process pair and a WebSocket relay). What
 * travels here is SessionEstablishment and SessionData — ciphertext apart from the reader's public key.
 */
export interface MessageTransport {
  send(message: Uint8Array): Promise<void>;
  /** The next message; rejects with `ERR_TRANSPORT` when the channel closes first. */
  receive(): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** A queue of incoming messages with waiting receivers, shared by the transports below. */
export class MessageQueue {
  #messages: Uint8Array[] = [];
  #waiting: { resolve: (message: Uint8Array) => void; reject: (error: Error) => void }[] = [];
  #closed: Error | undefined;

  push(message: Uint8Array): void {
    const waiter = this.#waiting.shift();
    if (waiter) waiter.resolve(message);
    else this.#messages.push(message);
  }

  next(): Promise<Uint8Array> {
    const message = this.#messages.shift();
    if (message) return Promise.resolve(message);
    if (this.#closed) return Promise.reject(this.#closed);
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  close(reason: string): void {
    this.#closed ??= new MdocError('ERR_TRANSPORT', reason);
    for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#closed);
  }

  get closed(): boolean {
    return this.#closed !== undefined;
  }
}

/**
 * Two connected in-process ends, for tests and for a reader and holder in one program.
 *
 * @example
 * ```ts
 * const [holderEnd, readerEnd] = inProcessTransportPair();
 * ```
 */
export function inProcessTransportPair(): [MessageTransport, MessageTransport] {
  const queues = [new MessageQueue(), new MessageQueue()] as const;
  const end = (incoming: MessageQueue, outgoing: MessageQueue): MessageTransport => ({
    send: (message) => {
      if (outgoing.closed) return Promise.reject(new MdocError('ERR_TRANSPORT', 'the peer has closed the channel'));
      outgoing.push(message.slice());
      return Promise.resolve();
    },
    receive: () => incoming.next(),
    close: () => {
      incoming.close('the channel was closed');
      outgoing.close('the peer closed the channel');
      return Promise.resolve();
    },
  });
  return [end(queues[0], queues[1]), end(queues[1], queues[0])];
}

/** The subset of the WHATWG WebSocket we use, so browsers' WebSocket and the `ws` package both fit. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'close' | 'error' | 'message', listener: (event: { data?: unknown }) => void): void;
}

/**
 * A transport over our WebSocket relay (docs/mdoc.md): both sides connect to `<relay url>/<session>`
 * and the relay forwards binary frames between them. `createSocket` defaults to the global WebSocket
 * (browsers, Node 22+); Node 20 passes the `ws` package's constructor.
 *
 * @example
 * ```ts
 * const transport = await webSocketTransport(`${engagement.relay.url}/${engagement.relay.session}`);
 * ```
 */
export async function webSocketTransport(
  url: string,
  createSocket: (url: string) => WebSocketLike = (target) => new WebSocket(target),
): Promise<MessageTransport> {
  const socket = createSocket(url);
  socket.binaryType = 'arraybuffer';
  const queue = new MessageQueue();
  // Listening before the handshake ends: frames the relay kept for us may come with its answer.
  socket.addEventListener('message', (event) => {
    const data = event.data;
    if (data instanceof ArrayBuffer) queue.push(new Uint8Array(data));
    else if (ArrayBuffer.isView(data))
      queue.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice());
    else queue.close('the relay sent a text frame');
  });
  socket.addEventListener('close', () => queue.close('the relay connection closed'));
  socket.addEventListener('error', () => queue.close('the relay connection failed'));
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve());
    socket.addEventListener('error', () => reject(new MdocError('ERR_TRANSPORT', 'could not connect to the relay')));
  });
  return {
    send: (message) => {
      if (queue.closed) return Promise.reject(new MdocError('ERR_TRANSPORT', 'the relay connection is closed'));
      socket.send(message);
      return Promise.resolve();
    },
    receive: () => queue.next(),
    close: () => {
      queue.close('the channel was closed');
      socket.close(1000, 'done');
      return Promise.resolve();
    },
  };
}
