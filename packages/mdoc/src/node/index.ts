export { nodeMdocCrypto } from './node-mdoc-crypto.js';
export {
  MdocRelay,
  newRelaySessionId,
  RELAY_SENDER_BACKLOG,
  RELAY_SLOW_READER,
  type MdocRelayOptions,
} from './mdoc-relay.js';
export {
  MemoryRelaySessions,
  type RelayPeer,
  type RelayPeerListener,
  type RelaySendResult,
  type RelaySessions,
} from './relay-sessions.js';
export { RedisRelaySessions, relayScriptReply, type RedisRelaySessionsOptions } from './redis-relay-sessions.js';
export { parseRelayStreamEntries, type RelayStreamEntry } from './relay-stream-entry.js';
export { nodeRelayTransport } from './relay-transport.js';
