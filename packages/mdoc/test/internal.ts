// Internal functions under test that the public entry does not export. Tests may reach into the
// package's own sources; other packages may not (see the lint rule on deep imports).
export { coseVerificationProblem } from '../src/cose.js';
export { decodeCoseVerificationKey } from '../src/cose-key.js';
export { deriveEMacKey } from '../src/device-response.js';
export { ecPublicKeyFromSpki } from '../src/certificate-chain.js';
export { embedCbor } from '../src/cbor.js';
export { inProcessTransportPair } from '../src/transport.js';
export { verificationKey } from '../src/crypto.js';
