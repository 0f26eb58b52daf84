export { nodeCryptoBackend } from './node-crypto-backend.js';
