import { WebSocket } from 'ws';

import { webSocketTransport, type MessageTransport, type WebSocketLike } from '../transport.js';

/**
 * {@link webSocketTransport} in Node 20, whose global WebSocket is not yet stable: the `ws` package's
 * client, trusting `ca` (PEM) besides the system's roots for a `wss:` relay.
 */
export function nodeRelayTransport(url: string, options: { readonly ca?: string } = {}): Promise<MessageTransport> {
  return webSocketTransport(
    url,
    (target) => new WebSocket(target, options.ca ? { ca: options.ca } : {}) as unknown as WebSocketLike,
  );
}
