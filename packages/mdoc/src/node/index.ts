export { nodeMdocCrypto } from './node-mdoc-crypto.js';
