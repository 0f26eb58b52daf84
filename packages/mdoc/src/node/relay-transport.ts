import { WebSocket } from 'ws';

import { webSocketTransport, type MessageTransport, type WebSocketLike } from '../transport.js';

/**
 * {@link webSocketTransport} in Node 20, whose global WebSocket is not yet stable: the `ws` package's
 * client, trusting `ca` (PEM) besides the system's roots for a `wss:` relay, sending `headers` with
 * the upgrade (a service's own reader shows who it is, so the relay's per-source limit spares it).
 */
export function nodeRelayTransport(
  url: string,
  options: { readonly ca?: string; readonly headers?: Readonly<Record<string, string>> } = {},
): Promise<MessageTransport> {
  const client = {
    ...(options.ca ? { ca: options.ca } : {}),
    ...(options.headers ? { headers: { ...options.headers } } : {}),
  };
  return webSocketTransport(url, (target) => new WebSocket(target, client) as unknown as WebSocketLike);
}
