export { nodeMdocCrypto } from './node-mdoc-crypto.js';
export { MdocRelay, newRelaySessionId, type MdocRelayOptions } from './mdoc-relay.js';
export { nodeRelayTransport } from './relay-transport.js';
