export { FileRetryCounterStore, type PersistencePoint } from './file-retry-counter-store.js';
export { VpcdBridge, type BridgedCard, type VpcdBridgeOptions } from './vpcd-bridge.js';
export { openPcscCard, type PcscCard } from './pcsc-transport.js';
