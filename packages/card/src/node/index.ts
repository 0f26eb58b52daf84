export { FileRetryCounterStore, type PersistencePoint } from './file-retry-counter-store.js';
